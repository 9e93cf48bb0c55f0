// InferenceService: serves a ModelVersion and rolls new versions out progressively on Prometheus evidence.
import { arr, bool, describe, duration, enumOf, int, named, num, obj, objectName, opt, req, str, timestamp } from './builder.ts';
import { aliasName, conditions, env, image, observedGeneration, resources, scheduling } from './common.ts';
import { ageColumn } from './kind.ts';
import type { KindDefinition } from './kind.ts';

const modelSelector = named(
  'ModelSelector',
  obj(
    'Which model to serve: one ModelVersion by name, or a model name and an alias to follow (moving the alias starts a rollout).',
    {
      modelVersion: opt(objectName('Name of the ModelVersion to serve.')),
      name: opt(str('Model name, used with alias.', { maxLength: 50 })),
      alias: opt(aliasName),
    },
    {
      'x-kubernetes-validations': [
        { rule: 'has(self.modelVersion) != has(self.alias)', message: 'set exactly one of modelVersion or alias' },
        { rule: 'has(self.alias) == has(self.name)', message: 'alias needs the model name (name), and name is only used with alias' },
      ],
    },
  ),
);

const autoscaling = named(
  'Autoscaling',
  obj(
    'Scale the serving Pods with a HorizontalPodAutoscaler instead of a fixed replica count.',
    {
      minReplicas: opt(int('Fewest replicas.', { minimum: 1, maximum: 1000, default: 1 })),
      maxReplicas: req(int('Most replicas.', { minimum: 1, maximum: 1000 })),
      targetCPUUtilization: opt(int('Average CPU utilisation (percent of requests) to keep.', { minimum: 1, maximum: 100, default: 70 })),
    },
    { 'x-kubernetes-validations': [{ rule: '!has(self.minReplicas) || self.minReplicas <= self.maxReplicas', message: 'minReplicas must not exceed maxReplicas' }] },
  ),
);

const serverSettings = named(
  'ServerSettings',
  obj('Settings of the model server (runtime-images/server).', {
    image: opt(describe('Server image. Omitted: the operator\'s configured server image (runtime-images/server).', image)),
    maxBatchSize: opt(int('Most requests combined into one model call by dynamic batching; 1 turns batching off.', { minimum: 1, maximum: 1024, default: 16 })),
    maxBatchDelayMs: opt(int('Longest a request waits for others to fill a batch while a worker is free, in milliseconds. 0: never wait; a batch holds the requests that queued while the model was busy, which under load fills it by itself. Above 0 pays only where one model call costs much more than one row (a GPU).', { minimum: 0, maximum: 1000, default: 0 })),
    maxQueueSize: opt(int('Requests queued per Pod before the server answers 503 with Retry-After.', { minimum: 1, maximum: 100000, default: 256 })),
    predictionLog: opt(
      obj('A sampled log of predictions (inputs, outputs, version, time), for exact drift tests and retraining.', {
        sampleRate: req(num('Fraction of requests logged, 0 to 1.', { minimum: 0, maximum: 1 })),
        uri: opt(str('Where to write the JSONL log (s3:// or file://); default: the artifact store.', { maxLength: 2048 })),
      }),
    ),
    env: opt(env),
  }),
);

const pause = named(
  'RolloutPause',
  obj('A pause after a step: timed, or until promoted when duration is omitted.', {
    duration: opt(duration('How long to hold the step while analysis runs, e.g. 2m. Omitted: hold until promoted (annotation modelops.dev/promote or spec.rollout.paused=false).')),
  }),
);

const canaryStep = named(
  'CanaryStep',
  obj('One step of a canary rollout.', {
    weight: req(int('Percent of traffic sent to the canary, 0 to 100.', { minimum: 0, maximum: 100 })),
    pause: opt(pause),
  }),
);

