// Reconciles one TrainingJob: resolve the Dataset version, start the run's Job (once per
// generation, or once per scheduled time), follow it, read rank 0's result, gate it, register
// the ModelVersion, and report all of it in status.
import type { V1Job, V1Pod, V1Service } from '@kubernetes/client-node';
import type { CustomObjectsApi, ObjectsApi } from '../../runtime/client/apis.ts';
import type { Dataset, TrainingJob, TrainingRun } from '../../api/v1alpha1/types.ts';
import { trainingRunPrefix } from '../../artifacts/layout.ts';
import type { ArtifactStore } from '../../artifacts/store.ts';
import type { OperatorConfig } from '../../config.ts';
import { applyChild, ResourceExistsError } from '../../runtime/apply.ts';
import type { Clock } from '../../runtime/clock.ts';
import { TerminalError } from '../../runtime/controller.ts';
import type { ObjectKey, Reconciler, ReconcileResult } from '../../runtime/controller.ts';
import { Reasons } from '../../runtime/events.ts';
import type { EventRecorder, EventType } from '../../runtime/events.ts';
import { jobOutcome } from '../../runtime/jobs.ts';
import { isAlreadyExists } from '../../runtime/kube.ts';
import type { Logger } from '../../runtime/log.ts';
import { controllerRef, isControlledBy } from '../../runtime/owner.ts';
import type { Cache } from '../../runtime/resources.ts';
import { checkSchedule, decide, ScheduleError } from '../../runtime/schedule.ts';
import { writeStatus } from '../../runtime/status.ts';
import { resolveDataset } from './dataset.ts';
import { desiredJob, desiredRendezvousService, runName } from './desired.ts';
import { register } from './registration.ts';
import { ContractError } from './result.ts';
import { ANNOTATION_DATASET_DIGEST, ANNOTATION_DATASET_VERSION, failedReport, FINISHED, podsOfJob, rankZeroPod, runningReport, trainedRun } from './run.ts';
import type { RunReport } from './run.ts';
import { jobsToDelete, newestFirst, runEntry } from './runs.ts';
import { computeStatus } from './status.ts';
import type { ScheduleState } from './status.ts';
import { TRAINING_JOBS } from '../resources.ts';

export interface TrainingJobDeps {
  trainingJobs: Cache<TrainingJob>;
  datasets: Cache<Dataset>;
  jobs: Cache<V1Job>;
  pods: Cache<V1Pod>;
  services: Cache<V1Service>;
  objects: ObjectsApi;
  custom: CustomObjectsApi;
  events: EventRecorder;
  clock: Clock;
  config: Pick<OperatorConfig, 'trainerImage' | 'artifactStore' | 'artifactStoreSecret'>;
  store: ArtifactStore | undefined;
}

/** The Dataset is watched; this is only a safety net for a change the watch missed. */
const WAIT_RECHECK_MS = 60_000;
/** Longest wait between reconciles of a scheduled TrainingJob (the clock may jump). */
const MAX_SCHEDULE_WAIT_MS = 15 * 60_000;

const WARNINGS: ReadonlySet<string> = new Set([Reasons.TrainingFailed, Reasons.TrainingBlocked, Reasons.DatasetVersionNotFound, Reasons.NoArtifactStore, Reasons.GateNotMet, Reasons.ResourceExists]);

type Started = { job: V1Job } | { report: RunReport };

export class TrainingJobReconciler implements Reconciler {
  readonly #d: TrainingJobDeps;

  constructor(deps: TrainingJobDeps) {
    this.#d = deps;
  }

  async reconcile(key: ObjectKey, log: Logger): Promise<ReconcileResult | void> {
    const tj = this.#d.trainingJobs.get(key.namespace, key.name);
    if (!tj || tj.metadata.deletionTimestamp) return; // Jobs follow by garbage collection; ModelVersions stay
    return tj.spec.schedule ? this.#scheduled(tj, tj.spec.schedule, log) : this.#once(tj, log);
  }

