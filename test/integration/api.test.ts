// The modelops.dev API on a real kube-apiserver: the CRDs install, the examples are
// accepted, bad resources are rejected with the message a user will see, and kubectl's
// table and explain output teach the API.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { dump, loadAll } from 'js-yaml';
import { kubectl, kubectlOk, testNamespace } from '../support/cluster.ts';
import { REPO_ROOT } from '../support/control-plane.ts';

type Obj = Record<string, unknown> & { kind: string; metadata: { name: string } };

const examplesDir = join(REPO_ROOT, 'examples/seattle-weather');
const examples = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .flatMap((f) => loadAll(readFileSync(join(examplesDir, f), 'utf8')) as Obj[]);

function example(kind: string): Obj {
  const found = examples.find((o) => o.kind === kind);
  assert.ok(found, `no ${kind} in examples/`);
  return structuredClone(found);
}

/** A copy of the example of `kind` with `edit` applied to it. */
function variant(kind: string, edit: (o: Record<string, any>) => void): Obj {
  const o = example(kind);
  edit(o);
  return o;
}

async function apply(ns: string, obj: object) {
  return kubectl(['apply', '--server-side', '--field-manager=modelops-tests', '-f', '-'], { namespace: ns, input: dump(obj) });
}

describe('the CRDs', () => {
  it('are established with their names, short names and the modelops category', async () => {
    const out = JSON.parse(await kubectlOk(['get', 'crd', '-l', 'app.kubernetes.io/part-of=modelops', '-o', 'json']));
    const byKind = new Map<string, any>(out.items.map((c: any) => [c.spec.names.kind, c]));
    assert.deepEqual([...byKind.keys()].sort(), ['Dataset', 'DriftMonitor', 'InferenceService', 'ModelVersion', 'TrainingJob']);
    for (const crd of byKind.values()) {
      const conds = new Map(crd.status.conditions.map((c: any) => [c.type, c.status]));
      assert.equal(conds.get('Established'), 'True', crd.metadata.name);
      assert.equal(conds.get('NamesAccepted'), 'True', crd.metadata.name);
      assert.deepEqual(crd.status.acceptedNames.categories, ['modelops']);
      assert.deepEqual(crd.spec.versions[0].subresources, { status: {} });
    }
    assert.deepEqual(byKind.get('InferenceService').status.acceptedNames.shortNames, ['misvc']);
  });
});

describe('the Seattle weather examples', () => {
  it('are all accepted and listed by `kubectl get modelops`', async (t) => {
    const ns = await testNamespace(t, 'examples');
    await kubectlOk(['apply', '--server-side', '--field-manager=modelops-tests', '-f', examplesDir], { namespace: ns });
    const listed = await kubectlOk(['get', 'modelops', '-o', 'name'], { namespace: ns });
    assert.deepEqual(listed.trim().split('\n').sort(), [
      'dataset.modelops.dev/seattle-weather',
      'driftmonitor.modelops.dev/seattle-weather',
      'inferenceservice.modelops.dev/seattle-weather',
      'modelversion.modelops.dev/seattle-weather-v1',
      'trainingjob.modelops.dev/seattle-weather',
    ]);
  });

  it('get the schema defaults filled in by the API server', async (t) => {
    const ns = await testNamespace(t, 'defaults');
    const tj = variant('TrainingJob', (o) => {
      delete o.spec.seed;
      delete o.spec.backoffLimit;
    });
    assert.equal((await apply(ns, tj)).code, 0);
    const got = JSON.parse(await kubectlOk(['get', 'trainingjob', 'seattle-weather', '-o', 'json'], { namespace: ns }));
    assert.equal(got.spec.workers, 1);
    assert.equal(got.spec.seed, 42);
    assert.equal(got.spec.backoffLimit, 1);
    assert.equal(got.spec.split.validationFraction, 0.15);
    assert.equal(got.spec.concurrencyPolicy, 'Forbid');
  });
});

interface RejectCase {
  name: string;
  object: () => Obj;
  message: RegExp;
}

