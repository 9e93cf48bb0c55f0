// Benchmarks of the ONNX serving runtime (issue 4), all measured in one run on one machine,
// load on 127.0.0.1 only, each step bounded in time. Run through bench/server/run.sh, which
// prepares the Python baseline; results land in bench/server/results/ and on stdout.
//
// Steps interleave the things they compare (round-robin, median of ROUNDS) so that a noisy
// neighbour hits both sides of a ratio alike.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const SERVER = path.join(ROOT, 'runtime-images', 'server');
const OUT = path.join(ROOT, 'bench', 'server', 'results');
const MODELS = path.join(SERVER, 'test', 'fixtures', 'models');
const PY = path.join(ROOT, '.tools', 'bench-server-venv', 'bin');
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SECONDS = Number(process.env.SECONDS_PER_RUN ?? 5);
const RSS_REQUESTS = Number(process.env.RSS_REQUESTS ?? 1_000_000);
const RSS_SECONDS = Number(process.env.RSS_SECONDS ?? 300); // stop earlier if the machine is slow, and say so
const CONNECTIONS = 32;
const HALF_LOAD_SECONDS = Math.max(20, SECONDS * 4);

// The node flags the image starts the server with (Dockerfile ENTRYPOINT), so the measured
// configuration is the shipped one.
const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(path.join(SERVER, 'Dockerfile'), 'utf8'))?.[1];
if (entrypoint === undefined) throw new Error('no ENTRYPOINT in runtime-images/server/Dockerfile');
const NODE_FLAGS = (JSON.parse(entrypoint) as string[]).filter((a) => a.startsWith('--'));

const PORTS = { hello: 18090, server: 18080, unbatched: 18081, python: 18082, wide: 18083, rss: 18084, floor: 18085 };

mkdirSync(OUT, { recursive: true });
const children: ChildProcess[] = [];
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });

function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

function start(cmd: string, args: string[], env: Record<string, string>, cwd = SERVER): ChildProcess {
  const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return child;
}

async function waitFor(url: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not come up`);
}

/** Serves <folder>/model.onnx (with its profile.json, if any, for drift histograms as in production). */
function startServer(port: number, folder: string, env: Record<string, string> = {}): ChildProcess {
  const profile = path.join(folder, 'profile.json');
  return start(process.execPath, [...NODE_FLAGS, 'src/main.ts'], {
    MODEL_URI: `file://${path.join(folder, 'model.onnx')}`, MODEL_NAME: 'weather', PORT: String(port), HOST: '127.0.0.1',
    LOG_LEVEL: 'warn', ACCESS_LOG_SAMPLE_RATE: '0', MAX_QUEUE_SIZE: '4096',
    ...(existsSync(profile) ? { REFERENCE_PROFILE: `file://${profile}` } : {}),
    ...env,
  });
}

interface WrkResult { rps: number; p50_ms: number; p99_ms: number; requests: number; non2xx: number }

function ms(v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v.trim());
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

/** Closed-loop load with wrk; bodyFile/headerLength make it a POST. */
function wrk(url: string, opts: { connections?: number; seconds?: number; body?: string; binaryHeaderLength?: number }): Promise<WrkResult> {
  const args = ['-t1', `-c${opts.connections ?? CONNECTIONS}`, `-d${opts.seconds ?? SECONDS}s`, '--latency'];
  const env: Record<string, string> = {};
  if (opts.body !== undefined) {
    args.push('-s', path.join(ROOT, 'bench', 'server', 'post.lua'));
    env.BODY_FILE = opts.body;
    env.HEADER_LENGTH = opts.binaryHeaderLength === undefined ? '' : String(opts.binaryHeaderLength);
  }
  args.push(url);
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('error', reject);
    child.on('exit', () => {
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
      const p50 = /\s50%\s+(\S+)/.exec(out)?.[1] ?? '';
      const p99 = /\s99%\s+(\S+)/.exec(out)?.[1] ?? '';
      const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
      if (!Number.isFinite(rps)) reject(new Error(`cannot parse wrk output:\n${out}`));
      else resolve({ rps, p50_ms: ms(p50), p99_ms: ms(p99), requests, non2xx });
    });
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

async function rounds<K extends string>(runs: Record<K, () => Promise<WrkResult>>): Promise<Record<K, { rps: number; p50_ms: number; p99_ms: number; non2xx: number; all: number[] }>> {
  const acc = {} as Record<K, WrkResult[]>;
  for (let r = 0; r < ROUNDS; r++) {
    for (const k of Object.keys(runs) as K[]) {
      const res = await runs[k]();
      (acc[k] ??= []).push(res);
      log(`  round ${r + 1} ${k}: ${res.rps.toFixed(0)} req/s, p50 ${res.p50_ms} ms, p99 ${res.p99_ms} ms${res.non2xx ? `, ${res.non2xx} non-2xx` : ''}`);
    }
  }
  const out = {} as Record<K, { rps: number; p50_ms: number; p99_ms: number; non2xx: number; all: number[] }>;
  for (const k of Object.keys(acc) as K[]) {
    const rs = acc[k];
    out[k] = { rps: median(rs.map((r) => r.rps)), p50_ms: median(rs.map((r) => r.p50_ms)), p99_ms: median(rs.map((r) => r.p99_ms)), non2xx: rs.reduce((n, r) => n + r.non2xx, 0), all: rs.map((r) => Math.round(r.rps)) };
  }
  return out;
}

function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]);
}

