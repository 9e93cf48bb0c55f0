// DriftMonitor: compares live feature distributions with the training data and can start retraining.
import { arr, bool, cron, describe, duration, enumOf, int64, named, num, obj, objectName, opt, req, str, timestamp } from './builder.ts';
import { aliasName, conditions, datasetReference, localObjectReference, observedGeneration, secretReference } from './common.ts';
import { ageColumn } from './kind.ts';
import type { KindDefinition } from './kind.ts';
import { trainingJobSpec } from './trainingjob.ts';

export const DRIFT_METHODS = ['Auto', 'PSI', 'KS', 'ChiSquared', 'JensenShannon', 'Wasserstein'] as const;

const featureSettings = named(
  'DriftFeature',
  obj('Per-feature override of the method and threshold.', {
    name: req(str('Feature (Dataset column) name.', { maxLength: 128, minLength: 1 })),
    method: opt(enumOf('Statistic to use for this feature.', DRIFT_METHODS)),
    threshold: opt(num('Drift threshold for this feature: a p-value for KS and ChiSquared (drift below it), a distance for the others (drift above it).', { minimum: 0 })),
  }),
);

const thresholds = named(
  'DriftThresholds',
  obj('Default thresholds per method (Evidently-like defaults).', {
    psi: opt(num('PSI above this is drift.', { minimum: 0, default: 0.1 })),
    ksPValue: opt(num('Kolmogorov-Smirnov p-value below this is drift.', { minimum: 0, maximum: 1, default: 0.05 })),
    chiSquaredPValue: opt(num('Chi-squared p-value below this is drift.', { minimum: 0, maximum: 1, default: 0.05 })),
    jensenShannon: opt(num('Jensen-Shannon distance above this is drift.', { minimum: 0, maximum: 1, default: 0.1 })),
    wasserstein: opt(num('Wasserstein distance, normalised by the reference standard deviation, above this is drift.', { minimum: 0, default: 0.1 })),
  }),
);

const actions = named(
  'DriftActions',
  obj('What to do when the dataset drifts.', {
    event: opt(bool('Emit a Warning event DriftDetected on the DriftMonitor.', { default: true })),
    webhook: opt(
      obj('Post an Alertmanager-compatible alert.', {
        url: req(str('Webhook URL.', { maxLength: 2048, pattern: '^https?://.+' })),
        secretRef: opt(describe('A Secret with key AUTHORIZATION, sent as the Authorization header of the webhook call.', secretReference)),
      }),
    ),
    retrain: opt(
      obj('Start a TrainingJob from this template on the latest version of the reference Dataset.', {
        template: req(
          obj('The TrainingJob to create.', {
            metadata: opt(
              obj('Labels and annotations for the created TrainingJob.', {
                labels: opt({ type: 'object', description: 'Labels.', additionalProperties: str('Label value.', { maxLength: 63 }), maxProperties: 32 }),
                annotations: opt({ type: 'object', description: 'Annotations.', additionalProperties: str('Annotation value.', { maxLength: 4096 }), maxProperties: 32 }),
              }),
            ),
            spec: req(trainingJobSpec),
          }),
        ),
        cooldown: opt(duration('Least time between two retrainings started by this monitor.', { default: '24h' })),
        aliases: opt(arr('Aliases the retrained ModelVersion takes when it passes its gate, e.g. production, to roll it out through the InferenceService.', aliasName, { maxItems: 8 })),
      }),
    ),
  }),
);

export const driftMonitorSpec = named(
  'DriftMonitorSpec',
  obj('Which service to watch, against which reference, how often, and what to do on drift.', {
    targetRef: req(describe('The InferenceService whose live traffic is watched, in the same namespace.', localObjectReference)),
    reference: opt(
      obj('The reference distribution. Omitted: the Dataset version in the lineage of the ModelVersion the target serves.', {
        datasetRef: req(describe('The Dataset (and optionally version) whose profile is the reference.', datasetReference)),
      }),
    ),
    schedule: req(cron('When to run, as a cron schedule or a macro such as @hourly.')),
    window: opt(duration('How much recent live traffic each run looks at.', { default: '1h' })),
    source: opt(
      enumOf(
        'Metrics: binned counts from the server\'s Prometheus metrics (fast, approximate). PredictionLog: exact samples from the target\'s sampled prediction log (spec.server.predictionLog) against the reference version\'s stored rows; each run reads at most the newest 100,000 records or 64 MiB of the log.',
        ['Metrics', 'PredictionLog'],
        { default: 'Metrics' },
      ),
    ),
    features: opt(arr('Features to watch, with overrides. Omitted: every feature of the model\'s signature.', featureSettings, { maxItems: 512, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] })),
    method: opt(enumOf('Default statistic. Auto picks per feature type and sample size: KS (numeric) or chi-squared (categorical) for up to 1000 samples, Wasserstein (numeric) or Jensen-Shannon (categorical) above.', DRIFT_METHODS, { default: 'Auto' })),
    thresholds: opt(thresholds),
    driftShare: opt(num('The dataset drifts when at least this share of the watched features drift.', { minimum: 0, maximum: 1, default: 0.5 })),
    minSamples: opt(int64('Fewest live samples per feature; below it the result is InsufficientData, not "no drift".', { minimum: 1, default: 100 })),
    predictionDrift: opt(bool('Also compare the distribution of predictions with the reference target distribution.', { default: true })),
    actions: opt(actions),
    suspend: opt(bool('Stops scheduling runs while true.', { default: false })),
  }),
);