const rejected: RejectCase[] = [
  {
    name: 'a Dataset column whose min is above its max',
    object: () => variant('Dataset', (o) => Object.assign(o.spec.schema.columns[1], { min: 10, max: 1 })),
    message: /spec\.schema\.columns\[1\]: Invalid value: "object": min must not be greater than max/,
  },
  {
    name: 'a Dataset with two target columns',
    object: () => variant('Dataset', (o) => (o.spec.schema.columns[2].role = 'target')),
    message: /spec\.schema\.columns: Invalid value: "array": at most one column may have role target/,
  },
  {
    name: 'a Dataset with two columns of the same name',
    object: () => variant('Dataset', (o) => (o.spec.schema.columns[2].name = 'precipitation')),
    message: /\.spec\.schema\.columns: duplicate entries for key \[name="precipitation"\]/,
  },
  {
    name: 'a Dataset whose source is not a supported URI',
    object: () => variant('Dataset', (o) => (o.spec.source.uri = 'ftp://example.com/data.csv')),
    message: /spec\.source\.uri: Invalid value: "ftp:\/\/example\.com\/data\.csv": spec\.source\.uri in body should match/,
  },
  {
    name: 'a Dataset without a schema',
    object: () => variant('Dataset', (o) => delete o.spec.schema),
    message: /spec\.schema: Required value/,
  },
  {
    name: 'a Dataset with an unknown column type',
    object: () => variant('Dataset', (o) => (o.spec.schema.columns[1].type = 'float')),
    message: /spec\.schema\.columns\[1\]\.type: Unsupported value: "float": supported values: "number", "integer", "category", "boolean", "string", "timestamp"/,
  },
  {
    name: 'a Dataset refresh schedule that is not cron',
    object: () => variant('Dataset', (o) => (o.spec.refresh.schedule = 'every night')),
    message: /spec\.refresh\.schedule: Invalid value: "every night": spec\.refresh\.schedule in body should match/,
  },
  {
    name: 'a TrainingJob with zero workers',
    object: () => variant('TrainingJob', (o) => (o.spec.workers = 0)),
    message: /spec\.workers: Invalid value: 0: spec\.workers in body should be greater than or equal to 1/,
  },
  {
    name: 'a TrainingJob gate rule with no bound',
    object: () => variant('TrainingJob', (o) => (o.spec.gate = [{ metric: 'accuracy' }])),
    message: /spec\.gate\[0\]: Invalid value: "object": a gate rule needs at least one of min, max or beatBaselineBy/,
  },
  {
    name: 'a TrainingJob concurrency policy without a schedule',
    object: () => variant('TrainingJob', (o) => (o.spec.concurrencyPolicy = 'Allow')),
    message: /spec: Invalid value: "object": concurrencyPolicy applies only with a schedule/,
  },
  {
    name: 'a TrainingJob model name that is not a DNS label',
    object: () => variant('TrainingJob', (o) => (o.spec.model = 'Seattle_Weather')),
    message: /spec\.model: Invalid value: "Seattle_Weather": spec\.model in body should match/,
  },
  {
    name: 'a ModelVersion whose digest is not sha256',
    object: () => variant('ModelVersion', (o) => (o.spec.artifact.digest = 'md5:abc')),
    message: /spec\.artifact\.digest: Invalid value: "md5:abc": spec\.artifact\.digest in body should match '\^sha256:\[a-f0-9\]\{64\}\$'/,
  },
  {
    name: 'an InferenceService naming both a ModelVersion and an alias',
    object: () => variant('InferenceService', (o) => (o.spec.model.modelVersion = 'seattle-weather-v1')),
    message: /spec\.model: Invalid value: "object": set exactly one of modelVersion or alias/,
  },
  {
    name: 'an InferenceService naming no model at all',
    object: () => variant('InferenceService', (o) => (o.spec.model = {})),
    message: /spec\.model: Invalid value: "object": set exactly one of modelVersion or alias/,
  },
  {
    name: 'an InferenceService alias without the model name',
    object: () => variant('InferenceService', (o) => delete o.spec.model.name),
    message: /spec\.model: Invalid value: "object": alias needs the model name/,
  },
  {
    name: 'canary steps whose weights go down',
    object: () => variant('InferenceService', (o) => (o.spec.rollout.canary.steps = [{ weight: 50 }, { weight: 20 }, { weight: 100 }])),
    message: /spec\.rollout\.canary\.steps: Invalid value: "array": canary step weights must not decrease/,
  },
  {
    name: 'a canary weight above 100',
    object: () => variant('InferenceService', (o) => (o.spec.rollout.canary.steps = [{ weight: 120 }])),
    message: /spec\.rollout\.canary\.steps\[0\]\.weight: Invalid value: 120: spec\.rollout\.canary\.steps\[0\]\.weight in body should be less than or equal to 100/,
  },
  {
    name: 'a Canary strategy without steps',
    object: () => variant('InferenceService', (o) => delete o.spec.rollout.canary),
    message: /spec\.rollout: Invalid value: "object": strategy Canary needs canary\.steps/,
  },
  {
    name: 'a Shadow strategy without the Gateway API provider',
    object: () => variant('InferenceService', (o) => (o.spec.rollout.strategy = 'Shadow')),
    message: /strategy Shadow mirrors requests and needs traffic\.provider GatewayAPI/,
  },
  {
    name: 'a GatewayAPI provider without parent refs',
    object: () => variant('InferenceService', (o) => (o.spec.traffic = { provider: 'GatewayAPI' })),
    message: /spec\.traffic: Invalid value: "object": provider GatewayAPI needs gateway\.parentRefs/,
  },
  {
    name: 'a DriftMonitor drift share above 1',
    object: () => variant('DriftMonitor', (o) => (o.spec.driftShare = 1.5)),
    message: /spec\.driftShare: Invalid value: 1\.5: spec\.driftShare in body should be less than or equal to 1/,
  },
  {
    name: 'a DriftMonitor without a schedule',
    object: () => variant('DriftMonitor', (o) => delete o.spec.schedule),
    message: /spec\.schedule: Required value/,
  },
  {
    name: 'a DriftMonitor cooldown that is not a duration',
    object: () => variant('DriftMonitor', (o) => (o.spec.actions.retrain.cooldown = 'one day')),
    message: /spec\.actions\.retrain\.cooldown: Invalid value: "one day": spec\.actions\.retrain\.cooldown in body should match/,
  },
];

