// Reconciles one DriftMonitor: when its schedule says a run is due, resolves the target's
// served ModelVersion and reference Dataset version, reads the reference profile, measures the
// live distributions (in Prometheus, or exactly from the target's prediction log against the
// reference version's stored rows), and on dataset drift acts (Event, webhook alert, retraining
// TrainingJob); records the result in status and gauges, then waits for the next run.
import { createHash } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import type { CustomObjectsApi, ObjectsApi } from '../../runtime/client/apis.ts';
import type { Dataset, DriftMonitor, InferenceService, ModelVersion, TrainingJob } from '../../api/v1alpha1/types.ts';
import { predictionLogUri, signatureUriOf } from '../../artifacts/layout.ts';
import type { ArtifactReader } from '../../artifacts/resolve.ts';
import { ArtifactNotFoundError } from '../../artifacts/store.ts';
import type { PrometheusVectorQuerier } from '../../prometheus/client.ts';
import type { Clock } from '../../runtime/clock.ts';
import { TerminalError } from '../../runtime/controller.ts';
import type { ObjectKey, Reconciler, ReconcileResult } from '../../runtime/controller.ts';
import { parseDuration } from '../../runtime/duration.ts';
import type { EventRecorder } from '../../runtime/events.ts';
import { Reasons } from '../../runtime/events.ts';
import { isAlreadyExists, isNotFound } from '../../runtime/kube.ts';
import { errorText } from '../../runtime/log.ts';
import type { Logger } from '../../runtime/log.ts';
import { controllerRef, isControlledBy } from '../../runtime/owner.ts';
import type { Cache } from '../../runtime/resources.ts';
import { checkSchedule, decide, ScheduleError } from '../../runtime/schedule.ts';
import { writeStatus } from '../../runtime/status.ts';
import { DRIFT_MONITORS, TRAINING_JOBS } from '../resources.ts';
import type { DriftGauges } from './gauges.ts';
import { readLogLines, LOG_LIMITS } from './logreader.ts';
import type { LogLimits, LogRead } from './logreader.ts';
import { blockedBy, isCategorical, measure, measureFromLog } from './measure.ts';
import type { Measurement } from './measure.ts';
import { isBlocked, resolveTarget, targetColumn, watchedFeatures } from './reference.ts';
import type { Blocked, ReferenceColumn, Resolved } from './reference.ts';
import { LogAccumulator, logLayout, skippedMessage } from './predictionlog.ts';
import type { LogSamples } from './predictionlog.ts';
import { referenceSamples } from './referencesamples.ts';
import { DEFAULT_COOLDOWN_MS, decideRetrain, desiredTrainingJob, isInFlight, runRequest } from './retrain.ts';
import { computeStatus, summary } from './status.ts';
import type { Observed, RunOutcome } from './status.ts';
import { driftAlerts, postAlerts } from './webhook.ts';

export interface DriftMonitorDeps {
  monitors: Cache<DriftMonitor>;
  services: Cache<InferenceService>;
  modelVersions: Cache<ModelVersion>;
  datasets: Cache<Dataset>;
  trainingJobs: Cache<TrainingJob>;
  objects: ObjectsApi;
  custom: CustomObjectsApi;
  events: EventRecorder;
  clock: Clock;
  /** Undefined when the operator runs without --prometheus-url: every run fails with a message saying so. */
  prometheus: PrometheusVectorQuerier | undefined;
  /** Reads the reference profile by its URI (the Dataset version's profileUri), and for source PredictionLog the version's rows, the model's signature.json and the log. */
  reader: ArtifactReader;
  /** The operator's --artifact-store: where a prediction log without its own uri is written. */
  artifactStore: string | undefined;
  /** What one PredictionLog run reads at most; default LOG_LIMITS. */
  logLimits?: LogLimits;
  gauges: DriftGauges;
  fetch?: typeof fetch;
}

