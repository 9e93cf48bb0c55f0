// The resource types this controller reads and writes.
import type { ResourceType } from '../../runtime/resources.ts';

export const INFERENCE_SERVICES: ResourceType = { group: 'modelops.dev', version: 'v1alpha1', kind: 'InferenceService', plural: 'inferenceservices' };
export const SERVICES: ResourceType = { group: '', version: 'v1', kind: 'Service', plural: 'services' };
