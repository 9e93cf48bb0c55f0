// Shared test plumbing: start a real server on 127.0.0.1:0 for a fixture model, capture its
// JSON log lines, and talk to it over real HTTP.

import { Writable } from 'node:stream';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { Runtime } from '../src/runtime.ts';
import { listen, type RunningServer } from '../src/server.ts';

export const MODELS = path.join(import.meta.dirname, 'fixtures', 'models');

export function modelUri(name: string, file = 'model.onnx'): string {
  return pathToFileURL(path.join(MODELS, name, file)).toString();
}

export interface TestServer {
  rt: Runtime;
  running: RunningServer;
  url: string;
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

export async function startServer(env: Record<string, string>, opts: { waitReady?: boolean; random?: () => number } = {}): Promise<TestServer> {
  const config = loadConfig({ MODEL_NAME: 'weather', LOG_LEVEL: 'debug', ACCESS_LOG_SAMPLE_RATE: '0', ...env });
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  const rt = new Runtime(config, { logger: createLogger('debug', sink), ...(opts.random ? { random: opts.random } : {}) });
  const running = await listen(rt, '127.0.0.1', 0);
  if (opts.waitReady !== false) await rt.loaded;
  return { rt, running, url: running.url, logs, close: async () => void (await running.shutdown()) };
}

export function classifierEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { MODEL_URI: modelUri('classifier'), REFERENCE_PROFILE: modelUri('classifier', 'profile.json'), ...extra };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

/** A valid classifier request of `rows` rows; row i uses month i % 12 + 1. */
export function classifierRequest(rows = 1, seed = 0): Record<string, unknown> {
  const x: number[][] = [];
  const month: number[][] = [];
  for (let i = 0; i < rows; i++) {
    const k = seed + i;
    x.push([k % 7, 5 + (k % 25), (k % 15) - 3, 1 + (k % 5)]);
    month.push([(k % 12) + 1]);
  }
  return {
    inputs: [
      { name: 'x', datatype: 'FP32', shape: [rows, 4], data: x },
      { name: 'month', datatype: 'INT64', shape: [rows, 1], data: month },
    ],
  };
}

export function inferUrl(ts: TestServer, model = 'weather'): string {
  return `${ts.url}/v2/models/${model}/infer`;
}