async function requestCount(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(/^modelops_inference_requests_total\{[^}]*\} (\d+)/gm)) n += Number(m[1]);
  return n;
}

// ---- request bodies ------------------------------------------------------------------------
const small = path.join(OUT, 'small.json');
writeFileSync(small, JSON.stringify({ inputs: [
  { name: 'x', datatype: 'FP32', shape: [1, 4], data: [0.5, 12, 4, 3] },
  { name: 'month', datatype: 'INT64', shape: [1, 1], data: [3] },
] }));
const WIDTH = 16384;
const wideValues = Float32Array.from({ length: WIDTH }, (_, i) => Math.fround(Math.sin(i) * 100));
const wideJson = path.join(OUT, 'wide.json');
writeFileSync(wideJson, JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, WIDTH], data: Array.from(wideValues) }] }));
const wideHeader = Buffer.from(JSON.stringify({
  inputs: [{ name: 'x', datatype: 'FP32', shape: [1, WIDTH], parameters: { binary_data_size: WIDTH * 4 } }],
  parameters: { binary_data_output: true },
}));
const wideBin = path.join(OUT, 'wide.bin');
writeFileSync(wideBin, Buffer.concat([wideHeader, Buffer.from(wideValues.buffer)]));

// ---- the model: one tabular MLP classifier for every step of the run -------------------------
// The fixture classifier's inputs, signature and reference profile with two hidden layers of
// BENCH_HIDDEN units (make_models.py --bench); the 16-unit test fixture is too small to be a model
// anyone serves (50 µs per run: the benchmark would measure HTTP alone).
const BENCH_MODELS = path.join(OUT, 'models');
const MODEL = path.join(BENCH_MODELS, 'classifier-bench');
const wideMlp = path.join(BENCH_MODELS, 'mlp-wide', 'model.onnx');
if (!existsSync(path.join(MODEL, 'model.onnx')) || !existsSync(wideMlp)) {
  log('generating the benchmark models (classifier-bench, mlp-wide)');
  const gen = spawnSync(path.join(ROOT, '.tools', 'server-venv', 'bin', 'python'), [path.join(SERVER, 'test', 'fixtures', 'make_models.py'), '--bench', BENCH_MODELS], { stdio: 'inherit' });
  if (gen.status !== 0) throw new Error('cannot generate the benchmark models (make .tools/server-venv/.installed)');
}

// The fixed-rate load generator (Go, standard library only), built into the results folder.
const LOADGEN = path.join(OUT, 'loadgen');
const built = spawnSync('go', ['build', '-o', LOADGEN, '.'], { cwd: path.join(ROOT, 'bench', 'server', 'loadgen'), stdio: 'inherit' });
if (built.status !== 0) throw new Error('cannot build bench/server/loadgen (needs go)');

const results: Record<string, unknown> = {
  date: new Date().toISOString(), node: process.version, node_flags: NODE_FLAGS, cpus: spawnSync('nproc').stdout.toString().trim(),
  loadavg_at_start: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  model: path.relative(ROOT, MODEL), rounds: ROUNDS, seconds_per_run: SECONDS, connections: CONNECTIONS,
};
const loadavg = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

