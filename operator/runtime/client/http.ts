// The operator's HTTP client for the API server: JSON requests and watch streams over
// node:http(s) with keep-alive, every request (watches included) first taking a token from a
// client-side rate limiter. Errors carry the HTTP status as `code` and the raw body as `body`,
// the shape kube.ts's statusOf and apiMessage read.
import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import type { Clock } from '../clock.ts';
import { TokenBucket } from '../ratelimit.ts';
import type { KubeAccess } from './config.ts';

export type Query = Record<string, string | number | boolean | undefined>;

export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** The HTTP status. */
  readonly code: number;
  /** The response body as text (a Status object as JSON, usually). */
  readonly body: string;

  constructor(method: string, path: string, code: number, body: string) {
    let message = body;
    try {
      message = (JSON.parse(body) as { message?: string }).message ?? body;
    } catch {
      // not JSON: the text itself
    }
    super(`${method} ${path}: HTTP ${code}: ${message.slice(0, 500)}`);
    this.code = code;
    this.body = body;
  }
}

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
}

/** A watch event as the API server streams it. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: Record<string, unknown>;
}

function queryString(query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

/**
 * A response body as text, decoded as it arrives: a list page (about 1 MB) is never held
 * twice over as Buffer chunks and their concatenation, whose native memory RSS keeps.
 */
async function readText(res: http.IncomingMessage): Promise<string> {
  res.setEncoding('utf8');
  let text = '';
  for await (const chunk of res) text += chunk as string;
  return text;
}

/**
 * A request whose connection is silent this long fails (undici's default, which client-node's
 * requests had): a hung connection must not hold a reconcile forever. Watches are exempt;
 * ListWatch watches over them.
 */
const REQUEST_IDLE_TIMEOUT_MS = 300_000;

export class KubeClient {
  readonly #access: KubeAccess;
  readonly #url: URL;
  readonly #agent: http.Agent;
  #bucket: TokenBucket | undefined;
  #clock: Clock | undefined;
  #onThrottle: ((waitMs: number) => void) | undefined;

  constructor(access: KubeAccess) {
    this.#access = access;
    this.#url = new URL(access.server);
    const secure = this.#url.protocol === 'https:';
    this.#agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  }

  /** Limits requests to qps per second with bursts of up to burst (client-go: 20 and 30). */
  limit(qps: number, burst: number, clock: Clock, onThrottle?: (waitMs: number) => void): this {
    this.#bucket = new TokenBucket(qps, burst, clock);
    this.#clock = clock;
    this.#onThrottle = onThrottle;
    return this;
  }

  async #throttle(): Promise<void> {
    if (!this.#bucket || !this.#clock) return;
    const wait = this.#bucket.reserve();
    if (wait > 0) {
      this.#onThrottle?.(wait);
      await this.#clock.sleep(wait);
    }
  }

  async #send(method: string, path: string, opts: RequestOptions, signal?: AbortSignal, idleTimeoutMs?: number): Promise<http.IncomingMessage> {
    await this.#throttle();
    const headers: Record<string, string> = { Accept: 'application/json' };
    const authorization = await this.#access.authorization();
    if (authorization) headers.Authorization = authorization;
    let payload: Buffer | undefined;
    if (opts.body !== undefined) {
      payload = Buffer.from(JSON.stringify(opts.body));
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    const base = this.#url.pathname.replace(/\/+$/, '');
    const secure = this.#url.protocol === 'https:';
    const { ca, cert, key, rejectUnauthorized, servername } = this.#access.tls;
    const request = secure ? https.request : http.request;
    return await new Promise((resolve, reject) => {
      const req = request({
        protocol: this.#url.protocol,
        hostname: this.#url.hostname.replace(/^\[|\]$/g, ''),
        port: this.#url.port || (secure ? 443 : 80),
        path: `${base}${path}${queryString(opts.query)}`,
        method,
        headers,
        agent: this.#agent,
        ...(secure ? { ca, cert, key, rejectUnauthorized, ...(servername ? { servername } : {}) } : {}),
        ...(signal ? { signal } : {}),
      });
      if (idleTimeoutMs) req.setTimeout(idleTimeoutMs, () => req.destroy(new Error(`${method} ${path}: no answer for ${idleTimeoutMs / 1000} s`)));
      req.once('response', resolve);
      req.once('error', reject);
      req.end(payload);
    });
  }

  /** One request; the parsed JSON body of a 2xx answer, else an ApiError. */
  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.#send(method, path, opts, undefined, REQUEST_IDLE_TIMEOUT_MS);
    const text = await readText(res);
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw new ApiError(method, path, status, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /**
   * Opens a watch and calls onEvent for each event until the server ends the stream (done
   * with no error), the stream fails (done with it) or the signal aborts (done not called).
   * Resolves once the server has answered 200; rejects with an ApiError otherwise.
   */
  async watch(path: string, query: Query, signal: AbortSignal, onEvent: (e: WatchEvent) => void, done: (err?: unknown) => void): Promise<void> {
    const res = await this.#send('GET', path, { query: { ...query, watch: true } }, signal);
    const status = res.statusCode ?? 0;
    if (status !== 200) throw new ApiError('GET', path, status, await readText(res));
    let finished = false;
    const finish = (err?: unknown) => {
      if (finished || signal.aborted) return;
      finished = true;
      done(err);
    };
    const lines = createInterface({ input: res, crlfDelay: Infinity });
    lines.on('line', (line) => {
      if (finished || !line.trim()) return;
      let event: WatchEvent;
      try {
        event = JSON.parse(line) as WatchEvent;
      } catch (err) {
        res.destroy();
        finish(err);
        return;
      }
      onEvent(event);
    });
    res.once('error', (err) => finish(err));
    lines.once('error', (err) => finish(err));
    res.once('aborted', () => finish(new Error(`watch ${path}: connection aborted`)));
    lines.once('close', () => finish());
  }
}