  /** One run per generation; a finished run is never started again for the same generation. */
  async #once(tj: TrainingJob, log: Logger): Promise<ReconcileResult | void> {
    const run = runName(tj);
    const prev = tj.status ?? {};
    if (prev.jobName === run && prev.observedGeneration === tj.metadata.generation && FINISHED.has(prev.phase ?? '')) return;

    let report: RunReport;
    const job = this.#ownJob(tj, run);
    if (job) report = await this.#observe(tj, job, log);
    else {
      const started = await this.#start(tj, run, undefined, log);
      report = 'report' in started ? started.report : runningReport(started.job, []);
    }
    await this.#writeStatus(tj, report, undefined, log);
    if (report.phase === 'Pending') return { requeueAfterMs: WAIT_RECHECK_MS };
  }

  /** Like a CronJob: a run per scheduled time, a concurrency policy, bounded history. */
  async #scheduled(tj: TrainingJob, schedule: string, log: Logger): Promise<ReconcileResult | void> {
    try {
      checkSchedule(schedule);
    } catch (err) {
      if (!(err instanceof ScheduleError)) throw err;
      await this.#writeStatus(tj, { phase: 'Failed', reason: Reasons.InvalidSpec, message: err.message }, undefined, log);
      throw new TerminalError(err.message);
    }
    const prev = tj.status ?? {};
    const prevRuns = new Map((prev.runs ?? []).map((r) => [r.name, r]));
    const now = new Date(this.#d.clock.now());
    let jobs = newestFirst(this.#d.jobs.list(tj.metadata.namespace!).filter((j) => isControlledBy(j, tj) && !j.metadata?.deletionTimestamp));

    // Finished runs recorded in status are not read again; every other run is followed.
    const reports = new Map<string, RunReport>();
    for (const job of jobs) {
      const entry = prevRuns.get(job.metadata!.name!);
      if (!entry || !FINISHED.has(entry.phase)) reports.set(job.metadata!.name!, await this.#observe(tj, job, log));
    }
    const isActive = (j: V1Job) => jobOutcome(j).state === 'Active' && !(reports.get(j.metadata!.name!) && FINISHED.has(reports.get(j.metadata!.name!)!.phase));

    const since = new Date(prev.lastScheduleTime ?? tj.metadata.creationTimestamp ?? now);
    const decision = decide(schedule, undefined, since, now);
    let lastScheduleTime = prev.lastScheduleTime;
    let pending: RunReport | undefined;
    if (decision.due && !tj.spec.suspend) {
      const name = runName(tj, decision.due);
      const active = jobs.filter(isActive);
      const policy = tj.spec.concurrencyPolicy ?? 'Allow';
      if (jobs.some((j) => j.metadata!.name === name)) {
        lastScheduleTime = iso(decision.due);
      } else if (policy === 'Forbid' && active.length) {
        lastScheduleTime = iso(decision.due);
        await this.#event(tj, 'Normal', Reasons.RunSkipped, `skipped the run of ${iso(decision.due)}: run ${active[0]!.metadata!.name} is still active (concurrencyPolicy Forbid)`);
      } else {
        const started = await this.#start(tj, name, decision.due, log);
        if ('job' in started) {
          if (policy === 'Replace') {
            for (const old of active) {
              await this.#d.objects.delete(old, { propagationPolicy: 'Background' });
              await this.#event(tj, 'Normal', Reasons.RunReplaced, `stopped run ${old.metadata!.name} for the run of ${iso(decision.due)} (concurrencyPolicy Replace)`);
            }
            jobs = jobs.filter((j) => !active.includes(j));
          }
          jobs = [started.job, ...jobs];
          reports.set(name, runningReport(started.job, []));
          lastScheduleTime = iso(decision.due);
        } else {
          pending = started.report;
          // A run that cannot start as configured counts as scheduled; one waiting for data does not.
          if (started.report.phase === 'Failed') lastScheduleTime = iso(decision.due);
        }
      }
    }

    for (const old of jobsToDelete(jobs, prevRuns, tj.spec.successfulRunsHistoryLimit ?? 3, tj.spec.failedRunsHistoryLimit ?? 1)) {
      await this.#d.objects.delete(old, { propagationPolicy: 'Background' });
      log.info({ job: old.metadata!.name }, 'deleted a finished run beyond the history limit');
      await this.#event(tj, 'Normal', Reasons.RunDeleted, `deleted the Job of finished run ${old.metadata!.name} (history limit)`);
      jobs = jobs.filter((j) => j !== old);
    }

    const runs: TrainingRun[] = jobs.map((j) => {
      const r = reports.get(j.metadata!.name!);
      return r ? runEntry(r) : prevRuns.get(j.metadata!.name!)!;
    });
    const newest = jobs[0] && reports.get(jobs[0].metadata!.name!);
    const next = iso(decision.next);
    const state: ScheduleState = {
      runs,
      ...(lastScheduleTime ? { lastScheduleTime } : {}),
      ...(!tj.spec.suspend ? { nextScheduleTime: next } : {}),
      active: jobs.some(isActive),
      waiting: tj.spec.suspend
        ? { reason: Reasons.WaitingForSchedule, message: 'suspended: no new runs are started' }
        : { reason: Reasons.WaitingForSchedule, message: `the next run is due at ${next}` },
    };
    // Earlier runs that finished this round still get their events and modelVersion.
    for (const [name, r] of reports) if (r !== newest && FINISHED.has(r.phase) && !FINISHED.has(prevRuns.get(name)?.phase ?? '')) await this.#event(tj, WARNINGS.has(r.reason) ? 'Warning' : 'Normal', r.reason, r.message);
    await this.#writeStatus(tj, pending ?? newest, state, log);
    const wait = pending ? WAIT_RECHECK_MS : Math.min(MAX_SCHEDULE_WAIT_MS, Math.max(1000, decision.next.getTime() - now.getTime()));
    return { requeueAfterMs: wait };
  }

  #ownJob(tj: TrainingJob, name: string): V1Job | undefined {
    const job = this.#d.jobs.get(tj.metadata.namespace!, name);
    return job && isControlledBy(job, tj) ? job : undefined;
  }

  /** Creates the run's Job, or says why it cannot start yet (or at all). */
  async #start(tj: TrainingJob, name: string, scheduledAt: Date | undefined, log: Logger): Promise<Started> {
    const ns = tj.metadata.namespace!;
    const store = this.#d.store;
    if (!this.#d.config.artifactStore || !store) {
      return {
        report: {
          phase: 'Failed',
          reason: Reasons.NoArtifactStore,
          message: 'the operator has no artifact store for the run\'s outputs: set --artifact-store (s3://bucket/prefix or file:///path) and --artifact-store-secret (the credentials Secret the Jobs get)',
        },
      };
    }
    const data = resolveDataset(tj, this.#d.datasets.get(ns, tj.spec.datasetRef.name));
    if (data.state !== 'Ready') return { report: { phase: data.state === 'Waiting' ? 'Pending' : 'Failed', reason: data.reason, message: data.message } };

    const inputs = {
      name,
      image: tj.spec.image ?? this.#d.config.trainerImage,
      datasetUri: data.version.uri,
      datasetFormat: data.format,
      datasetVersion: data.version.version,
      columns: data.columns,
      outputUri: `${store.root.replace(/\/$/, '')}/${trainingRunPrefix(ns, tj.metadata.name!, name).replace(/\/$/, '')}`,
      // The dataset version lives in the artifact store, so the store's credentials read it;
      // the Dataset's source credentials are for its source, which training never reads.
      secretEnv: this.#d.config.artifactStoreSecret ? [this.#d.config.artifactStoreSecret] : [],
    };
    const desired = desiredJob(tj, inputs);
    desired.metadata!.annotations = {
      ...desired.metadata!.annotations,
      [ANNOTATION_DATASET_VERSION]: data.version.version,
      [ANNOTATION_DATASET_DIGEST]: data.version.digest,
      ...(scheduledAt ? { 'modelops.dev/scheduled-at': iso(scheduledAt) } : {}),
    };
    desired.metadata!.ownerReferences = [controllerRef(tj)];

    if ((tj.spec.workers ?? 1) > 1) {
      const svc = desiredRendezvousService(tj, inputs);
      try {
        await applyChild(this.#d.objects, tj, svc, this.#d.services.get(ns, name));
      } catch (err) {
        if (err instanceof ResourceExistsError) return { report: { phase: 'Pending', reason: Reasons.ResourceExists, message: err.message } };
        throw err;
      }
    }
    let job: V1Job;
    try {
      // Job templates are immutable: a Job is created once and never updated.
      job = await this.#d.objects.create(desired);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // Ours already (the cache had not caught up with our create), or a stranger's.
      job = (await this.#d.objects.read({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: ns } })) as V1Job;
      if (isControlledBy(job, tj)) return { job };
      return { report: { phase: 'Pending', reason: Reasons.ResourceExists, message: `Job ${name} already exists and is not managed by TrainingJob ${tj.metadata.name}; delete or rename it` } };
    }
    log.info({ job: name, datasetVersion: data.version.version }, 'started a training run');
    await this.#event(tj, 'Normal', Reasons.RunStarted, `started run ${name} on Dataset ${data.dataset} version ${data.version.version}`);
    return { job };
  }

  /** The state of a run from its Job and Pods; a passing run is registered here. */
  async #observe(tj: TrainingJob, job: V1Job, log: Logger): Promise<RunReport> {
    const outcome = jobOutcome(job);
    let pods = podsOfJob(this.#d.pods.list(tj.metadata.namespace!), job);
    if (outcome.state === 'Active') return runningReport(job, pods);
    // The Pod cache may lag the Job's condition by a moment: read the Pods when rank 0 is missing.
    if (!rankZeroPod(pods, outcome.state === 'Succeeded')) pods = await this.#listPods(job);
    if (outcome.state === 'Failed') return failedReport(job, pods);

    const trained = trainedRun(tj, job, pods);
    if (trained.kind === 'report') return trained.report;
    const { report, result } = trained;
    const store = this.#d.store;
    if (!store) {
      // Restarted without a store after the run began: registration needs to read signature.json.
      return { ...report, phase: 'Pending', reason: Reasons.NoArtifactStore, message: 'the run completed, but the operator has no artifact store to read its signature from: set --artifact-store' };
    }
    try {
      const name = await register({ objects: this.#d.objects, custom: this.#d.custom, store }, tj, job, result, report.imageDigest);
      log.info({ job: job.metadata!.name, modelVersion: name }, 'registered a ModelVersion');
      return { ...report, modelVersion: name, message: `registered ModelVersion ${name}${report.primaryMetric ? ` (${report.primaryMetric})` : ''}` };
    } catch (err) {
      if (!(err instanceof ContractError)) throw err;
      const message = `the trainer broke its contract: ${err.message}`;
      return { ...report, phase: 'Failed', reason: Reasons.TrainingFailed, message, failureReason: message };
    }
  }

  async #listPods(job: V1Job): Promise<V1Pod[]> {
    const list = await this.#d.objects.list<V1Pod>('v1', 'Pod', job.metadata!.namespace!, { labelSelector: `batch.kubernetes.io/controller-uid=${job.metadata!.uid}` });
    return podsOfJob(list.items, job);
  }

  async #writeStatus(tj: TrainingJob, report: RunReport | undefined, schedule: ScheduleState | undefined, log: Logger): Promise<void> {
    const prev = tj.status ?? {};
    const status = computeStatus(tj, report, new Date(this.#d.clock.now()), schedule);
    const prevReason = prev.conditions?.find((c) => c.type === 'Ready')?.reason;
    // An event per transition of the run, not per reconcile.
    if (report && (report.phase !== prev.phase || report.reason !== prevReason || status.jobName !== prev.jobName) && report.reason !== Reasons.Training) {
      await this.#event(tj, WARNINGS.has(report.reason) ? 'Warning' : 'Normal', report.reason, report.message);
    }
    if (await writeStatus(this.#d.custom, TRAINING_JOBS, tj, status)) log.debug({ phase: status.phase }, 'status updated');
  }

  #event(tj: TrainingJob, type: EventType, reason: (typeof Reasons)[keyof typeof Reasons], note: string): Promise<void> {
    return this.#d.events.record(tj, type, reason, 'Train', note);
  }
}

function iso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}


