import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadIngestConfig, sourceFormat } from './config.ts';
import { IngestConfigError } from './errors.ts';
import { pvcPath } from './source.ts';

const spec = {
  source: { uri: 's3://data/weather.csv' },
  schema: { columns: [{ name: 'temp', type: 'number' }, { name: 'email', type: 'string', pii: 'hash' }] },
};
const env = {
  MODELOPS_DATASET_NAMESPACE: 'ml',
  MODELOPS_DATASET_NAME: 'weather',
  MODELOPS_DATASET_SPEC: JSON.stringify(spec),
  MODELOPS_ARTIFACT_STORE: 's3://artifacts/modelops',
  MODELOPS_PII_SALT: 'pepper',
  AWS_ACCESS_KEY_ID: 'source-key',
  MODELOPS_ARTIFACT_AWS_ACCESS_KEY_ID: 'store-key',
  AWS_SECRET_ACCESS_KEY: 'secret',
};

describe('loadIngestConfig', () => {
  it('reads the contract variables with their defaults', () => {
    const c = loadIngestConfig(env);
    assert.equal(c.namespace, 'ml');
    assert.equal(c.dataset, 'weather');
    assert.equal(c.format, 'csv');
    assert.equal(c.terminationMessagePath, '/dev/termination-log');
    assert.equal(c.pvcRoot, '/mnt/pvc');
    assert.equal(c.previousDigest, undefined);
  });
  it('gives the store its own credentials when MODELOPS_ARTIFACT_AWS_* are set, else the source\'s', () => {
    const c = loadIngestConfig(env);
    assert.equal(c.storeEnv.AWS_ACCESS_KEY_ID, 'store-key');
    assert.equal(c.storeEnv.AWS_SECRET_ACCESS_KEY, 'secret');
    assert.equal(c.sourceEnv.AWS_ACCESS_KEY_ID, 'source-key');
  });
  const bad: [string, Record<string, string | undefined>, RegExp][] = [
    ['a missing dataset name', { MODELOPS_DATASET_NAME: undefined }, /MODELOPS_DATASET_NAME is required/],
    ['a spec that is not JSON', { MODELOPS_DATASET_SPEC: '{' }, /not JSON/],
    ['a hashed column without a salt', { MODELOPS_PII_SALT: undefined }, /MODELOPS_PII_SALT is required: column\(s\) email/],
    ['an unsupported store', { MODELOPS_ARTIFACT_STORE: 'gs://x' }, /must be file/],
    ['a column declared twice', { MODELOPS_DATASET_SPEC: JSON.stringify({ ...spec, schema: { columns: [spec.schema.columns[0], spec.schema.columns[0]] } }) }, /declared twice/],
    ['an unknown column type', { MODELOPS_DATASET_SPEC: JSON.stringify({ ...spec, schema: { columns: [{ name: 'a', type: 'float' }] } }) }, /type "float"/],
  ];
  for (const [name, patch, message] of bad) {
    it(`refuses ${name} as a configuration error`, () => {
      assert.throws(() => loadIngestConfig({ ...env, ...patch }), (err: unknown) => err instanceof IngestConfigError && message.test(err.message));
    });
  }
});

describe('sourceFormat', () => {
  const cases: [string, string | undefined, string][] = [
    ['s3://b/a.csv', undefined, 'csv'],
    ['https://h/a.CSV.gz?sig=1', undefined, 'csv'],
    ['file:///a.ndjson', undefined, 'jsonl'],
    ['pvc://c/a.parquet', undefined, 'parquet'],
    ['s3://b/blob', 'jsonl', 'jsonl'],
  ];
  for (const [uri, declared, format] of cases) it(`reads ${uri} as ${format}`, () => assert.equal(sourceFormat(uri, declared), format));
  it('asks for spec.source.format when the extension says nothing', () => assert.throws(() => sourceFormat('s3://b/blob', undefined), /spec.source.format/));
});

describe('pvcPath', () => {
  it('maps pvc://claim/path under the mount root', () => assert.equal(pvcPath('pvc://data-claim/dir/a.csv', '/mnt/pvc'), '/mnt/pvc/data-claim/dir/a.csv'));
  it('refuses paths that leave the claim', () => assert.throws(() => pvcPath('pvc://c/../../etc/passwd', '/mnt/pvc'), /inside the claim/));
});
