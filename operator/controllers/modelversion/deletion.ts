// deletionPolicy as pure decisions: when the finalizer belongs on the object, and what its
// removal does to the artifact. The operator deletes only objects of its own store, and only
// when no other ModelVersion still references them.
import type { ModelVersion } from '../../api/v1alpha1/types.ts';
import type { ArtifactLocation } from '../../artifacts/resolve.ts';

/** Held by a ModelVersion whose deletionPolicy is Delete until its artifact is removed. */
export const ARTIFACT_FINALIZER = 'modelops.dev/artifact';

export const policyOf = (mv: ModelVersion): 'Retain' | 'Delete' => mv.spec.deletionPolicy ?? 'Retain';

/** The finalizers the object should carry while it lives; undefined when they are right already. */
export function desiredFinalizers(mv: ModelVersion): string[] | undefined {
  const current = mv.metadata.finalizers ?? [];
  const has = current.includes(ARTIFACT_FINALIZER);
  if (mv.metadata.deletionTimestamp) return undefined; // a finalizer cannot be added now; removal is the cleanup's job
  if (policyOf(mv) === 'Delete' && !has) return [...current, ARTIFACT_FINALIZER];
  if (policyOf(mv) === 'Retain' && has) return current.filter((f) => f !== ARTIFACT_FINALIZER);
  return undefined;
}

export type Cleanup =
  | { action: 'delete' }
  | { action: 'retain'; message: string }
  /** Nothing to do with the artifact (policy Retain): just let the object go. */
  | { action: 'release' };

/**
 * What deleting this ModelVersion does to its artifact. `others`: every other ModelVersion the
 * operator sees (fresh from the API server); one that references the same object keeps it,
 * unless it is itself being deleted with policy Delete. `locate` maps a URI to its location.
 */
export function decideCleanup(mv: ModelVersion, loc: ArtifactLocation, others: readonly ModelVersion[], locate: (uri: string) => ArtifactLocation, storeRoot: string | undefined): Cleanup {
  if (policyOf(mv) !== 'Delete') return { action: 'release' };
  const uri = mv.spec.artifact.uri;
  if (loc.kind !== 'store' || !loc.managed) {
    return {
      action: 'retain',
      message: `${uri} was not deleted: it is outside the operator's artifact store (${storeRoot ?? 'none configured'}), and modelops never deletes artifacts it does not manage; remove it yourself if nothing needs it`,
    };
  }
  const sameObject = (o: ModelVersion): boolean => {
    if (o.spec.artifact.uri === uri) return true;
    const l = locate(o.spec.artifact.uri);
    return l.kind === 'store' && l.managed && l.key === loc.key;
  };
  const refs = others
    .filter((o) => o.metadata.uid !== mv.metadata.uid)
    .filter((o) => !(o.metadata.deletionTimestamp && policyOf(o) === 'Delete'))
    .filter(sameObject)
    .map((o) => `${o.metadata.namespace}/${o.metadata.name}`)
    .sort();
  if (refs.length) return { action: 'retain', message: `${uri} was kept: ModelVersion ${refs.join(', ')} also references it` };
  return { action: 'delete' };
}
