// Every resource type the controllers read and write, named once.
import type { ResourceType } from '../runtime/resources.ts';

const modelops = (kind: string, plural: string): ResourceType => ({ group: 'modelops.dev', version: 'v1alpha1', kind, plural });

export const DATASETS = modelops('Dataset', 'datasets');
export const TRAINING_JOBS = modelops('TrainingJob', 'trainingjobs');
export const MODEL_VERSIONS = modelops('ModelVersion', 'modelversions');
export const INFERENCE_SERVICES = modelops('InferenceService', 'inferenceservices');
export const DRIFT_MONITORS = modelops('DriftMonitor', 'driftmonitors');

export const JOBS: ResourceType = { group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs' };
export const PODS: ResourceType = { group: '', version: 'v1', kind: 'Pod', plural: 'pods' };
export const SERVICES: ResourceType = { group: '', version: 'v1', kind: 'Service', plural: 'services' };
export const DEPLOYMENTS: ResourceType = { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments' };
export const HPAS: ResourceType = { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers' };
