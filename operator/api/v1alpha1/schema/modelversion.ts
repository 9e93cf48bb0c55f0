// ModelVersion: an immutable registered model with its artifact, signature, metrics and lineage.
import { arr, enumOf, freeForm, int, int64, label, mapOf, named, num, obj, objectName, opt, req, str, timestamp } from './builder.ts';
import type { CelRule } from './builder.ts';
import { aliasName, conditions, observedGeneration } from './common.ts';
import { ageColumn } from './kind.ts';
import type { KindDefinition } from './kind.ts';

/** Tensor element types of the Open Inference Protocol (KServe V2). */
export const TENSOR_DTYPES = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES'] as const;

const tensor = named(
  'TensorSpec',
  obj('A named input or output tensor of the model.', {
    name: req(str('Tensor name as in the ONNX graph.', { minLength: 1, maxLength: 256 })),
    datatype: req(enumOf('Element type, in Open Inference Protocol names.', TENSOR_DTYPES)),
    shape: req(arr('Dimensions; -1 is a dynamic dimension such as the batch.', int64('A dimension.', { minimum: -1 }), { maxItems: 8 })),
    feature: opt(str('The Dataset column this input is fed from (raw, unprocessed values).', { maxLength: 128 })),
  }),
);

const signature = named(
  'ModelSignature',
  obj('What the model takes and returns; the server validates every request against it.', {
    inputs: req(arr('Input tensors.', tensor, { minItems: 1, maxItems: 512, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] })),
    outputs: req(arr('Output tensors.', tensor, { minItems: 1, maxItems: 64, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] })),
    classLabels: opt(arr('For classifiers: the class labels in the order of the probability output.', str('A class label.', { maxLength: 256 }), { maxItems: 1000 })),
  }),
);

const artifact = named(
  'ModelArtifact',
  obj('The stored model file.', {
    uri: req(str('Where the model is stored: s3://, http(s)://, pvc:// or file://.', { maxLength: 2048, pattern: '^(s3|https?|pvc|file)://.+' })),
    digest: req(str('sha256 digest of the file, as sha256:<64 hex digits>; the server refuses a file that does not match.', { pattern: '^sha256:[a-f0-9]{64}$', maxLength: 71 })),
    format: opt(enumOf('File format.', ['onnx'], { default: 'onnx' })),
    sizeBytes: opt(int64('Size of the file in bytes.', { minimum: 0 })),
  }),
);

const lineage = named(
  'ModelLineage',
  obj('Where the model came from.', {
    trainingJob: opt(objectName('The TrainingJob that produced it.')),
    job: opt(objectName('The batch/v1 Job of the run.')),
    dataset: opt(
      obj('The data it was trained on.', {
        name: req(objectName('Dataset name.')),
        version: req(str('Dataset version (content digest prefix).', { maxLength: 80 })),
        digest: opt(str('Full sha256 digest of the Dataset version.', { maxLength: 80 })),
      }),
    ),
    image: opt(str('Trainer image reference.', { maxLength: 512 })),
    imageDigest: opt(str('Trainer image digest the Pod actually ran.', { maxLength: 512 })),
    hyperparameters: opt(freeForm('Hyperparameters the model was trained with.', 64)),
    seed: opt(int64('Random seed of the run.')),
  }),
);

/** Every spec field but aliases, stage, description and deletionPolicy is frozen once created. */
function immutable(field: string, optional: boolean): CelRule {
  const message = `spec.${field} is immutable: register a new ModelVersion instead`;
  if (!optional) return { rule: `self.${field} == oldSelf.${field}`, message };
  return { rule: `has(self.${field}) == has(oldSelf.${field}) && (!has(self.${field}) || self.${field} == oldSelf.${field})`, message };
}

export const modelVersionSpec = named(
  'ModelVersionSpec',
  obj(
    'A registered model. Immutable once created, except aliases, stage, description and deletionPolicy.',
    {
      model: req(label('Model name; all versions of a model share it.', 50)),
      version: req(int('Version number within the model, from 1.', { minimum: 1 })),
      artifact: req(artifact),
      signature: opt(signature),
      metrics: opt(mapOf('Test metrics of the model, e.g. accuracy: 0.91.', num('Metric value.'), { maxProperties: 64 })),
      lineage: opt(lineage),
      aliases: opt(
        arr('Names that point at this version, e.g. production. At most one version of a model holds an alias; the operator moves it from the previous holder.', aliasName, {
          maxItems: 8,
          'x-kubernetes-list-type': 'set',
        }),
      ),
      stage: opt(enumOf('Lifecycle stage, for people and policies.', ['None', 'Staging', 'Production', 'Archived'], { default: 'None' })),
      description: opt(str('Free text about the version.', { maxLength: 4096 })),
      deletionPolicy: opt(enumOf('What deleting the ModelVersion does to the artifact: Retain keeps it, Delete removes it from the store.', ['Retain', 'Delete'], { default: 'Retain' })),
    },
    {
      'x-kubernetes-validations': [
        immutable('model', false),
        immutable('version', false),
        immutable('artifact', false),
        immutable('signature', true),
        immutable('metrics', true),
        immutable('lineage', true),
      ],
    },
  ),
);

export const modelVersionStatus = named(
  'ModelVersionStatus',
  obj('The observed state: whether the artifact was found and verified.', {
    observedGeneration: opt(observedGeneration),
    phase: opt(enumOf('Pending: not yet checked; Ready: artifact present and digest verified; Invalid: see conditions.', ['Pending', 'Ready', 'Invalid'])),
    conditions: opt(conditions),
    aliases: opt(arr('Aliases this version holds after the operator resolved conflicts.', aliasName, { maxItems: 8 })),
    verifiedAt: opt(timestamp('When the artifact\'s digest was last verified.')),
    servedBy: opt(arr('InferenceServices serving this version.', objectName('InferenceService name.'), { maxItems: 32 })),
  }),
);

export const modelVersion: KindDefinition = {
  kind: 'ModelVersion',
  plural: 'modelversions',
  singular: 'modelversion',
  shortNames: ['mv'],
  description:
    'A ModelVersion is an immutable entry in the model registry: the model file with its digest, its input/output signature, its test metrics and its lineage (TrainingJob, Dataset version, image, hyperparameters). Aliases such as production point at one version of a model; moving an alias rolls it out to the InferenceServices that follow it.',
  spec: modelVersionSpec,
  status: modelVersionStatus,
  printerColumns: [
    { name: 'Model', type: 'string', jsonPath: '.spec.model', description: 'Model name.' },
    { name: 'Version', type: 'integer', jsonPath: '.spec.version', description: 'Version number.' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Pending, Ready or Invalid.' },
    { name: 'Aliases', type: 'string', jsonPath: '.status.aliases', description: 'Aliases this version holds (the operator moves them; spec.aliases is what it claims).' },
    { name: 'Stage', type: 'string', jsonPath: '.spec.stage', description: 'Lifecycle stage.', priority: 1 },
    { name: 'Dataset-Version', type: 'string', jsonPath: '.spec.lineage.dataset.version', description: 'Dataset version it was trained on.', priority: 1 },
    ageColumn,
  ],
};
