// The operator's own Prometheus metrics: reconciles, queues, informers, API client, rollout analysis, leadership.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconcileTotal = new Counter({
    name: 'modelops_reconcile_total',
    help: 'Reconciles by controller and result (success, requeue, error, terminal).',
    labelNames: ['controller', 'result'] as const,
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: 'modelops_reconcile_errors_total',
    help: 'Reconciles that failed, by controller (retried) and terminal ones (not retried).',
    labelNames: ['controller', 'terminal'] as const,
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: 'modelops_reconcile_duration_seconds',
    help: 'Time spent in one reconcile.',
    labelNames: ['controller'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'modelops_workqueue_depth',
    help: 'Keys waiting in the work queue.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly queueLatency = new Histogram({
    name: 'modelops_workqueue_latency_seconds',
    help: 'Time a key waited in the queue before a worker took it.',
    labelNames: ['controller'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60],
    registers: [this.registry],
  });
  readonly queueRetries = new Counter({
    name: 'modelops_workqueue_retries_total',
    help: 'Keys re-queued with backoff after a failed reconcile.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly informerRestarts = new Counter({
    name: 'modelops_informer_restarts_total',
    help: 'Watches restarted after an error, by informer.',
    labelNames: ['informer'] as const,
    registers: [this.registry],
  });
  readonly clientThrottle = new Counter({
    name: 'modelops_kube_client_throttled_seconds_total',
    help: 'Time API requests waited for the client-side rate limiter.',
    registers: [this.registry],
  });
  readonly eventFailures = new Counter({
    name: 'modelops_event_record_failures_total',
    help: 'Events that could not be recorded.',
    registers: [this.registry],
  });
  readonly analysisMeasurements = new Counter({
    name: 'modelops_analysis_measurements_total',
    help: 'Rollout analysis measurements, by check (error-rate, latency-p99, latency-ratio, or custom for every custom metric) and result (Successful, Failed, Inconclusive, Error).',
    labelNames: ['check', 'result'] as const,
    registers: [this.registry],
  });
  readonly driftStatistic = new Gauge({
    name: 'modelops_drift_statistic',
    help: 'DriftMonitor: the statistic of the last run per feature (a distance, or the test statistic for KS and chi-squared); feature="__prediction__" for prediction drift.',
    labelNames: ['namespace', 'monitor', 'feature', 'method'] as const,
    registers: [this.registry],
  });
  readonly driftPValue = new Gauge({
    name: 'modelops_drift_p_value',
    help: 'DriftMonitor: the p-value of the last run per feature, for KS and chi-squared.',
    labelNames: ['namespace', 'monitor', 'feature', 'method'] as const,
    registers: [this.registry],
  });
  readonly driftDetected = new Gauge({
    name: 'modelops_drift_detected',
    help: 'DriftMonitor: 1 when the last run found drift on the feature, else 0 (also 0 for insufficient data).',
    labelNames: ['namespace', 'monitor', 'feature'] as const,
    registers: [this.registry],
  });
  readonly driftDatasetDrifted = new Gauge({
    name: 'modelops_drift_dataset_drifted',
    help: 'DriftMonitor: 1 when the last run found dataset drift (share of drifted features >= driftShare).',
    labelNames: ['namespace', 'monitor'] as const,
    registers: [this.registry],
  });
  readonly driftShare = new Gauge({
    name: 'modelops_drift_share',
    help: 'DriftMonitor: share of the watched features that drifted in the last run.',
    labelNames: ['namespace', 'monitor'] as const,
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'modelops_leader',
    help: '1 while this process holds the leader lease (or runs without leader election).',
    registers: [this.registry],
  });

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'modelops_process_' });
  }
}
