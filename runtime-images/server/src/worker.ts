// The ONNX Runtime session lives here, in a worker thread: onnxruntime-node's run() executes
// the model synchronously on the calling thread, which would stall health probes and /metrics.

import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { OrtType, TensorData } from './tensor.ts';

export interface WireTensor {
  type: OrtType;
  dims: number[];
  data: TensorData;
}

export interface WorkerInit {
  modelPath: string;
  intraOpThreads: number;
  /** Tried in order; the first that creates a session wins. */
  executionProviders: string[];
}

export type ToWorker = { type: 'run'; id: number; feeds: Record<string, WireTensor> };

export type FromWorker =
  | { type: 'ready'; provider: string; fallbackReason: string | undefined; inputs: ort.InferenceSession.ValueMetadata[]; outputs: ort.InferenceSession.ValueMetadata[] }
  | { type: 'init-error'; message: string }
  | { type: 'result'; id: number; outputs: Record<string, WireTensor>; ms: number }
  | { type: 'run-error'; id: number; message: string };

function transferables(tensors: Record<string, WireTensor>): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const t of Object.values(tensors)) {
    if (Array.isArray(t.data)) continue;
    if (t.data.byteOffset !== 0 || t.data.byteLength !== t.data.buffer.byteLength) {
      t.data = t.data.slice() as TensorData; // never hand over a buffer we only view part of
    }
    out.push((t.data as Float32Array).buffer as ArrayBuffer);
  }
  return out;
}

async function createSession(init: WorkerInit): Promise<{ session: ort.InferenceSession; provider: string; fallbackReason: string | undefined }> {
  let fallbackReason: string | undefined;
  for (const provider of init.executionProviders) {
    try {
      const session = await ort.InferenceSession.create(init.modelPath, {
        executionProviders: provider === 'cpu' ? ['cpu'] : [provider, 'cpu'],
        intraOpNumThreads: init.intraOpThreads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        logSeverityLevel: 4, // run errors reach our JSON logs and the caller; no raw stderr
      });
      return { session, provider, fallbackReason };
    } catch (err) {
      if (provider === init.executionProviders[init.executionProviders.length - 1]) throw err;
      fallbackReason = `${provider}: ${(err as Error).message}`;
    }
  }
  throw new Error('no execution provider configured');
}

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('worker.ts must run as a worker thread');
  const init = workerData as WorkerInit;
  let session: ort.InferenceSession;
  try {
    const created = await createSession(init);
    session = created.session;
    port.postMessage({
      type: 'ready', provider: created.provider, fallbackReason: created.fallbackReason,
      inputs: [...session.inputMetadata], outputs: [...session.outputMetadata],
    } satisfies FromWorker);
  } catch (err) {
    port.postMessage({ type: 'init-error', message: (err as Error).message } satisfies FromWorker);
    return;
  }
  port.on('message', (msg: ToWorker) => {
    void (async () => {
      const started = performance.now();
      try {
        const feeds: Record<string, ort.Tensor> = {};
        for (const [name, t] of Object.entries(msg.feeds)) {
          feeds[name] = new ort.Tensor(t.type, t.data as Float32Array, t.dims);
        }
        const results = await session.run(feeds);
        const outputs: Record<string, WireTensor> = {};
        for (const [name, value] of Object.entries(results)) {
          outputs[name] = { type: value.type as OrtType, dims: [...value.dims], data: value.data as TensorData };
        }
        const reply: FromWorker = { type: 'result', id: msg.id, outputs, ms: performance.now() - started };
        port.postMessage(reply, transferables(outputs));
      } catch (err) {
        port.postMessage({ type: 'run-error', id: msg.id, message: (err as Error).message } satisfies FromWorker);
      }
    })();
  });
}

await main();
