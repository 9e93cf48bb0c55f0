// The chart rendered by the pinned Helm with several values sets, asserted object by object:
// least-privilege RBAC exactly as granted, the restricted Pod Security profile, leader
// election following the replica count, and values.schema.json refusing bad values with a
// message that says which value is wrong.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { load } from 'js-yaml';
import { CHART_DIR, helm, renderChart, valuesFile } from '../support/helm.ts';
import type { K8sObject } from '../support/helm.ts';

const appVersion = (load(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { appVersion: string }).appVersion;

// The operator's permissions today (issue 3). A controller that needs more adds its rules in
// charts/modelops/templates/_rbac-rules.tpl and here.
const WATCHED_RULES = [
  { apiGroups: ['modelops.dev'], resources: ['datasets', 'inferenceservices', 'driftmonitors'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['modelops.dev'], resources: ['trainingjobs'], verbs: ['get', 'list', 'watch', 'create'] },
  { apiGroups: ['modelops.dev'], resources: ['modelversions'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] },
  { apiGroups: ['modelops.dev'], resources: ['datasets/status', 'trainingjobs/status', 'modelversions/status', 'inferenceservices/status', 'driftmonitors/status'], verbs: ['get', 'update', 'patch'] },
  { apiGroups: ['modelops.dev'], resources: ['datasets/finalizers', 'trainingjobs/finalizers', 'inferenceservices/finalizers', 'driftmonitors/finalizers'], verbs: ['update'] },
  { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['services'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
  { apiGroups: ['gateway.networking.k8s.io'], resources: ['httproutes'], verbs: ['get', 'create', 'patch'] },
  { apiGroups: ['gateway.networking.k8s.io'], resources: ['gateways', 'gatewayclasses'], verbs: ['get'] },
  { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
];
const LEASE_RULES = [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }];

function find(objects: K8sObject[], kind: string, name?: string, namespace?: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name) && (namespace === undefined || o.metadata.namespace === namespace));
}

function one(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = find(objects, kind, name);
  assert.equal(found.length, 1, `want exactly one ${kind}${name ? ` ${name}` : ''}, got ${found.length}`);
  return found[0]!;
}

function kinds(objects: K8sObject[]): string[] {
  return objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort();
}

function operatorContainer(objects: K8sObject[]): Record<string, any> {
  const containers = one(objects, 'Deployment').spec.template.spec.containers;
  assert.equal(containers.length, 1);
  return containers[0];
}

function args(objects: K8sObject[]): string[] {
  return operatorContainer(objects).args;
}

/** The flag's value, or undefined when the flag is absent. */
function flag(objects: K8sObject[], name: string): string | undefined {
  const a = args(objects).find((x) => x.startsWith(`--${name}=`));
  return a?.slice(name.length + 3);
}

/** `helm template` is expected to fail; returns its stderr. */
async function renderError(values: object): Promise<string> {
  const r = await helm(['template', 'modelops', CHART_DIR, '--namespace', 'modelops-system', '--values', valuesFile(values)]);
  assert.notEqual(r.code, 0, `helm template accepted ${JSON.stringify(values)}`);
  return r.stderr;
}

describe('helm lint', () => {
  const valueSets: Record<string, object> = {
    defaults: {},
    'two replicas': { replicaCount: 2 },
    'watched namespaces': { watchNamespaces: ['team-a', 'team-b'] },
    'everything optional on': { metrics: { serviceMonitor: { enabled: true } }, networkPolicy: { enabled: true } },
  };
  for (const [name, values] of Object.entries(valueSets)) {
    it(`passes --strict with ${name}`, async () => {
      const r = await helm(['lint', '--strict', CHART_DIR, '--values', valuesFile(values)]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    });
  }
});

describe('the chart with default values', async () => {
  const objects = await renderChart();

  it('renders the operator and nothing optional', () => {
    assert.deepEqual(kinds(objects), [
      'ClusterRole//modelops',
      'ClusterRoleBinding//modelops',
      'Deployment/modelops-system/modelops',
      'Service/modelops-system/modelops-metrics',
      'ServiceAccount/modelops-system/modelops',
    ]);
  });

  it('labels every object with app.kubernetes.io/* labels', () => {
    for (const o of objects) {
      const labels = o.metadata.labels ?? {};
      assert.equal(labels['app.kubernetes.io/name'], 'modelops', o.kind);
      assert.equal(labels['app.kubernetes.io/instance'], 'modelops', o.kind);
      assert.equal(labels['app.kubernetes.io/part-of'], 'modelops', o.kind);
      assert.equal(labels['app.kubernetes.io/managed-by'], 'Helm', o.kind);
      assert.equal(labels['app.kubernetes.io/version'], appVersion, o.kind);
    }
  });

  it('grants the operator exactly its rules, cluster-wide, to its ServiceAccount', () => {
    assert.deepEqual(one(objects, 'ClusterRole').rules, WATCHED_RULES);
    const binding = one(objects, 'ClusterRoleBinding');
    assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'modelops' });
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'modelops', namespace: 'modelops-system' }]);
    assert.equal(one(objects, 'Deployment').spec.template.spec.serviceAccountName, 'modelops');
  });

  it('runs one replica without leader election, replaced by Recreate so two never overlap', () => {
    const d = one(objects, 'Deployment');
    assert.equal(d.spec.replicas, 1);
    assert.equal(flag(objects, 'leader-elect'), 'false');
    assert.equal(d.spec.strategy.type, 'Recreate');
    assert.equal(find(objects, 'Role').length, 0);
    assert.equal(find(objects, 'PodDisruptionBudget').length, 0);
  });

  it('meets the restricted Pod Security profile', () => {
    const pod = one(objects, 'Deployment').spec.template.spec;
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.ok(pod.securityContext.runAsUser > 0);
    assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
    assert.equal(pod.hostNetwork ?? false, false);
    const c = operatorContainer(objects);
    assert.deepEqual(c.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    // Only /tmp is writable.
    assert.deepEqual(c.volumeMounts, [{ name: 'tmp', mountPath: '/tmp' }]);
    assert.deepEqual(pod.volumes, [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);
  });

  it('runs the appVersion image with the operator flags, probes and downward-API env', () => {
    const c = operatorContainer(objects);
    assert.equal(c.image, `localhost/modelops/operator:${appVersion}`);
    assert.equal(c.imagePullPolicy, 'IfNotPresent');
    assert.deepEqual(args(objects), [
      '--workers=4',
      '--metrics-bind-address=:8080',
      '--health-probe-bind-address=:8081',
      '--leader-elect=false',
      `--operator-image=localhost/modelops/operator:${appVersion}`,
      '--kube-api-qps=20',
      '--kube-api-burst=30',
      '--log-level=info',
    ]);
    assert.deepEqual(c.livenessProbe.httpGet, { path: '/healthz', port: 'health' });
    assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 'health' });
    assert.deepEqual(
      c.ports.map((p: any) => [p.name, p.containerPort]),
      [['metrics', 8080], ['health', 8081]],
    );
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.valueFrom?.fieldRef?.fieldPath ?? e.value]));
    assert.deepEqual(env, { POD_NAME: 'metadata.name', POD_NAMESPACE: 'metadata.namespace', TMPDIR: '/tmp' });
    assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory);
    assert.equal(one(objects, 'Deployment').spec.template.spec.terminationGracePeriodSeconds, 30);
  });

  it('exposes /metrics through a Service that selects the operator Pods', () => {
    const svc = one(objects, 'Service');
    const podLabels = one(objects, 'Deployment').spec.template.metadata.labels;
    for (const [k, v] of Object.entries(svc.spec.selector)) assert.equal(podLabels[k], v, k);
    assert.deepEqual(svc.spec.ports, [{ name: 'metrics', port: 8080, targetPort: 'metrics', protocol: 'TCP' }]);
  });
});

