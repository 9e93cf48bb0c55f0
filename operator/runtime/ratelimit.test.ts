import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff } from './backoff.ts';
import { FakeClock } from './clock.ts';
import { TokenBucket } from './ratelimit.ts';

describe('TokenBucket', () => {
  it('lets a burst through, then spaces requests at the rate', async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket(20, 30, clock);
    const waits = Array.from({ length: 32 }, () => bucket.reserve());
    assert.deepEqual(waits.slice(0, 30), Array(30).fill(0));
    assert.equal(waits[30], 50);
    assert.equal(waits[31], 100);
    await clock.advance(1000);
    assert.equal(bucket.reserve(), 0, 'refilled after a second');
  });
  it('refuses a rate that cannot work', () => {
    assert.throws(() => new TokenBucket(0, 1, new FakeClock()), /qps > 0/);
  });
});

describe('Backoff', () => {
  it('doubles up to the cap and resets', () => {
    const b = new Backoff({ baseMs: 100, maxMs: 1000 });
    assert.deepEqual([b.next(), b.next(), b.next(), b.next(), b.next()], [100, 200, 400, 800, 1000]);
    b.reset();
    assert.equal(b.next(), 100);
  });
  it('adds up to the jitter fraction', () => {
    const b = new Backoff({ baseMs: 100, maxMs: 1000, jitter: 0.5, random: () => 1 });
    assert.equal(b.next(), 150);
    const low = new Backoff({ baseMs: 100, maxMs: 1000, jitter: 0.5, random: () => 0 });
    assert.equal(low.next(), 100);
  });
});
