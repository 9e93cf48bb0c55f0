// Traffic providers: how a rollout decision (stable revision, optional canary with a weight)
// becomes objects in the cluster. Pure.
//
// - Service (default, no gateway needed): the front Service selects the stable revision's Pods,
//   or, while a canary has weight, every Pod of the InferenceService; the split then follows the
//   ready Pod counts, so the canary's replicas are sized to approximate its weight against the
//   stable revision's (which keeps its full size: no capacity is lost during a rollout).
// - GatewayAPI: an HTTPRoute named after the InferenceService, attached to spec.traffic.gateway's
//   parents, sends weighted shares to the revisions' own Services (exact weights). The operator
//   owns the route's whole `rules` (an atomic list under server-side apply). The front Service
//   keeps selecting the stable revision, for in-cluster clients that do not go through the gateway.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { InferenceService } from '../../../api/v1alpha1/types.ts';
import { childLabels } from '../desired.ts';

export const GATEWAY_API_VERSION = 'gateway.networking.k8s.io/v1';
export const HTTP_ROUTE = 'HTTPRoute';

export type Provider = 'Service' | 'GatewayAPI';

export function providerOf(isvc: InferenceService): Provider {
  return isvc.spec.traffic?.provider ?? 'Service';
}

/**
 * Replicas for a canary taking `weight` percent beside `stableReplicas` ready Pods: the count
 * whose share of all Pods comes closest to the weight, at least one (a canary of weight 0 still
 * runs, for analysis and readiness, but the Service provider then keeps it out of the selector).
 */
export function canaryReplicas(weight: number, stableReplicas: number): number {
  const stable = Math.max(1, stableReplicas);
  if (weight >= 100) return stable;
  if (weight <= 0) return 1;
  const exact = (stable * weight) / (100 - weight);
  return Math.max(1, Math.round(exact));
}

/** The canary's share of traffic under the Service provider: its ready Pods among all ready Pods. */
export function replicaShare(canaryReady: number, stableReady: number): number {
  const all = canaryReady + stableReady;
  return all === 0 ? 0 : Math.round((100 * canaryReady) / all);
}

export interface HTTPRoute extends KubernetesObject {
  spec: {
    parentRefs: { group?: string; kind?: string; name: string; namespace?: string; sectionName?: string }[];
    hostnames?: string[];
    rules: {
      backendRefs: { kind?: string; name: string; port: number; weight: number }[];
      filters?: { type: 'RequestMirror'; requestMirror: { backendRef: { kind?: string; name: string; port: number }; percent?: number } }[];
    }[];
  };
}

/** The HTTPRoute for the GatewayAPI provider: all traffic to `stable`, or `weight` percent to the canary; and a mirror for Shadow. */
export function desiredRoute(isvc: InferenceService, stable: string, canary?: { name: string; weight: number }, mirror?: { name: string; percent: number }): HTTPRoute {
  const gateway = isvc.spec.traffic?.gateway;
  const backends = [{ kind: 'Service', name: stable, port: 80, weight: 100 - (canary?.weight ?? 0) }];
  if (canary) backends.push({ kind: 'Service', name: canary.name, port: 80, weight: canary.weight });
  return {
    apiVersion: GATEWAY_API_VERSION,
    kind: HTTP_ROUTE,
    metadata: { name: isvc.metadata.name!, namespace: isvc.metadata.namespace!, labels: childLabels(isvc) },
    spec: {
      parentRefs: (gateway?.parentRefs ?? []).map((p) => ({
        group: 'gateway.networking.k8s.io',
        kind: 'Gateway',
        name: p.name,
        ...(p.namespace ? { namespace: p.namespace } : {}),
        ...(p.sectionName ? { sectionName: p.sectionName } : {}),
      })),
      ...(gateway?.hostnames?.length ? { hostnames: gateway.hostnames } : {}),
      rules: [
        {
          backendRefs: backends,
          ...(mirror ? { filters: [{ type: 'RequestMirror' as const, requestMirror: { backendRef: { kind: 'Service', name: mirror.name, port: 80 }, percent: mirror.percent } }] } : {}),
        },
      ],
    },
  };
}

/** The weights a route sends to each backend Service, by name (for status and tests). */
export function routeWeights(route: HTTPRoute | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const rule of route?.spec?.rules ?? []) for (const b of rule.backendRefs ?? []) out[b.name] = (out[b.name] ?? 0) + (b.weight ?? 1);
  return out;
}

/**
 * The Gateway API feature name an implementation publishes (GatewayClass
 * status.supportedFeatures) when it carries out HTTPRoute's RequestMirror filter, which Shadow
 * puts on its route. Traefik 3.7 does not, and answers 500 to every request of a rule that has
 * the filter while the route still reads Accepted (docs/cluster.md).
 */
export const MIRROR_FEATURE = 'HTTPRouteRequestMirror';

/** What the operator learnt of one Gateway the route attaches to. */
export interface ParentGateway {
  /** namespace/name */
  gateway: string;
  gatewayClass?: string | undefined;
  controller?: string | undefined;
  /** The class's status.supportedFeatures; undefined when it publishes none. */
  features?: string[] | undefined;
  /** Why the Gateway or its class could not be read (then nothing is known of it). */
  unreadable?: string | undefined;
}

/** Whether Shadow's mirror can run behind these Gateways: true, false, or not known (undefined). */
export interface MirrorSupport {
  supported: boolean | undefined;
  message: string;
}

/** The Gateways (namespace, name) an InferenceService's route attaches to. */
export function parentGateways(isvc: InferenceService): { namespace: string; name: string }[] {
  return (isvc.spec.traffic?.gateway?.parentRefs ?? []).map((p) => ({ namespace: p.namespace ?? isvc.metadata.namespace!, name: p.name }));
}

/**
 * The feature names of a GatewayClass's status: `[{name}]` since Gateway API v1.2, plain strings
 * in v1.1's experimental channel; undefined when the class publishes none (older
 * implementations, or a CRD of a release without the field, which prunes it).
 */
export function supportedFeatures(gatewayClass: { status?: { supportedFeatures?: unknown } } | undefined): string[] | undefined {
  const list = gatewayClass?.status?.supportedFeatures;
  if (!Array.isArray(list)) return undefined;
  return list.map((f: unknown) => (typeof f === 'string' ? f : String((f as { name?: unknown })?.name ?? ''))).filter((f) => f !== '');
}

/**
 * Mirroring is refused when any parent's class publishes its features without
 * HTTPRouteRequestMirror; it is not known when one publishes none or cannot be read (Shadow then
 * goes on, and says so); otherwise it is supported.
 */
export function mirrorSupport(parents: readonly ParentGateway[]): MirrorSupport {
  const lacking = parents.find((p) => p.features !== undefined && !p.features.includes(MIRROR_FEATURE));
  if (lacking) {
    return {
      supported: false,
      message: `Gateway ${lacking.gateway} (class ${lacking.gatewayClass}, controller ${lacking.controller}) does not list ${MIRROR_FEATURE} in its GatewayClass's status.supportedFeatures: a route that mirrors would fail there (Traefik 3.7 answers 500 to every request of it)`,
    };
  }
  const unknown = parents.filter((p) => p.features === undefined);
  if (unknown.length > 0) {
    const why = unknown.map((p) => (p.unreadable ? `${p.gateway}: ${p.unreadable}` : `${p.gateway}'s class ${p.gatewayClass} publishes no status.supportedFeatures`));
    return { supported: undefined, message: `mirroring not verified (${why.join('; ')})` };
  }
  return { supported: true, message: `every Gateway lists ${MIRROR_FEATURE}` };
}