describe('leader election', () => {
  it('turns on with two replicas, with a Lease Role in the release namespace and a PDB', async () => {
    const objects = await renderChart({ replicaCount: 2 });
    assert.equal(flag(objects, 'leader-elect'), 'true');
    assert.equal(flag(objects, 'leader-election-namespace'), 'modelops-system');
    assert.equal(flag(objects, 'leader-election-id'), 'modelops-operator');
    const role = one(objects, 'Role', 'modelops-leader-election');
    assert.equal(role.metadata.namespace, 'modelops-system');
    assert.deepEqual(role.rules, LEASE_RULES);
    const binding = one(objects, 'RoleBinding', 'modelops-leader-election');
    assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'modelops-leader-election' });
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'modelops', namespace: 'modelops-system' }]);
    const pdb = one(objects, 'PodDisruptionBudget');
    assert.equal(pdb.spec.minAvailable, 1);
    assert.deepEqual(pdb.spec.selector.matchLabels, one(objects, 'Deployment').spec.selector.matchLabels);
    assert.equal(one(objects, 'Deployment').spec.strategy.type, 'RollingUpdate');
  });

  it('can be forced on for one replica', async () => {
    const objects = await renderChart({ leaderElection: { enabled: true } });
    assert.equal(flag(objects, 'leader-elect'), 'true');
    assert.equal(find(objects, 'Role', 'modelops-leader-election').length, 1);
    assert.equal(find(objects, 'PodDisruptionBudget').length, 0);
  });

  it('cannot be turned off for two replicas', async () => {
    const stderr = await renderError({ replicaCount: 2, leaderElection: { enabled: false } });
    assert.match(stderr, /leaderElection\.enabled=false with replicaCount=2: more than one replica needs leader election/);
  });
});

