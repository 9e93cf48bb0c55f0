// A small client for Prometheus's instant-query API, shared by rollout analysis (one number per
// query) and drift monitoring: "no data" (empty vector, NaN) kept apart from errors, and
// Prometheus's own errorType/error in the message so a bad query reads as what it is.

/** One instant query's answer: a number, or no data (with why, for the message). */
export type QueryResult = { kind: 'value'; value: number } | { kind: 'noData'; why: string };

export interface PrometheusQuerier {
  /** Evaluates promql at `atMs` (ms since the epoch). Throws PrometheusError on any failure. */
  query(promql: string, atMs: number): Promise<QueryResult>;
}

/** One series of an instant vector: its labels (without __name__) and value. */
export interface VectorSample {
  labels: Record<string, string>;
  value: number;
}

export interface PrometheusVectorQuerier {
  /** Evaluates promql at `atMs` and returns every series (none: an empty list). Throws PrometheusError on any failure. */
  queryVector(promql: string, atMs: number): Promise<VectorSample[]>;
}

/**
 * Why a query failed. `BadQuery`: Prometheus refused the query itself (bad_data: a syntax
 * error, an unknown function) or its answer is not one number; repeating it will not help.
 * `Unavailable`: transport, timeout or a server-side failure; it may pass next time.
 */
export type PrometheusErrorCode = 'BadQuery' | 'Unavailable';

export class PrometheusError extends Error {
  readonly code: PrometheusErrorCode;
  /** Prometheus's errorType (bad_data, execution, timeout, …) when it answered one. */
  readonly errorType: string | undefined;
  constructor(code: PrometheusErrorCode, message: string, errorType?: string) {
    super(message);
    this.name = 'PrometheusError';
    this.code = code;
    this.errorType = errorType;
  }
}

export interface PrometheusClientOptions {
  /** Base URL, e.g. http://prometheus.monitoring:9090 (a path prefix is kept). */
  url: string;
  /** Per-query limit, sent to Prometheus as `timeout` too. Default 10 s. */
  timeoutMs?: number;
  /** For tests; default: the global fetch. */
  fetch?: typeof fetch;
}

export class PrometheusClient implements PrometheusQuerier, PrometheusVectorQuerier {
  readonly #base: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(opts: PrometheusClientOptions) {
    this.#base = opts.url.replace(/\/+$/, '');
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#fetch = opts.fetch ?? fetch;
  }

  async query(promql: string, atMs: number): Promise<QueryResult> {
    const { status, text } = await this.#get(promql, atMs);
    return parseQueryResponse(status, text, this.#base);
  }

  async queryVector(promql: string, atMs: number): Promise<VectorSample[]> {
    const { status, text } = await this.#get(promql, atMs);
    return parseVectorResponse(status, text, this.#base);
  }

  async #get(promql: string, atMs: number): Promise<{ status: number; text: string }> {
    const params = new URLSearchParams({ query: promql, time: (atMs / 1000).toFixed(3), timeout: `${Math.max(1, Math.floor(this.#timeoutMs / 1000))}s` });
    const url = `${this.#base}/api/v1/query?${params}`;
    let res: Response;
    let text: string;
    try {
      res = await this.#fetch(url, { signal: AbortSignal.timeout(this.#timeoutMs), headers: { accept: 'application/json' } });
      text = await res.text();
    } catch (err) {
      const e = err as Error;
      const why = e.name === 'TimeoutError' ? `no answer within ${this.#timeoutMs} ms` : `${e.message}${causeOf(e)}`;
      throw new PrometheusError('Unavailable', `Prometheus at ${this.#base}: ${why}`);
    }
    return { status: res.status, text };
  }
}

function causeOf(e: Error): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause ? ` (${cause.code ?? cause.message})` : '';
}

/** A sample value as Prometheus encodes it: a string, with NaN, +Inf and -Inf spelled out. */
export function parseSampleValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

interface ApiBody {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

/** The data of a successful answer; throws PrometheusError for anything else. */
function successData(httpStatus: number, text: string, where: string): ApiBody['data'] {
  let body: ApiBody;
  try {
    body = JSON.parse(text) as ApiBody;
  } catch {
    throw new PrometheusError('Unavailable', `Prometheus at ${where}: HTTP ${httpStatus}, not a Prometheus API answer: ${text.slice(0, 200)}`);
  }
  if (body.status !== 'success') {
    const errorType = body.errorType ?? 'unknown';
    // bad_data is the query's fault (400); execution/timeout/internal may pass on a retry.
    const code: PrometheusErrorCode = errorType === 'bad_data' ? 'BadQuery' : 'Unavailable';
    throw new PrometheusError(code, `Prometheus ${errorType} (HTTP ${httpStatus}): ${body.error ?? 'no error message'}`, errorType);
  }
  return body.data;
}

/** The answer of /api/v1/query, by HTTP status and body. Exported for unit tests. */
export function parseQueryResponse(httpStatus: number, text: string, where = 'Prometheus'): QueryResult {
  const data = successData(httpStatus, text, where);
  const type = data?.resultType;
  const result = data?.result;
  if (type === 'scalar') {
    const value = parseSampleValue((result as [number, string])[1]);
    return Number.isNaN(value) ? { kind: 'noData', why: 'the query returned NaN' } : { kind: 'value', value };
  }
  if (type === 'vector') {
    const series = result as { metric: Record<string, string>; value: [number, string] }[];
    if (series.length === 0) return { kind: 'noData', why: 'the query returned no series' };
    if (series.length > 1) {
      const shown = series.slice(0, 3).map((s) => labelsText(s.metric)).join(', ');
      throw new PrometheusError('BadQuery', `the query returned ${series.length} series (${shown}${series.length > 3 ? ', …' : ''}); it must return one number: aggregate it, e.g. with sum()`);
    }
    const value = parseSampleValue(series[0]!.value[1]);
    return Number.isNaN(value) ? { kind: 'noData', why: 'the query returned NaN (e.g. no requests in the window)' } : { kind: 'value', value };
  }
  throw new PrometheusError('BadQuery', `the query returned a ${type ?? 'missing'} result; it must return one number (an instant vector of one series, or a scalar)`);
}

/** Every series of an instant-vector answer; NaN values are kept (the caller decides). Exported for unit tests. */
export function parseVectorResponse(httpStatus: number, text: string, where = 'Prometheus'): VectorSample[] {
  const data = successData(httpStatus, text, where);
  if (data?.resultType !== 'vector') throw new PrometheusError('BadQuery', `the query returned a ${data?.resultType ?? 'missing'} result; it must return an instant vector`);
  return (data.result as { metric: Record<string, string>; value: [number, string] }[]).map((s) => {
    const { __name__: _name, ...labels } = s.metric;
    return { labels, value: parseSampleValue(s.value[1]) };
  });
}

function labelsText(metric: Record<string, string>): string {
  const { __name__: name = '', ...labels } = metric;
  const inner = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',');
  return `${name}{${inner}}`;
}
