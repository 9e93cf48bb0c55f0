// Status goes through the status subresource as a JSON merge patch, only when it changed, and
// carries the resourceVersion it was computed from: a concurrent change answers 409 and the
// reconcile runs again on fresh data. (KubernetesObjectApi has no /status path.)
import { isDeepStrictEqual } from 'node:util';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { CustomObjectsApi } from './client/apis.ts';

export interface ResourceName {
  group: string;
  version: string;
  plural: string;
}

/** The merge patch that turns `from` into `to`: removed keys become null. */
export function mergePatch(from: unknown, to: unknown): unknown {
  if (to === null || typeof to !== 'object' || Array.isArray(to)) return to;
  if (from === null || typeof from !== 'object' || Array.isArray(from)) return to;
  const patch: Record<string, unknown> = {};
  const f = from as Record<string, unknown>;
  const t = to as Record<string, unknown>;
  for (const k of Object.keys(f)) if (!(k in t)) patch[k] = null;
  for (const [k, v] of Object.entries(t)) {
    if (!isDeepStrictEqual(f[k], v)) patch[k] = mergePatch(f[k], v);
  }
  return patch;
}

/** Writes status if it differs from the object's current one; returns whether it wrote. */
export async function writeStatus<S extends object>(
  api: CustomObjectsApi,
  resource: ResourceName,
  obj: KubernetesObject & { status?: S },
  status: S,
): Promise<boolean> {
  if (isDeepStrictEqual(obj.status ?? {}, status)) return false;
  await api.patchNamespacedCustomObjectStatus({
    ...resource,
    namespace: obj.metadata!.namespace!,
    name: obj.metadata!.name!,
    body: { metadata: { resourceVersion: obj.metadata!.resourceVersion }, status: mergePatch(obj.status ?? {}, status) as object },
  });
  return true;
}
