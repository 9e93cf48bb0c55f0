// The DriftMonitor's status as a pure function of the previous status, what this reconcile
// observed (a run's result or why it could not run, the schedule, the retraining decision and
// the webhook outcome) and the clock.
import type { DatasetReference, DriftMonitor, DriftMonitorStatus, FeatureDrift } from '../../api/v1alpha1/types.ts';
import { setCondition } from '../../runtime/conditions.ts';
import { Reasons } from '../../runtime/events.ts';
import type { Reason } from '../../runtime/events.ts';
import type { Measurement } from './measure.ts';
import type { Blocked } from './reference.ts';

/** Runs kept in status.history, newest first. */
export const HISTORY_LIMIT = 20;

export type RunOutcome = { kind: 'measured'; measurement: Measurement; reference: DatasetReference } | { kind: 'failed'; blocked: Blocked };

export interface Observed {
  /** The run annotation's value this reconcile's run answers. */
  runRequest?: string;
  /** The run done in this reconcile, if one was due. */
  run?: { time: Date; outcome: RunOutcome };
  /** The next scheduled run; absent while suspended. */
  next?: Date;
  suspended?: boolean;
  /** The spec cannot be acted on (bad schedule, window, unsupported source). */
  invalid?: string;
  /** What the retraining action decided in this reconcile or, without a run, what blocks one now. */
  retraining?: { reason: Reason; message: string; job?: string; startedAt?: Date };
  /** The webhook call of this run. */
  webhook?: { ok: boolean; message: string };
}

function iso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function describeFeature(f: FeatureDrift): string {
  const value = f.pValue !== undefined ? `p=${f.pValue.toPrecision(3)}` : f.statistic !== undefined ? f.statistic.toPrecision(3) : 'n/a';
  return `${f.name} (${f.method} ${value}, threshold ${f.threshold})`;
}

/** A one-line summary of a measurement, for conditions and events. */
export function summary(m: Measurement): string {
  const judged = [...m.features, ...(m.prediction ? [m.prediction] : [])];
  const drifted = judged.filter((f) => f.verdict === 'Drift');
  const short = judged.filter((f) => f.verdict === 'InsufficientData');
  const parts = [`${drifted.length} of ${judged.length - short.length} features drifted (share ${m.dataset.driftedShare.toFixed(2)})`];
  if (drifted.length) parts.push(`drifted: ${drifted.map(describeFeature).join(', ')}`);
  if (short.length) parts.push(`too few live samples: ${short.map((f) => `${f.name} (${f.samples})`).join(', ')}`);
  return parts.join('; ');
}

/** Where the live samples came from, for the Ready message: nothing more for Metrics (the long-standing source). */
function liveSummary(m: Measurement): string {
  const l = m.live;
  if (l.source !== 'PredictionLog') return '';
  return `, exact samples from the prediction log (${l.records ?? 0} records, ${l.rows ?? 0} rows${l.skippedLines ? `, ${l.skippedLines} invalid lines skipped` : ''}${l.limited ? ', cut at the per-run bound' : ''})`;
}

export function computeStatus(dm: DriftMonitor, observed: Observed, now: Date): DriftMonitorStatus {
  const prev = dm.status ?? {};
  const gen = dm.metadata.generation;
  const status: DriftMonitorStatus = { ...prev, ...(gen !== undefined ? { observedGeneration: gen } : {}) };
  let conditions = prev.conditions ?? [];
  const set = (type: string, s: 'True' | 'False' | 'Unknown', reason: string, message: string) => (conditions = setCondition(conditions, { type, status: s, reason, message }, now, gen));

  if (observed.runRequest) status.lastRunRequest = observed.runRequest;
  if (observed.next) status.nextRunTime = iso(observed.next);
  else delete status.nextRunTime;

  const run = observed.run;
  if (run) {
    status.lastRunTime = iso(run.time);
    if (run.outcome.kind === 'measured') {
      const m = run.outcome.measurement;
      status.phase = m.dataset.verdict;
      status.drifted = m.dataset.drifted;
      status.driftedShare = m.dataset.driftedShare;
      status.referenceDataset = run.outcome.reference;
      status.features = m.features;
      status.liveData = m.live;
      if (m.prediction) status.prediction = m.prediction;
      else delete status.prediction;
      const text = summary(m);
      set('Ready', 'True', Reasons.Measured, `last run compared ${m.features.length} features with Dataset ${run.outcome.reference.name} version ${run.outcome.reference.version}${liveSummary(m)}${m.predictionSkipped ? `; no prediction drift: ${m.predictionSkipped}` : ''}`);
      const reason = m.dataset.verdict === 'Drifted' ? Reasons.DriftDetected : m.dataset.verdict === 'NoDrift' ? Reasons.NoDrift : Reasons.InsufficientData;
      set('Drifted', m.dataset.verdict === 'Drifted' ? 'True' : m.dataset.verdict === 'NoDrift' ? 'False' : 'Unknown', reason, text);
    } else {
      status.phase = 'Failed';
      set('Ready', 'False', run.outcome.blocked.reason, run.outcome.blocked.message);
      set('Drifted', 'Unknown', run.outcome.blocked.reason, 'the last run could not measure drift; see the Ready condition');
    }
    const entry: NonNullable<DriftMonitorStatus['history']>[number] = { time: iso(run.time), verdict: status.phase === 'Failed' ? 'Failed' : (status.phase as 'NoDrift' | 'Drifted' | 'InsufficientData') };
    if (run.outcome.kind === 'measured') entry.driftedShare = run.outcome.measurement.dataset.driftedShare;
    status.history = [entry, ...(prev.history ?? [])].slice(0, HISTORY_LIMIT);
  }

  if (observed.invalid) {
    status.phase = 'Failed';
    set('Ready', 'False', Reasons.InvalidSpec, observed.invalid);
  } else if (observed.suspended) {
    set('Scheduled', 'False', Reasons.Suspended, 'spec.suspend is true: no runs are scheduled');
  } else if (observed.next) {
    set('Scheduled', 'True', 'Scheduled', `next run at ${iso(observed.next)}`);
  }
  status.phase ??= 'Pending';

  const r = observed.retraining;
  if (r) {
    set('Retraining', r.reason === Reasons.RetrainingStarted || r.reason === Reasons.RetrainingInFlight ? 'True' : 'False', r.reason, r.message);
    if (r.job) status.retrainingJob = r.job;
    if (r.startedAt) status.lastRetrainTime = iso(r.startedAt);
  }
  if (observed.webhook) set('Alerted', observed.webhook.ok ? 'True' : 'False', observed.webhook.ok ? Reasons.AlertSent : Reasons.WebhookFailed, observed.webhook.message);

  status.conditions = conditions;
  return status;
}
