// The resource types the TrainingJob controller reads and writes.
import type { ResourceType } from '../../runtime/resources.ts';

export const TRAINING_JOBS: ResourceType = { group: 'modelops.dev', version: 'v1alpha1', kind: 'TrainingJob', plural: 'trainingjobs' };
export const DATASETS: ResourceType = { group: 'modelops.dev', version: 'v1alpha1', kind: 'Dataset', plural: 'datasets' };
export const MODEL_VERSIONS: ResourceType = { group: 'modelops.dev', version: 'v1alpha1', kind: 'ModelVersion', plural: 'modelversions' };
export const JOBS: ResourceType = { group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs' };
export const PODS: ResourceType = { group: '', version: 'v1', kind: 'Pod', plural: 'pods' };
export const SERVICES: ResourceType = { group: '', version: 'v1', kind: 'Service', plural: 'services' };
