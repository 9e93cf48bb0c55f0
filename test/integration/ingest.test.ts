// The ingest command end to end, as the Job runs it (a child process configured by the
// environment), on the real seattle-weather.csv, into a local store and a real S3 server.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DatasetSpec } from '../../operator/api/v1alpha1/types.ts';
import { openStore } from '../../operator/artifacts/open.ts';
import { loadIngestConfig } from '../../operator/data/config.ts';
import { ingest as runIngest } from '../../operator/data/ingest.ts';
import { silentLogger } from '../../operator/runtime/log.ts';
import type { ArtifactStore } from '../../operator/artifacts/store.ts';
import { REPO_ROOT } from '../support/control-plane.ts';
import { startS3 } from '../support/s3.ts';
import type { S3Server } from '../support/s3.ts';
import { SEATTLE_CSV, seattleColumns } from '../support/seattle.ts';


// The schema of examples/seattle-weather/01-dataset.yaml.
function seattleSpec(uri: string, validation: DatasetSpec['validation'] = { minRows: 1000, maxNullFraction: 0.05, maxInvalidFraction: 0.01 }): DatasetSpec {
  return {
    source: { uri, format: 'csv' },
    schema: {
      columns: seattleColumns(),
    },
    validation,
  };
}

interface Run {
  code: number;
  message: any;
  lines: any[];
}

async function ingest(work: string, spec: DatasetSpec, env: Record<string, string>): Promise<Run> {
  const termination = join(work, `termination-${Math.random().toString(36).slice(2)}`);
  const childEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    MODELOPS_DATASET_NAMESPACE: 'ml',
    MODELOPS_DATASET_NAME: 'seattle-weather',
    MODELOPS_DATASET_SPEC: JSON.stringify(spec),
    MODELOPS_TERMINATION_MESSAGE_PATH: termination,
    MODELOPS_WORK_DIR: work,
    MODELOPS_DUCKDB_THREADS: '2',
    ...env,
  };
  const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
    execFile(process.execPath, ['operator/data/main.ts', 'ingest'], { cwd: REPO_ROOT, env: childEnv, maxBuffer: 16 << 20 }, (err, stdout) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout });
    });
  });
  const lines = stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  return { code, message: JSON.parse(await readFile(termination, 'utf8')), lines };
}

async function snapshot(store: ArtifactStore): Promise<string[]> {
  return (await store.list('datasets/')).map((o) => `${o.key} ${o.size} ${o.lastModified?.toISOString()}`);
}

async function brokenCopy(path: string): Promise<void> {
  const lines = (await readFile(SEATTLE_CSV, 'utf8')).split('\n');
  // Data rows 4, 6 and 8 (file lines 5, 7, 9): a negative precipitation, a missing target, an unknown category.
  lines[4] = '2012-01-04,-1.0,12.2,5.6,4.7,rain';
  lines[6] = '2012-01-06,2.5,4.4,2.2,2.2,';
  lines[8] = '2012-01-08,0.0,10.0,2.8,2.0,hail';
  await writeFile(path, lines.join('\n'));
}