/** The window when the spec leaves it out (the CRD's default). */
const DEFAULT_WINDOW_MS = 3_600_000;
/** Waiting for a retraining in flight to finish is event-driven; this is a backstop. */
const IN_FLIGHT_RECHECK_MS = 5 * 60_000;
/** How soon to look again while the cache still holds the copy our last status write replaced. */
const STALE_RECHECK_MS = 50;

export class DriftMonitorReconciler implements Reconciler {
  readonly #d: DriftMonitorDeps;
  /**
   * Per monitor, the resourceVersion our last status write replaced. Whether a run is due is
   * read from status (lastRunTime, lastRunRequest): acting on the older copy still in the cache
   * would run again, posting the alert twice, before its status write conflicts.
   */
  readonly #replaced = new Map<string, string>();

  constructor(deps: DriftMonitorDeps) {
    this.#d = deps;
  }

  async reconcile(key: ObjectKey, log: Logger): Promise<ReconcileResult | void> {
    const d = this.#d;
    const dm = d.monitors.get(key.namespace, key.name);
    const id = `${key.namespace}/${key.name}`;
    if (!dm || dm.metadata.deletionTimestamp) {
      this.#replaced.delete(id);
      d.gauges.remove(key.namespace, key.name); // its TrainingJobs follow by garbage collection
      return;
    }
    if (this.#replaced.get(id) === dm.metadata.resourceVersion) return { requeueAfterMs: STALE_RECHECK_MS };
    this.#replaced.delete(id);
    const now = new Date(d.clock.now());
    const observed: Observed = {};

    let windowMs = DEFAULT_WINDOW_MS;
    let cooldownMs = DEFAULT_COOLDOWN_MS;
    try {
      checkSchedule(dm.spec.schedule);
      if (dm.spec.window) windowMs = parseDuration(dm.spec.window);
      if (dm.spec.actions?.retrain?.cooldown) cooldownMs = parseDuration(dm.spec.actions.retrain.cooldown);
    } catch (err) {
      observed.invalid = err instanceof ScheduleError ? `spec.schedule: ${err.message}` : `spec: ${(err as Error).message}`;
    }
    if (observed.invalid) {
      const status = computeStatus(dm, observed, now);
      await writeStatus(d.custom, DRIFT_MONITORS, dm, status);
      await d.events.record(dm, 'Warning', Reasons.InvalidSpec, 'Validate', observed.invalid);
      throw new TerminalError(observed.invalid);
    }

    const jobs = d.trainingJobs.list(key.namespace).filter((j) => isControlledBy(j, dm));
    const inFlight = jobs.filter(isInFlight);

    // A run is due on the schedule, or now when the run annotation holds a value not yet answered.
    let runTime: Date | undefined;
    let runKey: string | undefined;
    if (dm.spec.suspend) observed.suspended = true;
    else {
      const since = dm.status?.lastRunTime ? new Date(dm.status.lastRunTime) : dm.metadata.creationTimestamp ? new Date(dm.metadata.creationTimestamp) : now;
      const decision = decide(dm.spec.schedule, undefined, since, now);
      observed.next = decision.next;
      runTime = decision.due;
    }
    const request = runRequest(dm);
    if (request) {
      observed.runRequest = request;
      runTime ??= now;
      runKey = `r${createHash('sha256').update(request).digest('hex').slice(0, 10)}`;
    }

    let measurement: Measurement | undefined;
    let resolved: Resolved | undefined;
    if (runTime) {
      const outcome = await this.#run(dm, windowMs, now, log);
      observed.run = { time: now, outcome };
      if (outcome.kind === 'measured') {
        measurement = outcome.measurement;
        resolved = (outcome as RunOutcome & { resolved?: Resolved }).resolved;
        d.gauges.set(key.namespace, key.name, measurement);
        log.info({ verdict: measurement.dataset.verdict, share: measurement.dataset.driftedShare }, 'drift run');
      } else {
        d.gauges.remove(key.namespace, key.name);
        log.warn({ reason: outcome.blocked.reason, message: outcome.blocked.message }, 'drift run failed');
      }
    }

    // Actions on dataset drift, each independent of the others' success.
    const drifted = measurement?.dataset.drifted === true && resolved !== undefined;
    if (drifted) {
      if (dm.spec.actions?.event !== false) await d.events.record(dm, 'Warning', Reasons.DriftDetected, 'Measure', `InferenceService ${dm.spec.targetRef.name}: ${summary(measurement!)}`);
      if (dm.spec.actions?.webhook) observed.webhook = await this.#alert(dm, measurement!, resolved!, now, observed.next);
      if (dm.spec.actions?.retrain) observed.retraining = await this.#retrain(dm, jobs, resolved!, runTime!, runKey, cooldownMs, now, log);
    }
    if (!observed.retraining && dm.spec.actions?.retrain) {
      if (inFlight.length) observed.retraining = { reason: Reasons.RetrainingInFlight, message: `TrainingJob ${inFlight.map((j) => j.metadata.name).sort().join(', ')} is running` };
      else if (['RetrainingStarted', 'RetrainingInFlight'].includes(dm.status?.conditions?.find((c) => c.type === 'Retraining')?.reason ?? '')) {
        const last = dm.status?.retrainingJob;
        const phase = jobs.find((j) => j.metadata.name === last)?.status?.phase;
        observed.retraining = { reason: Reasons.RetrainingFinished, message: `TrainingJob ${last} finished${phase ? ` (${phase})` : ''}` };
      }
    }

    const status = computeStatus(dm, observed, now);
    if (await writeStatus(d.custom, DRIFT_MONITORS, dm, status)) {
      this.#replaced.set(id, dm.metadata.resourceVersion!);
      log.debug('status updated');
    }
    if (observed.run?.outcome.kind === 'failed') {
      const b = observed.run.outcome.blocked;
      await d.events.record(dm, 'Warning', b.reason, 'Measure', b.message);
    }
    if (observed.webhook && !observed.webhook.ok) await d.events.record(dm, 'Warning', Reasons.WebhookFailed, 'Alert', observed.webhook.message);
    if (measurement?.skipped) await d.events.record(dm, 'Warning', Reasons.PredictionLogLinesSkipped, 'Measure', `${measurement.skipped}; they are left in place`);

    const waits: number[] = [];
    if (observed.next) waits.push(Math.max(0, observed.next.getTime() - now.getTime()) + 1000);
    if (inFlight.length) waits.push(IN_FLIGHT_RECHECK_MS);
    if (waits.length) return { requeueAfterMs: Math.min(...waits) };
  }

  /** One run: resolve, read the reference, measure. Expected failures become a Failed outcome; anything else is thrown and retried. */
  async #run(dm: DriftMonitor, windowMs: number, now: Date, log: Logger): Promise<RunOutcome & { resolved?: Resolved }> {
    const d = this.#d;
    const ns = dm.metadata.namespace!;
    const r = resolveTarget(dm, d.services.list(ns), d.modelVersions.list(ns), d.datasets.list(ns));
    if (isBlocked(r)) return { kind: 'failed', blocked: r };
    if (dm.spec.source === 'PredictionLog') return this.#runFromLog(dm, r, windowMs, now, log);
    if (!d.prometheus) {
      return { kind: 'failed', blocked: { reason: Reasons.PrometheusUnavailable, message: 'the operator runs without --prometheus-url, so there are no live distributions to compare; set prometheus.url in the chart values' } };
    }
    const columns = await this.#referenceColumns(r);
    if ('reason' in columns) return { kind: 'failed', blocked: columns };
    const prometheus = d.prometheus;
    return outcomeOf(r, log, () =>
      measure({
        dm,
        scope: { model: r.modelVersion.spec.model, version: String(r.modelVersion.spec.version) },
        features: watchedFeatures(dm, r.modelVersion, r.dataset),
        columns,
        target: targetColumn(r.dataset),
        windowMs,
        prometheus,
        atMs: now.getTime(),
      }),
    );
  }

