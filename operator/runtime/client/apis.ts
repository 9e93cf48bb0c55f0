// The API calls the operator makes, as small typed facades over KubeClient: any object by
// apiVersion and kind (the resource found by discovery), custom resources with their status
// subresource, events.k8s.io Events and coordination.k8s.io Leases. Objects come back as the
// server's JSON (timestamps stay RFC 3339 strings).
import type { KubernetesListObject, KubernetesObject, V1Lease } from '@kubernetes/client-node';
import type { EventsV1Event } from '@kubernetes/client-node';
import type { KubeClient, Query } from './http.ts';

/** Content types of the patch kinds the API server accepts. */
export const PatchStrategy = {
  JsonPatch: 'application/json-patch+json',
  MergePatch: 'application/merge-patch+json',
  StrategicMergePatch: 'application/strategic-merge-patch+json',
  ServerSideApply: 'application/apply-patch+yaml',
} as const;
export type PatchStrategy = (typeof PatchStrategy)[keyof typeof PatchStrategy];

interface Resource {
  plural: string;
  namespaced: boolean;
}

interface APIResourceList {
  resources: Array<{ name: string; kind: string; namespaced: boolean }>;
}

const enc = encodeURIComponent;

function groupPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** Any object by apiVersion and kind, as kubectl addresses them. */
export class ObjectsApi {
  readonly #client: KubeClient;
  /** Discovery per group version, as client-node's KubernetesObjectApi caches it. */
  readonly #discovery = new Map<string, Promise<APIResourceList>>();

  constructor(client: KubeClient) {
    this.#client = client;
  }

  async #resource(apiVersion: string, kind: string): Promise<Resource> {
    let list = this.#discovery.get(apiVersion);
    if (!list) {
      list = this.#client.request<APIResourceList>('GET', groupPath(apiVersion));
      this.#discovery.set(apiVersion, list);
      list.catch(() => this.#discovery.delete(apiVersion));
    }
    const found = (await list).resources.find((r) => r.kind === kind && !r.name.includes('/'));
    if (!found) {
      this.#discovery.delete(apiVersion); // a CRD installed since: look again next time
      throw new Error(`the API server serves no kind ${kind} in ${apiVersion}`);
    }
    return { plural: found.name, namespaced: found.namespaced };
  }

  async #collectionPath(apiVersion: string, kind: string, namespace: string | undefined): Promise<string> {
    const r = await this.#resource(apiVersion, kind);
    const ns = r.namespaced ? `/namespaces/${enc(namespace || 'default')}` : '';
    return `${groupPath(apiVersion)}${ns}/${r.plural}`;
  }

  /** An object names its apiVersion, kind, metadata.name and (if namespaced) metadata.namespace. */
  async #objectPath(obj: KubernetesObject): Promise<string> {
    if (!obj.metadata?.name) throw new Error(`${obj.kind} has no metadata.name`);
    return `${await this.#typePath(obj)}/${enc(obj.metadata.name)}`;
  }

  #typePath(obj: KubernetesObject): Promise<string> {
    if (!obj.apiVersion || !obj.kind) throw new Error(`object ${obj.metadata?.name} has no apiVersion or kind`);
    return this.#collectionPath(obj.apiVersion, obj.kind, obj.metadata?.namespace);
  }

  async read<T extends KubernetesObject = KubernetesObject>(obj: KubernetesObject): Promise<T> {
    return this.#client.request<T>('GET', await this.#objectPath(obj));
  }

  async create<T extends KubernetesObject>(obj: T): Promise<T> {
    return this.#client.request<T>('POST', await this.#typePath(obj), { body: obj });
  }

  async delete(obj: KubernetesObject, opts: { propagationPolicy?: 'Background' | 'Foreground' | 'Orphan' } = {}): Promise<void> {
    await this.#client.request('DELETE', await this.#objectPath(obj), { query: { propagationPolicy: opts.propagationPolicy } });
  }

  /** Patches with `strategy`; server-side apply needs a fieldManager and usually force. */
  async patch<T extends KubernetesObject>(obj: T, strategy: PatchStrategy, opts: { fieldManager?: string; force?: boolean } = {}): Promise<T> {
    return this.#client.request<T>('PATCH', await this.#objectPath(obj), {
      query: { fieldManager: opts.fieldManager, force: opts.force },
      body: obj,
      contentType: strategy,
    });
  }

  async list<T extends KubernetesObject>(apiVersion: string, kind: string, namespace?: string, opts: { labelSelector?: string } = {}): Promise<KubernetesListObject<T>> {
    const r = await this.#resource(apiVersion, kind);
    const path = `${groupPath(apiVersion)}${r.namespaced && namespace ? `/namespaces/${enc(namespace)}` : ''}/${r.plural}`;
    return this.#client.request<KubernetesListObject<T>>('GET', path, { query: { labelSelector: opts.labelSelector } });
  }
}

