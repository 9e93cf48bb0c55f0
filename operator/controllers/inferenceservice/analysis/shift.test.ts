import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { realClock } from '../../../runtime/clock.ts';
import type { VectorSample } from '../../../prometheus/client.ts';
import { countsByOutput, largestShift, measureShift, MIN_PREDICTIONS } from './shift.ts';

const cls = (output: string, klass: string, value: number): VectorSample => ({ labels: { output, class: klass }, value });
const le = (output: string, edge: string, value: number): VectorSample => ({ labels: { output, le: edge }, value });

describe('prediction shift', () => {
  it('counts classes per output, and turns cumulative histogram buckets into bins', () => {
    assert.deepEqual([...countsByOutput([cls('label', 'sun', 3), cls('label', 'rain', 1)], 'class').get('label')!], [['sun', 3], ['rain', 1]]);
    const bins = countsByOutput([le('y', '1', 2), le('y', '+Inf', 10), le('y', '0.5', 1)], 'le').get('y')!;
    assert.deepEqual([...bins], [['0.5', 1], ['1', 1], ['+Inf', 8]]);
  });

  it('is 0 for the same distribution, and the largest over outputs otherwise', () => {
    const a = countsByOutput([cls('label', 'sun', 50), cls('label', 'rain', 50)], 'class');
    assert.equal(largestShift(a, a)!.distance, 0);
    const b = countsByOutput([cls('label', 'sun', 100), cls('label', 'rain', 0)], 'class');
    const shift = largestShift(b, a)!;
    assert.ok(shift.distance > 0.4 && shift.distance < 0.6, String(shift.distance));
    assert.equal(shift.samples, 100);
    assert.equal(largestShift(new Map(), a), undefined);
  });

  it('judges too few predictions as no data, and a large distance as Failed', async () => {
    const answer = (n: number, skew: boolean) => [cls('label', 'sun', skew ? n : n / 2), cls('label', 'rain', skew ? 0 : n / 2)];
    const run = (n: number) =>
      measureShift({
        analysis: { window: '1m' },
        max: 0.1,
        canary: { name: 'w-b', model: 'w', version: '2' },
        stable: { name: 'w-a', model: 'w', version: '1' },
        step: 0,
        clock: realClock,
        prometheus: { queryVector: async (q: string) => (q.includes('version="2"') ? answer(n, true) : answer(n, false)) },
      });
    const few = await run(MIN_PREDICTIONS - 1);
    assert.equal(few.result, 'Inconclusive');
    assert.match(few.message!, /only 99 predictions in the window/);
    const many = await run(1000);
    assert.equal(many.result, 'Failed');
    assert.equal(many.metric, 'prediction-shift');
    assert.match(many.query!, /sum by \(output, class\) \(increase\(modelops_prediction_class_total\{model="w",version="2"\}\[60s\]\)\)/);
  });
});