const metricCheck = named(
  'AnalysisMetric',
  obj(
    'A custom PromQL check. In the query, {{namespace}}, {{service}}, {{revision}}, {{model}} and {{window}} are replaced; the query must return one number.',
    {
      name: req(str('Name of the check, for status and events.', { maxLength: 63, minLength: 1, pattern: '^[a-zA-Z][a-zA-Z0-9_-]*$' })),
      query: req(str('PromQL query evaluated for the canary revision (and, with compareWithStable, for the stable one).', { maxLength: 4096, minLength: 1 })),
      min: opt(num('The value must be at least this.')),
      max: opt(num('The value must be at most this.')),
      compareWithStable: opt(
        obj(
          'Judge the canary against the stable revision measured at the same time.',
          {
            maxRatio: opt(num('canary / stable must be at most this, e.g. 1.2.', { minimum: 0 })),
            maxDifference: opt(num('canary - stable must be at most this.')),
          },
          { 'x-kubernetes-validations': [{ rule: 'has(self.maxRatio) || has(self.maxDifference)', message: 'compareWithStable needs maxRatio or maxDifference' }] },
        ),
      ),
    },
    { 'x-kubernetes-validations': [{ rule: 'has(self.min) || has(self.max) || has(self.compareWithStable)', message: 'a metric needs min, max or compareWithStable' }] },
  ),
);

const analysis = named(
  'RolloutAnalysis',
  obj('How a new revision is judged: built-in checks on the server\'s own metrics plus custom PromQL.', {
    interval: opt(duration('Time between measurements.', { default: '30s' })),
    window: opt(duration('Range over which rates and quantiles are computed.', { default: '1m' })),
    failureLimit: opt(int('Failed measurements tolerated; one more rolls back.', { minimum: 0, maximum: 100, default: 1 })),
    inconclusiveLimit: opt(int('Inconclusive measurements tolerated; one more pauses the rollout.', { minimum: 0, maximum: 100, default: 3 })),
    noData: opt(enumOf('What a query that returns no data counts as.', ['Inconclusive', 'Pause', 'Fail', 'Pass'], { default: 'Inconclusive' })),
    maxErrorRate: opt(num('Built-in check: largest fraction of 5xx responses of the canary. Omit to keep the default; set 1 to disable.', { minimum: 0, maximum: 1, default: 0.01 })),
    maxLatencyP99Ms: opt(num('Built-in check: largest p99 latency of the canary in milliseconds; 0 disables.', { minimum: 0, default: 500 })),
    maxLatencyRatio: opt(num('Built-in check: largest ratio of canary p99 latency to stable p99 latency; 0 disables.', { minimum: 0, default: 1.5 })),
    latencyRatioFloorMs: opt(num('For maxLatencyRatio: a p99 below this many milliseconds counts as this much, on either side. At a few milliseconds the p99 of one window is scheduling noise and a fresh Pod\'s first requests, not the model; maxLatencyP99Ms still bounds the canary. 0 compares the raw p99s.', { minimum: 0, default: 10 })),
    metrics: opt(arr('Custom checks.', metricCheck, { maxItems: 16, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] })),
  }),
);

const rollout = named(
  'Rollout',
  obj(
    'How a new model version replaces the serving one.',
    {
      strategy: opt(
        enumOf('Canary: shift traffic step by step. BlueGreen: full-size preview, then switch. Shadow: mirror traffic to the candidate and compare, no user impact. Recreate: replace at once.', ['Canary', 'BlueGreen', 'Shadow', 'Recreate'], {
          default: 'Canary',
        }),
      ),
      canary: opt(
        obj('Canary settings.', {
          steps: req(
            arr('Steps in order; weights must not decrease. Reaching the end promotes the canary.', canaryStep, {
              minItems: 1,
              maxItems: 20,
              'x-kubernetes-validations': [{ rule: 'self.map(s, s.weight).isSorted()', message: 'canary step weights must not decrease' }],
            }),
          ),
        }),
      ),
      blueGreen: opt(
        obj('Blue-green settings.', {
          autoPromotionDelay: opt(duration('Promote this long after the preview is ready and analysis passed. Omitted: promote as soon as analysis passes.')),
          manualPromotion: opt(bool('Wait for a manual promote even when analysis passes.', { default: false })),
          scaleDownDelay: opt(duration('Keep the previous revision running this long after the switch, for instant rollback.', { default: '5m' })),
        }),
      ),
      shadow: opt(
        obj('Shadow settings.', {
          mirrorPercent: opt(int('Percent of requests mirrored to the candidate.', { minimum: 1, maximum: 100, default: 100 })),
          duration: opt(duration('How long to compare before deciding.', { default: '10m' })),
          maxPredictionShift: opt(num('Largest Jensen-Shannon distance between candidate and stable prediction distributions, 0 to 1.', { minimum: 0, maximum: 1, default: 0.1 })),
          promote: opt(bool('Promote the candidate when the comparison passes (otherwise only report).', { default: false })),
        }),
      ),
      analysis: opt(analysis),
      paused: opt(bool('Hold the rollout at its current step. Set false (or annotate modelops.dev/promote) to continue.', { default: false })),
    },
    {
      'x-kubernetes-validations': [
        { rule: "!has(self.strategy) || self.strategy != 'Canary' || has(self.canary)", message: 'strategy Canary needs canary.steps' },
      ],
    },
  ),
);

