import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ColumnProfile } from '../api/v1alpha1/types.ts';
import type { IngestResult } from './ingest.ts';
import { TERMINATION_MESSAGE_LIMIT, failureMessage, successMessage } from './message.ts';

function result(columns: number): IngestResult {
  const col = (i: number): ColumnProfile => ({
    name: `feature_${i}`,
    type: 'number',
    nullFraction: 0.012345678901,
    min: -1.23456789,
    max: 98.7654321,
    mean: 12.3456789012,
    std: 3.45678901234,
    quantiles: { p05: 0.1234567, p25: 1.234567, p50: 12.34567, p75: 23.45678, p95: 45.67891 },
    histogram: { edges: Array.from({ length: 21 }, (_, k) => k * 5.0123456789), counts: Array.from({ length: 20 }, (_, k) => 1000 + k) },
  });
  return {
    ok: true,
    version: { version: 'abcdefabcdef', digest: `sha256:${'a'.repeat(64)}`, uri: 's3://b/x', rows: 10, createdAt: '2026-01-01T00:00:00Z' },
    sourceRows: 10,
    invalidRows: 0,
    reused: false,
    changed: true,
    columns: Array.from({ length: columns }, (_, i) => col(i)),
  };
}

describe('successMessage', () => {
  it('sends a small profile whole', () => {
    const m = JSON.parse(successMessage(result(1)));
    assert.equal(m.trimmed, undefined);
    assert.equal(m.columns[0].histogram.counts.length, 20);
  });
  for (const n of [6, 40, 600]) {
    it(`fits ${n} columns into ${TERMINATION_MESSAGE_LIMIT} bytes and says what it trimmed`, () => {
      const text = successMessage(result(n));
      assert.ok(Buffer.byteLength(text) <= TERMINATION_MESSAGE_LIMIT, `${Buffer.byteLength(text)} bytes`);
      const m = JSON.parse(text);
      assert.equal(m.version.version, 'abcdefabcdef');
      if (n > 6) assert.ok(m.trimmed.length > 0);
    });
  }
});

describe('failureMessage', () => {
  it('keeps as many failures as fit', () => {
    const failures = Array.from({ length: 200 }, (_, i) => ({ rule: 'min', column: `c${i}`, count: i, message: `c${i} min: ${i} rows below 0` }));
    const text = failureMessage({ ok: false, reason: 'ValidationFailed', message: 'x'.repeat(5000), exitCode: 3, failures });
    assert.ok(Buffer.byteLength(text) <= TERMINATION_MESSAGE_LIMIT);
    const m = JSON.parse(text);
    assert.equal(m.message.length, 1024);
    assert.ok(m.failures.length > 0 && m.failures.length < 200);
  });
});