describe('watchNamespaces', () => {
  it('grants a Role and RoleBinding in each watched namespace and nothing cluster-wide', async () => {
    const objects = await renderChart({ watchNamespaces: ['team-a', 'team-b'] });
    assert.equal(flag(objects, 'namespaces'), 'team-a,team-b');
    assert.equal(find(objects, 'ClusterRole').length, 0);
    assert.equal(find(objects, 'ClusterRoleBinding').length, 0);
    for (const ns of ['team-a', 'team-b']) {
      const [role] = find(objects, 'Role', 'modelops', ns);
      assert.ok(role, `no Role in ${ns}`);
      assert.deepEqual(role.rules, WATCHED_RULES);
      const [binding] = find(objects, 'RoleBinding', 'modelops', ns);
      assert.ok(binding, `no RoleBinding in ${ns}`);
      assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'modelops' });
      assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'modelops', namespace: 'modelops-system' }]);
    }
  });

  it('accepts a template such as the release namespace', async () => {
    const objects = await renderChart({ watchNamespaces: ['{{ .Release.Namespace }}'] });
    assert.equal(flag(objects, 'namespaces'), 'modelops-system');
  });
});

describe('optional objects', () => {
  it('a ServiceMonitor scrapes the metrics Service when enabled', async () => {
    const objects = await renderChart({ metrics: { serviceMonitor: { enabled: true, labels: { release: 'kube-prometheus-stack' }, interval: '15s' } } });
    const sm = one(objects, 'ServiceMonitor');
    assert.equal(sm.apiVersion, 'monitoring.coreos.com/v1');
    assert.equal(sm.metadata.labels?.release, 'kube-prometheus-stack');
    assert.deepEqual(sm.spec.namespaceSelector, { matchNames: ['modelops-system'] });
    const svcLabels = one(objects, 'Service').metadata.labels ?? {};
    for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) assert.equal(svcLabels[k], v, k);
    assert.deepEqual(sm.spec.endpoints, [{ port: 'metrics', path: '/metrics', interval: '15s' }]);
  });

  it('a NetworkPolicy admits only the metrics port, from the peers given', async () => {
    const from = [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }];
    const objects = await renderChart({ networkPolicy: { enabled: true, metricsFrom: from } });
    const np = one(objects, 'NetworkPolicy');
    assert.deepEqual(np.spec.podSelector.matchLabels, one(objects, 'Deployment').spec.selector.matchLabels);
    assert.deepEqual(np.spec.policyTypes, ['Ingress']);
    assert.deepEqual(np.spec.ingress, [{ ports: [{ port: 'metrics', protocol: 'TCP' }], from }]);
  });

  it('passes the operator settings through as flags, and pins the image by digest', async () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const objects = await renderChart({
      image: { repository: 'registry.example.com/modelops/operator', digest },
      prometheusUrl: 'http://prometheus.monitoring.svc:9090',
      artifactStore: 's3://ml-artifacts/modelops',
      artifactStoreSecret: 'modelops-s3',
      trainerImage: 'registry.example.com/modelops/trainer:0.1.0',
      serverImage: 'registry.example.com/modelops/server:0.1.0',
      logLevel: 'debug',
    });
    assert.equal(operatorContainer(objects).image, `registry.example.com/modelops/operator@${digest}`);
    assert.equal(flag(objects, 'prometheus-url'), 'http://prometheus.monitoring.svc:9090');
    assert.equal(flag(objects, 'artifact-store'), 's3://ml-artifacts/modelops');
    assert.equal(flag(objects, 'artifact-store-secret'), 'modelops-s3');
    // Ingest Jobs run the operator's own image, pinned the same way.
    assert.equal(flag(objects, 'operator-image'), `registry.example.com/modelops/operator@${digest}`);
    assert.equal(flag(objects, 'trainer-image'), 'registry.example.com/modelops/trainer:0.1.0');
    assert.equal(flag(objects, 'server-image'), 'registry.example.com/modelops/server:0.1.0');
    assert.equal(flag(objects, 'log-level'), 'debug');
  });

  it('no RBAC at all with rbac.create=false and an existing ServiceAccount', async () => {
    const objects = await renderChart({ rbac: { create: false }, serviceAccount: { create: false, name: 'platform-modelops' } });
    assert.deepEqual(kinds(objects), ['Deployment/modelops-system/modelops', 'Service/modelops-system/modelops-metrics']);
    assert.equal(one(objects, 'Deployment').spec.template.spec.serviceAccountName, 'platform-modelops');
  });
});