describe('ingest of seattle-weather.csv', () => {
  let s3: S3Server;
  let work: string;
  const digests: Record<string, string> = {};
  before(async () => {
    s3 = await startS3('ingest');
    work = await mkdtemp(join(tmpdir(), 'ingest-'));
  });
  after(async () => {
    await s3?.stop();
    await rm(work, { recursive: true, force: true });
  });

  for (const backend of ['file', 's3'] as const) {
    describe(`into a ${backend} store`, () => {
      let storeUri: string;
      let env: Record<string, string>;
      let store: ArtifactStore;
      before(() => {
        storeUri = backend === 'file' ? pathToFileURL(join(work, 'store')).href : `s3://${s3.bucket}/artifacts`;
        env = { ...s3.env, MODELOPS_ARTIFACT_STORE: storeUri };
        store = openStore(storeUri, s3.env);
      });

      it('stores a version named by its content, with a sane profile', async () => {
        const run = await ingest(work, seattleSpec(pathToFileURL(SEATTLE_CSV).href), env);
        assert.equal(run.code, 0, JSON.stringify(run.message));
        const m = run.message;
        assert.equal(m.ok, true);
        assert.match(m.version.digest, /^sha256:[0-9a-f]{64}$/);
        assert.equal(m.version.version, m.version.digest.slice(7, 19));
        assert.equal(m.version.rows, 1461);
        assert.equal(m.sourceRows, 1461);
        assert.equal(m.invalidRows, 0);
        assert.equal(m.reused, false);
        assert.equal(m.version.uri, store.uri(`datasets/ml/seattle-weather/${m.version.digest.slice(7)}/data.parquet`));
        const byName = Object.fromEntries(m.columns.map((c: any) => [c.name, c]));
        assert.deepEqual(Object.keys(byName), ['date', 'precipitation', 'temp_max', 'temp_min', 'wind', 'weather']);
        assert.equal(byName.temp_max.min, -1.6);
        assert.equal(byName.temp_max.max, 35.6);
        assert.equal(byName.precipitation.min, 0);
        assert.equal(byName.precipitation.max, 55.9);
        assert.equal(byName.temp_max.histogram.counts.reduce((s: number, c: number) => s + c, 0), 1461);
        assert.equal(byName.temp_max.histogram.edges.length, 21);
        assert.deepEqual(
          byName.weather.categories.map((c: any) => c.value).sort(),
          ['drizzle', 'fog', 'rain', 'snow', 'sun'],
        );
        assert.equal(byName.weather.categories.reduce((s: number, c: any) => s + c.count, 0), 1461);
        assert.ok(Buffer.byteLength(JSON.stringify(m)) <= 4096);
        assert.deepEqual(
          run.lines.map((l) => l.phase),
          ['fetch', 'validate', 'write', 'profile', 'store', 'done'],
        );
        // The full profile is in the store, beside the data.
        const profile = JSON.parse((await store.read(`datasets/ml/seattle-weather/${m.version.digest.slice(7)}/profile.json`)).toString());
        assert.equal(profile.kind, 'DatasetProfile');
        assert.equal(profile.rows, 1461);
        assert.deepEqual(profile.columns[2].histogram, byName.temp_max.histogram);
        digests[backend] = m.version.digest;
      });

      it('gives the same version for the same bytes and writes nothing new', async () => {
        const before = await snapshot(store);
        const run = await ingest(work, seattleSpec(pathToFileURL(SEATTLE_CSV).href), { ...env, MODELOPS_PREVIOUS_DIGEST: digests[backend]! });
        assert.equal(run.code, 0, JSON.stringify(run.message));
        assert.equal(run.message.version.digest, digests[backend]);
        assert.equal(run.message.reused, true);
        assert.equal(run.message.changed, false);
        assert.deepEqual(await snapshot(store), before);
      });

      it('rejects a broken copy with a message naming each rule, column and count, and leaves the stored version alone', async () => {
        const broken = join(work, 'broken.csv');
        await brokenCopy(broken);
        const before = await snapshot(store);
        const run = await ingest(work, seattleSpec(pathToFileURL(broken).href, { minRows: 1000, maxInvalidFraction: 0 }), env);
        assert.equal(run.code, 3);
        assert.equal(run.message.reason, 'ValidationFailed');
        assert.equal(
          run.message.message,
          'maxInvalidFraction: 3 of 1461 rows (0.205%) break a column rule, at most 0% allowed; ' +
            'precipitation min: 1 row below 0 (first at data row 4); ' +
            'weather nullable: 1 row missing a value (first at data row 6); ' +
            'weather allowedValues: 1 row not one of sun, rain, drizzle, fog, snow (first at data row 8)',
        );
        assert.deepEqual(
          run.message.failures.map((f: any) => [f.rule, f.column ?? null, f.count]),
          [
            ['maxInvalidFraction', null, 3],
            ['min', 'precipitation', 1],
            ['nullable', 'weather', 1],
            ['allowedValues', 'weather', 1],
          ],
        );
        assert.deepEqual(await snapshot(store), before);
      });

      it('drops invalid rows within maxInvalidFraction and stores a new version', async () => {
        const broken = join(work, 'broken.csv');
        await brokenCopy(broken);
        const run = await ingest(work, seattleSpec(pathToFileURL(broken).href), env);
        assert.equal(run.code, 0, JSON.stringify(run.message));
        assert.equal(run.message.version.rows, 1458);
        assert.equal(run.message.invalidRows, 3);
        assert.notEqual(run.message.version.digest, digests[backend]);
      });
    });
  }

  it('names the same content by the same digest in either store', () => {
    assert.ok(digests.file);
    assert.equal(digests.file, digests.s3);
  });

  it('reads its source from S3 and writes a Parquet version DuckDB reads back in order', async () => {
    const source = openStore(`s3://${s3.bucket}`, s3.env);
    await source.put('incoming/seattle-weather.csv', { path: SEATTLE_CSV });
    const run = await ingest(work, seattleSpec(`s3://${s3.bucket}/incoming/seattle-weather.csv`), { ...s3.env, MODELOPS_ARTIFACT_STORE: pathToFileURL(join(work, 'from-s3')).href });
    assert.equal(run.code, 0, JSON.stringify(run.message));
    assert.equal(run.message.version.digest, digests.file);
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const path = new URL(run.message.version.uri).pathname;
    const rows = (await conn.runAndReadAll(`SELECT * FROM read_parquet('${path}') LIMIT 2`)).getRowObjectsJS();
    const types = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${path}')`)).getRowObjectsJS().map((r) => `${r.column_name}:${r.column_type}`);
    conn.closeSync();
    db.closeSync();
    assert.deepEqual(types, ['date:TIMESTAMP', 'precipitation:DOUBLE', 'temp_max:DOUBLE', 'temp_min:DOUBLE', 'wind:DOUBLE', 'weather:VARCHAR']);
    assert.deepEqual(rows[0], { date: new Date('2012-01-01T00:00:00Z'), precipitation: 0, temp_max: 12.8, temp_min: 5, wind: 4.7, weather: 'drizzle' });
    assert.equal((rows[1] as any).weather, 'rain');
  });
});

