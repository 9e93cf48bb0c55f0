// The server's Prometheus metrics (names and labels are a contract: docs/contracts-server.md).
// One registry per runtime, so tests can run several servers in one process.

import client from 'prom-client';
import type { CustomMetric } from './drift.ts';

/**
 * Seconds; steps of at most 1.5x from 1 ms up, so a p99 read from them (histogram_quantile
 * interpolates inside one bucket) can tell apart the 1.5x that a canary's latency ratio judges.
 */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 7.5, 10];

export type Protocol = 'v1' | 'v2';

export class Metrics {
  readonly registry = new client.Registry();
  readonly requests: client.Counter<'model' | 'version' | 'protocol' | 'code'>;
  readonly latency: client.Histogram<'model' | 'version' | 'protocol'>;
  readonly queueDepth: client.Gauge<'model' | 'version'>;
  readonly batchSize: client.Histogram<'model' | 'version'>;
  readonly runDuration: client.Histogram<'model' | 'version'>;
  readonly ready: client.Gauge<'model' | 'version'>;
  readonly loadFailures: client.Counter<'model' | 'version' | 'reason'>;
  readonly predictionLog: client.Counter<'model' | 'version' | 'result'>;
  readonly labels: { model: string; version: string };

  constructor(model: string, version: string, maxBatchSize: number) {
    this.labels = { model, version };
    const registers = [this.registry];
    client.collectDefaultMetrics({ register: this.registry });
    this.requests = new client.Counter({
      name: 'modelops_inference_requests_total',
      help: 'Inference requests answered, by protocol and HTTP status code.',
      labelNames: ['model', 'version', 'protocol', 'code'], registers,
    });
    this.latency = new client.Histogram({
      name: 'modelops_inference_request_duration_seconds',
      help: 'Time from the request arriving to its response being written, in seconds.',
      labelNames: ['model', 'version', 'protocol'], buckets: LATENCY_BUCKETS, registers,
    });
    this.queueDepth = new client.Gauge({
      name: 'modelops_inference_queue_depth',
      help: 'Requests waiting for a worker (not yet in a batch).',
      labelNames: ['model', 'version'], registers,
    });
    const batchBuckets: number[] = [];
    for (let b = 1; b < maxBatchSize; b *= 2) batchBuckets.push(b);
    batchBuckets.push(maxBatchSize);
    this.batchSize = new client.Histogram({
      name: 'modelops_inference_batch_size',
      help: 'Rows per batch handed to ONNX Runtime.',
      labelNames: ['model', 'version'], buckets: batchBuckets, registers,
    });
    this.runDuration = new client.Histogram({
      name: 'modelops_inference_run_duration_seconds',
      help: 'ONNX Runtime time per batch inside the worker, in seconds.',
      labelNames: ['model', 'version'], buckets: LATENCY_BUCKETS, registers,
    });
    this.ready = new client.Gauge({
      name: 'modelops_model_ready',
      help: '1 when the model is loaded, verified and warmed up and the server is not draining.',
      labelNames: ['model', 'version'], registers,
    });
    this.loadFailures = new client.Counter({
      name: 'modelops_model_load_failures_total',
      help: 'Failed model loads by reason (digest_mismatch, fetch_failed, signature_invalid, session_failed, profile_invalid).',
      labelNames: ['model', 'version', 'reason'], registers,
    });
    this.predictionLog = new client.Counter({
      name: 'modelops_prediction_log_records_total',
      help: 'Sampled prediction log records by result (written, dropped: buffer full, failed: sink error).',
      labelNames: ['model', 'version', 'result'], registers,
    });
    this.ready.set(this.labels, 0);
    this.queueDepth.set(this.labels, 0);
    for (const result of ['written', 'dropped', 'failed']) this.predictionLog.inc({ ...this.labels, result }, 0);
  }

  addCustom(metrics: CustomMetric[]): void {
    for (const m of metrics) this.registry.registerMetric(m as unknown as client.Metric);
  }
}
