// Reconciles one Dataset: reads its newest ingest run, records the result (or why it failed)
// in status, applies retention to the history and the artifact store, starts the next run
// when the spec, the refresh annotation or the schedule asks for one, and prunes old Jobs.
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import type { CustomObjectsApi, ObjectsApi } from '../../runtime/client/apis.ts';
import type { Dataset, DatasetStatus, DatasetVersion, ModelVersion } from '../../api/v1alpha1/types.ts';
import { datasetDataKey, datasetProfileKey } from '../../artifacts/layout.ts';
import type { ArtifactStore } from '../../artifacts/store.ts';
import { ResourceExistsError } from '../../runtime/apply.ts';
import type { Clock } from '../../runtime/clock.ts';
import { TerminalError } from '../../runtime/controller.ts';
import type { ObjectKey, Reconciler, ReconcileResult } from '../../runtime/controller.ts';
import type { EventRecorder, Reason } from '../../runtime/events.ts';
import { Reasons } from '../../runtime/events.ts';
import { isAlreadyExists, isNotFound } from '../../runtime/kube.ts';
import { errorText } from '../../runtime/log.ts';
import type { Logger } from '../../runtime/log.ts';
import { controllerOf, controllerRef, isControlledBy } from '../../runtime/owner.ts';
import type { Cache } from '../../runtime/resources.ts';
import { checkSchedule, ScheduleError } from '../../runtime/schedule.ts';
import { writeStatus } from '../../runtime/status.ts';
import { ANNOTATION_SCHEDULED_AT, desiredIngestJob, ingestJobName } from './desired.ts';
import { isReferenced, keepsReferenced, referencedVersions, retentionCandidates } from './retention.ts';
import { newestJob, observeRun } from './run.ts';
import type { RunView } from './run.ts';
import { computeStatus } from './status.ts';
import type { Observed } from './status.ts';
import { planRun } from './trigger.ts';
import type { Plan } from './trigger.ts';
import { DATASETS, MODEL_VERSIONS } from '../resources.ts';

export interface DatasetDeps {
  datasets: Cache<Dataset>;
  jobs: Cache<V1Job>;
  pods: Cache<V1Pod>;
  objects: ObjectsApi;
  custom: CustomObjectsApi;
  events: EventRecorder;
  clock: Clock;
  /** The operator's image, which the ingest Jobs run. */
  image: string;
  /** The artifact store's URI as the Jobs see it, and the Secret that gives them its credentials. */
  artifactStore: string | undefined;
  artifactStoreSecret: string | undefined;
  /** The same store as the operator reaches it, for retention. */
  store: ArtifactStore | undefined;
}

/** Finished ingest Jobs kept per Dataset (the newest is always kept: it holds the current result). */
export const KEEP_FINISHED_JOBS = 3;
/** A store deletion that failed is tried again after this long. */
const RETENTION_RETRY_MS = 60_000;
/** A Job name taken by a stranger may be freed without an event we watch. */
const CONFLICT_RECHECK_MS = 60_000;
/** How soon to look again for the leftover Job of a deleted Dataset of the same name. */
const LEFTOVER_RECHECK_MS = 2_000;

const INGEST_REASONS: Record<string, Reason> = {
  ValidationFailed: Reasons.ValidationFailed,
  InvalidConfiguration: Reasons.InvalidConfiguration,
  SourceUnavailable: Reasons.SourceUnavailable,
  StoreUnavailable: Reasons.StoreUnavailable,
  ResourcesExhausted: Reasons.ResourcesExhausted,
};

export class DatasetReconciler implements Reconciler {
  readonly #d: DatasetDeps;

  constructor(deps: DatasetDeps) {
    this.#d = deps;
  }