describe('ingest of personal data and bad inputs', () => {
  let work: string;
  let storeUri: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ingest-pii-'));
    storeUri = pathToFileURL(join(work, 'store')).href;
    const rows = [
      { id: 1, email: 'alice@example.com', phone: '+49 170 1234567', ssn: '123-45-6789', amount: 10.5 },
      { id: 2, email: 'bob@example.com', phone: '+1 555 0100', ssn: '987-65-4321', amount: 3 },
    ];
    await writeFile(join(work, 'people.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n'));
  });
  after(() => rm(work, { recursive: true, force: true }));
  const peopleSpec = (unknownColumns: 'Ignore' | 'Reject' = 'Ignore'): DatasetSpec => ({
    source: { uri: pathToFileURL(join(work, 'people.jsonl')).href },
    schema: {
      unknownColumns,
      columns: [
        { name: 'id', type: 'integer', role: 'id' },
        { name: 'email', type: 'string', pii: 'hash' },
        { name: 'phone', type: 'string', pii: 'mask' },
        { name: 'ssn', type: 'string', pii: 'drop' },
      ],
    },
  });

  it('hashes, masks and drops personal columns, and ignores undeclared ones', async () => {
    const run = await ingest(work, peopleSpec(), { MODELOPS_ARTIFACT_STORE: storeUri, MODELOPS_PII_SALT: 'pepper' });
    assert.equal(run.code, 0, JSON.stringify(run.message));
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const rows = (await conn.runAndReadAll(`SELECT * FROM read_parquet('${new URL(run.message.version.uri).pathname}')`)).getRowObjectsJS();
    conn.closeSync();
    db.closeSync();
    assert.deepEqual(rows[0], { id: 1n, email: createHash('sha256').update('pepperalice@example.com').digest('hex'), phone: '4567' });
    assert.equal(run.message.columns.find((c: any) => c.name === 'email').type, 'string');
  });

  it('rejects undeclared columns with unknownColumns Reject', async () => {
    const run = await ingest(work, peopleSpec('Reject'), { MODELOPS_ARTIFACT_STORE: storeUri, MODELOPS_PII_SALT: 'pepper' });
    assert.equal(run.code, 3);
    assert.match(run.message.message, /unknownColumns Reject: the source has 1 undeclared column\(s\): amount/);
  });

  it('rejects a source that is not in its declared format, naming rule format', async () => {
    const spec = { ...peopleSpec(), source: { uri: pathToFileURL(join(work, 'people.jsonl')).href, format: 'parquet' as const } };
    const run = await ingest(work, spec, { MODELOPS_ARTIFACT_STORE: storeUri, MODELOPS_PII_SALT: 'pepper' });
    assert.equal(run.code, 3);
    assert.equal(run.message.failures[0].rule, 'format');
    assert.match(run.message.message, /^the source cannot be read as parquet: /);
  });

  it('fails as a configuration error without the salt a hashed column needs', async () => {
    const run = await ingest(work, peopleSpec(), { MODELOPS_ARTIFACT_STORE: storeUri });
    assert.equal(run.code, 2);
    assert.equal(run.message.reason, 'InvalidConfiguration');
  });

  it('fails as an infrastructure error when the source is missing', async () => {
    const spec = { ...peopleSpec(), source: { uri: pathToFileURL(join(work, 'nope.jsonl')).href } };
    const run = await ingest(work, spec, { MODELOPS_ARTIFACT_STORE: storeUri, MODELOPS_PII_SALT: 'pepper' });
    assert.equal(run.code, 4);
    assert.equal(run.message.reason, 'SourceUnavailable');
  });

  it('fails as an infrastructure error when the store is unreachable', async () => {
    const run = await ingest(work, peopleSpec(), {
      MODELOPS_ARTIFACT_STORE: 's3://nowhere/x',
      MODELOPS_PII_SALT: 'pepper',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
      AWS_ACCESS_KEY_ID: 'k',
      AWS_SECRET_ACCESS_KEY: 's',
    });
    assert.equal(run.code, 4);
    assert.equal(run.message.reason, 'StoreUnavailable');
  });
});

