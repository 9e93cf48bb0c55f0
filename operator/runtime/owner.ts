// Owner references: children carry one controller reference to the object they belong to,
// and are recognised as ours by its uid, never by name.
import type { KubernetesObject, V1OwnerReference } from '@kubernetes/client-node';

export function controllerRef(owner: KubernetesObject): V1OwnerReference {
  const { apiVersion, kind } = owner;
  const { name, uid } = owner.metadata ?? {};
  if (!apiVersion || !kind || !name || !uid) throw new Error('an owner needs apiVersion, kind, metadata.name and metadata.uid');
  return { apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true };
}

export function controllerOf(obj: KubernetesObject): V1OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller);
}

export function isControlledBy(obj: KubernetesObject, owner: KubernetesObject): boolean {
  const ref = controllerOf(obj);
  return !!ref && ref.uid === owner.metadata?.uid;
}

/** The namespace/name key of the owner of kind `kind` in group `group`, if obj has one. */
export function ownerKey(obj: KubernetesObject, group: string, kind: string): string | undefined {
  const ref = controllerOf(obj);
  if (!ref || ref.kind !== kind || ref.apiVersion.split('/')[0] !== group) return undefined;
  return `${obj.metadata?.namespace ?? ''}/${ref.name}`;
}
