// Object keys: "namespace/name", the unit the work queue and the caches speak in.

export interface ObjectKey {
  namespace: string;
  name: string;
}

export function keyOf(obj: { metadata?: { namespace?: string; name?: string } }): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

export function parseKey(key: string): ObjectKey {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
