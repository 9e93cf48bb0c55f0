// Benchmark of the ingest command on flights-3m.parquet (3 million rows, vega-datasets): the
// whole Job process (fetch, validate, write the canonical Parquet, profile, store) measured by
// /usr/bin/time -v, each run into a fresh store so nothing is reused, plus one run that finds
// its version already stored. Results go to docs/performance-data.md by hand.
//
//   node bench/data/ingest.ts [--runs=3] [--threads=N] [--memory-limit=256MB] [--s3]
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { DatasetSpec } from '../../operator/api/v1alpha1/types.ts';
import { REPO_ROOT } from '../../test/support/control-plane.ts';
import { startS3 } from '../../test/support/s3.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, threads: { type: 'string', default: '' }, 'memory-limit': { type: 'string', default: '' }, s3: { type: 'boolean', default: false } } });
const FLIGHTS = join(REPO_ROOT, 'node_modules/vega-datasets/data/flights-3m.parquet');

const spec: DatasetSpec = {
  source: { uri: pathToFileURL(FLIGHTS).href },
  schema: {
    columns: [
      { name: 'date', type: 'timestamp', role: 'timestamp', nullable: false },
      { name: 'delay', type: 'integer', min: -1000, max: 10000 },
      { name: 'distance', type: 'integer', min: 0, max: 10000 },
      { name: 'origin', type: 'category', nullable: false },
      { name: 'destination', type: 'category', nullable: false },
    ],
  },
  // One row of the real data has a delay below -1000 minutes: it is dropped, as the rules allow.
  validation: { minRows: 1000000, maxNullFraction: 0.01, maxInvalidFraction: 0.001 },
};

interface Measured {
  label: string;
  wallS: number;
  maxRssMiB: number;
  phases: Record<string, number>;
  rows: number;
  bytes: number;
  reused: boolean;
  version: string;
}

function once(label: string, storeUri: string, env: Record<string, string>): Promise<Measured> {
  const work = mkdtempSync(join(tmpdir(), 'bench-ingest-'));
  const termination = join(work, 'termination');
  const childEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    MODELOPS_DATASET_NAMESPACE: 'bench',
    MODELOPS_DATASET_NAME: 'flights',
    MODELOPS_DATASET_SPEC: JSON.stringify(spec),
    MODELOPS_ARTIFACT_STORE: storeUri,
    MODELOPS_TERMINATION_MESSAGE_PATH: termination,
    MODELOPS_WORK_DIR: work,
    ...(values.threads ? { MODELOPS_DUCKDB_THREADS: values.threads } : {}),
    ...(values['memory-limit'] ? { MODELOPS_DUCKDB_MEMORY_LIMIT: values['memory-limit'] } : {}),
    ...env,
  };
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/time', ['-v', process.execPath, 'operator/data/main.ts', 'ingest'], { cwd: REPO_ROOT, env: childEnv, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${label}: ${err.message}\n${stdout.trim().split('\n').at(-1) ?? ''}`));
      const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(stderr);
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      const phases: Record<string, number> = {};
      for (const line of stdout.split('\n').filter(Boolean)) {
        const l = JSON.parse(line) as { phase?: string; elapsedMs?: number };
        if (l.phase && l.elapsedMs !== undefined) phases[l.phase] = l.elapsedMs;
      }
      const m = JSON.parse(readFileSync(termination, 'utf8'));
      rmSync(work, { recursive: true, force: true });
      resolve({
        label,
        wallS: Number(wall?.[1] ?? 0) * 3600 + Number(wall?.[2] ?? 0) * 60 + Number(wall?.[3] ?? 0),
        maxRssMiB: Math.round(Number(rss?.[1] ?? 0) / 1024),
        phases,
        rows: m.version.rows,
        bytes: m.version.bytes,
        reused: m.reused,
        version: m.version.version,
      });
    });
  });
}

const results: Measured[] = [];
const stores: string[] = [];
for (let i = 1; i <= Number(values.runs); i++) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-store-'));
  stores.push(dir);
  results.push(await once(`file store, fresh #${i}`, pathToFileURL(dir).href, {}));
  console.error(JSON.stringify(results.at(-1)));
}
results.push(await once('file store, version already stored', pathToFileURL(stores[0]!).href, {}));
console.error(JSON.stringify(results.at(-1)));
if (values.s3) {
  const s3 = await startS3('bench');
  try {
    results.push(await once('S3 store (versitygw), fresh', `s3://${s3.bucket}/bench`, s3.env));
    console.error(JSON.stringify(results.at(-1)));
  } finally {
    await s3.stop();
  }
}
for (const d of stores) rmSync(d, { recursive: true, force: true });

console.log('| run | wall (s) | peak RSS (MiB) | fetch | validate | write | profile | store | rows | Parquet bytes | version |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
for (const r of results) {
  const p = (k: string) => (r.phases[k] === undefined ? '—' : `${(r.phases[k]! / 1000).toFixed(2)}`);
  console.log(`| ${r.label} | ${r.wallS.toFixed(2)} | ${r.maxRssMiB} | ${p('fetch')} | ${p('validate')} | ${p('write')} | ${p('profile')} | ${p('store')} | ${r.rows} | ${r.bytes} | ${r.version} |`);
}
