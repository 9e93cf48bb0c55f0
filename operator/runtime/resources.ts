// Informers for one resource type over all namespaces or a chosen few, behind one interface.
import type { KubeConfig, KubernetesListObject, KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
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

/** The cache an informer set offers to reconcilers. */
export interface Cache<T> {
  get(namespace: string, name: string): T | undefined;
  list(namespace?: string): readonly T[];
}

export interface InformerSetOptions {
  kubeConfig: KubeConfig;
  objects: KubernetesObjectApi;
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
          kubeConfig: opts.kubeConfig,
          path: watchPath(type, ns || undefined),
          list: () =>
            opts.objects.list<T>(apiVersionOf(type), type.kind, ns || undefined, undefined, undefined, undefined, undefined, opts.labelSelector) as Promise<
              KubernetesListObject<T>
            >,
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
