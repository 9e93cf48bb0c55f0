// The Argo CD health checks shipped in charts/modelops/argocd/health.yaml, run in Lua 5.1
// (Argo CD runs them in gopher-lua, a Lua 5.1) against status examples of every kind. The
// scripts run with only what Argo CD gives argocd-cm scripts (util/lua/lua.go: base, package,
// table and a reduced os; no string, no math, no io), so a script that reached for
// math.floor or string.format fails here as it would in Argo CD.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { load } from 'js-yaml';
import { REPO_ROOT } from '../support/control-plane.ts';

const KEY_PREFIX = 'resource.customizations.health.modelops.dev_';
const snippet = load(readFileSync(join(REPO_ROOT, 'charts/modelops/argocd/health.yaml'), 'utf8')) as {
  kind: string;
  metadata: { name: string };
  data: Record<string, string>;
};

// Loads cjson for reading the object, then runs the script in an environment like Argo CD's:
// the base functions, table, and the global `obj`.
const HARNESS = `
local cjson = require("cjson")
local f = assert(io.open(arg[1]))
local object = cjson.decode(f:read("*a"))
f:close()
local chunk = assert(loadfile(arg[2]))
local env = {
  obj = object, ipairs = ipairs, pairs = pairs, tostring = tostring, tonumber = tonumber,
  type = type, next = next, select = select, error = error, pcall = pcall, unpack = unpack,
  table = table,
}
setfenv(chunk, env)
local hs = chunk()
io.write(cjson.encode({ status = hs.status, message = hs.message }))
`;

const work = mkdtempSync(join(tmpdir(), 'modelops-lua-'));
after(() => rmSync(work, { recursive: true, force: true }));
writeFileSync(join(work, 'harness.lua'), HARNESS);

interface Health {
  status: string;
  message: string;
}

