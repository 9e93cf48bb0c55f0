import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { FileStore } from '../../artifacts/file.ts';
import { ArtifactReader } from '../../artifacts/resolve.ts';
import { referenceSamples } from './referencesamples.ts';

describe('referenceSamples', () => {
  let dir: string;
  let uri: string;
  const reader = new ArtifactReader({ store: undefined, openStore: (root) => new FileStore(root) });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'modelops-refsamples-'));
    const file = join(dir, 'data.parquet');
    const db = await DuckDBInstance.create(':memory:', { threads: '1' });
    const conn = await db.connect();
    await conn.run(`COPY (SELECT * FROM (VALUES (2.5, 'rain'), (NULL, 'sun'), (-1.0, 'sun'), (0.0, NULL)) t(temp, weather)) TO '${file}' (FORMAT parquet)`);
    conn.closeSync();
    db.closeSync();
    uri = pathToFileURL(file).href;
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('reads the stored rows: sorted numeric values without nulls, category counts', async () => {
    const s = await referenceSamples(reader, uri, { numeric: ['temp'], categorical: ['weather'] });
    assert.deepEqual([...s.numeric.get('temp')!], [-1, 0, 2.5]);
    assert.deepEqual([...s.categorical.get('weather')!], [['rain', 1], ['sun', 2]]);
    assert.equal(s.rows, 4);
    assert.equal(s.sampled, false);
  });

  it('reads a sample of a version larger than the bound', async () => {
    const a = await referenceSamples(reader, uri, { numeric: ['temp'], categorical: ['weather'] }, 2);
    assert.equal(a.sampled, true);
    assert.equal(a.rows, 2);
    assert.ok(a.numeric.get('temp')!.length <= 2);
    assert.ok([...a.categorical.get('weather')!.values()].reduce((x, y) => x + y, 0) <= 2);
  });
});
