// Leader election on a coordination.k8s.io/v1 Lease, after client-go's leaderelection: try to
// acquire or renew every retry period; a leader that cannot renew within the renew deadline
// stops leading *before* the lease (longer) lapses, so two leaders never reconcile at once.
// Expiry is judged by when this process last saw the record change, not by the holder's
// clock.
import { isDeepStrictEqual } from 'node:util';
import type { V1Lease } from '@kubernetes/client-node';
import type { LeasesApi } from './client/apis.ts';
import { microTime } from './clock.ts';
import type { Clock } from './clock.ts';
import { isConflict, isNotFound } from './kube.ts';
import { errorText } from './log.ts';
import type { Logger } from './log.ts';

export interface LeaderElectionOptions {
  api: LeasesApi;
  namespace: string;
  name: string;
  identity: string;
  clock: Clock;
  log: Logger;
  /** Defaults as client-go: 15 s lease, 10 s renew deadline, 2 s retry period. */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

interface Record {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  leaseTransitions?: number;
  acquireTime?: string;
  renewTime?: string;
}

export class LeaderElector {
  readonly #o: Required<LeaderElectionOptions>;
  #observed: Record | undefined;
  #observedAt = 0;
  #leading = false;
  #stopped = false;

  constructor(opts: LeaderElectionOptions) {
    if ((opts.renewDeadlineMs ?? 10_000) >= (opts.leaseDurationMs ?? 15_000)) {
      throw new Error('the renew deadline must be shorter than the lease duration');
    }
    this.#o = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, ...opts };
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  /**
   * Blocks until this process leads, then runs `lead` and keeps renewing. Resolves when
   * leadership is lost (after `lead`'s abort signal fired) or stop() was called.
   */
  async run(lead: (signal: AbortSignal) => void): Promise<'lost' | 'stopped'> {
    const { clock, log, retryPeriodMs, renewDeadlineMs } = this.#o;
    while (!this.#stopped && !(await this.#tryAcquireOrRenew())) await clock.sleep(retryPeriodMs * (1 + Math.random() * 0.2));
    if (this.#stopped) return 'stopped';
    this.#leading = true;
    log.info({ lease: `${this.#o.namespace}/${this.#o.name}`, identity: this.#o.identity }, 'became leader');
    const controller = new AbortController();
    lead(controller.signal);
    let lastRenew = clock.now();
    while (!this.#stopped) {
      await clock.sleep(retryPeriodMs);
      if (this.#stopped) break;
      if (await this.#tryAcquireOrRenew()) {
        lastRenew = clock.now();
      } else if (clock.now() - lastRenew >= renewDeadlineMs) {
        this.#leading = false;
        log.error({ lease: `${this.#o.namespace}/${this.#o.name}` }, 'could not renew the lease within the renew deadline; stopping leadership');
        controller.abort();
        return 'lost';
      }
    }
    controller.abort();
    return 'stopped';
  }

  /** Stops renewing and, if leading, releases the lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (!this.#leading) return;
    this.#leading = false;
    try {
      const lease = await this.#o.api.readNamespacedLease({ name: this.#o.name, namespace: this.#o.namespace });
      if (lease.spec?.holderIdentity !== this.#o.identity) return;
      lease.spec = { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 };
      await this.#o.api.replaceNamespacedLease({ name: this.#o.name, namespace: this.#o.namespace, body: lease });
      this.#o.log.info({ lease: `${this.#o.namespace}/${this.#o.name}` }, 'released the lease');
    } catch (err) {
      this.#o.log.warn({ err: errorText(err) }, 'could not release the lease; it expires by itself');
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { api, namespace, name, identity, clock, leaseDurationMs, log } = this.#o;
    const now = clock.now();
    const mine: Record = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    let lease: V1Lease;
    try {
      lease = await api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (!isNotFound(err)) {
        log.warn({ err: errorText(err) }, 'could not read the lease');
        return false;
      }
      try {
        await api.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec: mine as V1Lease['spec'] } });
        this.#observe(mine, now);
        return true;
      } catch (e) {
        if (!isConflict(e)) log.warn({ err: errorText(e) }, 'could not create the lease');
        return false;
      }
    }
    const current = (lease.spec ?? {}) as Record;
    const comparable = { ...current, acquireTime: String(current.acquireTime ?? ''), renewTime: String(current.renewTime ?? '') };
    if (!this.#observed || !isDeepStrictEqual(this.#observed, comparable)) this.#observe(comparable, now);
    const held = current.holderIdentity && current.holderIdentity !== identity;
    const expired = this.#observedAt + (current.leaseDurationSeconds ?? 0) * 1000 <= now;
    if (held && !expired) return false;

    const renewing = current.holderIdentity === identity;
    const next: Record = {
      ...mine,
      acquireTime: renewing && current.acquireTime ? String(current.acquireTime) : mine.acquireTime,
      leaseTransitions: (current.leaseTransitions ?? 0) + (renewing ? 0 : 1),
    };
    try {
      lease.spec = next as V1Lease['spec'];
      await api.replaceNamespacedLease({ name, namespace, body: lease });
      this.#observe(next, now);
      return true;
    } catch (err) {
      if (!isConflict(err)) log.warn({ err: errorText(err) }, 'could not update the lease');
      return false;
    }
  }

  #observe(record: Record, now: number): void {
    this.#observed = record;
    this.#observedAt = now;
  }
}
