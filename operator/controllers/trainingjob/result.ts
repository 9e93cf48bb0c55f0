// What a trainer container reports in its termination message (docs/contracts.md), read
// strictly: a message that breaks the contract is an error naming what is wrong.

export interface TrainerSuccess {
  status: 'Succeeded';
  task: 'classification' | 'regression';
  model: { uri: string; sha256: string; format?: string };
  signatureUri: string;
  metricsUri?: string;
  metrics: Record<string, number>;
  baselineMetrics: Record<string, number>;
  dataset?: { version?: string; sha256?: string };
  training?: { epochs?: number; bestEpoch?: number; device?: string; worldSize?: number; seconds?: number };
}

export interface TrainerFailure {
  status: 'Failed';
  reason: string;
  message: string;
  column?: string;
}

export type TrainerResult = TrainerSuccess | TrainerFailure;

export class ContractError extends Error {
  override readonly name = 'ContractError';
}

function numbers(v: unknown, what: string): Record<string, number> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ContractError(`${what} must be an object of numbers`);
  const out: Record<string, number> = {};
  // A metric that is undefined on the test split is null: it is left out, not zero.
  for (const [k, n] of Object.entries(v)) if (typeof n === 'number' && Number.isFinite(n)) out[k] = n;
  return out;
}

export function parseTerminationMessage(text: string | undefined): TrainerResult {
  if (!text?.trim()) throw new ContractError('the trainer left no termination message (docs/contracts.md: write one JSON object to the termination log)');
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new ContractError(`the termination message is not JSON: ${text.slice(0, 200)}`);
  }
  if (raw.status === 'Failed') {
    return {
      status: 'Failed',
      reason: typeof raw.reason === 'string' ? raw.reason : 'TrainerError',
      message: typeof raw.message === 'string' ? raw.message : 'the trainer failed without a message',
      ...(typeof raw.column === 'string' ? { column: raw.column } : {}),
    };
  }
  if (raw.status !== 'Succeeded') throw new ContractError(`the termination message's status must be Succeeded or Failed, got ${JSON.stringify(raw.status)}`);
  const model = raw.model as { uri?: unknown; sha256?: unknown; format?: unknown } | undefined;
  if (!model || typeof model.uri !== 'string' || typeof model.sha256 !== 'string' || !/^[a-f0-9]{64}$/.test(model.sha256)) {
    throw new ContractError('a successful run must report model.uri and model.sha256 (64 hex digits)');
  }
  if (typeof raw.signatureUri !== 'string') throw new ContractError('a successful run must report signatureUri');
  if (raw.task !== 'classification' && raw.task !== 'regression') throw new ContractError(`task must be classification or regression, got ${JSON.stringify(raw.task)}`);
  return {
    status: 'Succeeded',
    task: raw.task,
    model: { uri: model.uri, sha256: model.sha256, ...(typeof model.format === 'string' ? { format: model.format } : {}) },
    signatureUri: raw.signatureUri,
    ...(typeof raw.metricsUri === 'string' ? { metricsUri: raw.metricsUri } : {}),
    metrics: numbers(raw.metrics, 'metrics'),
    baselineMetrics: numbers(raw.baselineMetrics, 'baselineMetrics'),
    ...(raw.dataset && typeof raw.dataset === 'object' ? { dataset: raw.dataset as TrainerSuccess['dataset'] } : {}),
    ...(raw.training && typeof raw.training === 'object' ? { training: raw.training as TrainerSuccess['training'] } : {}),
  };
}

/** The headline metric for the printer column: accuracy for classifiers, rmse for regressors. */
export function primaryMetric(result: TrainerSuccess): string | undefined {
  const name = result.task === 'classification' ? 'accuracy' : 'rmse';
  const v = result.metrics[name];
  return v === undefined ? undefined : `${name}=${Number(v.toPrecision(3))}`;
}