const featureResult = named(
  'FeatureDrift',
  obj('The result for one feature.', {
    name: req(str('Feature name.', { maxLength: 128 })),
    method: req(enumOf('Statistic used.', DRIFT_METHODS)),
    statistic: opt(num('Value of the statistic (distance, or test statistic for KS and chi-squared).')),
    pValue: opt(num('p-value, for KS and chi-squared.', { minimum: 0, maximum: 1 })),
    threshold: req(num('Threshold applied.')),
    samples: req(int64('Live samples compared.', { minimum: 0 })),
    verdict: req(enumOf('Outcome for the feature.', ['Drift', 'NoDrift', 'InsufficientData'])),
  }),
);

const liveData = named(
  'DriftLiveData',
  obj('Where the last run\'s live samples came from and how much of the prediction log it read.', {
    source: req(enumOf('Metrics (binned counts from Prometheus) or PredictionLog (exact samples).', ['Metrics', 'PredictionLog'])),
    uri: opt(str('The prediction log read.', { maxLength: 2048 })),
    records: opt(int64('Records of the served model version inside the window that were compared.', { minimum: 0 })),
    rows: opt(int64('Rows (instances) those records hold: the live sample size before missing values are dropped.', { minimum: 0 })),
    linesRead: opt(int64('Lines of the log read, newest first, within the per-run bound.', { minimum: 0 })),
    bytesRead: opt(int64('Bytes of the log read.', { minimum: 0 })),
    skippedLines: opt(int64('Lines that are not a valid prediction record (not JSON, no time, malformed tensors): skipped and counted.', { minimum: 0 })),
    limited: opt(bool('The per-run bound stopped reading before the window\'s start: older records of the window were not compared.')),
    message: opt(str('What was read and skipped, in one line.', { maxLength: 2048 })),
  }),
);

export const driftMonitorStatus = named(
  'DriftMonitorStatus',
  obj('The result of the last run, its history and the retraining it started.', {
    observedGeneration: opt(observedGeneration),
    phase: opt(enumOf('Pending: no run yet; NoDrift; Drifted; InsufficientData: too few live samples; Failed: the last run could not complete, see conditions.', ['Pending', 'NoDrift', 'Drifted', 'InsufficientData', 'Failed'])),
    conditions: opt(conditions),
    drifted: opt(bool('Whether the last run found dataset drift.')),
    driftedShare: opt(num('Share of watched features that drifted in the last run.', { minimum: 0, maximum: 1 })),
    referenceDataset: opt(describe('The Dataset version the last run compared with.', datasetReference)),
    liveData: opt(liveData),
    features: opt(arr('Per-feature results of the last run.', featureResult, { maxItems: 512 })),
    prediction: opt(featureResult),
    lastRunTime: opt(timestamp('When the last run finished.')),
    nextRunTime: opt(timestamp('When the next run is due.')),
    history: opt(
      arr(
        'Recent runs, newest first.',
        obj('A past run.', {
          time: req(timestamp('When it ran.')),
          verdict: req(enumOf('Outcome.', ['NoDrift', 'Drifted', 'InsufficientData', 'Failed'])),
          driftedShare: opt(num('Share of features that drifted.', { minimum: 0, maximum: 1 })),
        }),
        { maxItems: 20 },
      ),
    ),
    lastRetrainTime: opt(timestamp('When this monitor last started a retraining.')),
    retrainingJob: opt(objectName('The TrainingJob of the last retraining.')),
    lastRunRequest: opt(str('The value of the modelops.dev/run annotation that the last requested run answered; a new value asks for a run now.', { maxLength: 253 })),
  }),
);

export const driftMonitor: KindDefinition = {
  kind: 'DriftMonitor',
  plural: 'driftmonitors',
  singular: 'driftmonitor',
  shortNames: ['mdm'],
  description:
    'A DriftMonitor compares, on a schedule, the live distribution of each feature an InferenceService receives with the training data\'s profile (PSI, Kolmogorov-Smirnov, chi-squared, Jensen-Shannon, Wasserstein). On drift it raises an event, a metric and an alert, and can start a TrainingJob whose result rolls out through the service\'s canary: the closed loop.',
  spec: driftMonitorSpec,
  status: driftMonitorStatus,
  printerColumns: [
    { name: 'Target', type: 'string', jsonPath: '.spec.targetRef.name', description: 'InferenceService watched.' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Pending, NoDrift, Drifted, InsufficientData or Failed.' },
    { name: 'Drifted-Share', type: 'number', jsonPath: '.status.driftedShare', description: 'Share of features drifting.' },
    { name: 'Last-Run', type: 'date', jsonPath: '.status.lastRunTime', description: 'When the last run finished.' },
    { name: 'Next-Run', type: 'string', jsonPath: '.status.nextRunTime', description: 'When the next run is due.', priority: 1 },
    ageColumn,
  ],
};
