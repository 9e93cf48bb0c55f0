import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DriftMonitor, ModelSignature } from '../../api/v1alpha1/types.ts';
import { sortedSample } from '../../drift/inputs.ts';
import { NUMERIC_FEATURES, reference as scipy, seattleWeather } from '../../drift/testdata/fixture.ts';
import { measureFromLog } from './measure.ts';
import { LogAccumulator, logLayout, parseLine, skippedMessage } from './predictionlog.ts';
import type { LogLayout } from './predictionlog.ts';

// The classifier fixture's signature.json (runtime-images/server/test/fixtures/models/classifier).
const serverSignature = {
  inputs: [
    { name: 'x', datatype: 'FP32', shape: [-1, 4], features: ['precipitation', 'temp_max', 'temp_min', 'wind'] },
    { name: 'month', datatype: 'INT64', shape: [-1, 1], features: ['month'], categorical: true },
  ],
  outputs: [
    { name: 'label', datatype: 'INT64', shape: [-1], classLabels: ['drizzle', 'fog', 'rain', 'snow', 'sun'] },
    { name: 'probabilities', datatype: 'FP32', shape: [-1, 5] },
  ],
};
const mvSignature: ModelSignature = {
  inputs: [
    { name: 'x', datatype: 'FP32', shape: [-1, 4] },
    { name: 'month', datatype: 'INT64', shape: [-1, 1], feature: 'month' },
  ],
  outputs: [{ name: 'label', datatype: 'INT64', shape: [-1] }],
};

const T0 = Date.parse('2026-12-01T10:00:00Z');
const scope = { model: 'weather', version: '3', fromMs: T0 - 3_600_000, toMs: T0 };

function line(rows: number[][], months: number[], labels: number[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    time: new Date(T0 - 60_000).toISOString(),
    request_id: 'r',
    model: 'weather',
    version: '3',
    protocol: 'v2',
    inputs: { x: { datatype: 'FP32', shape: [rows.length, 4], data: rows.flat() }, month: { datatype: 'INT64', shape: [months.length, 1], data: months } },
    outputs: { label: { datatype: 'INT64', shape: [labels.length], data: labels } },
    ...extra,
  });
}

describe('logLayout', () => {
  it('takes the columns of a multi-feature input and the class labels from the server\'s signature.json', () => {
    const l = logLayout(['temp_max', 'month'], mvSignature, serverSignature);
    assert.deepEqual(l.slots.get('temp_max'), { feature: 'temp_max', input: 'x', column: 1, datatype: 'FP32' });
    assert.deepEqual(l.slots.get('month'), { feature: 'month', input: 'month', column: 0, datatype: 'INT64' });
    assert.deepEqual(l.classOutput, { output: 'label', labels: ['drizzle', 'fog', 'rain', 'snow', 'sun'] });
  });

  it('reads the trainer\'s form: one input per column, named by it, top-level class labels for the label output', () => {
    const trainer = { inputs: [{ name: 'wind', dtype: 'float32', shape: [-1, 1] }], outputs: [{ name: 'label', dtype: 'string', shape: [-1] }], classLabels: ['rain', 'sun'] };
    const l = logLayout(['wind'], undefined, trainer);
    assert.deepEqual(l.slots.get('wind'), { feature: 'wind', input: 'wind', column: 0, datatype: 'FP32' });
    assert.deepEqual(l.classOutput, { output: 'label', labels: ['rain', 'sun'] });
  });

  it('without signature.json: the ModelVersion\'s feature per input, then an input named as the feature', () => {
    const l = logLayout(['month', 'x', 'humidity'], mvSignature, undefined);
    assert.equal(l.slots.get('month')?.input, 'month');
    assert.equal(l.slots.get('x')?.input, 'x');
    assert.equal(l.slots.has('humidity'), false);
    assert.equal(l.classOutput, undefined);
  });
});

describe('parseLine', () => {
  const table: [string, string, RegExp][] = [
    ['a line that is not JSON', '{"time": "2026-12-01T09:59:00Z", "inp', /^not JSON/],
    ['an array', '[1,2]', /not a JSON object/],
    ['no time', '{"model":"weather","version":"3","inputs":{}}', /no "time"/],
    ['a time that is not one', '{"time":"yesterday","model":"weather","version":"3","inputs":{}}', /"yesterday" is not a timestamp/],
    ['no inputs', '{"time":"2026-12-01T09:59:00Z","model":"weather","version":"3"}', /no "inputs"/],
    ['values that are not whole rows', '{"time":"2026-12-01T09:59:00Z","model":"weather","version":"3","inputs":{"x":{"shape":[2,4],"data":[1,2,3]}}}', /inputs.x has 3 values, not whole rows of shape \[2,4\]/],
  ];
  for (const [what, text, reason] of table) it(`refuses ${what}`, () => assert.match(parseLine(text) as string, reason));

  it('reads a server record', () => {
    const r = parseLine(line([[0, 12.8, 5, 4.7]], [3], [4]));
    assert.ok(typeof r === 'object');
    assert.equal(r.version, '3');
    assert.deepEqual(r.inputs.x!.data, [0, 12.8, 5, 4.7]);
  });
});

