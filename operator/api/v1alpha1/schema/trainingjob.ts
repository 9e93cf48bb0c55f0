// TrainingJob: trains a model on a Dataset version in a batch Job and registers it when it passes its gate.
import { arr, bool, cron, describe, duration, enumOf, freeForm, int, int64, label, mapOf, named, num, obj, objectName, opt, req, str, timestamp } from './builder.ts';
import { aliasName, conditions, datasetReference, env, image, observedGeneration, resources, scheduling, suspend } from './common.ts';
import { ageColumn } from './kind.ts';
import type { KindDefinition } from './kind.ts';

const gateRule = named(
  'GateRule',
  obj(
    'A condition on one test-split metric that a run must meet to be registered.',
    {
      metric: req(str('Metric name as the trainer reports it, e.g. accuracy, f1_macro, roc_auc, rmse, mae, r2.', { maxLength: 63, minLength: 1 })),
      min: opt(num('The metric must be at least this value.')),
      max: opt(num('The metric must be at most this value.')),
      beatBaselineBy: opt(
        num('The metric must beat the trivial baseline (majority class or mean) by at least this much, in the metric\'s own units: higher for scores, lower for errors. 0 means "strictly better than trivial".', {
          minimum: 0,
        }),
      ),
    },
    {
      'x-kubernetes-validations': [
        { rule: 'has(self.min) || has(self.max) || has(self.beatBaselineBy)', message: 'a gate rule needs at least one of min, max or beatBaselineBy' },
        { rule: '!has(self.min) || !has(self.max) || self.min <= self.max', message: 'min must not be greater than max' },
      ],
    },
  ),
);

const split = named(
  'DataSplit',
  obj('How the data is split into training, validation and test parts; metrics are measured on the test part.', {
    method: opt(enumOf('Random: shuffled with the seed. Time: ordered by timeColumn, the latest rows are the test part.', ['Random', 'Time'], { default: 'Random' })),
    validationFraction: opt(num('Fraction of rows for validation (early stopping).', { minimum: 0, maximum: 0.5, default: 0.15 })),
    testFraction: opt(num('Fraction of rows held out for the test metrics.', { minimum: 0.05, maximum: 0.5, default: 0.15 })),
    timeColumn: opt(str('Column that orders rows for method Time; default: the Dataset\'s timestamp column.', { maxLength: 128 })),
  }),
);

export const trainingJobSpec = named(
  'TrainingJobSpec',
  obj(
    'What to train, on which data, with which resources, and when the result is good enough to register.',
    {
      datasetRef: req(describe('The Dataset to train on, and optionally a pinned version; omitted version: the current one when the run starts (recorded in status.datasetVersion).', datasetReference)),
      model: req(label('Model name the result is registered under; the ModelVersion is named <model>-v<N>.', 50)),
      task: opt(enumOf('Auto: classification for a category, boolean or string target, regression for a numeric one.', ['Auto', 'Classification', 'Regression'], { default: 'Auto' })),
      image: opt(describe('Trainer image. Omitted: the operator\'s configured trainer image (runtime-images/trainer). A custom image must follow docs/contracts.md.', image)),
      command: opt(arr('Entrypoint override for a custom trainer image that follows the trainer contract (docs/contracts.md).', str('An argument.', { maxLength: 4096 }), { maxItems: 64 })),
      args: opt(arr('Arguments for the trainer.', str('An argument.', { maxLength: 4096 }), { maxItems: 64 })),
      env: opt(env),
      hyperparameters: opt(
        freeForm('Hyperparameters passed to the trainer as JSON, e.g. epochs: 50, learningRate: 0.001, batchSize: 64, hiddenSizes: [64, 32], dropout: 0.1, weightDecay: 0.0001, patience: 5.', 64),
      ),
      seed: opt(int64('Random seed for splitting, initialisation and shuffling; the same seed on the same data gives the same metrics.', { default: 42, minimum: 0 })),
      split: opt(split),
      resources: opt(resources),
      workers: opt(int('Number of training Pods. More than 1 runs distributed data-parallel training in an Indexed Job with a headless Service for rendezvous.', { minimum: 1, maximum: 64, default: 1 })),
      ...scheduling,
      queueName: opt(label('Kueue LocalQueue to submit the Job to (sets the kueue.x-k8s.io/queue-name label).')),
      activeDeadlineSeconds: opt(int64('Longest a run may take before it is stopped and marked failed.', { minimum: 1 })),
      backoffLimit: opt(int('Retries of a failed training Pod before the run fails.', { minimum: 0, maximum: 10, default: 1 })),
      gate: opt(arr('Conditions on the test metrics; a run that misses any of them is Rejected and registers nothing.', gateRule, { maxItems: 16 })),
      registration: opt(
        obj('What the registered ModelVersion gets.', {
          aliases: opt(arr('Aliases the new ModelVersion takes, e.g. staging; an alias held by another version of the model moves to it.', aliasName, { maxItems: 8, 'x-kubernetes-list-type': 'set' })),
        }),
      ),
      schedule: opt(cron('Continuous training: start a new run on this cron schedule, like a CronJob. Omitted: run once.')),
      concurrencyPolicy: opt(enumOf('For scheduled runs: Forbid skips a run while one is active, Replace stops the active one, Allow runs both.', ['Allow', 'Forbid', 'Replace'], { default: 'Forbid' })),
      suspend: opt(suspend),
      successfulRunsHistoryLimit: opt(int('Finished successful runs kept for a scheduled TrainingJob.', { minimum: 0, maximum: 100, default: 3 })),
      failedRunsHistoryLimit: opt(int('Finished failed runs kept for a scheduled TrainingJob.', { minimum: 0, maximum: 100, default: 1 })),
      ttlAfterFinished: opt(duration('Delete the finished Job (not the ModelVersion) after this long, e.g. 24h. Omitted: keep it.')),
    },
    {
      'x-kubernetes-validations': [
        { rule: '!has(self.concurrencyPolicy) || self.concurrencyPolicy == "Forbid" || has(self.schedule)', message: 'concurrencyPolicy applies only with a schedule' },
      ],
    },
  ),
);

