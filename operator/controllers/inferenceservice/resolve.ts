// Which ModelVersion an InferenceService asks for, decided from the cache as pure data: by name
// (spec.model.modelVersion), or the version of spec.model.name that holds the alias in
// status.aliases (the ModelVersion controller gives an alias only to a Ready version). A model
// that cannot be served yet says why and what to do; the caller then leaves serving alone.
import type { Dataset, InferenceService, ModelVersion } from '../../api/v1alpha1/types.ts';
import { Reasons } from '../../runtime/events.ts';
import type { Reason } from '../../runtime/events.ts';

export type Resolution = { resolved: true; modelVersion: ModelVersion } | { resolved: false; reason: Reason; message: string };

function readyMessage(mv: ModelVersion): string {
  const ready = mv.status?.conditions?.find((c) => c.type === 'Ready');
  return ready?.message ? `: ${ready.message}` : '';
}

/** The ModelVersion, checked: Ready is servable, anything else says why not. */
function servable(mv: ModelVersion, how: string): Resolution {
  const name = mv.metadata.name!;
  switch (mv.status?.phase) {
    case 'Ready':
      return { resolved: true, modelVersion: mv };
    case 'Invalid':
      return {
        resolved: false,
        reason: Reasons.ModelInvalid,
        message: `ModelVersion ${name} (${how}) is Invalid${readyMessage(mv)}; register a good version and point spec.model at it`,
      };
    default:
      return {
        resolved: false,
        reason: Reasons.ModelNotReady,
        message: `ModelVersion ${name} (${how}) is not verified yet (phase ${mv.status?.phase ?? 'Pending'}${readyMessage(mv)}); it is served once Ready`,
      };
  }
}

/** Resolves spec.model against the ModelVersions of the InferenceService's namespace. */
export function resolveModel(isvc: InferenceService, versions: readonly ModelVersion[]): Resolution {
  const ns = isvc.metadata.namespace;
  const live = versions.filter((v) => v.metadata.namespace === ns && !v.metadata.deletionTimestamp);
  const { modelVersion, name, alias } = isvc.spec.model;
  if (modelVersion) {
    const mv = live.find((v) => v.metadata.name === modelVersion);
    if (!mv) {
      return { resolved: false, reason: Reasons.ModelNotFound, message: `ModelVersion ${modelVersion} not found in namespace ${ns}; create it or fix spec.model.modelVersion` };
    }
    return servable(mv, 'spec.model.modelVersion');
  }
  if (!name || !alias) {
    // The schema's CEL rules make this unreachable; said anyway rather than guessed.
    return { resolved: false, reason: Reasons.ModelNotFound, message: 'spec.model needs either modelVersion, or name and alias' };
  }
  const ofModel = live.filter((v) => v.spec.model === name);
  const holder = ofModel.find((v) => v.status?.aliases?.includes(alias));
  if (holder) return servable(holder, `holds alias ${alias}`);
  if (ofModel.length === 0) {
    return { resolved: false, reason: Reasons.ModelNotFound, message: `no ModelVersion of model ${name} in namespace ${ns}; register one, or fix spec.model.name` };
  }
  // A claim in spec.aliases is held only once the version is Ready (and not Invalid).
  const claimants = ofModel.filter((v) => v.spec.aliases?.includes(alias)).sort((a, b) => b.spec.version - a.spec.version);
  const claimant = claimants[0];
  if (claimant) {
    const why = servable(claimant, `claims alias ${alias}`);
    if (!why.resolved) return why;
    return {
      resolved: false,
      reason: Reasons.ModelNotReady,
      message: `ModelVersion ${claimant.metadata.name} claims alias ${alias} but does not hold it yet (status.aliases); it is served once it does`,
    };
  }
  return {
    resolved: false,
    reason: Reasons.ModelNotFound,
    message: `no version of model ${name} holds alias ${alias}; add ${alias} to spec.aliases of a Ready ModelVersion of ${name}`,
  };
}

/** True when the ModelVersion is what the InferenceService follows or might follow: enqueue it on a change. */
export function follows(isvc: InferenceService, mv: ModelVersion): boolean {
  if (isvc.metadata.namespace !== mv.metadata.namespace) return false;
  const m = isvc.spec.model;
  return m.modelVersion ? m.modelVersion === mv.metadata.name : m.name === mv.spec?.model;
}

/**
 * The URI of the full profile of the Dataset version the model was trained on, for the
 * server's REFERENCE_PROFILE (a URI: the server reads it itself), or undefined when the model
 * has no Dataset lineage or the version is no longer listed (retention).
 */
export function referenceProfile(mv: ModelVersion, datasets: readonly Dataset[]): string | undefined {
  const lineage = mv.spec.lineage?.dataset;
  if (!lineage) return undefined;
  const ds = datasets.find((d) => d.metadata.namespace === mv.metadata.namespace && d.metadata.name === lineage.name);
  const versions = [...(ds?.status?.versions ?? []), ...(ds?.status?.currentVersion ? [ds.status.currentVersion] : [])];
  const v = versions.find((x) => x.version === lineage.version || (lineage.digest !== undefined && x.digest === lineage.digest));
  return v?.profileUri;
}
