// Informers for one resource type over all namespaces or a chosen few, behind one interface.
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type { CustomObjectsApi, ObjectsApi } from './client/apis.ts';
import type { KubeClient } from './client/http.ts';
import type { Clock } from './clock.ts';
import { Informer } from './informer.ts';
import type { ChangeHandler } from './informer.ts';
import type { Logger } from './log.ts';

export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  plural: string;
}

export function apiVersionOf(rt: ResourceType): string {
  return rt.group ? `${rt.group}/${rt.version}` : rt.version;
}

export function watchPath(rt: ResourceType, namespace?: string): string {
  const base = rt.group ? `/apis/${rt.group}/${rt.version}` : `/api/${rt.version}`;
  return namespace ? `${base}/namespaces/${namespace}/${rt.plural}` : `${base}/${rt.plural}`;
}

/** Items per page of an informer's list of custom resources, as client-go's reflector pages. */
export const LIST_PAGE_SIZE = 500;

/**
 * Lists every object of a type. Custom resources are listed in pages: one response for
 * 10,000 objects is a string of tens of MB whose parse doubles the process's peak memory,
 * and the peak is what RSS keeps. Built-in kinds are the operator's own children, filtered
 * by label, and come in one list.
 */
export async function listAll<T extends KubernetesObject>(
  objects: ObjectsApi,
  custom: CustomObjectsApi,
  type: ResourceType,
  namespace?: string,
  labelSelector?: string,
): Promise<KubernetesListObject<T>> {
  if (!type.group) {
    return await objects.list<T>(apiVersionOf(type), type.kind, namespace, labelSelector ? { labelSelector } : {});
  }
  const items: T[] = [];
  let first: KubernetesListObject<T> | undefined;
  let token: string | undefined;
  do {
    const req = { group: type.group, version: type.version, plural: type.plural, limit: LIST_PAGE_SIZE, ...(token ? { _continue: token } : {}), ...(labelSelector ? { labelSelector } : {}) };
    const page = (namespace ? await custom.listNamespacedCustomObject({ ...req, namespace }) : await custom.listClusterCustomObject(req)) as KubernetesListObject<T> & {
      metadata?: { continue?: string };
    };
    first ??= page;
    for (const item of page.items) items.push(item);
    token = page.metadata?.continue || undefined;
  } while (token);
  // Every page is served from the first page's snapshot: watch from its resourceVersion.
  return { ...first!, items };
}

/** The cache an informer set offers to reconcilers. */
export interface Cache<T> {
  get(namespace: string, name: string): T | undefined;
  list(namespace?: string): readonly T[];
}

export interface InformerSetOptions {
  client: KubeClient;
  objects: ObjectsApi;
  custom: CustomObjectsApi;
  /** Empty: one informer over all namespaces. */
  namespaces: readonly string[];
  labelSelector?: string;
  clock: Clock;
  log: Logger;
  relistPeriodMs?: number;
  onRestart?: (name: string) => void;
}

export class InformerSet<T extends KubernetesObject> implements Cache<T> {
  readonly type: ResourceType;
  readonly #byNamespace = new Map<string, Informer<T>>();

  constructor(type: ResourceType, opts: InformerSetOptions) {
    this.type = type;
    const scopes = opts.namespaces.length ? opts.namespaces : [''];
    for (const ns of scopes) {
      const name = ns ? `${type.plural}/${ns}` : type.plural;
      this.#byNamespace.set(
        ns,
        new Informer<T>({
          name,
          client: opts.client,
          path: watchPath(type, ns || undefined),
          list: () => listAll<T>(opts.objects, opts.custom, type, ns || undefined, opts.labelSelector),
          ...(opts.labelSelector ? { labelSelector: opts.labelSelector } : {}),
          clock: opts.clock,
          log: opts.log,
          ...(opts.relistPeriodMs !== undefined ? { relistPeriodMs: opts.relistPeriodMs } : {}),
          ...(opts.onRestart ? { onRestart: opts.onRestart } : {}),
        }),
      );
    }
  }

  onChange(handler: ChangeHandler<T>): void {
    for (const inf of this.#byNamespace.values()) inf.onChange(handler);
  }

  #informerFor(namespace: string): Informer<T> | undefined {
    return this.#byNamespace.get(namespace) ?? this.#byNamespace.get('');
  }

  get(namespace: string, name: string): T | undefined {
    return this.#informerFor(namespace)?.get(namespace, name);
  }

  list(namespace?: string): readonly T[] {
    if (namespace !== undefined) return this.#informerFor(namespace)?.list(namespace) ?? [];
    return [...this.#byNamespace.values()].flatMap((i) => i.list());
  }

  get hasSynced(): boolean {
    return [...this.#byNamespace.values()].every((i) => i.hasSynced);
  }

  async start(): Promise<void> {
    await Promise.all([...this.#byNamespace.values()].map((i) => i.start()));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#byNamespace.values()].map((i) => i.stop()));
  }
}

/**
 * One informer set per resource type and label selector for the whole process, however many
 * controllers read it (as client-go's shared informer factory): Datasets and ModelVersions are
 * read by several controllers and would otherwise be listed, watched and cached once each.
 */
export class SharedInformers {
  readonly #options: (labelSelector?: string) => InformerSetOptions;
  readonly #sets = new Map<string, InformerSet<KubernetesObject>>();

  constructor(options: (labelSelector?: string) => InformerSetOptions) {
    this.#options = options;
  }

  get<T extends KubernetesObject>(type: ResourceType, labelSelector?: string): InformerSet<T> {
    const key = `${apiVersionOf(type)}/${type.plural}?${labelSelector ?? ''}`;
    let set = this.#sets.get(key);
    if (!set) {
      set = new InformerSet<KubernetesObject>(type, this.#options(labelSelector));
      this.#sets.set(key, set);
    }
    return set as unknown as InformerSet<T>;
  }
}
