// What every controller gets from the operator: API clients, the event recorder, clock,
// logger, metrics, and how to build informers for the watched namespaces.
import type { ArtifactStore } from '../artifacts/store.ts';
import type { OperatorConfig } from '../config.ts';
import type { CustomObjectsApi, ObjectsApi } from '../runtime/client/apis.ts';
import type { KubeClient } from '../runtime/client/http.ts';
import type { Clock } from '../runtime/clock.ts';
import type { EventRecorder } from '../runtime/events.ts';
import type { Logger } from '../runtime/log.ts';
import type { OperatorMetrics } from '../runtime/metrics.ts';
import type { InformerSetOptions, SharedInformers } from '../runtime/resources.ts';

export interface ControllerContext {
  client: KubeClient;
  objects: ObjectsApi;
  custom: CustomObjectsApi;
  events: EventRecorder;
  clock: Clock;
  log: Logger;
  metrics: OperatorMetrics;
  workers: number;
  /** Images, the artifact store's URI and credentials Secret, the Prometheus URL. */
  config: Pick<OperatorConfig, 'trainerImage' | 'serverImage' | 'operatorImage' | 'artifactStore' | 'artifactStoreSecret' | 'prometheusUrl'>;
  /** The artifact store as the operator itself reaches it (its own environment's credentials); undefined when none is configured. */
  store: ArtifactStore | undefined;
  /** Opens a store on another root (s3://bucket, file:///dir) with the operator's own credentials, e.g. to read an artifact registered elsewhere. */
  openStore(root: string): ArtifactStore;
  informerOptions(labelSelector?: string): InformerSetOptions;
  /** The process's informers, shared by every controller that reads a type with the same selector. */
  informers: SharedInformers;
}