  async reconcile(key: ObjectKey, log: Logger): Promise<ReconcileResult | void> {
    const d = this.#d;
    const ds = d.datasets.get(key.namespace, key.name);
    if (!ds || ds.metadata.deletionTimestamp) return; // gone: its Jobs follow by garbage collection
    const now = new Date(d.clock.now());

    const jobs = d.jobs.list(key.namespace).filter((j) => isControlledBy(j, ds));
    const newest = newestJob(jobs);
    const run = newest ? observeRun(newest, this.#podsOf(newest)) : undefined;
    const lastScheduleTime = latestScheduleTime(ds, jobs);
    const observed: Observed = { ...(run ? { run } : {}), ...(lastScheduleTime ? { lastScheduleTime } : {}) };

    // What the schema cannot check: the schedule in full (time zone included), and an operator
    // that has no artifact store to ingest into.
    let terminal: string | undefined;
    try {
      if (ds.spec.refresh) checkSchedule(ds.spec.refresh.schedule, ds.spec.refresh.timeZone);
      if (!d.artifactStore) terminal = 'the operator runs without --artifact-store, so no Dataset can be ingested; set artifactStore in the chart values';
    } catch (err) {
      if (!(err instanceof ScheduleError)) throw err;
      terminal = `spec.refresh: ${err.message}`;
    }

    let plan: Plan | undefined;
    let toStart: V1Job | undefined;
    let leftover = false;
    if (terminal) {
      observed.blocked = { reason: Reasons.InvalidSpec, message: terminal };
    } else {
      plan = planRun(ds, run, now, lastScheduleTime);
      if (plan.next) observed.next = plan.next;
      if (plan.run) {
        const name = ingestJobName(ds, plan.run);
        // The cache holds only Jobs with our labels: a stranger (or one we just made) is read.
        const existing = d.jobs.get(key.namespace, name) ?? (await this.#read(key.namespace, name));
        if (existing && !isControlledBy(existing, ds) && isLeftover(existing, ds)) {
          // The Job of a deleted Dataset of the same name, which garbage collection is about to
          // remove (a delete and re-create, as GitOps tools do): wait for it, it is no stranger.
          observed.starting = { job: name, spec: true };
          leftover = true;
        } else if (existing && !isControlledBy(existing, ds)) {
          observed.blocked = { reason: Reasons.ResourceExists, message: foreignJobMessage(ds, existing) };
        } else if (!existing) {
          toStart = desiredIngestJob(ds, plan.run, { image: d.image, artifactStore: d.artifactStore!, artifactStoreSecret: d.artifactStoreSecret });
          observed.starting = { job: name, spec: plan.run.trigger === 'spec' };
          if (plan.run.scheduledAt && (!lastScheduleTime || plan.run.scheduledAt > lastScheduleTime)) observed.lastScheduleTime = plan.run.scheduledAt;
        }
        // Else this run's Job exists already: nothing to start. When it is newer than the
        // newest the cache knows (the cache lags behind our own create), it is the run to report.
        else if (jobTime(existing) >= jobTime(newest)) observed.run = observeRun(existing, this.#podsOf(existing));
      }
    }

    const status = computeStatus(ds, observed, now);
    const retryRetention = await this.#retain(ds, status, log);
    if (await writeStatus(d.custom, DATASETS, ds, status)) log.debug('status updated');
    await this.#recordTransitions(ds, status, run);

    if (terminal) {
      await d.events.record(ds, 'Warning', Reasons.InvalidSpec, 'Ingest', terminal);
      throw new TerminalError(terminal);
    }
    if (observed.blocked) {
      await d.events.record(ds, 'Warning', Reasons.ResourceExists, 'Ingest', observed.blocked.message);
      return { requeueAfterMs: CONFLICT_RECHECK_MS };
    }

    if (leftover) return { requeueAfterMs: LEFTOVER_RECHECK_MS };
    if (toStart && plan?.run) {
      if (await this.#create(ds, toStart)) {
        log.info({ child: `Job/${toStart.metadata!.name}`, trigger: plan.run.trigger }, 'started ingest Job');
        await d.events.record(ds, 'Normal', Reasons.Ingesting, 'Ingest', `started ingest Job ${toStart.metadata!.name}: ${plan.why}`);
      }
    }
    if (plan && plan.missed > 0) {
      await d.events.record(ds, 'Warning', Reasons.RefreshMissed, 'Schedule', `${plan.missed} scheduled refresh${plan.missed > 1 ? 'es' : ''} of "${ds.spec.refresh!.schedule}" passed without a run of their own (operator down, a run in progress, or past startingDeadlineSeconds)`);
    }
    await this.#pruneJobs(jobs, newest, log);

    const waits: number[] = [];
    if (plan?.next) waits.push(Math.max(0, plan.next.getTime() - now.getTime()) + 1000);
    if (retryRetention) waits.push(RETENTION_RETRY_MS);
    if (waits.length) return { requeueAfterMs: Math.min(...waits) };
  }

  async #read(namespace: string, name: string): Promise<V1Job | undefined> {
    try {
      return (await this.#d.objects.read({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace } })) as V1Job;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  #podsOf(job: V1Job): V1Pod[] {
    const uid = job.metadata?.uid;
    return this.#d.pods.list(job.metadata!.namespace!).filter((p) => p.metadata?.ownerReferences?.some((r) => r.uid === uid));
  }

  /** Creates the Job unless it exists; false when it was already there (ours). A Job's template is immutable: never applied. */
  async #create(ds: Dataset, job: V1Job): Promise<boolean> {
    const body: V1Job = { ...job, metadata: { ...job.metadata, ownerReferences: [controllerRef(ds)] } };
    try {
      await this.#d.objects.create(body);
      return true;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    const live = await this.#read(job.metadata!.namespace!, job.metadata!.name!);
    if (live && !isControlledBy(live, ds)) throw new ResourceExistsError(foreignJobMessage(ds, live));
    return false;
  }

  /**
   * Removes versions beyond retention from the artifact store (data first, then profile), then
   * from `status.versions`. A version whose deletion failed stays listed and is tried again:
   * nothing is ever dropped from the history while its objects may remain. Returns whether to retry.
   */
  async #retain(ds: Dataset, status: DatasetStatus, log: Logger): Promise<boolean> {
    const d = this.#d;
    let candidates = retentionCandidates(ds, status.versions ?? [], status.currentVersion);
    if (candidates.length === 0) return false;
    if (keepsReferenced(ds)) {
      const list = (await d.custom.listNamespacedCustomObject({ ...MODEL_VERSIONS, namespace: ds.metadata.namespace! })) as { items: ModelVersion[] };
      const refs = referencedVersions(ds, list.items);
      candidates = candidates.filter((v) => !isReferenced(v, refs));
      if (candidates.length === 0) return false;
    }
    const removed: DatasetVersion[] = [];
    const failed: string[] = [];
    for (const v of candidates) {
      try {
        await this.#deleteVersion(ds, v);
        removed.push(v);
      } catch (err) {
        failed.push(`${v.version}: ${errorText(err)}`);
      }
    }
    if (removed.length) {
      const gone = new Set(removed.map((v) => v.digest));
      status.versions = (status.versions ?? []).filter((v) => !gone.has(v.digest));
      const max = ds.spec.retention?.maxVersions;
      log.info({ versions: removed.map((v) => v.version) }, 'removed versions beyond retention');
      await d.events.record(ds, 'Normal', Reasons.VersionsRemoved, 'Retention', `removed version${removed.length > 1 ? 's' : ''} ${removed.map((v) => v.version).join(', ')} from the history and the artifact store (retention.maxVersions ${max ?? 'default'})`);
    }
    if (failed.length) {
      log.warn({ failed }, 'could not remove versions from the artifact store');
      await d.events.record(ds, 'Warning', Reasons.RetentionFailed, 'Retention', `could not remove from the artifact store, will retry: ${failed.join('; ')}`.slice(0, 1024));
    }
    return failed.length > 0;
  }

  async #deleteVersion(ds: Dataset, v: DatasetVersion): Promise<void> {
    const store = this.#d.store;
    if (!store) throw new Error('the operator has no artifact store configured');
    const ns = ds.metadata.namespace!;
    const name = ds.metadata.name!;
    const dataKey = datasetDataKey(ns, name, v.digest);
    // A version written to another store (the operator's store changed since) is not ours to touch.
    if (v.uri !== store.uri(dataKey)) return;
    await store.delete(dataKey); // data first: a half-removed version has no data and is not mistaken for a whole one
    await store.delete(datasetProfileKey(ns, name, v.digest));
  }

  /** Deletes finished Jobs beyond the newest few; the newest Job and active ones stay. */
  async #pruneJobs(jobs: readonly V1Job[], newest: V1Job | undefined, log: Logger): Promise<void> {
    const finished = jobs
      .filter((j) => j !== newest && !j.metadata?.deletionTimestamp && (j.status?.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True'))
      .sort((a, b) => jobTime(b) - jobTime(a));
    for (const j of finished.slice(KEEP_FINISHED_JOBS - 1)) {
      try {
        await this.#d.objects.delete(j, { propagationPolicy: 'Background' });
        log.debug({ child: `Job/${j.metadata!.name}` }, 'deleted old ingest Job');
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  /** Events for what changed between the stored status and the new one. */
  async #recordTransitions(ds: Dataset, status: DatasetStatus, run: RunView | undefined): Promise<void> {
    const before = ds.status ?? {};
    const ev = this.#d.events;
    if (run && status.lastIngestTime && status.lastIngestTime !== before.lastIngestTime) {
      if (run.state === 'Succeeded' && run.result) {
        const v = run.result.version;
        const what = run.result.changed === false || before.currentVersion?.digest === v.digest ? 'unchanged' : 'new';
        await ev.record(ds, 'Normal', Reasons.Ingested, 'Ingest', `ingest Job ${run.job}: version ${v.version} (${v.rows} rows, ${what}) is current`);
      } else if (run.state === 'Failed' && run.failure) {
        const reason = INGEST_REASONS[run.failure.reason] ?? Reasons.IngestFailed;
        const kept = status.currentVersion ? `; version ${status.currentVersion.version} stays current` : '';
        await ev.record(ds, 'Warning', reason, 'Ingest', `ingest Job ${run.job} failed: ${run.failure.message}${kept}`);
      } else if (run.state === 'Succeeded') {
        await ev.record(ds, 'Warning', Reasons.IngestFailed, 'Ingest', `ingest Job ${run.job} succeeded but its result could not be read (its Pod is gone)`);
      }
    }
    const blocked = status.conditions?.find((c) => c.type === 'Ingesting' && c.reason === Reasons.IngestBlocked);
    if (blocked && blocked.message !== before.conditions?.find((c) => c.type === 'Ingesting')?.message) {
      await ev.record(ds, 'Warning', Reasons.IngestBlocked, 'Ingest', blocked.message ?? '');
    }
  }
}

/** An ingest Job whose controller is an earlier Dataset of the same name (another uid). */
function isLeftover(job: V1Job, ds: Dataset): boolean {
  const ref = controllerOf(job);
  return ref?.kind === 'Dataset' && ref.apiVersion.startsWith('modelops.dev/') && ref.name === ds.metadata.name && ref.uid !== ds.metadata.uid;
}

function foreignJobMessage(ds: Dataset, job: V1Job): string {
  return `Job ${job.metadata?.name} already exists and is not managed by Dataset ${ds.metadata.name}; delete or rename it, and modelops will create its own`;
}

function jobTime(j: V1Job | undefined): number {
  const t = j?.metadata?.creationTimestamp;
  return t ? new Date(t).getTime() : 0;
}

/** When a run last served a scheduled refresh: the newest scheduled-at of the Jobs, or the status's record. */
function latestScheduleTime(ds: Dataset, jobs: readonly V1Job[]): Date | undefined {
  let latest = ds.status?.lastScheduleTime ? new Date(ds.status.lastScheduleTime) : undefined;
  for (const j of jobs) {
    const at = j.metadata?.annotations?.[ANNOTATION_SCHEDULED_AT];
    if (!at) continue;
    const t = new Date(at);
    if (!Number.isNaN(t.getTime()) && (!latest || t > latest)) latest = t;
  }
  return latest;
}