  /**
   * A run on the prediction log: the target's log (its spec.server.predictionLog uri, else the
   * default under the operator's artifact store), read newest first within the bound, against
   * the reference version's stored rows; the profile still gives each feature's type and edges.
   */
  async #runFromLog(dm: DriftMonitor, r: Resolved, windowMs: number, now: Date, log: Logger): Promise<RunOutcome & { resolved?: Resolved }> {
    const d = this.#d;
    const isvc = r.service;
    const name = isvc.metadata.name!;
    const spec = isvc.spec.server?.predictionLog;
    if (!spec) {
      return { kind: 'failed', blocked: { reason: Reasons.PredictionLogUnavailable, message: `InferenceService ${name} keeps no prediction log; set spec.server.predictionLog.sampleRate (e.g. 0.1) on it, or use spec.source Metrics` } };
    }
    const uri = predictionLogUri(spec, d.artifactStore, isvc.metadata.namespace!, name);
    if (!uri) {
      return { kind: 'failed', blocked: { reason: Reasons.PredictionLogUnavailable, message: `InferenceService ${name} names no spec.server.predictionLog.uri and the operator runs without --artifact-store, where the log would go; set one of them` } };
    }
    const columns = await this.#referenceColumns(r);
    if ('reason' in columns) return { kind: 'failed', blocked: columns };
    const features = watchedFeatures(dm, r.modelVersion, r.dataset);
    const target = targetColumn(r.dataset);
    const mv = r.modelVersion;