/** A custom resource type: group, version, plural. */
export interface CustomResource {
  group: string;
  version: string;
  plural: string;
}

type Named = CustomResource & { namespace: string; name: string };

function customPath(r: CustomResource, namespace?: string, name?: string, sub?: string): string {
  return `/apis/${enc(r.group)}/${enc(r.version)}${namespace ? `/namespaces/${enc(namespace)}` : ''}/${enc(r.plural)}${name ? `/${enc(name)}` : ''}${sub ? `/${sub}` : ''}`;
}

export interface ListRequest extends CustomResource {
  limit?: number;
  _continue?: string;
  labelSelector?: string;
}

/**
 * Custom resources, with the method names of client-node's CustomObjectsApi. Patches are
 * JSON merge patches: the only kind the operator sends to its own resources.
 */
export class CustomObjectsApi {
  readonly #client: KubeClient;

  constructor(client: KubeClient) {
    this.#client = client;
  }

  getNamespacedCustomObject(req: Named): Promise<object> {
    return this.#client.request('GET', customPath(req, req.namespace, req.name));
  }

  #listQuery(req: ListRequest): Query {
    return { limit: req.limit, continue: req._continue, labelSelector: req.labelSelector };
  }

  listNamespacedCustomObject(req: ListRequest & { namespace: string }): Promise<object> {
    return this.#client.request('GET', customPath(req, req.namespace), { query: this.#listQuery(req) });
  }

  listClusterCustomObject(req: ListRequest): Promise<object> {
    return this.#client.request('GET', customPath(req), { query: this.#listQuery(req) });
  }

  createNamespacedCustomObject(req: CustomResource & { namespace: string; body: object }): Promise<object> {
    return this.#client.request('POST', customPath(req, req.namespace), { body: req.body });
  }

  patchNamespacedCustomObject(req: Named & { body: object }): Promise<object> {
    return this.#client.request('PATCH', customPath(req, req.namespace, req.name), { body: req.body, contentType: PatchStrategy.MergePatch });
  }

  patchNamespacedCustomObjectStatus(req: Named & { body: object }): Promise<object> {
    return this.#client.request('PATCH', customPath(req, req.namespace, req.name, 'status'), { body: req.body, contentType: PatchStrategy.MergePatch });
  }
}

/** events.k8s.io/v1 Events; patches are JSON merge patches. */
export class EventsApi {
  readonly #client: KubeClient;

  constructor(client: KubeClient) {
    this.#client = client;
  }

  createNamespacedEvent(req: { namespace: string; body: EventsV1Event | object }): Promise<EventsV1Event> {
    return this.#client.request('POST', `/apis/events.k8s.io/v1/namespaces/${enc(req.namespace)}/events`, { body: req.body });
  }

  patchNamespacedEvent(req: { namespace: string; name: string; body: object }): Promise<EventsV1Event> {
    return this.#client.request('PATCH', `/apis/events.k8s.io/v1/namespaces/${enc(req.namespace)}/events/${enc(req.name)}`, {
      body: req.body,
      contentType: PatchStrategy.MergePatch,
    });
  }
}

/** coordination.k8s.io/v1 Leases. */
export class LeasesApi {
  readonly #client: KubeClient;

  constructor(client: KubeClient) {
    this.#client = client;
  }

  #path(namespace: string, name?: string): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${enc(namespace)}/leases${name ? `/${enc(name)}` : ''}`;
  }

  readNamespacedLease(req: { namespace: string; name: string }): Promise<V1Lease> {
    return this.#client.request('GET', this.#path(req.namespace, req.name));
  }

  createNamespacedLease(req: { namespace: string; body: V1Lease }): Promise<V1Lease> {
    return this.#client.request('POST', this.#path(req.namespace), { body: req.body });
  }

  replaceNamespacedLease(req: { namespace: string; name: string; body: V1Lease }): Promise<V1Lease> {
    return this.#client.request('PUT', this.#path(req.namespace, req.name), { body: req.body });
  }
}
