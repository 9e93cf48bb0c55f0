import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Dataset } from '../../api/v1alpha1/types.ts';
import { isReferenced, referencedVersions, retentionCandidates } from './retention.ts';

const ds = (extra: Partial<Dataset['spec']> = {}): Dataset => ({
  apiVersion: 'modelops.dev/v1alpha1',
  kind: 'Dataset',
  metadata: { name: 'weather', namespace: 'ml', uid: 'u1' },
  spec: { source: { uri: 'https://example.com/w.csv' }, schema: { columns: [{ name: 'temp', type: 'number' }] }, ...extra },
});

describe('retention', () => {
  const v = (hex: string) => ({ version: hex.repeat(12), digest: `sha256:${hex.repeat(64)}`, uri: 'u', rows: 1, createdAt: '2026-12-01T00:00:00Z' });
  it('removes versions beyond maxVersions (default 10), oldest last, never the current one', () => {
    const history = ['f', 'e', 'd', 'c', 'b', 'a'].map(v);
    assert.deepEqual(retentionCandidates(ds({ retention: { maxVersions: 3 } }), history, v('f')).map((x) => x.version[0]), ['c', 'b', 'a']);
    assert.deepEqual(retentionCandidates(ds({ retention: { maxVersions: 3 } }), history, v('a')).map((x) => x.version[0]), ['c', 'b']);
    assert.deepEqual(retentionCandidates(ds(), history, v('f')), []);
  });
  it('knows the versions a ModelVersion of the same namespace was trained on, by version or digest', () => {
    const mv = (ns: string, name: string, version: string, digest?: string) => ({ metadata: { namespace: ns }, spec: { lineage: { dataset: { name, version, ...(digest ? { digest } : {}) } } } }) as never;
    const refs = referencedVersions(ds(), [mv('ml', 'weather', 'bbbbbbbbbbbb'), mv('other', 'weather', 'cccccccccccc'), mv('ml', 'flights', 'dddddddddddd'), mv('ml', 'weather', 'x', v('e').digest)]);
    assert.equal(isReferenced(v('b'), refs), true);
    assert.equal(isReferenced(v('c'), refs), false, 'another namespace');
    assert.equal(isReferenced(v('d'), refs), false, 'another dataset');
    assert.equal(isReferenced(v('e'), refs), true, 'by digest');
  });
});