// ---- 1. the limit: ONNX Runtime in a tight loop ------------------------------------------------
log('ONNX Runtime in-process tight loop');
const ortRuns: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const out = spawnSync(process.execPath, ['bench/ort-loop.ts', path.join(MODEL, 'model.onnx'), String(SECONDS)], { cwd: SERVER });
  ortRuns.push((JSON.parse(out.stdout.toString()) as { runs_per_s: number }).runs_per_s);
}
const R_ort = median(ortRuns);
log(`  R_ort = ${R_ort.toFixed(0)} runs/s`);

// ---- 2. HTTP floor, our server, the Python server: small JSON requests ---------------------------
start(process.execPath, ['bench/hello.ts', String(PORTS.hello)], {});
startServer(PORTS.server, MODEL);
startServer(PORTS.unbatched, MODEL, { MAX_BATCH_SIZE: '1' });
start(path.join(PY, 'uvicorn'), ['python_server:app', '--host', '127.0.0.1', '--port', String(PORTS.python), '--workers', '1', '--log-level', 'warning', '--no-access-log'],
  { MODEL_PATH: path.join(MODEL, 'model.onnx') }, path.join(ROOT, 'bench', 'server'));
await waitFor(`http://127.0.0.1:${PORTS.hello}/hello`);
await waitFor(`http://127.0.0.1:${PORTS.server}/v2/health/ready`);
await waitFor(`http://127.0.0.1:${PORTS.unbatched}/v2/health/ready`);
await waitFor(`http://127.0.0.1:${PORTS.python}/v2/health/live`);
const infer = (port: number): string => `http://127.0.0.1:${port}/v2/models/weather/infer`;
// Warm every JIT before measuring.
for (const port of [PORTS.server, PORTS.unbatched, PORTS.python]) await wrk(infer(port), { seconds: 2, body: small });
await wrk(`http://127.0.0.1:${PORTS.hello}/hello`, { seconds: 2 });

log(`throughput, small JSON requests, ${CONNECTIONS} connections`);
const tp = await rounds({
  express_hello: () => wrk(`http://127.0.0.1:${PORTS.hello}/hello`, {}),
  server: () => wrk(infer(PORTS.server), { body: small }),
  python: () => wrk(infer(PORTS.python), { body: small }),
});
const R_express = tp.express_hello.rps;
const goal = 0.8 / (1 / R_express + 1 / R_ort);
results.throughput = { R_ort, R_ort_runs: ortRuns.map(Math.round), ...tp, goal_rps: goal, server_vs_goal: tp.server.rps / goal, server_vs_python: tp.server.rps / tp.python.rps };

log('dynamic batching at concurrency 16');
const batching = await rounds({
  batched: () => wrk(infer(PORTS.server), { body: small, connections: 16 }),
  unbatched: () => wrk(infer(PORTS.unbatched), { body: small, connections: 16 }),
});
results.batching = { ...batching, ratio: batching.batched.rps / batching.unbatched.rps };

