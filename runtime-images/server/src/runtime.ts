// One served model and everything around it: fetching and verifying the artifact, its
// signature, the worker pool, the batcher, metrics, drift recording and the prediction log.
// Loading runs in the background; liveness never waits for it, readiness does.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Batcher } from './batcher.ts';
import type { Config } from './config.ts';
import { DriftRecorder, parseProfile, type ReferenceProfile } from './drift.ts';
import { serverError } from './errors.ts';
import { createLogger, type Logger } from './logger.ts';
import { Metrics } from './metrics.ts';
import { fetchJson, fetchModel, NotFoundError, siblingUri, type S3Options } from './model-source.ts';
import { readOnnxMetadata } from './onnx-metadata.ts';
import { WorkerPool } from './pool.ts';
import { createPredictionLog, disabledLog, type PredictionLog } from './prediction-log.ts';
import {
  SIGNATURE_METADATA_KEY, isBatchable, mergeSignature, parseSignature, signatureFromSession,
  type Signature,
} from './signature.ts';
import { DATATYPES, type Tensor } from './tensor.ts';

export type Phase = 'loading' | 'ready' | 'failed' | 'draining' | 'stopped';

export type FailureReason = 'digest_mismatch' | 'fetch_failed' | 'signature_invalid' | 'session_failed' | 'profile_invalid';

export class LoadError extends Error {
  readonly reason: FailureReason;
  constructor(reason: FailureReason, message: string) {
    super(message);
    this.name = 'LoadError';
    this.reason = reason;
  }
}

export interface RuntimeOptions {
  logger?: Logger;
  /** Randomness for sampling (access log, prediction log); injectable for tests. */
  random?: () => number;
}

export class Runtime {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly random: () => number;
  phase: Phase = 'loading';
  failure: string | undefined;
  signature: Signature | undefined;
  drift: DriftRecorder | undefined;
  predictionLog: PredictionLog = disabledLog;
  provider = 'cpu';
  private pool: WorkerPool | undefined;
  private batcher: Batcher | undefined;
  readonly loaded: Promise<void>;

  constructor(config: Config, opts: RuntimeOptions = {}) {
    this.config = config;
    this.logger = opts.logger ?? createLogger(config.logLevel);
    this.random = opts.random ?? Math.random;
    this.metrics = new Metrics(config.modelName, config.modelVersion, config.maxBatchSize);
    this.loaded = this.load();
  }

  get ready(): boolean {
    return this.phase === 'ready';
  }

  /** Accepting inference: ready, or draining (still routed to us until endpoints update). */
  get serving(): boolean {
    return this.phase === 'ready' || this.phase === 'draining';
  }

  private s3(): S3Options {
    return { endpoint: this.config.s3Endpoint, forcePathStyle: this.config.s3ForcePathStyle, region: this.config.s3Region };
  }

  private async load(): Promise<void> {
    const cfg = this.config;
    const started = performance.now();
    const log = this.logger.child({ model: cfg.modelName, version: cfg.modelVersion, uri: cfg.modelUri });
    try {
      let local: { path: string; sha256: string };
      try {
        local = await fetchModel(cfg.modelUri, cfg.modelCacheDir, this.s3());
      } catch (err) {
        throw new LoadError('fetch_failed', `cannot fetch the model: ${(err as Error).message}`);
      }
      if (cfg.modelSha256 === undefined) {
        log.warn({ sha256: local.sha256 }, 'MODEL_SHA256 is not set: the model digest is not verified');
      } else if (cfg.modelSha256 !== local.sha256) {
        throw new LoadError('digest_mismatch', `model digest mismatch: expected sha256 ${cfg.modelSha256}, got ${local.sha256}; refusing to serve`);
      }

      const declared = await this.declaredSignature(local.path);
      const eps = this.executionProviders();
      this.pool = new WorkerPool({ modelPath: local.path, intraOpThreads: cfg.intraOpThreads, executionProviders: eps }, cfg.workers);
      let ready;
      try {
        ready = await this.pool.start();
      } catch (err) {
        throw new LoadError('session_failed', `ONNX Runtime cannot load the model: ${(err as Error).message}`);
      }
      this.provider = ready.provider;
      if (ready.fallbackReason !== undefined) log.warn({ reason: ready.fallbackReason }, 'CUDA execution provider unavailable; running on CPU');
      let signature: Signature;
      try {
        signature = mergeSignature(signatureFromSession(ready.inputs, ready.outputs), declared?.signature, declared?.from ?? 'signature');
      } catch (err) {
        throw new LoadError('signature_invalid', (err as Error).message);
      }
      this.signature = signature;

      let profile: ReferenceProfile | undefined;
      if (cfg.referenceProfileUri !== undefined) {
        try {
          profile = parseProfile(await fetchJson(cfg.referenceProfileUri, this.s3()));
        } catch (err) {
          throw new LoadError('profile_invalid', `cannot use the reference profile ${cfg.referenceProfileUri}: ${(err as Error).message}`);
        }
      }
      this.drift = new DriftRecorder(signature, profile, cfg.modelName, cfg.modelVersion);
      if (this.drift.unprofiled.length > 0) {
        log.warn({ features: this.drift.unprofiled }, 'no reference profile bucket edges for these numeric features: no drift histogram for them');
      }
      this.metrics.addCustom(this.drift.metrics());

      const batchable = isBatchable(signature) && cfg.maxBatchSize > 1;
      if (!batchable && cfg.maxBatchSize > 1) log.info('the model has no dynamic batch dimension on every input and output: dynamic batching is off');
      const labels = this.metrics.labels;
      this.batcher = new Batcher(this.pool, signature, {
        maxBatchSize: cfg.maxBatchSize, maxQueueDelayMs: cfg.maxQueueDelayMs, maxQueueSize: cfg.maxQueueSize, batchable,
      }, {
        onBatch: (rows, _requests, ms) => {
          this.metrics.batchSize.observe(labels, rows);
          this.metrics.runDuration.observe(labels, ms / 1000);
        },
        onQueueDepth: (depth) => this.metrics.queueDepth.set(labels, depth),
      });
      const batcher = this.batcher;
      this.pool.setEvents({
        onIdle: () => batcher.pump(),
        onWorkerExit: (index, reason) => log.error({ worker: index, reason }, 'inference worker exited; restarting it'),
      });

      if (cfg.predictionLogUri !== undefined && cfg.predictionLogSampleRate > 0) {
        this.predictionLog = createPredictionLog({
          uri: cfg.predictionLogUri, sampleRate: cfg.predictionLogSampleRate, maxPending: cfg.predictionLogMaxPending,
          flushMs: cfg.predictionLogFlushMs, s3: this.s3(), random: this.random, logger: this.logger,
          count: (result, n) => this.metrics.predictionLog.inc({ ...labels, result }, n),
        });
      }

      await this.warmUp(log, batchable ? cfg.maxBatchSize : 1);
      if (this.phase !== 'loading') return; // shut down while loading
      this.phase = 'ready';
      this.metrics.ready.set(labels, 1);
      log.info({ sha256: local.sha256, provider: this.provider, workers: cfg.workers, batching: batchable, ms: Math.round(performance.now() - started) }, 'model ready');
    } catch (err) {
      const e = err instanceof LoadError ? err : new LoadError('session_failed', (err as Error).message);
      this.phase = 'failed';
      this.failure = e.message;
      this.metrics.loadFailures.inc({ ...this.metrics.labels, reason: e.reason });
      log.error({ reason: e.reason }, e.message);
      await this.pool?.close();
    }
  }

