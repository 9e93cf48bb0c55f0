import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { DatasetSpec } from '../api/v1alpha1/types.ts';
import { FileStore } from '../artifacts/file.ts';
import { silentLogger } from '../runtime/log.ts';
import { loadIngestConfig } from './config.ts';
import { ValidationError } from './errors.ts';
import { ingest } from './ingest.ts';

// The ingest in process, on small files, into a FileStore: no servers.
describe('ingest', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ingest-unit-'));
    // No header, ';' as delimiter, one duplicate row, one missing wind.
    await writeFile(join(dir, 'rows.csv'), ['1;a;0.5', '2;b;', '3;a;1.5', '3;a;1.5'].join('\n'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const spec = (validation: DatasetSpec['validation']): DatasetSpec => ({
    source: { uri: pathToFileURL(join(dir, 'rows.csv')).href, csv: { header: false, delimiter: ';' } },
    schema: {
      columns: [
        { name: 'id', type: 'integer', role: 'id' },
        { name: 'kind', type: 'category' },
        { name: 'wind', type: 'number' },
      ],
    },
    validation,
  });
  const run = (validation: DatasetSpec['validation'] = {}) => {
    const storeUri = pathToFileURL(join(dir, 'store')).href;
    const config = loadIngestConfig({
      MODELOPS_DATASET_NAMESPACE: 'ml',
      MODELOPS_DATASET_NAME: 'rows',
      MODELOPS_DATASET_SPEC: JSON.stringify(spec(validation)),
      MODELOPS_ARTIFACT_STORE: storeUri,
      MODELOPS_WORK_DIR: dir,
    });
    return ingest(config, { store: new FileStore(storeUri), log: silentLogger, now: () => new Date('2026-01-01T00:00:00Z') });
  };

  it('names headerless CSV columns by the schema and profiles them', async () => {
    const { result, profile } = await run();
    assert.equal(result.version.rows, 4);
    assert.equal(result.version.createdAt, '2026-01-01T00:00:00Z');
    assert.deepEqual(
      profile.columns.map((c) => [c.name, c.type, c.nulls]),
      [
        ['id', 'integer', 0],
        ['kind', 'category', 0],
        ['wind', 'number', 1],
      ],
    );
    assert.deepEqual(profile.columns[1]!.categories, [
      { value: 'a', count: 3 },
      { value: 'b', count: 1 },
    ]);
  });
  it('gives the same version on a second run and reports it reused', async () => {
    const first = await run();
    const second = await run();
    assert.equal(second.result.version.digest, first.result.version.digest);
    assert.equal(second.result.reused, true);
  });
  it('rejects duplicates beyond maxDuplicateFraction and nulls beyond maxNullFraction', async () => {
    await assert.rejects(run({ maxDuplicateFraction: 0.2, maxNullFraction: 0.2 }), (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      assert.deepEqual(
        err.failures.map((f) => [f.rule, f.column ?? null, f.count]),
        [
          ['maxNullFraction', 'wind', 1],
          ['maxDuplicateFraction', null, 1],
        ],
      );
      return true;
    });
  });
});