const gateResult = named(
  'GateResult',
  obj('How the run fared against one gate rule.', {
    metric: req(str('Metric name.', { maxLength: 63 })),
    value: opt(num('Measured value; absent when the trainer did not report the metric.')),
    rule: req(str('The rule in words, e.g. ">= 0.85".', { maxLength: 256 })),
    passed: req(bool('Whether the rule was met.')),
  }),
);

const runRef = named(
  'TrainingRun',
  obj('One run of a scheduled TrainingJob.', {
    name: req(objectName('Name of the Job of the run.')),
    phase: req(str('Phase of the run.', { maxLength: 32 })),
    startTime: opt(timestamp('When the run started.')),
    completionTime: opt(timestamp('When the run finished.')),
    modelVersion: opt(objectName('The ModelVersion the run registered.')),
  }),
);

export const trainingJobStatus = named(
  'TrainingJobStatus',
  obj('The observed state of the training run (or, with a schedule, of the latest run).', {
    observedGeneration: opt(observedGeneration),
    phase: opt(
      enumOf('Pending: waiting for the Dataset or the Job; Running; Succeeded: registered a ModelVersion; Rejected: trained but missed the gate; Failed: see conditions; Scheduled: waiting for the next scheduled run.', [
        'Pending',
        'Running',
        'Succeeded',
        'Rejected',
        'Failed',
        'Scheduled',
      ]),
    ),
    conditions: opt(conditions),
    jobName: opt(objectName('The batch/v1 Job of the current or last run.')),
    datasetVersion: opt(str('The Dataset version the run trained on.', { maxLength: 80 })),
    startTime: opt(timestamp('When the current or last run started.')),
    completionTime: opt(timestamp('When the last run finished.')),
    progress: opt(
      obj('Progress of the running training, from the trainer\'s report.', {
        epoch: opt(int('Epochs done.', { minimum: 0 })),
        epochs: opt(int('Epochs planned.', { minimum: 0 })),
        message: opt(str('Latest progress message.', { maxLength: 1024 })),
      }),
    ),
    metrics: opt(mapOf('Metrics on the test split, e.g. accuracy: 0.91.', num('Metric value.'), { maxProperties: 64 })),
    baselineMetrics: opt(mapOf('The same metrics for the trivial baseline (majority class or mean).', num('Metric value.'), { maxProperties: 64 })),
    primaryMetric: opt(str('The headline metric as name=value, for the printer column.', { maxLength: 128 })),
    gate: opt(arr('Result of each gate rule.', gateResult, { maxItems: 16 })),
    modelVersion: opt(objectName('The ModelVersion registered by the last successful run.')),
    imageDigest: opt(str('Digest of the trainer image the Pod ran.', { maxLength: 512 })),
    failureReason: opt(str('Why the last run failed, in words: OOMKilled, image pull, deadline, the trainer\'s error text.', { maxLength: 4096 })),
    lastScheduleTime: opt(timestamp('When a scheduled run last started.')),
    nextScheduleTime: opt(timestamp('When the next scheduled run is due.')),
    runs: opt(arr('Recent runs of a scheduled TrainingJob, newest first.', runRef, { maxItems: 100 })),
  }),
);

export const trainingJob: KindDefinition = {
  kind: 'TrainingJob',
  plural: 'trainingjobs',
  singular: 'trainingjob',
  shortNames: ['mtj'],
  description:
    'A TrainingJob trains a model on a version of a Dataset in a Kubernetes Job (on GPUs when asked, across several Pods when workers > 1), checks the test metrics against its gate and, when they pass, registers the result as a ModelVersion with its lineage. With a schedule it retrains continuously.',
  spec: trainingJobSpec,
  status: trainingJobStatus,
  printerColumns: [
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Pending, Running, Succeeded, Rejected, Failed or Scheduled.' },
    { name: 'Dataset', type: 'string', jsonPath: '.spec.datasetRef.name', description: 'The Dataset trained on.' },
    { name: 'Model', type: 'string', jsonPath: '.spec.model', description: 'Model name registered under.', priority: 1 },
    { name: 'Metric', type: 'string', jsonPath: '.status.primaryMetric', description: 'Headline test metric.' },
    { name: 'Model-Version', type: 'string', jsonPath: '.status.modelVersion', description: 'The ModelVersion registered.' },
    ageColumn,
  ],
};