    // Which tensor column holds each feature: the server reads signature.json beside the model.
    let file: unknown;
    const sigUri = signatureUriOf(mv.spec.artifact.uri);
    try {
      const chunks: Buffer[] = [];
      for await (const c of await d.reader.open(sigUri)) chunks.push(c as Buffer);
      file = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (err) {
      if (!(err instanceof ArtifactNotFoundError)) {
        return { kind: 'failed', blocked: { reason: Reasons.PredictionLogUnavailable, message: `cannot read the model's signature at ${sigUri} (which input column holds which feature): ${errorText(err)}` } };
      }
    }
    const layout = logLayout(features, mv.spec.signature, file);

    const byName = new Map(columns.map((c) => [c.name, c]));
    const categorical = new Set([...features, ...(target ? [target] : [])].filter((f) => byName.has(f) && isCategorical(byName.get(f)!)));
    const numeric = features.filter((f) => byName.has(f) && !categorical.has(f));
    const which = `Dataset ${r.dataset.metadata.name} version ${r.version.version}`;
    let reference;
    try {
      reference = await referenceSamples(d.reader, r.version.uri, { numeric, categorical: [...categorical] });
    } catch (err) {
      return { kind: 'failed', blocked: { reason: Reasons.ReferenceNotFound, message: `cannot read the stored rows of ${which} at ${r.version.uri}, which source PredictionLog compares with: ${errorText(err)}; check the operator's access to the artifact store` } };
    }

    const limits = d.logLimits ?? LOG_LIMITS;
    const scope = { model: mv.spec.model, version: String(mv.spec.version), fromMs: now.getTime() - windowMs, toMs: now.getTime() };
    const acc = new LogAccumulator(scope, layout, categorical);
    let read: LogRead;
    try {
      read = await readLogLines(uri, scope.fromMs, scope.toMs, d.reader, limits, (line, where) => acc.add(line, where));
    } catch (err) {
      return { kind: 'failed', blocked: { reason: Reasons.PredictionLogUnavailable, message: `cannot read the prediction log at ${uri}: ${errorText(err)}; check the operator's access to it (the artifact store's credentials); the next scheduled run tries again` } };
    }
    const s = acc.samples;
    const unplaced = features.filter((f) => !layout.slots.has(f));
    const liveData = {
      source: 'PredictionLog' as const,
      uri,
      records: s.records,
      rows: s.rows,
      linesRead: read.lines,
      bytesRead: read.bytes,
      skippedLines: s.skipped,
      limited: read.limited,
      message: logMessage(uri, scope, s, read, limits, unplaced),
    };
    const float32 = new Set([...layout.slots.values()].filter((x) => x.datatype === 'FP32' || x.datatype === 'FP16').map((x) => x.feature));
    return outcomeOf(r, log, () => {
      const measurement = measureFromLog({
        dm,
        features,
        columns,
        target,
        reference,
        live: s,
        float32,
        noClasses: `the model's signature (${sigUri}) names no output with class labels`,
        liveData,
      });
      if (s.skipped) measurement.skipped = skippedMessage(s)!;
      return measurement;
    });
  }

