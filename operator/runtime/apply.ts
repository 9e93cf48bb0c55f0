// Children are applied with server-side apply under the field manager "modelops", forcing
// ownership of the fields we set so that drift is corrected. An object with the child's
// name that is not controlled by the owner is reported and never adopted.
import { isDeepStrictEqual } from 'node:util';
import type { KubernetesObject } from '@kubernetes/client-node';
import { PatchStrategy } from './client/apis.ts';
import type { ObjectsApi } from './client/apis.ts';
import { isNotFound, statusOf } from './kube.ts';
import { controllerRef, isControlledBy } from './owner.ts';

export const FIELD_MANAGER = 'modelops';

/** The child's name is taken by an object that is not ours. */
export class ResourceExistsError extends Error {
  override readonly name = 'ResourceExistsError';
  readonly reason = 'ResourceExists';
}

/**
 * Maps the API server treats as atomic (x-kubernetes-map-type: atomic): an extra key added
 * by someone else is drift too, so they are compared whole.
 */
export const ATOMIC_PATHS = ['spec.selector'];

/**
 * True when every field set in `want` has the same value in `have` (lists compared per
 * element; the maps at `atomic` paths compared whole).
 */
export function isSubset(want: unknown, have: unknown, atomic: readonly string[] = ATOMIC_PATHS, path = ''): boolean {
  if (want === null || typeof want !== 'object') return want === have;
  if (atomic.includes(path)) return isDeepStrictEqual(want, have);
  if (Array.isArray(want)) {
    return Array.isArray(have) && have.length === want.length && want.every((w, i) => isSubset(w, have[i], atomic, `${path}[]`));
  }
  if (have === null || typeof have !== 'object' || Array.isArray(have)) return false;
  return Object.entries(want).every(([k, v]) => isSubset(v, (have as Record<string, unknown>)[k], atomic, path ? `${path}.${k}` : k));
}

export interface ApplyOutcome<T> {
  object: T;
  /** False when the live object already matched and no request was made. */
  changed: boolean;
}

/**
 * Applies `child` as a controlled child of `owner`. `cached` is the informer's copy, if any;
 * without one the live object is read first so a foreign object is never adopted.
 */
export async function applyChild<T extends KubernetesObject>(
  api: ObjectsApi,
  owner: KubernetesObject,
  child: T,
  cached: T | undefined,
): Promise<ApplyOutcome<T>> {
  let existing = cached;
  if (!existing) {
    try {
      existing = (await api.read({
        apiVersion: child.apiVersion!,
        kind: child.kind!,
        metadata: { name: child.metadata!.name!, namespace: child.metadata!.namespace! },
      })) as T;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  const desired: T = {
    ...child,
    metadata: { ...child.metadata, ownerReferences: [controllerRef(owner)] },
  };
  if (existing) {
    if (!isControlledBy(existing, owner)) {
      const holder = existing.metadata?.ownerReferences?.find((r) => r.controller);
      throw new ResourceExistsError(
        `${child.kind} ${child.metadata?.name} already exists and is not managed by ${owner.kind} ${owner.metadata?.name}` +
          (holder ? ` (its controller is ${holder.kind} ${holder.name})` : '') +
          `; delete or rename it, and modelops will create its own`,
      );
    }
    const { ownerReferences: _, ...wantMeta } = desired.metadata ?? {};
    if (isSubset({ ...desired, metadata: wantMeta }, existing)) return { object: existing, changed: false };
  }
  let applied: T | undefined;
  try {
    applied = await api.patch(desired, PatchStrategy.ServerSideApply, { fieldManager: FIELD_MANAGER, force: true });
  } catch (err) {
    // Server-side apply merges keyed lists: an entry another manager renamed (a Service port
    // edited by hand, say) survives beside ours and can make the object invalid (422).
    if (!existing || statusOf(err) !== 422) throw err;
  }
  if (!applied || !isSubset(desired, applied)) {
    // Repair the drift with a merge patch, which replaces lists whole, then apply again so
    // the fields are owned by our apply configuration.
    await api.patch(desired, PatchStrategy.MergePatch, { fieldManager: FIELD_MANAGER });
    applied = await api.patch(desired, PatchStrategy.ServerSideApply, { fieldManager: FIELD_MANAGER, force: true });
  }
  return { object: applied, changed: true };
}
