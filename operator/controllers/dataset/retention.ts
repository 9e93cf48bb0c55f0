// Which versions leave the history (and the artifact store): the newest maxVersions stay; of
// the older ones, the current version and, with keepReferenced, those a ModelVersion's lineage
// names stay too. Pure; the reconciler lists the ModelVersions only when something would go.
import type { Dataset, DatasetVersion, ModelVersion } from '../../api/v1alpha1/types.ts';

export const DEFAULT_MAX_VERSIONS = 10;
/** The status schema's bound on the history. */
export const HISTORY_LIMIT = 100;

/** Versions beyond maxVersions, oldest last, never the current one. */
export function retentionCandidates(ds: Dataset, versions: readonly DatasetVersion[], current: DatasetVersion | undefined): DatasetVersion[] {
  const max = ds.spec.retention?.maxVersions ?? DEFAULT_MAX_VERSIONS;
  return versions.slice(max).filter((v) => v.digest !== current?.digest);
}

export function keepsReferenced(ds: Dataset): boolean {
  return ds.spec.retention?.keepReferenced ?? true;
}

/** The versions (short names and digests) of the Dataset that ModelVersions of its namespace were trained on. */
export function referencedVersions(ds: Dataset, modelVersions: readonly ModelVersion[]): Set<string> {
  const refs = new Set<string>();
  for (const mv of modelVersions) {
    const d = mv.spec?.lineage?.dataset;
    if (!d || d.name !== ds.metadata.name || mv.metadata?.namespace !== ds.metadata.namespace) continue;
    if (d.version) refs.add(d.version);
    if (d.digest) refs.add(d.digest);
  }
  return refs;
}

export function isReferenced(v: DatasetVersion, refs: ReadonlySet<string>): boolean {
  return refs.has(v.version) || refs.has(v.digest);
}