describe('LogAccumulator', () => {
  const layout: LogLayout = logLayout(['precipitation', 'temp_max', 'month'], mvSignature, serverSignature);

  it('takes every row of a batch, numeric values per feature, categories and predicted classes as counts', () => {
    const acc = new LogAccumulator(scope, layout, new Set(['month']));
    acc.add(line([[0, 12.8, 5, 4.7], [1.5, 8.9, 2.8, 6.1]], [3, 12], [4, 2]), 'a line 1');
    acc.add(line([[null as unknown as number, 7.2, 1.1, 2]], [12], [9]), 'a line 2');
    const s = acc.samples;
    assert.deepEqual(s.numeric.get('temp_max'), [12.8, 8.9, 7.2]);
    assert.deepEqual(s.numeric.get('precipitation'), [0, 1.5, Number.NaN], 'null (a NaN the server logged) is a missing value');
    assert.deepEqual([...s.categorical.get('month')!], [['3', 1], ['12', 2]]);
    assert.deepEqual([...s.predictions!], [['sun', 1], ['rain', 1], ['__other__', 1]], 'an index without a label is __other__');
    assert.equal(s.records, 2);
    assert.equal(s.rows, 3);
  });

  it('leaves out other model versions and records outside the window; skips and counts invalid lines with where and why', () => {
    const acc = new LogAccumulator(scope, layout, new Set(['month']));
    acc.add(line([[0, 1, 1, 1]], [1], [0], { version: '2' }), 'o line 1');
    acc.add(line([[0, 1, 1, 1]], [1], [0], { time: new Date(T0 - 7_200_000).toISOString() }), 'o line 2');
    acc.add('', 'o line 3');
    acc.add('{"time": "2026-12-01T09:59:00Z", "model": "weather", "ver', 's3://logs/w/2026-12-01/h-1-000001.jsonl line 4');
    acc.add('garbage', 's3://logs/w/2026-12-01/h-1-000001.jsonl line 5');
    const s = acc.samples;
    assert.equal(s.records, 0);
    assert.equal(s.otherVersion, 1);
    assert.equal(s.outsideWindow, 1);
    assert.equal(s.lines, 4, 'empty lines are not counted');
    assert.equal(s.skipped, 2);
    assert.match(skippedMessage(s)!, /^skipped 2 of 4 lines of the prediction log that are not valid prediction records: s3:\/\/logs\/w\/2026-12-01\/h-1-000001\.jsonl line 4: not JSON .*; s3:\/\/logs\/w\/2026-12-01\/h-1-000001\.jsonl line 5: not JSON/);
  });
});

describe('measureFromLog', () => {
  const dm: DriftMonitor = { apiVersion: 'modelops.dev/v1alpha1', kind: 'DriftMonitor', metadata: { name: 'm', namespace: 'ns' }, spec: { targetRef: { name: 'weather' }, schedule: '@hourly', predictionDrift: false } };
  const data = seattleWeather();
  const { referenceRows, liveRows, numeric } = scipy.scenarios.holdout;
  const columns = NUMERIC_FEATURES.map((name) => ({ name, type: 'number' as const, histogram: { edges: numeric[name]!.edges, counts: numeric[name]!.referenceBins } }));

  it('on the Seattle held-out split gives scipy\'s exact KS, with the live side logged as float32 (the reference rounded alike)', () => {
    const acc = new LogAccumulator(scope, logLayout([...NUMERIC_FEATURES], mvSignature, serverSignature), new Set());
    // Batches of 32 rows as float32, as the server logs an FP32 input.
    for (let i = 0; i < liveRows.length; i += 32) {
      const rows = liveRows.slice(i, i + 32).map((k) => NUMERIC_FEATURES.map((f) => Math.fround(data.numeric[f]![k]!)));
      acc.add(line(rows, rows.map(() => 6), rows.map(() => 4)), `line ${i / 32 + 1}`);
    }
    const reference = { numeric: new Map(NUMERIC_FEATURES.map((f) => [f, sortedSample(referenceRows.map((k) => data.numeric[f]![k]!))])), categorical: new Map(), rows: referenceRows.length, sampled: false };
    const m = measureFromLog({ dm, features: [...NUMERIC_FEATURES], columns, target: undefined, reference, live: acc.samples, float32: new Set(NUMERIC_FEATURES), liveData: { source: 'PredictionLog' } });
    assert.equal(m.dataset.verdict, 'NoDrift');
    for (const f of m.features) {
      const want = numeric[f.name]!.ks;
      assert.equal(f.method, 'KS');
      assert.equal(f.samples, liveRows.length);
      assert.ok(Math.abs(f.statistic! - want.statistic) < 1e-12, `${f.name}: D ${f.statistic} vs scipy ${want.statistic}`);
      assert.ok(Math.abs(f.pValue! - want.pValue) <= 1e-9 * want.pValue, `${f.name}: p ${f.pValue} vs scipy ${want.pValue}`);
    }
  });
});