// Regression guard: the digest must not depend on how many threads DuckDB used. Without the
// sorted final write, 1 and 2 threads gave different Parquet bytes for the same 3M rows.
describe('the canonical Parquet of 3 million rows', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ingest-threads-'));
  });
  after(() => rm(work, { recursive: true, force: true }));

  it('has the same digest whatever the number of DuckDB threads', async () => {
    const spec: DatasetSpec = {
      source: { uri: pathToFileURL(join(REPO_ROOT, 'node_modules/vega-datasets/data/flights-3m.parquet')).href },
      schema: {
        columns: [
          { name: 'date', type: 'timestamp', nullable: false },
          { name: 'delay', type: 'integer' },
          { name: 'distance', type: 'integer' },
          { name: 'origin', type: 'category' },
          { name: 'destination', type: 'category' },
        ],
      },
    };
    const digests: string[] = [];
    for (const threads of ['1', '4']) {
      const storeUri = pathToFileURL(join(work, `store-${threads}`)).href;
      const config = loadIngestConfig({
        MODELOPS_DATASET_NAMESPACE: 'ml',
        MODELOPS_DATASET_NAME: 'flights',
        MODELOPS_DATASET_SPEC: JSON.stringify(spec),
        MODELOPS_ARTIFACT_STORE: storeUri,
        MODELOPS_WORK_DIR: work,
        MODELOPS_DUCKDB_THREADS: threads,
      });
      const { result } = await runIngest(config, { store: openStore(storeUri, {}), log: silentLogger, now: () => new Date() });
      assert.equal(result.version.rows, 3_000_000);
      digests.push(result.version.digest);
    }
    assert.equal(digests[0], digests[1]);
  });
});

describe('ingest from http(s) and pvc sources', () => {
  let work: string;
  let server: Server;
  let base: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ingest-http-'));
    const csv = await readFile(SEATTLE_CSV);
    server = createServer((req, res) => {
      if (req.headers.authorization !== 'Bearer s3cret') return void res.writeHead(401).end();
      if (req.url !== '/data/seattle-weather.csv') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/csv' }).end(csv);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(work, { recursive: true, force: true });
  });

  it('downloads an http source with the AUTHORIZATION header and gets the same version as the file', async () => {
    const run = await ingest(work, seattleSpec(`${base}/data/seattle-weather.csv`), { MODELOPS_ARTIFACT_STORE: pathToFileURL(join(work, 'store')).href, AUTHORIZATION: 'Bearer s3cret' });
    assert.equal(run.code, 0, JSON.stringify(run.message));
    assert.equal(run.message.version.rows, 1461);
    assert.equal(run.message.version.digest, 'sha256:91be8fa34d8fd8323a99fddb39b66edd7ee228038bac94c3416360310c5824dc');
  });

  it('fails as an infrastructure error on an HTTP error', async () => {
    const run = await ingest(work, seattleSpec(`${base}/data/seattle-weather.csv`), { MODELOPS_ARTIFACT_STORE: pathToFileURL(join(work, 'store')).href });
    assert.equal(run.code, 4);
    assert.match(run.message.message, /HTTP 401/);
  });

  it('reads pvc://claim/path under the mount root', async () => {
    await mkdir(join(work, 'mnt', 'weather-claim', 'raw'), { recursive: true });
    await copyFile(SEATTLE_CSV, join(work, 'mnt', 'weather-claim', 'raw', 'seattle-weather.csv'));
    const run = await ingest(work, seattleSpec('pvc://weather-claim/raw/seattle-weather.csv'), { MODELOPS_ARTIFACT_STORE: pathToFileURL(join(work, 'store')).href, MODELOPS_PVC_ROOT: join(work, 'mnt') });
    assert.equal(run.code, 0, JSON.stringify(run.message));
    assert.equal(run.message.version.digest, 'sha256:91be8fa34d8fd8323a99fddb39b66edd7ee228038bac94c3416360310c5824dc');
  });
});
