// What a DriftMonitor run compares: the target InferenceService, the ModelVersion it serves,
// the reference Dataset version (spec.reference, else the one in the served model's lineage)
// and which features to watch. Pure: the reconciler passes the cached objects in.
import type { ColumnProfile, Dataset, DatasetVersion, DriftMonitor, InferenceService, ModelVersion } from '../../api/v1alpha1/types.ts';
import { Reasons } from '../../runtime/events.ts';
import type { Reason } from '../../runtime/events.ts';

/** Why a run cannot start; the message says what to do. */
export interface Blocked {
  reason: Reason;
  message: string;
}

export interface Resolved {
  service: InferenceService;
  modelVersion: ModelVersion;
  dataset: Dataset;
  version: DatasetVersion;
}

export function resolveTarget(dm: DriftMonitor, services: readonly InferenceService[], modelVersions: readonly ModelVersion[], datasets: readonly Dataset[]): Resolved | Blocked {
  const ns = dm.metadata.namespace;
  const target = dm.spec.targetRef.name;
  const service = services.find((s) => s.metadata.namespace === ns && s.metadata.name === target);
  if (!service) return { reason: Reasons.TargetNotFound, message: `InferenceService ${target} does not exist in namespace ${ns}; create it or correct spec.targetRef.name` };
  const mvName = service.status?.servingModelVersion;
  if (!mvName) return { reason: Reasons.TargetNotFound, message: `InferenceService ${target} serves no ModelVersion yet; drift is measured once it serves one` };
  const modelVersion = modelVersions.find((m) => m.metadata.namespace === ns && m.metadata.name === mvName);
  if (!modelVersion) return { reason: Reasons.TargetNotFound, message: `ModelVersion ${mvName}, which InferenceService ${target} serves, does not exist` };

  const lineage = modelVersion.spec.lineage?.dataset;
  const ref = dm.spec.reference?.datasetRef ?? (lineage ? { name: lineage.name, version: lineage.version } : undefined);
  if (!ref) return { reason: Reasons.ReferenceNotFound, message: `ModelVersion ${mvName} records no training Dataset in spec.lineage; set spec.reference.datasetRef` };
  const dataset = datasets.find((d) => d.metadata.namespace === ns && d.metadata.name === ref.name);
  const where = dm.spec.reference ? 'spec.reference.datasetRef' : `the lineage of ModelVersion ${mvName}`;
  if (!dataset) return { reason: Reasons.ReferenceNotFound, message: `Dataset ${ref.name} (${where}) does not exist in namespace ${ns}` };
  const versions = [...(dataset.status?.currentVersion ? [dataset.status.currentVersion] : []), ...(dataset.status?.versions ?? [])];
  const wanted = ref.version;
  const digest = !dm.spec.reference && lineage?.digest;
  const version = wanted === undefined ? dataset.status?.currentVersion : versions.find((v) => v.version === wanted || (digest && v.digest === digest));
  if (!version) {
    const which = wanted === undefined ? 'has no current version yet' : `has no version ${wanted} any more (retention removed it?)`;
    return { reason: Reasons.ReferenceNotFound, message: `Dataset ${ref.name} (${where}) ${which}; pin an existing version in spec.reference.datasetRef` };
  }
  return { service, modelVersion, dataset, version };
}

export function isBlocked(r: Resolved | Blocked): r is Blocked {
  return 'reason' in r;
}

/**
 * The features to watch: spec.features, else the Dataset columns the served model's signature
 * feeds from (inputs' `feature`), else every column of the reference Dataset with role feature.
 */
export function watchedFeatures(dm: DriftMonitor, mv: ModelVersion, dataset: Dataset): string[] {
  if (dm.spec.features?.length) return dm.spec.features.map((f) => f.name);
  const fromSignature = [...new Set((mv.spec.signature?.inputs ?? []).map((i) => i.feature).filter((f): f is string => !!f))];
  if (fromSignature.length) return fromSignature;
  return dataset.spec.schema.columns.filter((c) => (c.role ?? 'feature') === 'feature' && c.type !== 'string' && c.type !== 'timestamp').map((c) => c.name);
}

/** The Dataset's target column (role target), for prediction drift. */
export function targetColumn(dataset: Dataset): string | undefined {
  return dataset.spec.schema.columns.find((c) => c.role === 'target')?.name;
}

/** The reference columns are the compact status form or the full profile; both have these fields. */
export type ReferenceColumn = Pick<ColumnProfile, 'name' | 'type' | 'std' | 'distinct' | 'histogram' | 'categories'>;