// Fixed rate, evenly spaced (bench/server/loadgen, one core), latency from each request's
// scheduled send time; after a warm-up of 5 s at the same rate over the same connections, and
// long enough for several old-generation GCs to fall inside the measurement.
log(`latency at half the maximum sustainable load (${HALF_LOAD_SECONDS} s)`);
const half = Math.round(tp.server.rps / 2);
/** What bench/server/loadgen prints. */
interface RateResult { p50_ms: number; p90_ms: number; p99_ms: number; max_ms: number; rps: number; non2xx: number; errors: number; pacer_late_p50_ms: number; pacer_late_p99_ms: number }
const atRate = (url: string, rps: number, warmup: number, seconds: number): RateResult => {
  const rate = spawnSync(LOADGEN, ['-url', url, '-rate', String(rps), '-warmup', `${warmup}s`, '-duration', `${seconds}s`, '-body', small, '-connections', String(CONNECTIONS)], { env: { ...process.env, GOMAXPROCS: '1' } });
  if (rate.status !== 0) throw new Error(`loadgen failed: ${rate.stderr.toString()}`);
  return JSON.parse(rate.stdout.toString()) as RateResult;
};
const rateLoad = loadavg();
const rateOut = atRate(infer(PORTS.server), half, 5, HALF_LOAD_SECONDS);
// The same measurement of the HTTP floor (express hello, POST with the same body, at half of
// its own throughput): how much of the tail this machine gives any Node server.
const helloHalf = Math.round(R_express / 2);
const helloOut = atRate(`http://127.0.0.1:${PORTS.hello}/hello`, helloHalf, 5, HALF_LOAD_SECONDS);
// And the floor of the machine and the generator: a Go server that only answers (loadgen
// -serve, one core), at our server's rate.
start(LOADGEN, ['-serve', `127.0.0.1:${PORTS.floor}`], { GOMAXPROCS: '1' });
await waitFor(`http://127.0.0.1:${PORTS.floor}/`);
const floorOut = atRate(`http://127.0.0.1:${PORTS.floor}/`, half, 5, HALF_LOAD_SECONDS);
results.half_load = {
  generator: 'bench/server/loadgen, GOMAXPROCS=1', target_rps: half, seconds: HALF_LOAD_SECONDS, loadavg: rateLoad, ...rateOut, p99_over_p50: rateOut.p99_ms / rateOut.p50_ms,
  express_hello: { target_rps: helloHalf, ...helloOut, p99_over_p50: helloOut.p99_ms / helloOut.p50_ms },
  go_floor: { target_rps: half, ...floorOut, p99_over_p50: floorOut.p99_ms / floorOut.p50_ms },
};
for (const [name, rps, out] of [['server', half, rateOut], ['express hello', helloHalf, helloOut], ['Go floor (loadgen -serve)', half, floorOut]] as const) {
  log(`  ${name} at ${rps} req/s: p50 ${out.p50_ms.toFixed(2)} ms, p90 ${out.p90_ms.toFixed(2)}, p99 ${out.p99_ms.toFixed(2)}, max ${out.max_ms.toFixed(1)}: p99/p50 ${(out.p99_ms / out.p50_ms).toFixed(1)} (the generator's pacer late by p50 ${out.pacer_late_p50_ms.toFixed(2)}, p99 ${out.pacer_late_p99_ms.toFixed(2)} ms)`);
}

// Saturating = the load of the throughput step (CONNECTIONS closed-loop connections), the one at
// which the server gives its maximum sustainable throughput.
log('/v2/health/live p99, idle and under saturating inference load');
const live = `http://127.0.0.1:${PORTS.server}/v2/health/live`;
// A p99 of a sub-millisecond probe moves with every stray stall, so: ROUNDS of idle then loaded,
// medians of each.
// The same probe of a bystander, the Go floor server (one core), idle and while ours is
// saturated: what the machine's contention alone does to a server with nothing to do.
const bystander = `http://127.0.0.1:${PORTS.floor}/`;
const idleRuns: WrkResult[] = [];
const loadedRuns: WrkResult[] = [];
const floorIdleRuns: WrkResult[] = [];
const floorLoadedRuns: WrkResult[] = [];
const satRuns: WrkResult[] = [];
for (let r = 0; r < ROUNDS; r++) {
  idleRuns.push(await wrk(live, { connections: 1 }));
  floorIdleRuns.push(await wrk(bystander, { connections: 1 }));
  const saturating = wrk(infer(PORTS.server), { body: small, connections: CONNECTIONS, seconds: 2 * SECONDS + 3 });
  await new Promise((res) => setTimeout(res, 1000));
  loadedRuns.push(await wrk(live, { connections: 1 }));
  floorLoadedRuns.push(await wrk(bystander, { connections: 1 }));
  satRuns.push(await saturating);
}
const p99s = (runs: WrkResult[]): number[] => runs.map((w) => w.p99_ms);
const probe = (idle: WrkResult[], loaded: WrkResult[]) => ({
  idle_p99_ms: median(p99s(idle)), idle_p99_runs: p99s(idle), idle_p50_ms: median(idle.map((w) => w.p50_ms)),
  saturated_p99_ms: median(p99s(loaded)), saturated_p99_runs: p99s(loaded), saturated_p50_ms: median(loaded.map((w) => w.p50_ms)),
  ratio: median(p99s(loaded)) / median(p99s(idle)),
});
results.health = {
  ...probe(idleRuns, loadedRuns), saturating_rps: median(satRuns.map((w) => w.rps)), saturating_connections: CONNECTIONS,
  go_floor_bystander: probe(floorIdleRuns, floorLoadedRuns),
};
for (const [name, idle, loaded] of [['/v2/health/live', idleRuns, loadedRuns], ['bystander Go floor', floorIdleRuns, floorLoadedRuns]] as const) {
  log(`  ${name}: idle p99 ${p99s(idle).join(', ')} ms; loaded p99 ${p99s(loaded).join(', ')} ms: ${probe(idle, loaded).ratio.toFixed(2)}x`);
}

