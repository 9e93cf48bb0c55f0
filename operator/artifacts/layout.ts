// Where each kind of artifact lives in the store. The only module that knows the key layout;
// see docs/artifacts.md. Dataset versions are content-addressed: the key holds the sha256.
import { checkKey } from './store.ts';

const SHA256 = /^[0-9a-f]{64}$/;
// Kubernetes object names (DNS-1123 subdomain) and namespaces (DNS-1123 label).
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function name(what: string, value: string): string {
  if (!NAME.test(value)) throw new Error(`invalid ${what} "${value}" for an artifact key: expected a Kubernetes object name`);
  return value;
}

function digest(value: string): string {
  const hex = value.startsWith('sha256:') ? value.slice(7) : value;
  if (!SHA256.test(hex)) throw new Error(`invalid digest "${value}": expected 64 lowercase hex digits, optionally prefixed sha256:`);
  return hex;
}

/** The folder of one dataset version: datasets/<namespace>/<name>/<sha256>/ */
export function datasetVersionPrefix(namespace: string, dataset: string, sha256: string): string {
  return `datasets/${name('namespace', namespace)}/${name('dataset name', dataset)}/${digest(sha256)}/`;
}

/** The data of one dataset version (canonical Parquet). */
export function datasetDataKey(namespace: string, dataset: string, sha256: string): string {
  return checkKey(`${datasetVersionPrefix(namespace, dataset, sha256)}data.parquet`);
}

/** The full profile of one dataset version (JSON). */
export function datasetProfileKey(namespace: string, dataset: string, sha256: string): string {
  return checkKey(`${datasetVersionPrefix(namespace, dataset, sha256)}profile.json`);
}

/** Every version of a dataset, for listing and retention. */
export function datasetPrefix(namespace: string, dataset: string): string {
  return `datasets/${name('namespace', namespace)}/${name('dataset name', dataset)}/`;
}

/** The folder of one model version: models/<namespace>/<model>/<version>/ */
export function modelVersionPrefix(namespace: string, model: string, version: string): string {
  if (!VERSION.test(version)) throw new Error(`invalid model version "${version}" for an artifact key`);
  return `models/${name('namespace', namespace)}/${name('model name', model)}/${version}/`;
}

/** The ONNX file of one model version. */
export function modelKey(namespace: string, model: string, version: string): string {
  return checkKey(`${modelVersionPrefix(namespace, model, version)}model.onnx`);
}

/** The metrics a training run reported for a model version. */
export function modelMetricsKey(namespace: string, model: string, version: string): string {
  return checkKey(`${modelVersionPrefix(namespace, model, version)}metrics.json`);
}

/**
 * The folder one training run writes (model.onnx, signature.json, metrics.json, checkpoints/):
 * training/<namespace>/<trainingjob>/<run>/. A registered ModelVersion points into it.
 */
export function trainingRunPrefix(namespace: string, trainingJob: string, run: string): string {
  return `training/${name('namespace', namespace)}/${name('TrainingJob name', trainingJob)}/${name('run name', run)}/`;
}

/**
 * Where an InferenceService's server writes its sampled prediction log when
 * spec.server.predictionLog names no uri: <store>/predictions/<namespace>/<service>. The server
 * appends to that file (file://) or writes one object per flush under that prefix (s3://:
 * <prefix>/<YYYY-MM-DD>/<host>-<start ms>-<seq>.jsonl, see docs/contracts-server.md).
 */
export function defaultPredictionLogUri(storeRoot: string, namespace: string, service: string): string {
  return `${storeRoot.replace(/\/+$/, '')}/predictions/${name('namespace', namespace)}/${name('service name', service)}`;
}

/** The prediction log of an InferenceService: its own uri, else the default under the store; undefined without either. */
export function predictionLogUri(log: { uri?: string | undefined }, storeRoot: string | undefined, namespace: string, service: string): string | undefined {
  return log.uri ?? (storeRoot ? defaultPredictionLogUri(storeRoot, namespace, service) : undefined);
}

/** signature.json beside a model file: same folder or key prefix (the server's own default). */
export function signatureUriOf(modelUri: string): string {
  const cut = modelUri.lastIndexOf('/');
  return `${modelUri.slice(0, cut + 1)}signature.json`;
}

/** The short version name of a digest: its first 12 hex digits. */
export function shortVersion(sha256: string): string {
  return digest(sha256).slice(0, 12);
}