  /**
   * The reference profile's columns: the full profile in the artifact store (the exact edges
   * the server bins by), else the Dataset's compact status profile when the version is current
   * (its numbers may be rounded to fit the status, which can make edges differ from the server's).
   */
  async #referenceColumns(r: Resolved): Promise<ReferenceColumn[] | Blocked> {
    const uri = r.version.profileUri;
    const which = `Dataset ${r.dataset.metadata.name} version ${r.version.version}`;
    if (uri) {
      try {
        const chunks: Buffer[] = [];
        for await (const c of await this.#d.reader.open(uri)) chunks.push(c as Buffer);
        const profile = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { columns?: ReferenceColumn[] };
        if (!Array.isArray(profile.columns)) return { reason: Reasons.ReferenceNotFound, message: `the profile of ${which} at ${uri} has no columns list` };
        return profile.columns;
      } catch (err) {
        if (r.version.digest !== r.dataset.status?.currentVersion?.digest || !r.dataset.status?.columns) {
          return { reason: Reasons.ReferenceNotFound, message: `cannot read the profile of ${which} at ${uri}: ${errorText(err)}; check the operator's access to the artifact store` };
        }
      }
    }
    if (r.version.digest === r.dataset.status?.currentVersion?.digest && r.dataset.status?.columns) return r.dataset.status.columns;
    return { reason: Reasons.ReferenceNotFound, message: `${which} has no profile (profileUri) to compare with; re-ingest the Dataset or pin a version that has one` };
  }

