// The resource types this controller reads and writes.
import type { ResourceType } from '../../runtime/resources.ts';

export const MODEL_VERSIONS: ResourceType = { group: 'modelops.dev', version: 'v1alpha1', kind: 'ModelVersion', plural: 'modelversions' };