for (const c of children.splice(0)) c.kill('SIGTERM');
await new Promise((r) => setTimeout(r, 1000));

// ---- 3. binary tensor extension vs JSON for 16k floats --------------------------------------
log(`binary tensor extension vs JSON, ${WIDTH} floats in and out`);
startServer(PORTS.wide, path.join(MODELS, 'wide'), { MAX_BODY_BYTES: String(8 * 1024 * 1024) });
await waitFor(`http://127.0.0.1:${PORTS.wide}/v2/health/ready`);
await wrk(infer(PORTS.wide), { seconds: 2, body: wideJson, connections: 8 });
await wrk(infer(PORTS.wide), { seconds: 2, body: wideBin, binaryHeaderLength: wideHeader.length, connections: 8 });
const bin = await rounds({
  json: () => wrk(infer(PORTS.wide), { body: wideJson, connections: 8 }),
  binary: () => wrk(infer(PORTS.wide), { body: wideBin, binaryHeaderLength: wideHeader.length, connections: 8 }),
});
results.binary = { ...bin, ratio: bin.binary.rps / bin.json.rps };
for (const c of children.splice(0)) c.kill('SIGTERM');
await new Promise((r) => setTimeout(r, 1000));

// ---- 4. supplementary: batching where inference dominates ------------------------------------
log('supplementary: dynamic batching at concurrency 16 on mlp-wide');
const mlpBody = path.join(OUT, 'mlp-wide.json');
writeFileSync(mlpBody, JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 32], data: Array.from({ length: 32 }, (_, i) => Math.cos(i)) }] }));
const mlpEnv = (extra: Record<string, string>): Record<string, string> => ({ MODEL_URI: `file://${wideMlp}`, ...extra });
startServer(PORTS.server, path.dirname(wideMlp), mlpEnv({}));
startServer(PORTS.unbatched, path.dirname(wideMlp), mlpEnv({ MAX_BATCH_SIZE: '1' }));
await waitFor(`http://127.0.0.1:${PORTS.server}/v2/health/ready`);
await waitFor(`http://127.0.0.1:${PORTS.unbatched}/v2/health/ready`);
for (const port of [PORTS.server, PORTS.unbatched]) await wrk(infer(port), { seconds: 2, body: mlpBody, connections: 16 });
const mlpBatching = await rounds({
  batched: () => wrk(infer(PORTS.server), { body: mlpBody, connections: 16 }),
  unbatched: () => wrk(infer(PORTS.unbatched), { body: mlpBody, connections: 16 }),
});
results.batching_mlp_wide = { ...mlpBatching, ratio: mlpBatching.batched.rps / mlpBatching.unbatched.rps };
for (const c of children.splice(0)) c.kill('SIGTERM');
await new Promise((r) => setTimeout(r, 1000));

// ---- 5. memory: RSS after 10k requests vs after RSS_REQUESTS ----------------------------------
log(`RSS after 10k and after ${RSS_REQUESTS} requests`);
const rssServer = startServer(PORTS.rss, MODEL);
await waitFor(`http://127.0.0.1:${PORTS.rss}/v2/health/ready`);
let count = 0;
while (count < 10_000) {
  await wrk(infer(PORTS.rss), { body: small, seconds: 1 });
  count = await requestCount(PORTS.rss);
}
const rssAt10k = { requests: count, rss_kib: rssKiB(rssServer.pid as number), loadavg: loadavg() };
const rssTrace: { requests: number; rss_kib: number }[] = [];
const deadline = Date.now() + RSS_SECONDS * 1000;
while (count < RSS_REQUESTS && Date.now() < deadline) {
  await wrk(infer(PORTS.rss), { body: small, seconds: 10 });
  count = await requestCount(PORTS.rss);
  rssTrace.push({ requests: count, rss_kib: rssKiB(rssServer.pid as number) });
}
const rssAtEnd = { requests: count, rss_kib: rssKiB(rssServer.pid as number), loadavg: loadavg() };
results.memory = { target_requests: RSS_REQUESTS, time_cap_s: RSS_SECONDS, at_10k: rssAt10k, at_end: rssAtEnd, ratio: rssAtEnd.rss_kib / rssAt10k.rss_kib, trace: rssTrace };
for (const c of children.splice(0)) c.kill('SIGTERM');

const file = path.join(OUT, `results-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
log(`wrote ${file}`);
process.exit(0);