  async #alert(dm: DriftMonitor, m: Measurement, r: Resolved, now: Date, next: Date | undefined): Promise<{ ok: boolean; message: string }> {
    const hook = dm.spec.actions!.webhook!;
    try {
      let authorization: string | undefined;
      if (hook.secretRef) authorization = await this.#secretValue(dm.metadata.namespace!, hook.secretRef.name, 'AUTHORIZATION');
      const alerts = driftAlerts(dm, m, { model: r.modelVersion.spec.model, modelVersion: r.modelVersion.metadata.name!, reference: { name: r.dataset.metadata.name!, version: r.version.version }, runTime: now, ...(next ? { next } : {}) });
      await postAlerts(hook.url, alerts, { ...(authorization ? { authorization } : {}), ...(this.#d.fetch ? { fetch: this.#d.fetch } : {}) });
      return { ok: true, message: `alert posted to ${hook.url} at ${now.toISOString()}` };
    } catch (err) {
      return { ok: false, message: `the drift alert could not be delivered (the run itself succeeded): ${errorText(err)}` };
    }
  }

  async #secretValue(namespace: string, name: string, key: string): Promise<string> {
    let secret: V1Secret;
    try {
      secret = (await this.#d.objects.read({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace } })) as V1Secret;
    } catch (err) {
      if (isNotFound(err)) throw new Error(`Secret ${name} (spec.actions.webhook.secretRef) does not exist in namespace ${namespace}`);
      throw err;
    }
    const value = secret.data?.[key];
    if (value === undefined) throw new Error(`Secret ${name} has no key ${key}`);
    return Buffer.from(value, 'base64').toString('utf8');
  }

  async #retrain(dm: DriftMonitor, jobs: readonly TrainingJob[], r: Resolved, runTime: Date, runKey: string | undefined, cooldownMs: number, now: Date, log: Logger): Promise<NonNullable<Observed['retraining']>> {
    const decision = decideRetrain(dm, jobs, cooldownMs, now);
    if (!decision.start) return { reason: decision.reason, message: decision.message };
    const job = desiredTrainingJob(dm, r.dataset.metadata.name!, runTime, runKey);
    const name = job.metadata.name!;
    const body = { ...job, metadata: { ...job.metadata, ownerReferences: [controllerRef(dm)] } };
    try {
      await this.#d.custom.createNamespacedCustomObject({ ...TRAINING_JOBS, namespace: dm.metadata.namespace!, body });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // The same run again (a restart before the status was written): the job is ours already.
      const live = (await this.#d.custom.getNamespacedCustomObject({ ...TRAINING_JOBS, namespace: dm.metadata.namespace!, name })) as TrainingJob;
      if (!isControlledBy(live, dm)) {
        const message = `TrainingJob ${name} already exists and is not managed by DriftMonitor ${dm.metadata.name}; delete or rename it`;
        await this.#d.events.record(dm, 'Warning', Reasons.ResourceExists, 'Retrain', message);
        return { reason: Reasons.ResourceExists, message };
      }
      return { reason: Reasons.RetrainingInFlight, message: `TrainingJob ${name} started by this monitor has not finished`, job: name, startedAt: runTime };
    }
    log.info({ child: `TrainingJob/${name}` }, 'started retraining');
    await this.#d.events.record(dm, 'Normal', Reasons.RetrainingStarted, 'Retrain', `created TrainingJob ${name} on Dataset ${r.dataset.metadata.name} (its current version) after drift`);
    return { reason: Reasons.RetrainingStarted, message: `created TrainingJob ${name} on the current version of Dataset ${r.dataset.metadata.name}`, job: name, startedAt: runTime };
  }
}

/** What a PredictionLog run read, in one line for status.liveData.message. */
function logMessage(uri: string, scope: { model: string; version: string }, s: LogSamples, read: LogRead, limits: LogLimits, unplaced: string[]): string {
  const parts = [`read ${read.lines} lines (${read.bytes} bytes, ${read.objects} ${read.objects === 1 ? 'object' : 'objects'}) of ${uri}, newest first: ${s.records} records (${s.rows} rows) of ${scope.model} version ${scope.version} in the window`];
  if (s.otherVersion) parts.push(`${s.otherVersion} records of other model versions left out`);
  if (s.outsideWindow) parts.push(`${s.outsideWindow} records outside the window left out`);
  if (s.skipped) parts.push(skippedMessage(s)!);
  if (read.limited) parts.push(`stopped at the per-run bound (${read.limitedBy === 'bytes' ? `${limits.maxBytes} bytes` : `${limits.maxRecords} records`}): older records of the window were not read`);
  if (unplaced.length) parts.push(`no input of the model's signature carries ${unplaced.join(', ')}`);
  const text = parts.join('; ');
  return text.length > 2000 ? `${text.slice(0, 1999)}…` : text;
}

/** A run's outcome from the measurement `take` makes: an expected failure (blockedBy) is a Failed run; anything else is logged and thrown, to be retried. */
async function outcomeOf(r: Resolved, log: Logger, take: () => Measurement | Promise<Measurement>): Promise<RunOutcome & { resolved?: Resolved }> {
  try {
    const measurement = await take();
    return { kind: 'measured', measurement, reference: { name: r.dataset.metadata.name!, version: r.version.version }, resolved: r };
  } catch (err) {
    const blocked = blockedBy(err);
    if (blocked) return { kind: 'failed', blocked };
    log.error({ err: errorText(err) }, 'drift measurement failed');
    throw err;
  }
}
