// The resource types this controller reads and writes.
import type { ResourceType } from '../../runtime/resources.ts';

export const INFERENCE_SERVICES: ResourceType = { group: 'modelops.dev', version: 'v1alpha1', kind: 'InferenceService', plural: 'inferenceservices' };
export const SERVICES: ResourceType = { group: '', version: 'v1', kind: 'Service', plural: 'services' };
export const DEPLOYMENTS: ResourceType = { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments' };
export const HPAS: ResourceType = { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers' };
export const PODS: ResourceType = { group: '', version: 'v1', kind: 'Pod', plural: 'pods' };
export const MODEL_VERSIONS: ResourceType = { group: 'modelops.dev', version: 'v1alpha1', kind: 'ModelVersion', plural: 'modelversions' };
export const DATASETS: ResourceType = { group: 'modelops.dev', version: 'v1alpha1', kind: 'Dataset', plural: 'datasets' };