  private executionProviders(): string[] {
    const ep = this.config.executionProvider;
    if (ep === 'cuda') return ['cuda'];
    if (ep === 'cpu') return ['cpu'];
    // A GPU is visible in the container when the NVIDIA device nodes are.
    return existsSync('/dev/nvidiactl') ? ['cuda', 'cpu'] : ['cpu'];
  }

  private async declaredSignature(modelPath: string): Promise<{ signature: Signature; from: string } | undefined> {
    const uri = this.config.signatureUri ?? siblingUri(this.config.modelUri, 'signature.json');
    try {
      return { signature: parseSignature(await fetchJson(uri, this.s3()), uri), from: uri };
    } catch (err) {
      if (!(err instanceof NotFoundError) || this.config.signatureUri !== undefined) {
        throw new LoadError('signature_invalid', `cannot use the signature ${uri}: ${(err as Error).message}`);
      }
    }
    const meta = readOnnxMetadata(await readFile(modelPath))[SIGNATURE_METADATA_KEY];
    if (meta === undefined) return undefined;
    try {
      return { signature: parseSignature(JSON.parse(meta), `ONNX metadata ${SIGNATURE_METADATA_KEY}`), from: `ONNX metadata ${SIGNATURE_METADATA_KEY}` };
    } catch (err) {
      throw new LoadError('signature_invalid', `ONNX metadata ${SIGNATURE_METADATA_KEY} is invalid: ${(err as Error).message}`);
    }
  }

  /**
   * One zero-filled row, then one full batch, per worker: pays for first-run allocations, and
   * sizes ONNX Runtime's memory arena for the largest batch before we report ready, so memory
   * does not keep growing in steps as the first large batches arrive under load.
   */
  private async warmUp(log: Logger, maxRows: number): Promise<void> {
    const sig = this.signature as Signature;
    const feeds = (rows: number): Record<string, { type: (typeof DATATYPES)[keyof typeof DATATYPES]['ort']; dims: number[]; data: Tensor['data'] }> => {
      const out: ReturnType<typeof feeds> = {};
      for (const s of sig.inputs) {
        const dims = s.shape.map((d, i) => (d < 0 ? (i === 0 ? rows : 1) : d));
        out[s.name] = { type: DATATYPES[s.datatype].ort, dims, data: DATATYPES[s.datatype].make(dims.reduce((a, b) => a * b, 1)) };
      }
      return out;
    };
    const runs = Array.from({ length: this.config.workers }, async () => {
      await (this.pool as WorkerPool).run(feeds(1));
      if (maxRows > 1) await (this.pool as WorkerPool).run(feeds(maxRows));
    });
    const results = await Promise.allSettled(runs);
    for (const r of results) {
      // Zeros are not valid input for every model: a failed warm-up is worth a warning only.
      if (r.status === 'rejected') log.warn({ err: (r.reason as Error).message }, 'warm-up inference with zeros failed');
    }
  }

  infer(inputs: Map<string, Tensor>, rows: number): Promise<Map<string, Tensor>> {
    if (!this.serving || this.batcher === undefined) {
      return Promise.reject(serverError('MODEL_NOT_READY', this.phase === 'failed' ? (this.failure ?? 'load failed') : this.phase));
    }
    return this.batcher.submit(inputs, rows);
  }

  queueDepth(): number {
    return this.batcher?.depth ?? 0;
  }

  /** Stop reporting ready; keep serving what arrives until the listener closes. */
  startDraining(): void {
    if (this.phase === 'ready' || this.phase === 'loading') this.phase = 'draining';
    this.metrics.ready.set(this.metrics.labels, 0);
  }

  drained(): Promise<void> {
    return this.batcher?.drained() ?? Promise.resolve();
  }

  async close(): Promise<void> {
    this.startDraining();
    this.phase = 'stopped';
    this.batcher?.rejectQueued(serverError('SHUTTING_DOWN'));
    await this.pool?.close();
    await this.predictionLog.close();
  }
}