describe('values.schema.json', () => {
  const bad: { name: string; values: object; message: RegExp }[] = [
    { name: 'an unknown log level', values: { logLevel: 'verbose' }, message: /at '\/logLevel'.*(value must be one of|must be one of)/s },
    { name: 'a replica count that is not a number', values: { replicaCount: 'two' }, message: /at '\/replicaCount'.*got string, want integer/s },
    { name: 'a misspelt key', values: { replicas: 2 }, message: /additional properties 'replicas' not allowed/ },
    { name: 'an artifact store that is neither s3:// nor file://', values: { artifactStore: 'ftp://host/models' }, message: /at '\/artifactStore'/ },
    { name: 'a privileged metrics port', values: { metrics: { port: 80 } }, message: /at '\/metrics\/port'.*minimum/s },
    { name: 'leader election set to a word other than auto', values: { leaderElection: { enabled: 'yes' } }, message: /at '\/leaderElection\/enabled'/ },
  ];
  for (const c of bad) {
    it(`rejects ${c.name}`, async () => {
      const stderr = await renderError(c.values);
      assert.match(stderr, /values don't meet the specifications of the schema/);
      assert.match(stderr, c.message);
    });
  }

  it('rejects a ServiceAccount that is neither created nor named', async () => {
    assert.match(await renderError({ serviceAccount: { create: false } }), /serviceAccount\.name is required when serviceAccount\.create=false/);
  });
});
