// A real Prometheus for integration tests: started on a free loopback port with its own TSDB
// in a temporary folder, scraping the given targets every second, stopped (and its folder
// removed) by stop(). The binary is MODELOPS_TEST_PROMETHEUS, else `prometheus` on PATH
// (Debian's package installs /usr/bin/prometheus).
import { spawn } from 'node:child_process';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait.ts';

export interface ScrapeTarget {
  /** host:port serving /metrics. */
  address: string;
  /** Target labels Prometheus adds to every series, as relabelling a Pod label would. */
  labels?: Record<string, string>;
}

export interface PrometheusServer {
  url: string;
  /** Replaces the file-discovered targets (with opts.fileTargets); Prometheus picks them up within a second or so. */
  setTargets(targets: readonly ScrapeTarget[]): Promise<void>;
  stop(): Promise<void>;
}

/** A port free now on 127.0.0.1 (for programs that cannot listen on port 0 and tell us). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * Starts Prometheus scraping `targets`; with `fileTargets`, also the targets given later to
 * setTargets() (file-based discovery, as a test stands in for Kubernetes service discovery).
 */
export async function startPrometheus(targets: readonly ScrapeTarget[], opts: { scrapeInterval?: string; fileTargets?: boolean } = {}): Promise<PrometheusServer> {
  const dir = await mkdtemp(join(tmpdir(), 'modelops-prometheus-'));
  const interval = opts.scrapeInterval ?? '1s';
  const targetsFile = join(dir, 'targets.json');
  const asConfig = (list: readonly ScrapeTarget[]) => list.map((t) => ({ targets: [t.address], labels: t.labels ?? {} }));
  const setTargets = async (list: readonly ScrapeTarget[]) => {
    // Written whole and renamed: Prometheus never reads half a file.
    await writeFile(`${targetsFile}.tmp`, JSON.stringify(asConfig(list)));
    await rename(`${targetsFile}.tmp`, targetsFile);
  };
  const scrapeConfigs: object[] = [{ job_name: 'test', static_configs: asConfig(targets) }];
  if (opts.fileTargets) {
    await setTargets([]);
    scrapeConfigs.push({ job_name: 'discovered', file_sd_configs: [{ files: [targetsFile], refresh_interval: '1s' }] });
  }
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval },
    scrape_configs: scrapeConfigs,
  };
  // JSON is YAML: no YAML writer needed.
  await writeFile(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
  const port = await freePort();
  const bin = process.env.MODELOPS_TEST_PROMETHEUS ?? 'prometheus';
  const child = spawn(bin, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => resolve(code));
    child.on('error', (err) => {
      log += `\n${err.message} (install Prometheus, e.g. apt-get install prometheus, or set MODELOPS_TEST_PROMETHEUS)`;
      resolve(-1);
    });
  });
  let gone = false;
  void exited.then(() => (gone = true));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (!gone) {
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(`Prometheus ready at ${url}`, async () => {
      if (gone) throw new Error(`prometheus exited: ${log.trim()}`);
      const res = await fetch(`${url}/-/ready`).catch(() => undefined);
      return res?.ok === true;
    }, 20_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, setTargets, stop };
}
