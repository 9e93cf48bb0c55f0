// Access to the API server: a KubeConfig whose every request (API calls and watches) first
// takes a token from a client-side rate limiter, and helpers to read API errors precisely.
import { KubeConfig } from '@kubernetes/client-node';
import type { Clock } from './clock.ts';
import { TokenBucket } from './ratelimit.ts';

/** Tokens are taken in applySecurityAuthentication, which client-node calls once per request. */
export class RateLimitedKubeConfig extends KubeConfig {
  #bucket: TokenBucket | undefined;
  #clock: Clock | undefined;
  #onThrottle: ((waitMs: number) => void) | undefined;

  /** Limits requests to qps per second with bursts of up to burst (client-go: 20 and 30). */
  limit(qps: number, burst: number, clock: Clock, onThrottle?: (waitMs: number) => void): this {
    this.#bucket = new TokenBucket(qps, burst, clock);
    this.#clock = clock;
    this.#onThrottle = onThrottle;
    return this;
  }

  override async applySecurityAuthentication(context: Parameters<KubeConfig['applySecurityAuthentication']>[0]): Promise<void> {
    if (this.#bucket && this.#clock) {
      const wait = this.#bucket.reserve();
      if (wait > 0) {
        this.#onThrottle?.(wait);
        await this.#clock.sleep(wait);
      }
    }
    return super.applySecurityAuthentication(context);
  }
}

/** The HTTP status of an error from client-node, or undefined for a non-API error. */
export function statusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | null;
  if (e && typeof e.code === 'number') return e.code;
  if (e && typeof e.statusCode === 'number') return e.statusCode;
  return undefined;
}

export const isNotFound = (err: unknown): boolean => statusOf(err) === 404;
export const isConflict = (err: unknown): boolean => statusOf(err) === 409;
export const isAlreadyExists = (err: unknown): boolean => statusOf(err) === 409;

/** The API server's own message from an error body, for logs and conditions. */
export function apiMessage(err: unknown): string {
  const body = (err as { body?: unknown })?.body;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: string };
      if (parsed.message) return parsed.message;
    } catch {
      return body.slice(0, 500);
    }
  } else if (body && typeof body === 'object' && 'message' in body) {
    return String((body as { message: unknown }).message);
  }
  return err instanceof Error ? err.message : String(err);
}