describe('invalid resources are rejected with a message that says what is wrong', () => {
  for (const c of rejected) {
    it(c.name, async (t) => {
      const ns = await testNamespace(t, 'reject');
      const r = await apply(ns, c.object());
      assert.notEqual(r.code, 0, `expected a rejection, got: ${r.stdout}`);
      assert.match(r.stderr, c.message);
      // Nothing was stored.
      assert.equal((await kubectl(['get', 'modelops', '-o', 'name'], { namespace: ns })).stdout.trim(), '');
    });
  }
});

describe('a ModelVersion', () => {
  it('keeps its artifact immutable but lets its aliases and stage move', async (t) => {
    const ns = await testNamespace(t, 'mv');
    const mv = example('ModelVersion');
    assert.equal((await apply(ns, mv)).code, 0);

    const changed = variant('ModelVersion', (o) => (o.spec.artifact.uri = 's3://elsewhere/model.onnx'));
    const r = await apply(ns, changed);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec: Invalid value: "object": spec\.artifact is immutable: register a new ModelVersion instead/);

    const addedLineage = variant('ModelVersion', (o) => (o.spec.lineage.seed = 7));
    assert.match((await apply(ns, addedLineage)).stderr, /spec\.lineage is immutable/);

    const moved = variant('ModelVersion', (o) => {
      o.spec.aliases = ['staging'];
      o.spec.stage = 'Staging';
    });
    const ok = await apply(ns, moved);
    assert.equal(ok.code, 0, ok.stderr);
    const got = JSON.parse(await kubectlOk(['get', 'mv', 'seattle-weather-v1', '-o', 'json'], { namespace: ns }));
    assert.deepEqual(got.spec.aliases, ['staging']);
    assert.equal(got.spec.artifact.uri, 's3://modelops-artifacts/models/seattle-weather/v1/model.onnx');
  });
});

