import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DatasetSpec } from '../api/v1alpha1/types.ts';
import { loadIngestConfig } from './config.ts';
import { ingestEnvironment, parseIngestResult } from './contract.ts';
import type { IngestResult } from './ingest.ts';
import { failureMessage, successMessage } from './message.ts';

const spec: DatasetSpec = {
  source: { uri: 's3://data/weather.csv', format: 'csv' },
  schema: { columns: [{ name: 'temp', type: 'number', min: -30 }] },
  validation: { minRows: 10 },
  refresh: { schedule: '@daily' },
};

describe('the ingest contract, both sides', () => {
  it('the environment the reconciler builds is the configuration the command reads', () => {
    const env = Object.fromEntries(
      ingestEnvironment({ namespace: 'ml', name: 'weather', spec, artifactStore: 's3://artifacts', previousDigest: `sha256:${'a'.repeat(64)}` }).map((e) => [e.name, e.value]),
    );
    const config = loadIngestConfig(env);
    assert.equal(config.namespace, 'ml');
    assert.equal(config.dataset, 'weather');
    assert.equal(config.artifactStore, 's3://artifacts');
    assert.equal(config.previousDigest, `sha256:${'a'.repeat(64)}`);
    assert.deepEqual(config.spec.schema, spec.schema);
    assert.deepEqual(config.spec.validation, spec.validation);
    assert.equal((config.spec as { refresh?: unknown }).refresh, undefined);
  });

  it('the reconciler parses what the command reports on success', () => {
    const result: IngestResult = {
      ok: true,
      version: { version: 'abcdefabcdef', digest: `sha256:${'ab'.repeat(32)}`, uri: 's3://a/b', profileUri: 's3://a/p', rows: 3, bytes: 10, createdAt: '2026-01-01T00:00:00Z' },
      sourceRows: 4,
      invalidRows: 1,
      reused: false,
      changed: true,
      columns: [{ name: 'temp', type: 'number', nullFraction: 0 }],
    };
    assert.deepEqual(parseIngestResult(successMessage(result)), result);
  });

  it('the reconciler parses what the command reports on failure', () => {
    const text = failureMessage({ ok: false, reason: 'ValidationFailed', message: 'minRows: 3 rows valid, at least 10 required', exitCode: 3, failures: [{ rule: 'minRows', count: 3, message: 'x' }] });
    const parsed = parseIngestResult(text);
    assert.equal(parsed?.ok, false);
    assert.equal(parsed?.ok === false && parsed.reason, 'ValidationFailed');
  });

  for (const [name, text] of [
    ['nothing', undefined],
    ['text that is not JSON', 'Error: killed'],
    ['a success without a version', '{"ok":true,"columns":[]}'],
    ['JSON of another shape', '{"hello":1}'],
  ] as const) {
    it(`the reconciler does not take ${name} for a result`, () => assert.equal(parseIngestResult(text), undefined));
  }
});
