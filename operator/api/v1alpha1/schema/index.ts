// The five kinds of the modelops.dev/v1alpha1 API, in the order a pipeline uses them.
import { dataset } from './dataset.ts';
import { driftMonitor } from './driftmonitor.ts';
import { inferenceService } from './inferenceservice.ts';
import type { KindDefinition } from './kind.ts';
import { modelVersion } from './modelversion.ts';
import { trainingJob } from './trainingjob.ts';

export const KINDS: readonly KindDefinition[] = [dataset, trainingJob, modelVersion, inferenceService, driftMonitor];
export { CATEGORY, GROUP, VERSION } from './kind.ts';
export type { KindDefinition, PrinterColumn } from './kind.ts';
