// Events (events.k8s.io/v1) about our objects. A repeat of the same event within ten minutes
// updates its series (count, last time) instead of creating another object. Recording is
// best effort, as in client-go: a failure is logged and counted, never fails a reconcile.
import { randomBytes } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { EventsApi } from './client/apis.ts';
import { microTime } from './clock.ts';
import type { Clock } from './clock.ts';
import { errorText } from './log.ts';
import type { Logger } from './log.ts';

/**
 * Every reason the operator reports. Events and condition reasons share it, so users can
 * search for one word. Documented in docs/events.md.
 */
export const Reasons = {
  /** A child object was created or changed to match the spec. */
  Applied: 'Applied',
  /** A child's name is taken by an object modelops does not manage. */
  ResourceExists: 'ResourceExists',
  /** The spec cannot be acted on as written; the message says what to change. */
  InvalidSpec: 'InvalidSpec',
  /** InferenceService: Shadow waits because a parent Gateway's class says it cannot mirror requests. */
  MirrorUnsupported: 'MirrorUnsupported',
  /** A reconcile failed and will be retried. */
  ReconcileError: 'ReconcileError',
  /** No revision serves the model yet. */
  NoRevision: 'NoRevision',
  /** InferenceService: spec.model names a ModelVersion (or an alias's holder) that is Ready. */
  ModelResolved: 'ModelResolved',
  /** InferenceService: no ModelVersion matches spec.model (by name, or holding the alias). */
  ModelNotFound: 'ModelNotFound',
  /** InferenceService: the ModelVersion spec.model asks for is not verified yet. */
  ModelNotReady: 'ModelNotReady',
  /** InferenceService: the ModelVersion spec.model asks for is Invalid. */
  ModelInvalid: 'ModelInvalid',
  /** InferenceService: a revision's Deployment was created. */
  RevisionCreated: 'RevisionCreated',
  /** InferenceService: a new revision is starting and not all its Pods are ready yet (condition). */
  RevisionStarting: 'RevisionStarting',
  /** InferenceService: the new revision's Pods cannot become ready without a change (image pull, scheduling, crash loop, progress deadline). */
  RevisionBlocked: 'RevisionBlocked',
  /** InferenceService: the Service now sends traffic to this revision. */
  RevisionPromoted: 'RevisionPromoted',
  /** InferenceService: a revision no longer needed was deleted. */
  RevisionRemoved: 'RevisionRemoved',
  /** InferenceService: the serving revision has ready Pods (condition). */
  RevisionReady: 'RevisionReady',
  /** InferenceService: the serving revision has no ready Pods (condition). */
  RevisionNotReady: 'RevisionNotReady',
  /** Leadership was acquired or lost. */
  LeaderElection: 'LeaderElection',
  /** A TrainingJob waits for its Dataset to have the version it trains on. */
  WaitingForDataset: 'WaitingForDataset',
  /** The pinned Dataset version is not among the Dataset's versions. */
  DatasetVersionNotFound: 'DatasetVersionNotFound',
  /** The operator has no artifact store (--artifact-store) to give a run its output folder. */
  NoArtifactStore: 'NoArtifactStore',
  /** A training run's Job was created. */
  RunStarted: 'RunStarted',
  /** A training run is in progress. */
  Training: 'Training',
  /** A training run's Pod cannot make progress (image pull, unschedulable, missing Secret). */
  TrainingBlocked: 'TrainingBlocked',
  /** A training run failed; the message says why (trainer error text, OOMKilled, deadline...). */
  TrainingFailed: 'TrainingFailed',
  /** A run trained but its metrics missed the gate; nothing was registered. */
  GateNotMet: 'GateNotMet',
  /** A run passed its gate and was registered as a ModelVersion. */
  ModelRegistered: 'ModelRegistered',
  /** A scheduled TrainingJob waits for its next run. */
  WaitingForSchedule: 'WaitingForSchedule',
  /** A scheduled run was skipped (concurrencyPolicy Forbid while a run is active). */
  RunSkipped: 'RunSkipped',
  /** An active run was stopped for a newer scheduled one (concurrencyPolicy Replace). */
  RunReplaced: 'RunReplaced',
  /** A finished run's Job was deleted by the history limit. */
  RunDeleted: 'RunDeleted',
  /** ModelVersion: the artifact exists and its sha256 matches spec.artifact.digest. */
  ArtifactVerified: 'ArtifactVerified',
  /** ModelVersion: no file at spec.artifact.uri (looked for again every minute). */
  ArtifactMissing: 'ArtifactMissing',
  /** ModelVersion: the file's sha256 differs from spec.artifact.digest. */
  DigestMismatch: 'DigestMismatch',
  /** ModelVersion: the digest matches but spec.artifact.sizeBytes does not. */
  SizeMismatch: 'SizeMismatch',
  /** ModelVersion: spec.signature is missing. */
  NoSignature: 'NoSignature',
  /** ModelVersion: the operator cannot read the artifact's URI scheme (pvc://). */
  UnsupportedArtifactURI: 'UnsupportedArtifactURI',
  /** ModelVersion: the store or server holding the artifact did not answer; retried. */
  StoreUnreachable: 'StoreUnreachable',
  /** ModelVersion: an alias moved from one version of the model to another. */
  AliasMoved: 'AliasMoved',
  /** ModelVersion: several versions claimed an alias at once; the highest version won. */
  AliasConflict: 'AliasConflict',
  /** ModelVersion: an Invalid version claims an alias, which it is not given. */
  AliasRefused: 'AliasRefused',
  /** ModelVersion (deletionPolicy Delete): the artifact was removed from the store. */
  ArtifactDeleted: 'ArtifactDeleted',
  /** ModelVersion (deletionPolicy Delete): the artifact was kept (outside the store, or referenced by another version). */
  ArtifactRetained: 'ArtifactRetained',
  /** ModelVersion (deletionPolicy Delete): removing the artifact failed; retried, the object stays until it succeeds. */
  ArtifactDeleteFailed: 'ArtifactDeleteFailed',
  /** A Dataset ingest Job was started, or runs (condition). */
  Ingesting: 'Ingesting',
  /** A Dataset ingest cannot make progress without a change: image pull, unschedulable Pod, missing Secret. */
  IngestBlocked: 'IngestBlocked',
  /** A Dataset ingest succeeded; its version is current. */
  Ingested: 'Ingested',
  /** A Dataset ingest failed without its own reason (out of memory, killed, internal error). */
  IngestFailed: 'IngestFailed',
  /** The data broke a Dataset rule; the message names the rule, column and row count. */
  ValidationFailed: 'ValidationFailed',
  /** The ingest's environment or the Dataset spec is unusable (contract exit code 2). */
  InvalidConfiguration: 'InvalidConfiguration',
  /** The Dataset's source could not be read (network, credentials, missing object). */
  SourceUnavailable: 'SourceUnavailable',
  /** The artifact store could not be read or written. */
  StoreUnavailable: 'StoreUnavailable',
  /** The ingest ran out of memory or disk while reading the source. */
  ResourcesExhausted: 'ResourcesExhausted',
  /** No ingest is running (condition). */
  Idle: 'Idle',
  /** Scheduled refreshes passed without a run (operator down, a run in progress, or past startingDeadlineSeconds). */
  RefreshMissed: 'RefreshMissed',
  /** Dataset versions beyond spec.retention left the history and the artifact store. */
  VersionsRemoved: 'VersionsRemoved',
  /** A Dataset version could not be removed from the artifact store; retried later. */
  RetentionFailed: 'RetentionFailed',
  /** A canary rollout moved to its next step (a new traffic weight). */
  RolloutStepped: 'RolloutStepped',
  /** A rollout holds: paused by spec or annotation, an untimed pause step, or inconclusive analysis. */
  RolloutPaused: 'RolloutPaused',
  /** A held rollout goes on (unpaused, promoted past a pause, or its analysis conclusive again). */
  RolloutResumed: 'RolloutResumed',
  /** A rollout is under way: the canary takes a share of traffic while analysis runs. */
  RolloutProgressing: 'RolloutProgressing',
  /** Analysis failed a revision's rollout; traffic went back to the stable revision. */
  AnalysisFailed: 'AnalysisFailed',
  /** A rollout was rolled back (by analysis or by the modelops.dev/abort annotation). */
  RolledBack: 'RolledBack',
  /** A manual action from an annotation (modelops.dev/promote, modelops.dev/abort) was carried out. */
  ManualAction: 'ManualAction',
  /** DriftMonitor: the last run found dataset drift (event and condition). */
  DriftDetected: 'DriftDetected',
  /** DriftMonitor: the last run found no dataset drift (condition). */
  NoDrift: 'NoDrift',
  /** DriftMonitor: too few live samples for any verdict (condition). */
  InsufficientData: 'InsufficientData',
  /** DriftMonitor: the last run compared live traffic with the reference (Ready condition). */
  Measured: 'Measured',
  /** DriftMonitor: the target InferenceService does not exist or serves no ModelVersion yet. */
  TargetNotFound: 'TargetNotFound',
  /** DriftMonitor: no reference Dataset version or profile to compare with. */
  ReferenceNotFound: 'ReferenceNotFound',
  /** DriftMonitor: Prometheus is not configured (--prometheus-url) or did not answer. */
  PrometheusUnavailable: 'PrometheusUnavailable',
  /** DriftMonitor (source PredictionLog): the target writes no prediction log, or it could not be read. */
  PredictionLogUnavailable: 'PredictionLogUnavailable',
  /** DriftMonitor (source PredictionLog): lines of the log that are not valid records were skipped and counted. */
  PredictionLogLinesSkipped: 'PredictionLogLinesSkipped',
  /** DriftMonitor: scheduling is suspended (spec.suspend). */
  Suspended: 'Suspended',
  /** DriftMonitor: the webhook alert was delivered. */
  AlertSent: 'AlertSent',
  /** DriftMonitor: the webhook alert could not be delivered; the run itself is not failed. */
  WebhookFailed: 'WebhookFailed',
  /** DriftMonitor: a retraining TrainingJob was created. */
  RetrainingStarted: 'RetrainingStarted',
  /** DriftMonitor: no retraining now, a TrainingJob of this monitor is still running. */
  RetrainingInFlight: 'RetrainingInFlight',
  /** DriftMonitor: no retraining now, the last one started within spec.actions.retrain.cooldown. */
  CooldownActive: 'CooldownActive',
  /** DriftMonitor: the retraining TrainingJob this monitor started has finished (condition). */
  RetrainingFinished: 'RetrainingFinished',
} as const;
export type Reason = (typeof Reasons)[keyof typeof Reasons];

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  api: EventsApi;
  /** reportingController, e.g. modelops.dev/operator. */
  controller: string;
  /** reportingInstance: the Pod name. */
  instance: string;
  clock: Clock;
  log: Logger;
  onFailure?: () => void;
}