const parentRef = named(
  'GatewayParentReference',
  obj('A Gateway the HTTPRoute attaches to.', {
    name: req(objectName('Gateway name.')),
    namespace: opt(objectName('Gateway namespace; default: the InferenceService\'s.', 63)),
    sectionName: opt(str('Listener name on the Gateway.', { maxLength: 253 })),
  }),
);

const traffic = named(
  'Traffic',
  obj(
    'How requests are split between revisions.',
    {
      provider: opt(
        enumOf('GatewayAPI: an HTTPRoute with weighted backends (exact weights, mirroring). Service: one Service over all revisions, split by replica ratio (approximate, no mirroring).', ['GatewayAPI', 'Service'], {
          default: 'Service',
        }),
      ),
      gateway: opt(
        obj('Gateway API settings.', {
          parentRefs: req(arr('Gateways the route attaches to.', parentRef, { minItems: 1, maxItems: 8 })),
          hostnames: opt(arr('Host names the route answers.', str('A host name.', { maxLength: 253 }), { maxItems: 16 })),
        }),
      ),
    },
    { 'x-kubernetes-validations': [{ rule: "!has(self.provider) || self.provider != 'GatewayAPI' || has(self.gateway)", message: 'provider GatewayAPI needs gateway.parentRefs' }] },
  ),
);

export const inferenceServiceSpec = named(
  'InferenceServiceSpec',
  obj(
    'The model to serve, how, and how to roll out a new version.',
    {
      model: req(modelSelector),
      replicas: opt(int('Serving Pods per revision when autoscaling is not set.', { minimum: 0, maximum: 1000, default: 1 })),
      autoscaling: opt(autoscaling),
      resources: opt(resources),
      ...scheduling,
      server: opt(serverSettings),
      rollout: opt(rollout),
      traffic: opt(traffic),
    },
    {
      'x-kubernetes-validations': [
        {
          rule: "!has(self.rollout) || !has(self.rollout.strategy) || self.rollout.strategy != 'Shadow' || (has(self.traffic) && has(self.traffic.provider) && self.traffic.provider == 'GatewayAPI')",
          message: 'strategy Shadow mirrors requests and needs traffic.provider GatewayAPI',
        },
      ],
    },
  ),
);

const revision = named(
  'RevisionStatus',
  obj('A revision: one ModelVersion served by its own Deployment.', {
    name: req(objectName('Revision name (also the Deployment name).')),
    modelVersion: req(objectName('The ModelVersion it serves.')),
    replicas: opt(int('Pods the revision\'s Deployment asks for.', { minimum: 0 })),
    readyReplicas: opt(int('Ready serving Pods.', { minimum: 0 })),
  }),
);

const measurement = named(
  'AnalysisMeasurement',
  obj('One analysis measurement.', {
    time: req(timestamp('When it was taken.')),
    revision: req(objectName('The revision measured.')),
    step: opt(int('Rollout step it belongs to.', { minimum: 0 })),
    metric: req(str('Check name (error-rate, latency-p99, latency-ratio or a custom name).', { maxLength: 63 })),
    query: opt(str('The resolved PromQL query.', { maxLength: 4096 })),
    value: opt(num('Measured value; absent when the query returned no data.')),
    stableValue: opt(num('The same measurement for the stable revision, when compared.')),
    threshold: opt(str('The limit in words, e.g. "<= 0.01".', { maxLength: 256 })),
    result: req(enumOf('Outcome.', ['Successful', 'Failed', 'Inconclusive', 'Error'])),
    message: opt(str('What was measured against what, or why nothing was, in one line.', { maxLength: 512 })),
  }),
);

const analysisHold = named(
  'AnalysisHold',
  obj(
    'A rollout held because its analysis was inconclusive. It stands until a person acts (modelops.dev/promote continues, modelops.dev/abort rolls back) or the spec asks for another revision, whatever the measurements still in status.analysis say by then.',
    {
      revision: req(objectName('The revision whose analysis was inconclusive.')),
      step: req(int('The rollout step it was held at (0 for BlueGreen and Shadow).', { minimum: 0 })),
      reason: req(enumOf('AnalysisInconclusive: a check had more Inconclusive or Error measurements than inconclusiveLimit; AnalysisNoData: a check had no data and noData is Pause.', ['AnalysisInconclusive', 'AnalysisNoData'])),
      message: req(str('The verdict that began the hold, in one line.', { maxLength: 512 })),
      since: req(timestamp('When the hold began.')),
    },
  ),
);

