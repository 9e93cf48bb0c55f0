import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from './clock.ts';
import { WorkQueue } from './queue.ts';

function queue(clock = new FakeClock(), opts: Partial<ConstructorParameters<typeof WorkQueue>[0]> = {}) {
  return { clock, q: new WorkQueue({ clock, ...opts }) };
}

describe('WorkQueue', () => {
  it('hands out a key added many times only once', async () => {
    const { q } = queue();
    for (let i = 0; i < 5; i++) q.add('ns/a');
    q.add('ns/b');
    assert.equal(q.depth, 2);
    assert.equal(await q.get(), 'ns/a');
    assert.equal(await q.get(), 'ns/b');
    assert.equal(q.depth, 0);
  });

  it('never gives a key to a second worker while the first processes it, and reprocesses it after', async () => {
    const { q } = queue();
    q.add('ns/a');
    const first = await q.get();
    q.add('ns/a'); // an event arrives mid-reconcile
    assert.equal(q.depth, 0, 'not ready while being processed');
    let second: string | undefined;
    void q.get().then((k) => (second = k));
    await new Promise((r) => setImmediate(r));
    assert.equal(second, undefined);
    q.done(first!);
    await new Promise((r) => setImmediate(r));
    assert.equal(second, 'ns/a');
  });

  it('keeps the earliest of several delayed adds for one key', async () => {
    const { clock, q } = queue();
    q.addAfter('ns/a', 10_000);
    q.addAfter('ns/a', 1_000);
    q.addAfter('ns/a', 5_000);
    await clock.advance(999);
    assert.equal(q.depth, 0);
    await clock.advance(1);
    assert.equal(q.depth, 1);
    assert.equal(await q.get(), 'ns/a');
    q.done('ns/a');
    await clock.advance(20_000);
    assert.equal(q.depth, 0, 'the later delays were dropped');
  });

  const backoffCases: Array<{ failures: number; expectMs: number }> = [
    { failures: 1, expectMs: 5 },
    { failures: 2, expectMs: 10 },
    { failures: 3, expectMs: 20 },
    { failures: 10, expectMs: 2560 },
    { failures: 30, expectMs: 1_000_000 },
  ];
  for (const c of backoffCases) {
    it(`backs a key off ${c.expectMs} ms after ${c.failures} consecutive failures`, async () => {
      const { clock, q } = queue(new FakeClock(), { retryBurst: 1000, retryQps: 1000 });
      for (let i = 1; i < c.failures; i++) q.addRateLimited('ns/a'); // earlier failures
      // Drain earlier retries so only the last one is measured.
      await clock.advance(10 * 1_000_000);
      while (q.depth) q.done((await q.get())!);
      q.addRateLimited('ns/a');
      await clock.advance(c.expectMs - 1);
      assert.equal(q.depth, 0);
      await clock.advance(1);
      assert.equal(q.depth, 1);
    });
  }

  it('forgets a key\'s failures after a success', async () => {
    const { clock, q } = queue();
    q.addRateLimited('ns/a');
    q.addRateLimited('ns/a');
    assert.equal(q.retries('ns/a'), 2);
    q.forget('ns/a');
    assert.equal(q.retries('ns/a'), 0);
    await clock.advance(100);
  });

  it('limits retries overall with a token bucket across keys', async () => {
    const { clock, q } = queue(new FakeClock(), { retryQps: 10, retryBurst: 5 });
    for (let i = 0; i < 15; i++) q.addRateLimited(`ns/k${i}`);
    await clock.advance(5); // per-key backoff elapsed: only the burst is ready
    assert.equal(q.depth, 5);
    await clock.advance(500); // 10/s refills 5 more in half a second
    assert.equal(q.depth, 10);
    await clock.advance(500);
    assert.equal(q.depth, 15);
  });

  it('drains on shutdown: in-flight keys finish, no new key is handed out', async () => {
    const { clock, q } = queue();
    q.add('ns/a');
    q.add('ns/b');
    q.addAfter('ns/c', 1000);
    const inflight = await q.get();
    let drained = false;
    const drain = q.shutDownWithDrain().then(() => (drained = true));
    assert.equal(await q.get(), undefined, 'no new work after shutdown');
    q.add('ns/d');
    await clock.advance(2000);
    assert.equal(drained, false, 'waits for the in-flight key');
    q.done(inflight!);
    await drain;
    assert.equal(drained, true);
    assert.equal(clock.pendingTimers, 0, 'delayed adds cancelled');
  });

  it('reports latency from add to take', async () => {
    const seen: number[] = [];
    const { clock, q } = queue(new FakeClock(), { hooks: { taken: (ms) => seen.push(ms) } });
    q.add('ns/a');
    await clock.advance(250);
    await q.get();
    assert.deepEqual(seen, [250]);
  });
});