function health(kind: string, object: object): Health {
  const script = snippet.data[KEY_PREFIX + kind];
  assert.ok(script, `no health check for ${kind}`);
  writeFileSync(join(work, `${kind}.lua`), script);
  writeFileSync(join(work, 'obj.json'), JSON.stringify(object));
  let out: string;
  try {
    out = execFileSync('lua5.1', [join(work, 'harness.lua'), join(work, 'obj.json'), join(work, `${kind}.lua`)], { encoding: 'utf8' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('lua5.1 is not installed: run `make setup` (hack/apt-packages/chart.txt lists lua5.1 and lua-cjson)');
    }
    throw err;
  }
  return JSON.parse(out) as Health;
}

/** An object of `kind` at generation 2, with a status the operator wrote for `observed`. */
function resource(kind: string, status: Record<string, unknown> | undefined, spec: Record<string, unknown> = {}, observed = 2) {
  return {
    apiVersion: 'modelops.dev/v1alpha1',
    kind,
    metadata: { name: 'seattle-weather', namespace: 'ml', generation: 2 },
    spec,
    ...(status ? { status: { observedGeneration: observed, ...status } } : {}),
  };
}

function ready(status: 'True' | 'False' | 'Unknown', reason: string, message: string) {
  return [{ type: 'Ready', status, reason, message, lastTransitionTime: '2026-11-23T10:00:00Z', observedGeneration: 2 }];
}

interface Case {
  name: string;
  kind: string;
  object: object;
  want: string;
  message?: RegExp;
}

const cases: Case[] = [
  // Every kind: nothing to judge until the operator has seen the current spec.
  ...['Dataset', 'TrainingJob', 'ModelVersion', 'InferenceService', 'DriftMonitor'].flatMap((kind): Case[] => [
    { name: `a new ${kind} without status is Progressing`, kind, object: resource(kind, undefined), want: 'Progressing', message: /observe generation 2/ },
    {
      name: `a ${kind} whose observedGeneration lags its generation is Progressing, even with a good old phase`,
      kind,
      object: resource(kind, { phase: { Dataset: 'Ready', TrainingJob: 'Succeeded', ModelVersion: 'Ready', InferenceService: 'Healthy', DriftMonitor: 'NoDrift' }[kind] }, {}, 1),
      want: 'Progressing',
    },
  ]),

  { name: 'a Ready Dataset is Healthy with the Ready message', kind: 'Dataset', object: resource('Dataset', { phase: 'Ready', conditions: ready('True', 'VersionReady', 'Version 3f2a9c1 ready: 1461 rows') }), want: 'Healthy', message: /1461 rows/ },
  { name: 'an Ingesting Dataset is Progressing', kind: 'Dataset', object: resource('Dataset', { phase: 'Ingesting', conditions: ready('Unknown', 'Ingesting', 'Ingest Job running') }), want: 'Progressing' },
  { name: 'a Pending Dataset is Progressing', kind: 'Dataset', object: resource('Dataset', { phase: 'Pending' }), want: 'Progressing' },
  { name: 'a Failed Dataset is Degraded with the reason', kind: 'Dataset', object: resource('Dataset', { phase: 'Failed', conditions: ready('False', 'ValidationFailed', '12% null values in temp_max, at most 5% allowed') }), want: 'Degraded', message: /null values/ },

  { name: 'a Succeeded TrainingJob is Healthy and names its ModelVersion', kind: 'TrainingJob', object: resource('TrainingJob', { phase: 'Succeeded', modelVersion: 'seattle-weather-v2' }), want: 'Healthy', message: /seattle-weather-v2/ },
  { name: 'a Running TrainingJob is Progressing', kind: 'TrainingJob', object: resource('TrainingJob', { phase: 'Running', jobName: 'seattle-weather-1' }), want: 'Progressing' },
  { name: 'a Pending TrainingJob is Progressing', kind: 'TrainingJob', object: resource('TrainingJob', { phase: 'Pending' }), want: 'Progressing' },
  { name: 'a Failed TrainingJob is Degraded with its failure reason', kind: 'TrainingJob', object: resource('TrainingJob', { phase: 'Failed', failureReason: 'OOMKilled' }), want: 'Degraded', message: /OOMKilled/ },
  { name: 'a Rejected TrainingJob (missed its gate) is Degraded', kind: 'TrainingJob', object: resource('TrainingJob', { phase: 'Rejected', conditions: ready('False', 'GateNotMet', 'accuracy 0.81 < 0.85') }), want: 'Degraded', message: /accuracy 0\.81/ },
  { name: 'a Scheduled TrainingJob waiting for its next run is Healthy', kind: 'TrainingJob', object: resource('TrainingJob', { phase: 'Scheduled', nextScheduleTime: '2026-11-24T02:00:00Z' }, { schedule: '0 2 * * *' }), want: 'Healthy', message: /2026-11-24T02:00:00Z/ },
  { name: 'a Scheduled TrainingJob with spec.suspend is Suspended', kind: 'TrainingJob', object: resource('TrainingJob', { phase: 'Scheduled' }, { schedule: '0 2 * * *', suspend: true }), want: 'Suspended' },
  { name: 'a suspended TrainingJob whose run is still going is Progressing', kind: 'TrainingJob', object: resource('TrainingJob', { phase: 'Running' }, { suspend: true }), want: 'Progressing' },

  { name: 'a Ready ModelVersion is Healthy', kind: 'ModelVersion', object: resource('ModelVersion', { phase: 'Ready', verifiedAt: '2026-11-23T10:00:00Z' }), want: 'Healthy' },
  { name: 'an Invalid ModelVersion is Degraded with the reason', kind: 'ModelVersion', object: resource('ModelVersion', { phase: 'Invalid', conditions: ready('False', 'DigestMismatch', 'sha256 of model.onnx differs from spec.artifact.digest') }), want: 'Degraded', message: /differs/ },
  { name: 'a Pending ModelVersion is Progressing', kind: 'ModelVersion', object: resource('ModelVersion', { phase: 'Pending' }), want: 'Progressing' },

  { name: 'a Healthy InferenceService is Healthy and names what it serves', kind: 'InferenceService', object: resource('InferenceService', { phase: 'Healthy', servingModelVersion: 'seattle-weather-v1' }), want: 'Healthy', message: /seattle-weather-v1/ },
  { name: 'an InferenceService mid-canary is Progressing with the weight', kind: 'InferenceService', object: resource('InferenceService', { phase: 'Progressing', canaryWeight: 20 }), want: 'Progressing', message: /20%/ },
  { name: 'a Paused InferenceService is Suspended', kind: 'InferenceService', object: resource('InferenceService', { phase: 'Paused' }), want: 'Suspended' },
  { name: 'a Degraded InferenceService is Degraded', kind: 'InferenceService', object: resource('InferenceService', { phase: 'Degraded', conditions: ready('False', 'PodsNotReady', '0/2 serving Pods ready') }), want: 'Degraded', message: /0\/2/ },
  { name: 'a RolledBack InferenceService is Degraded', kind: 'InferenceService', object: resource('InferenceService', { phase: 'RolledBack', abortedModelVersion: 'seattle-weather-v2' }), want: 'Degraded', message: /rolled back/ },

  { name: 'a DriftMonitor that found no drift is Healthy', kind: 'DriftMonitor', object: resource('DriftMonitor', { phase: 'NoDrift', drifted: false, driftedShare: 0 }), want: 'Healthy' },
  { name: 'a DriftMonitor with too few samples is Healthy', kind: 'DriftMonitor', object: resource('DriftMonitor', { phase: 'InsufficientData' }), want: 'Healthy' },
  { name: 'a Drifted DriftMonitor is Healthy and says how much drifted', kind: 'DriftMonitor', object: resource('DriftMonitor', { phase: 'Drifted', drifted: true, driftedShare: 0.4 }), want: 'Healthy', message: /Drift detected: 40% of features/ },
  { name: 'a Failed DriftMonitor is Degraded', kind: 'DriftMonitor', object: resource('DriftMonitor', { phase: 'Failed', conditions: ready('False', 'PrometheusUnreachable', 'query failed: connection refused') }), want: 'Degraded', message: /connection refused/ },
  { name: 'a suspended DriftMonitor is Suspended whatever its last phase', kind: 'DriftMonitor', object: resource('DriftMonitor', { phase: 'Drifted' }, { suspend: true }), want: 'Suspended' },
  { name: 'a DriftMonitor scheduled but not yet run is Healthy', kind: 'DriftMonitor', object: resource('DriftMonitor', { phase: 'Pending', nextRunTime: '2026-11-24T00:00:00Z' }), want: 'Healthy', message: /first run/ },
  { name: 'a DriftMonitor not yet scheduled is Progressing', kind: 'DriftMonitor', object: resource('DriftMonitor', { phase: 'Pending' }), want: 'Progressing' },

  // A phase a newer operator might add: judged by the Ready condition.
  { name: 'an unknown phase with Ready=True is Healthy', kind: 'Dataset', object: resource('Dataset', { phase: 'Refreshing', conditions: ready('True', 'VersionReady', 'ok') }), want: 'Healthy' },
  { name: 'an unknown phase with Ready=False is Degraded', kind: 'InferenceService', object: resource('InferenceService', { phase: 'Mirroring', conditions: ready('False', 'Broken', 'broken') }), want: 'Degraded' },
];

describe('the Argo CD health checks', () => {
  it('cover exactly the kinds in crds/, under argocd-cm keys', () => {
    const kinds = readdirSync(join(REPO_ROOT, 'crds'))
      .map((f) => (load(readFileSync(join(REPO_ROOT, 'crds', f), 'utf8')) as { spec: { names: { kind: string } } }).spec.names.kind)
      .sort();
    assert.equal(snippet.kind, 'ConfigMap');
    assert.equal(snippet.metadata.name, 'argocd-cm');
    assert.deepEqual(Object.keys(snippet.data).sort(), kinds.map((k) => KEY_PREFIX + k));
  });

  for (const c of cases) {
    it(c.name, () => {
      const got = health(c.kind, c.object);
      assert.equal(got.status, c.want, `message: ${got.message}`);
      assert.equal(typeof got.message, 'string');
      if (c.message) assert.match(got.message, c.message);
    });
  }
});