describe('kubectl get shows the printer columns', () => {
  const cases: Array<{ kind: string; resource: string; status: object; header: string[]; row: RegExp }> = [
    {
      kind: 'Dataset',
      resource: 'mds',
      status: { phase: 'Ready', currentVersion: { version: '9c1f3e2a7b4d', digest: 'sha256:9c1f', uri: 's3://b/k', rows: 1461, createdAt: '2026-01-01T00:00:00Z' }, lastIngestTime: '2026-01-01T00:00:00Z' },
      header: ['NAME', 'PHASE', 'VERSION', 'ROWS', 'LAST-INGEST', 'AGE'],
      row: /^seattle-weather\s+Ready\s+9c1f3e2a7b4d\s+1461\s+\S+\s+\S+$/,
    },
    {
      kind: 'TrainingJob',
      resource: 'mtj',
      status: { phase: 'Succeeded', primaryMetric: 'accuracy=0.842', modelVersion: 'seattle-weather-v3' },
      header: ['NAME', 'PHASE', 'DATASET', 'METRIC', 'MODEL-VERSION', 'AGE'],
      row: /^seattle-weather\s+Succeeded\s+seattle-weather\s+accuracy=0\.842\s+seattle-weather-v3\s+\S+$/,
    },
    {
      kind: 'ModelVersion',
      resource: 'mv',
      // The column shows the aliases a version holds (status), not those it claims (spec).
      status: { phase: 'Ready', aliases: ['production'] },
      header: ['NAME', 'MODEL', 'VERSION', 'PHASE', 'ALIASES', 'AGE'],
      row: /^seattle-weather-v1\s+seattle-weather\s+1\s+Ready\s+\["production"\]\s+\S+$/,
    },
    {
      kind: 'InferenceService',
      resource: 'misvc',
      status: { phase: 'Progressing', servingModelVersion: 'seattle-weather-v1', desiredModelVersion: 'seattle-weather-v2', canaryRevision: { name: 'seattle-weather-2', modelVersion: 'seattle-weather-v2' }, canaryWeight: 10 },
      header: ['NAME', 'PHASE', 'SERVING', 'DESIRED', 'CANARY', 'WEIGHT', 'AGE'],
      row: /^seattle-weather\s+Progressing\s+seattle-weather-v1\s+seattle-weather-v2\s+seattle-weather-v2\s+10\s+\S+$/,
    },
    {
      kind: 'DriftMonitor',
      resource: 'mdm',
      status: { phase: 'Drifted', driftedShare: 0.75, lastRunTime: '2026-01-01T00:00:00Z' },
      header: ['NAME', 'TARGET', 'PHASE', 'DRIFTED-SHARE', 'LAST-RUN', 'AGE'],
      row: /^seattle-weather\s+seattle-weather\s+Drifted\s+0\.75\s+\S+\s+\S+$/,
    },
  ];
  for (const c of cases) {
    it(`for a ${c.kind} (kubectl get ${c.resource})`, async (t) => {
      const ns = await testNamespace(t, 'columns');
      const obj = example(c.kind);
      assert.equal((await apply(ns, obj)).code, 0);
      await kubectlOk(['patch', c.resource, obj.metadata.name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: c.status })], { namespace: ns });
      const [header, row] = (await kubectlOk(['get', c.resource], { namespace: ns })).trim().split('\n');
      assert.deepEqual(header!.trim().split(/\s+/), c.header);
      assert.match(row!.trim(), c.row);
    });
  }

  it('and writing status does not change the spec or the generation', async (t) => {
    const ns = await testNamespace(t, 'status');
    assert.equal((await apply(ns, example('Dataset'))).code, 0);
    const before = JSON.parse(await kubectlOk(['get', 'mds', 'seattle-weather', '-o', 'json'], { namespace: ns }));
    await kubectlOk(['patch', 'mds', 'seattle-weather', '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Ingesting"}}'], { namespace: ns });
    const after = JSON.parse(await kubectlOk(['get', 'mds', 'seattle-weather', '-o', 'json'], { namespace: ns }));
    assert.equal(after.metadata.generation, before.metadata.generation);
    assert.equal(after.status.phase, 'Ingesting');
    // A status sent through the main resource is ignored.
    await kubectlOk(['patch', 'mds', 'seattle-weather', '--type=merge', '-p', '{"status":{"phase":"Failed"}}'], { namespace: ns });
    const again = JSON.parse(await kubectlOk(['get', 'mds', 'seattle-weather', '-o', 'json'], { namespace: ns }));
    assert.equal(again.status.phase, 'Ingesting');
  });
});

describe('kubectl explain teaches the API', () => {
  const cases: Array<[string, RegExp]> = [
    ['dataset', /ingests tabular data from a source, validates it against a declared schema/],
    ['datasets.spec.schema.columns.role', /What the column is for: feature \(model input\), target/],
    ['trainingjob.spec.gate.beatBaselineBy', /beat the trivial baseline \(majority class or mean\)/],
    ['trainingjob.spec.workers', /distributed data-parallel training in an Indexed Job/],
    ['modelversion.spec.artifact.digest', /the server refuses a file that does not match/],
    ['inferenceservice.spec.rollout.analysis.noData', /What a query that returns no data counts as/],
    ['driftmonitor.spec.minSamples', /InsufficientData, not "no drift"/],
    ['driftmonitor.status.features.verdict', /Outcome for the feature/],
  ];
  for (const [path, text] of cases) {
    it(`kubectl explain ${path}`, async () => {
      const out = await kubectlOk(['explain', path]);
      assert.match(out.replace(/\s+/g, ' '), text);
    });
  }
});
