// The webhook alert of a drifted run, in the shape Alertmanager's API takes (POST
// /api/v2/alerts: an array of alerts with labels, annotations and startsAt), so the URL can be
// Alertmanager itself or anything that understands it. Delivery never fails the run.
import type { DriftMonitor } from '../../api/v1alpha1/types.ts';
import type { Measurement } from './measure.ts';
import { summary } from './status.ts';

export interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  /** Ends with the next scheduled run: a drift that persists is posted again and stays firing. */
  endsAt?: string;
}

export interface AlertContext {
  model: string;
  modelVersion: string;
  reference: { name: string; version: string };
  runTime: Date;
  next?: Date;
}

export function driftAlerts(dm: DriftMonitor, m: Measurement, ctx: AlertContext): Alert[] {
  const drifted = [...m.features, ...(m.prediction ? [m.prediction] : [])].filter((f) => f.verdict === 'Drift').map((f) => f.name);
  const alert: Alert = {
    labels: {
      alertname: 'ModelDriftDetected',
      severity: 'warning',
      namespace: dm.metadata.namespace!,
      driftmonitor: dm.metadata.name!,
      inferenceservice: dm.spec.targetRef.name,
      model: ctx.model,
      modelversion: ctx.modelVersion,
    },
    annotations: {
      summary: `Data drift on InferenceService ${dm.spec.targetRef.name} (${ctx.modelVersion}): ${drifted.length} feature${drifted.length === 1 ? '' : 's'} drifted`,
      description: `${summary(m)}. Reference: Dataset ${ctx.reference.name} version ${ctx.reference.version}.`,
      drifted_features: drifted.join(','),
      drifted_share: String(m.dataset.driftedShare),
    },
    startsAt: ctx.runTime.toISOString(),
  };
  if (ctx.next) alert.endsAt = ctx.next.toISOString();
  return [alert];
}

export class WebhookError extends Error {
  override readonly name = 'WebhookError';
}

/** POSTs the alerts as JSON. Throws WebhookError with what went wrong (transport, timeout, non-2xx status). */
export async function postAlerts(url: string, alerts: Alert[], opts: { authorization?: string; timeoutMs?: number; fetch?: typeof fetch } = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.authorization) headers.authorization = opts.authorization;
  let res: Response;
  try {
    res = await (opts.fetch ?? fetch)(url, { method: 'POST', headers, body: JSON.stringify(alerts), signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : `${e.message}${e.cause ? ` (${e.cause.code ?? e.cause.message})` : ''}`;
    throw new WebhookError(`POST ${url}: ${why}`);
  }
  const text = await res.text().catch(() => '');
  if (!res.ok) throw new WebhookError(`POST ${url}: HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`);
}
