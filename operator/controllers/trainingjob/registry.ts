// The ModelVersion a successful, gated run registers, as pure data.
import type { ModelSignature, ModelVersion, TensorSpec, TrainingJob } from '../../api/v1alpha1/types.ts';
import { ContractError } from './result.ts';
import type { TrainerSuccess } from './result.ts';

const DTYPES: Record<string, TensorSpec['datatype']> = {
  float32: 'FP32',
  float: 'FP32',
  float64: 'FP64',
  double: 'FP64',
  float16: 'FP16',
  int64: 'INT64',
  int32: 'INT32',
  int16: 'INT16',
  int8: 'INT8',
  uint8: 'UINT8',
  bool: 'BOOL',
  string: 'BYTES',
};

interface TrainerTensor {
  name: string;
  dtype: string;
  shape: number[];
}

/** Maps the trainer's signature.json to the ModelVersion signature (Open Inference Protocol names). */
export function signatureFromTrainer(json: unknown): ModelSignature {
  const sig = json as { inputs?: TrainerTensor[]; outputs?: TrainerTensor[]; classLabels?: unknown[] | null; featureNames?: string[] };
  if (!Array.isArray(sig?.inputs) || !Array.isArray(sig.outputs) || !sig.inputs.length || !sig.outputs.length) {
    throw new ContractError('signature.json must list inputs and outputs');
  }
  const features = new Set(sig.featureNames ?? []);
  const tensor = (t: TrainerTensor, input: boolean): TensorSpec => {
    const datatype = DTYPES[String(t.dtype).toLowerCase()];
    if (!datatype) throw new ContractError(`signature.json: tensor ${t.name} has dtype ${t.dtype}, which has no Open Inference Protocol datatype`);
    return { name: t.name, datatype, shape: t.shape, ...(input && features.has(t.name) ? { feature: t.name } : {}) };
  };
  return {
    inputs: sig.inputs.map((t) => tensor(t, true)),
    outputs: sig.outputs.map((t) => tensor(t, false)),
    ...(Array.isArray(sig.classLabels) ? { classLabels: sig.classLabels.map(String) } : {}),
  };
}

export function modelVersionName(model: string, version: number): string {
  return `${model}-v${version}`;
}

export interface Registration {
  version: number;
  result: TrainerSuccess;
  signature: ModelSignature;
  datasetName: string;
  datasetVersion: string;
  datasetDigest?: string;
  jobName: string;
  image: string;
  imageDigest?: string;
}

export function desiredModelVersion(tj: TrainingJob, r: Registration): ModelVersion {
  const name = modelVersionName(tj.spec.model, r.version);
  return {
    apiVersion: 'modelops.dev/v1alpha1',
    kind: 'ModelVersion',
    metadata: {
      name,
      namespace: tj.metadata.namespace!,
      labels: {
        'app.kubernetes.io/managed-by': 'modelops',
        'modelops.dev/model': tj.spec.model,
        'modelops.dev/trainingjob': tj.metadata.name!,
      },
    },
    spec: {
      model: tj.spec.model,
      version: r.version,
      artifact: { uri: r.result.model.uri, digest: `sha256:${r.result.model.sha256}`, format: 'onnx' },
      signature: r.signature,
      metrics: r.result.metrics,
      lineage: {
        trainingJob: tj.metadata.name!,
        job: r.jobName,
        dataset: { name: r.datasetName, version: r.datasetVersion, ...(r.datasetDigest ? { digest: r.datasetDigest } : {}) },
        image: r.image,
        ...(r.imageDigest ? { imageDigest: r.imageDigest } : {}),
        ...(tj.spec.hyperparameters ? { hyperparameters: tj.spec.hyperparameters } : {}),
        seed: tj.spec.seed ?? 42,
      },
      ...(tj.spec.registration?.aliases?.length ? { aliases: [...tj.spec.registration.aliases] } : {}),
    },
  };
}

/** The next free version number given the versions that exist for the model. */
export function nextVersion(existing: readonly number[]): number {
  return existing.reduce((m, v) => Math.max(m, v), 0) + 1;
}