export const inferenceServiceStatus = named(
  'InferenceServiceStatus',
  obj('The observed state of serving and of the rollout.', {
    observedGeneration: opt(observedGeneration),
    phase: opt(
      enumOf('Pending: nothing serving yet; Progressing: a rollout is under way; Healthy: one revision serves all traffic; Degraded: serving Pods are not ready; RolledBack: the last rollout was aborted; Paused: waiting for promote or resume.', [
        'Pending',
        'Progressing',
        'Healthy',
        'Degraded',
        'RolledBack',
        'Paused',
      ]),
    ),
    conditions: opt(conditions),
    url: opt(str('Base URL of the Open Inference Protocol endpoint inside the cluster.', { maxLength: 2048 })),
    previewUrl: opt(str('BlueGreen: base URL of the preview Service, which reaches the new revision before the switch.', { maxLength: 2048 })),
    stableRevision: opt(revision),
    canaryRevision: opt(revision),
    canaryWeight: opt(int('Percent of traffic on the canary now.', { minimum: 0, maximum: 100 })),
    currentStep: opt(int('Index of the current rollout step.', { minimum: 0 })),
    stepStartTime: opt(timestamp('When the current step began.')),
    desiredModelVersion: opt(objectName('The ModelVersion the spec asks for (after resolving an alias).')),
    servingModelVersion: opt(objectName('The ModelVersion serving all or most traffic; differs from desiredModelVersion after a rollback.')),
    desiredRevision: opt(objectName('The revision the spec asks for: the resolved ModelVersion with the current Pod template.')),
    servingRevision: opt(objectName('The revision the InferenceService\'s Service sends traffic to; differs from desiredRevision while a new one starts or after it failed to.')),
    revisions: opt(arr('Every revision that exists now, the serving one first.', revision, { maxItems: 10 })),
    analysis: opt(arr('Recent analysis measurements, newest first.', measurement, { maxItems: 50 })),
    analysisHold: opt(analysisHold),
    abortedModelVersion: opt(objectName('The ModelVersion whose rollout was last aborted; it is not retried until the spec changes.')),
    abortedRevision: opt(objectName('The revision whose rollout was last aborted (rolled back by analysis or by hand); it is not rolled out again until the spec asks for another revision.')),
    acknowledgedActions: opt(
      obj('Values of the action annotations already carried out, so each `kubectl annotate --overwrite` acts once.', {
        promote: opt(str('Last value of modelops.dev/promote acted on.', { maxLength: 256 })),
        abort: opt(str('Last value of modelops.dev/abort acted on.', { maxLength: 256 })),
      }),
    ),
  }),
);

export const inferenceService: KindDefinition = {
  kind: 'InferenceService',
  plural: 'inferenceservices',
  singular: 'inferenceservice',
  shortNames: ['misvc'],
  description:
    'An InferenceService serves a ModelVersion over the Open Inference Protocol (KServe V2 REST) with the modelops ONNX server, and rolls out new versions by canary, blue-green or shadow, judging each step on Prometheus metrics and rolling back by itself when the new version is worse.',
  spec: inferenceServiceSpec,
  status: inferenceServiceStatus,
  printerColumns: [
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Pending, Progressing, Healthy, Degraded, RolledBack or Paused.' },
    { name: 'Serving', type: 'string', jsonPath: '.status.servingModelVersion', description: 'ModelVersion serving stable traffic.' },
    { name: 'Desired', type: 'string', jsonPath: '.status.desiredModelVersion', description: 'ModelVersion the spec asks for (after resolving an alias).' },
    { name: 'Canary', type: 'string', jsonPath: '.status.canaryRevision.modelVersion', description: 'ModelVersion being rolled out.' },
    { name: 'Weight', type: 'integer', jsonPath: '.status.canaryWeight', description: 'Percent of traffic on the canary.' },
    { name: 'URL', type: 'string', jsonPath: '.status.url', description: 'Endpoint URL.', priority: 1 },
    { name: 'Revision', type: 'string', jsonPath: '.status.servingRevision', description: 'Revision serving traffic.', priority: 1 },
    ageColumn,
  ],
};

