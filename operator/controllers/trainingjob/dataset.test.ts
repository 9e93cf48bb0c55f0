import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Dataset, DatasetVersion, TrainingJob } from '../../api/v1alpha1/types.ts';
import { resolveDataset, trainerColumns } from './dataset.ts';

const v = (hex: string): DatasetVersion => ({ version: hex.repeat(12).slice(0, 12), digest: `sha256:${hex.repeat(64).slice(0, 64)}`, uri: `s3://b/datasets/ml/seattle/${hex}/data.parquet`, rows: 10, createdAt: '2026-12-01T00:00:00Z' });

const tj = (version?: string): TrainingJob => ({
  apiVersion: 'modelops.dev/v1alpha1',
  kind: 'TrainingJob',
  metadata: { name: 'weather', namespace: 'ml' },
  spec: { datasetRef: { name: 'seattle', ...(version ? { version } : {}) }, model: 'm' },
});

const dataset = (status: Dataset['status']): Dataset => ({
  apiVersion: 'modelops.dev/v1alpha1',
  kind: 'Dataset',
  metadata: { name: 'seattle', namespace: 'ml' },
  spec: {
    source: { uri: 'file:///x.csv' },
    schema: {
      columns: [
        { name: 'email', type: 'string', pii: 'drop' },
        { name: 'station', type: 'category', pii: 'hash', allowedValues: ['a', 'b'], description: 'where' },
        { name: 'temp', type: 'number', min: -30, max: 50, description: 'max temperature' },
        { name: 'weather', type: 'category', role: 'target' },
      ],
    },
  },
  ...(status ? { status } : {}),
});

describe('resolveDataset', () => {
  it('waits for a Dataset that does not exist yet, saying so', () => {
    const r = resolveDataset(tj(), undefined);
    assert.equal(r.state, 'Waiting');
    assert.match(r.state === 'Waiting' ? r.message : '', /Dataset seattle does not exist in namespace ml/);
  });
  it('waits for the first ingest when there is no current version', () => {
    const r = resolveDataset(tj(), dataset({ phase: 'Ingesting' }));
    assert.equal(r.state, 'Waiting');
    assert.match(r.state === 'Waiting' ? r.message : '', /no current version yet \(phase Ingesting\)/);
  });
  it('takes the current version when none is pinned', () => {
    const r = resolveDataset(tj(), dataset({ currentVersion: v('b'), versions: [v('b'), v('a')] }));
    assert.equal(r.state === 'Ready' && r.version.version, 'bbbbbbbbbbbb');
    assert.equal(r.state === 'Ready' && r.format, 'parquet');
  });
  for (const [how, pin] of [
    ['its short version', 'aaaaaaaaaaaa'],
    ['its full digest', `sha256:${'a'.repeat(64)}`],
    ['its bare hex digest', 'a'.repeat(64)],
  ] as const) {
    it(`finds a pinned version by ${how}`, () => {
      const r = resolveDataset(tj(pin), dataset({ currentVersion: v('b'), versions: [v('b'), v('a')] }));
      assert.equal(r.state === 'Ready' && r.version.uri, 's3://b/datasets/ml/seattle/a/data.parquet');
    });
  }
  it('fails a pinned version the Dataset does not have, listing the ones it has', () => {
    const r = resolveDataset(tj('cccccccccccc'), dataset({ currentVersion: v('b'), versions: [v('b'), v('a')] }));
    assert.equal(r.state, 'Failed');
    assert.equal(r.state === 'Failed' && r.reason, 'DatasetVersionNotFound');
    assert.match(r.state === 'Failed' ? r.message : '', /has no version cccccccccccc \(its versions: bbbbbbbbbbbb, aaaaaaaaaaaa\)/);
  });
  it('waits for a pinned version while the Dataset has none at all', () => {
    assert.equal(resolveDataset(tj('cccccccccccc'), dataset({ phase: 'Pending' })).state, 'Waiting');
  });
});

describe('trainerColumns', () => {
  it('leaves out dropped columns and reads hashed ones as plain strings', () => {
    const r = resolveDataset(tj(), dataset({ currentVersion: v('b') }));
    assert.deepEqual(r.state === 'Ready' && r.columns, [
      { name: 'station', type: 'string' },
      { name: 'temp', type: 'number', min: -30, max: 50 },
      { name: 'weather', type: 'category', role: 'target' },
    ]);
  });
  it('does not change a schema without personal data', () => {
    assert.deepEqual(trainerColumns([{ name: 'y', type: 'boolean', role: 'target', nullable: false }]), [{ name: 'y', type: 'boolean', role: 'target', nullable: false }]);
  });
});
