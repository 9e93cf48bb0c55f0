// Schema pieces shared by several kinds: conditions, references, scheduling, resources.
import { arr, bool, enumOf, int64, label, mapOf, named, obj, objectName, opt, quantity, req, str, timestamp } from './builder.ts';
import type { Schema } from './builder.ts';

export const condition = named(
  'Condition',
  obj('One aspect of the object\'s current state, in the shape of metav1.Condition.', {
    type: req(str('Type of condition in CamelCase, e.g. Ready.', { maxLength: 316 })),
    status: req(enumOf('Status of the condition: True, False or Unknown.', ['True', 'False', 'Unknown'])),
    reason: req(str('Machine-readable CamelCase reason for the last transition.', { maxLength: 1024, minLength: 1 })),
    message: opt(str('Human-readable details about the last transition, often what to do next.', { maxLength: 32768 })),
    lastTransitionTime: req(timestamp('When the condition last changed from one status to another.')),
    observedGeneration: opt(int64('The .metadata.generation the condition was set from.', { minimum: 0 })),
  }),
);

export const conditions: Schema = arr('Conditions of the object (Ready and kind-specific ones), keyed by type.', condition, {
  maxItems: 16,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
});

export const observedGeneration = int64('The .metadata.generation that the status describes; when it lags, the operator has not yet acted on the latest spec.', {
  minimum: 0,
});

export const localObjectReference = named(
  'LocalObjectReference',
  obj('A reference to an object in the same namespace.', {
    name: req(objectName('Name of the referenced object.')),
  }),
);

export const secretReference = named(
  'SecretReference',
  obj('A Secret in the same namespace whose keys are passed as environment variables (for S3: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, optionally AWS_REGION and AWS_ENDPOINT_URL).', {
    name: req(objectName('Name of the Secret.')),
  }),
);

export const resources = named(
  'ResourceRequirements',
  obj('Compute resources for the containers, as in a Pod spec. Ask for GPUs with `limits: {nvidia.com/gpu: 1}`.', {
    requests: opt(mapOf('Minimum resources required, e.g. cpu: 500m, memory: 1Gi.', quantity('A resource quantity.'), { maxProperties: 16 })),
    limits: opt(mapOf('Maximum resources allowed, e.g. memory: 2Gi, nvidia.com/gpu: 1.', quantity('A resource quantity.'), { maxProperties: 16 })),
  }),
);

export const toleration = named(
  'Toleration',
  obj('Lets the Pods schedule onto nodes with a matching taint, as in a Pod spec.', {
    key: opt(str('Taint key the toleration applies to; empty with operator Exists matches all taints.', { maxLength: 317 })),
    operator: opt(enumOf('How key and value are compared.', ['Exists', 'Equal'], { default: 'Equal' })),
    value: opt(str('Taint value the toleration matches (operator Equal).', { maxLength: 63 })),
    effect: opt(enumOf('Taint effect to match; empty matches all effects.', ['NoSchedule', 'PreferNoSchedule', 'NoExecute'])),
    tolerationSeconds: opt(int64('For NoExecute: how long the Pod stays bound after the taint appears.')),
  }),
);

/** Where the Pods of a workload run: shared by TrainingJob and InferenceService. */
export const scheduling = {
  nodeSelector: opt(mapOf('Node labels the Pods must match, e.g. nvidia.com/gpu.present: "true".', str('Label value.', { maxLength: 63 }), { maxProperties: 32 })),
  tolerations: opt(arr('Taints the Pods tolerate, e.g. a dedicated GPU node pool.', toleration, { maxItems: 16 })),
  priorityClassName: opt(objectName('PriorityClass of the Pods.')),
};

export const envVar = named(
  'EnvVar',
  obj('An environment variable set in the container.', {
    name: req(str('Variable name.', { maxLength: 256, pattern: '^[-._a-zA-Z][-._a-zA-Z0-9]*$' })),
    value: req(str('Variable value.', { maxLength: 4096 })),
  }),
);

export const env = arr('Extra environment variables for the container.', envVar, {
  maxItems: 64,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['name'],
});

export const image = str('A container image reference, e.g. registry.example.com/team/trainer:1.2 or one pinned by @sha256 digest.', {
  maxLength: 512,
  minLength: 1,
});

export const aliasName = label('An alias such as production or staging.', 63);

export const datasetReference = named(
  'DatasetReference',
  obj('A Dataset in the same namespace and, optionally, one of its versions.', {
    name: req(objectName('Name of the Dataset.')),
    version: opt(str('A version of the Dataset (status.versions[].version or a full sha256 digest); omitted means its current version at the time of use.', { maxLength: 80 })),
  }),
);

export const suspend = bool('Stops scheduling new runs while true; runs already started continue.', { default: false });