interface Series {
  name: string;
  namespace: string;
  count: number;
  last: number;
}

const SERIES_WINDOW_MS = 10 * 60_000;

export class EventRecorder {
  readonly #o: EventRecorderOptions;
  readonly #series = new Map<string, Series>();

  constructor(opts: EventRecorderOptions) {
    this.#o = opts;
  }

  async record(regarding: KubernetesObject, type: EventType, reason: Reason, action: string, note: string): Promise<void> {
    const meta = regarding.metadata ?? {};
    const namespace = meta.namespace ?? 'default';
    const key = [meta.uid, type, reason, action, note].join('\u0000');
    const now = this.#o.clock.now();
    try {
      this.#prune(now);
      const seen = this.#series.get(key);
      if (seen && now - seen.last < SERIES_WINDOW_MS) {
        seen.count++;
        seen.last = now;
        await this.#o.api.patchNamespacedEvent({ name: seen.name, namespace: seen.namespace, body: { series: { count: seen.count, lastObservedTime: microTime(now) } } });
        return;
      }
      const name = `${meta.name}.${now.toString(16)}${randomBytes(2).toString('hex')}`;
      await this.#o.api.createNamespacedEvent({
        namespace,
        body: {
          apiVersion: 'events.k8s.io/v1',
          kind: 'Event',
          metadata: { name, namespace },
          eventTime: microTime(now),
          type,
          reason,
          action,
          note: note.length > 1024 ? `${note.slice(0, 1021)}...` : note,
          regarding: {
            apiVersion: regarding.apiVersion,
            kind: regarding.kind,
            name: meta.name,
            namespace: meta.namespace,
            uid: meta.uid,
            resourceVersion: meta.resourceVersion,
          },
          reportingController: this.#o.controller,
          reportingInstance: this.#o.instance,
        },
      });
      this.#series.set(key, { name, namespace, count: 1, last: now });
    } catch (err) {
      this.#o.onFailure?.();
      this.#o.log.warn({ err: errorText(err), object: `${meta.namespace}/${meta.name}`, reason }, 'could not record event');
    }
  }

  #prune(now: number): void {
    if (this.#series.size < 1000) return;
    for (const [k, s] of this.#series) if (now - s.last >= SERIES_WINDOW_MS) this.#series.delete(k);
  }
}
