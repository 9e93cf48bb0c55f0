// The event-loop slices: tasks run in order, settle their promises, and a long queue gives the
// loop back between slices (an immediate queued by the first task runs before the last task).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Slices } from '../src/slices.ts';

function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* busy, like a JSON parse */ }
}

describe('Slices', () => {
  it('runs tasks in order and settles each promise with its result or its throw', async () => {
    const slices = new Slices(1);
    const order: number[] = [];
    const results = await Promise.allSettled([
      slices.run(() => { order.push(1); return 'a'; }),
      slices.run(() => { order.push(2); throw new Error('bad request'); }),
      slices.run(() => { order.push(3); return Promise.resolve('c'); }),
    ]);
    assert.deepEqual(order, [1, 2, 3]);
    assert.deepEqual(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)), ['a', 'bad request', 'c']);
    assert.equal(slices.pending, 0);
  });

  it('gives the loop back once a slice has used its budget', async () => {
    const slices = new Slices(1);
    let done = 0;
    let doneWhenLoopRan = -1;
    const tasks = Array.from({ length: 20 }, (_, i) => slices.run(() => {
      if (i === 0) setImmediate(() => { doneWhenLoopRan = done; });
      spin(0.25);
      done++;
    }));
    await Promise.all(tasks);
    assert.equal(done, 20);
    assert.ok(doneWhenLoopRan >= 1 && doneWhenLoopRan < 20, `the loop ran after ${doneWhenLoopRan} of 20 tasks of 0.25 ms with a 1 ms budget`);
  });

  it('runs one task per slice at least, even one longer than the budget', async () => {
    const slices = new Slices(0);
    let done = 0;
    let doneWhenLoopRan = -1;
    await Promise.all([
      slices.run(() => { setImmediate(() => { doneWhenLoopRan = done; }); spin(1); done++; }),
      slices.run(() => { done++; }),
    ]);
    assert.equal(doneWhenLoopRan, 1);
  });

  it('starts again after going idle', async () => {
    const slices = new Slices(1);
    assert.equal(await slices.run(() => 1), 1);
    await new Promise((r) => setImmediate(r));
    assert.equal(await slices.run(() => 2), 2);
  });
});
