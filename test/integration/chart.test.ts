// The Helm chart installed into a real control plane, as a platform team would (CRDs already
// there, so --skip-crds): in a namespace that enforces the restricted Pod Security profile the
// API server admits the operator's Pods, the ServiceAccount can do exactly what the operator
// needs, and `helm uninstall` removes everything, the cluster-scoped RBAC included.
// No nodes run here: the Pods are created and stay Pending, so nothing waits on them.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { dump, load } from 'js-yaml';
import { kubeconfigPath, kubectl, kubectlOk, testNamespace } from '../support/cluster.ts';
import { REPO_ROOT } from '../support/control-plane.ts';
import { CHART_DIR, helm, renderChart, valuesFile } from '../support/helm.ts';

const SELECTOR = 'app.kubernetes.io/name=modelops,app.kubernetes.io/component=operator';

/** Installs the chart as a fresh release in `ns`, uninstalled when the test ends. */
async function install(t: TestContext, ns: string, values: object = {}): Promise<{ release: string; notes: string }> {
  // The release name holds "modelops", so the object names are the release name itself:
  // unique per test, which matters for the cluster-scoped ClusterRole.
  const release = `modelops-${randomBytes(3).toString('hex')}`;
  const r = await helm(['install', release, CHART_DIR, '--namespace', ns, '--skip-crds', '--values', valuesFile(values)], { kubeconfig: kubeconfigPath() });
  assert.equal(r.code, 0, `helm install failed: ${r.stderr}`);
  t.after(async () => {
    await helm(['uninstall', release, '--namespace', ns, '--ignore-not-found'], { kubeconfig: kubeconfigPath() });
  });
  return { release, notes: r.stdout };
}

/** Waits until the ReplicaSet has created `want` Pods; fails with why it could not (e.g. PodSecurity). */
async function podsCreated(ns: string, want: number): Promise<any[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const pods = JSON.parse(await kubectlOk(['get', 'pods', '-l', SELECTOR, '-o', 'json'], { namespace: ns })).items;
    if (pods.length >= want) return pods;
    if (Date.now() > deadline) {
      const events = await kubectl(['get', 'events', '--field-selector', 'reason=FailedCreate', '-o', 'custom-columns=MESSAGE:.message'], { namespace: ns });
      assert.fail(`${pods.length}/${want} operator Pods created after 60 s; FailedCreate events:\n${events.stdout}`);
    }
    await sleep(500);
  }
}

async function canI(ns: string, serviceAccount: string, verb: string, resource: string, namespace: string | undefined): Promise<boolean> {
  const [plain, subresource] = resource.split('/');
  const r = await kubectl([
    'auth',
    'can-i',
    verb,
    plain!,
    ...(subresource ? [`--subresource=${subresource}`] : []),
    `--as=system:serviceaccount:${ns}:${serviceAccount}`,
    ...(namespace ? ['--namespace', namespace] : ['--all-namespaces']),
  ]);
  return r.stdout.trim() === 'yes';
}

describe('helm install of the chart', () => {
  it('runs the operator in a namespace that enforces the restricted Pod Security profile', async (t) => {
    const ns = await testNamespace(t, 'chart');
    const { release, notes } = await install(t, ns);
    assert.match(notes, /kubectl apply --server-side -f crds\/ --force-conflicts/, 'NOTES tell how to upgrade the CRDs');

    // Pod creation is where PodSecurity admission applies: a Pod exists only if it passed.
    const [pod] = await podsCreated(ns, 1);
    assert.equal(pod.spec.serviceAccountName, release);
    assert.equal(pod.spec.containers[0].securityContext.readOnlyRootFilesystem, true);

    // The namespace does enforce the profile: the same Pod with one setting loosened is refused.
    const loosened = structuredClone(pod);
    loosened.metadata = { name: 'loosened', namespace: ns };
    delete loosened.status;
    delete loosened.spec.nodeName;
    loosened.spec.containers[0].securityContext.allowPrivilegeEscalation = true;
    const refused = await kubectl(['apply', '--dry-run=server', '-f', '-'], { namespace: ns, input: dump(loosened) });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false/);
  });

  it('renders, with every option on, objects the API server accepts (server-side dry run)', async (t) => {
    const ns = await testNamespace(t, 'chart');
    const objects = await renderChart({
      replicaCount: 3,
      metrics: { serviceMonitor: { enabled: true } },
      networkPolicy: {
        enabled: true,
        metricsFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
        egress: [{ ports: [{ port: 443, protocol: 'TCP' }] }],
      },
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' }],
      extraEnv: [{ name: 'AWS_REGION', value: 'eu-west-1' }],
    });
    // The ServiceMonitor needs prometheus-operator's CRDs, which this cluster does not have.
    const known = objects.filter((o) => o.kind !== 'ServiceMonitor').map((o) => ({ ...o, metadata: { ...o.metadata, ...(o.metadata.namespace ? { namespace: ns } : {}) } }));
    assert.deepEqual([...new Set(known.map((o) => o.kind))].sort(), [
      'ClusterRole', 'ClusterRoleBinding', 'Deployment', 'NetworkPolicy', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Service', 'ServiceAccount',
    ]);
    const r = await kubectl(['apply', '--dry-run=server', '--server-side', '--field-manager=modelops-tests', '-f', '-'], { input: known.map((o) => dump(o)).join('---\n') });
    assert.equal(r.code, 0, r.stderr);
  });

  it('gives the ServiceAccount the operator rules cluster-wide and nothing more', async (t) => {
    const ns = await testNamespace(t, 'chart');
    const { release } = await install(t, ns);
    const allowed: [string, string][] = [
      ['watch', 'inferenceservices.modelops.dev'],
      ['patch', 'inferenceservices.modelops.dev/status'],
      ['list', 'datasets.modelops.dev'],
      ['create', 'modelversions.modelops.dev'],
      ['create', 'jobs.batch'],
      ['watch', 'pods'],
      ['create', 'deployments.apps'],
      ['delete', 'services'],
      ['create', 'events.events.k8s.io'],
      ['patch', 'httproutes.gateway.networking.k8s.io'],
      ['get', 'gatewayclasses.gateway.networking.k8s.io'],
      ['watch', 'driftmonitors.modelops.dev'],
      ['update', 'driftmonitors.modelops.dev/status'],
      ['create', 'trainingjobs.modelops.dev'],
      ['get', 'secrets'],
    ];
    for (const [verb, resource] of allowed) assert.ok(await canI(ns, release, verb, resource, undefined), `cannot ${verb} ${resource}`);
    const denied: [string, string][] = [
      ['update', 'inferenceservices.modelops.dev'],
      ['delete', 'inferenceservices.modelops.dev/status'],
      ['update', 'datasets.modelops.dev'],
      ['delete', 'modelversions.modelops.dev'],
      ['create', 'pods'],
      ['list', 'secrets'],
      ['watch', 'secrets'],
      ['update', 'trainingjobs.modelops.dev'],
      ['delete', 'trainingjobs.modelops.dev'],
      ['create', 'driftmonitors.modelops.dev'],
      ['create', 'configmaps'],
      ['create', 'leases.coordination.k8s.io'],
      ['delete', 'httproutes.gateway.networking.k8s.io'],
      ['list', 'gatewayclasses.gateway.networking.k8s.io'],
      ['patch', 'gateways.gateway.networking.k8s.io'],
    ];
    for (const [verb, resource] of denied) assert.equal(await canI(ns, release, verb, resource, undefined), false, `can ${verb} ${resource}`);
  });

  it('with watchNamespaces and two replicas, grants Roles only there, the Lease in its own namespace, and a PDB', async (t) => {
    const ns = await testNamespace(t, 'chart');
    const watched = await testNamespace(t, 'watched');
    const other = await testNamespace(t, 'other');
    const { release } = await install(t, ns, { replicaCount: 2, watchNamespaces: [watched] });

    assert.equal(await canI(ns, release, 'list', 'services', watched), true);
    assert.equal(await canI(ns, release, 'list', 'services', other), false);
    assert.equal(await canI(ns, release, 'list', 'services', undefined), false);
    assert.equal(await canI(ns, release, 'create', 'leases.coordination.k8s.io', ns), true);
    assert.equal(await canI(ns, release, 'create', 'leases.coordination.k8s.io', watched), false);
    assert.equal((await kubectl(['get', 'clusterrole', release])).code, 1, 'no ClusterRole with watchNamespaces');

    const pods = await podsCreated(ns, 2);
    assert.ok(pods[0].spec.containers[0].args.includes('--leader-elect=true'));
    assert.ok(pods[0].spec.containers[0].args.includes(`--namespaces=${watched}`));
    await kubectlOk(['get', 'poddisruptionbudget', release], { namespace: ns });
  });

  it('scales from one replica to two and back by helm upgrade, switching leader election, strategy and PDB', async (t) => {
    const ns = await testNamespace(t, 'chart');
    const { release } = await install(t, ns);
    const state = async () => {
      const d = JSON.parse(await kubectlOk(['get', 'deployment', release, '-o', 'json'], { namespace: ns }));
      const pdb = await kubectl(['get', 'poddisruptionbudget', release], { namespace: ns });
      const lease = await kubectl(['get', 'role', `${release}-leader-election`], { namespace: ns });
      return {
        replicas: d.spec.replicas,
        strategy: d.spec.strategy.type,
        leaderElect: d.spec.template.spec.containers[0].args.find((a: string) => a.startsWith('--leader-elect=')),
        pdb: pdb.code === 0,
        leaseRole: lease.code === 0,
      };
    };
    const upgrade = async (values: object) => {
      const r = await helm(['upgrade', release, CHART_DIR, '--namespace', ns, '--skip-crds', '--values', valuesFile(values)], { kubeconfig: kubeconfigPath() });
      assert.equal(r.code, 0, `helm upgrade failed: ${r.stderr}`);
    };
    const one = { replicas: 1, strategy: 'Recreate', leaderElect: '--leader-elect=false', pdb: false, leaseRole: false };
    assert.deepEqual(await state(), one);
    await upgrade({ replicaCount: 2 });
    assert.deepEqual(await state(), { replicas: 2, strategy: 'RollingUpdate', leaderElect: '--leader-elect=true', pdb: true, leaseRole: true });
    await upgrade({ replicaCount: 1 });
    assert.deepEqual(await state(), one);
  });

  it('is removed by helm uninstall, cluster-scoped RBAC included, and leaves the CRDs', async (t) => {
    const ns = await testNamespace(t, 'chart');
    const { release } = await install(t, ns);
    await kubectlOk(['get', 'clusterrole,clusterrolebinding', release]);

    const r = await helm(['uninstall', release, '--namespace', ns], { kubeconfig: kubeconfigPath() });
    assert.equal(r.code, 0, r.stderr);
    for (const kind of ['clusterrole', 'clusterrolebinding']) {
      assert.equal((await kubectl(['get', kind, release])).code, 1, `${kind} ${release} left behind`);
    }
    for (const kind of ['deployment', 'serviceaccount', 'service']) {
      const left = await kubectlOk(['get', kind, '-l', `app.kubernetes.io/instance=${release}`, '-o', 'name'], { namespace: ns });
      assert.equal(left.trim(), '', `${kind} left behind`);
    }
    // Helm never deletes CRDs, and these were not installed by the release anyway.
    await kubectlOk(['get', 'crd', 'inferenceservices.modelops.dev']);
  });
});

describe('upgrading the CRDs of a Helm install', () => {
  // Helm creates crds/ once, with field manager "helm", and never updates them. The shared
  // control plane already has the real modelops.dev CRDs, so this uses a copy of one under a
  // throwaway group, installed by Helm from a chart's crds/ exactly as ours is.
  it('needs --force-conflicts on the first server-side apply, as docs/helm.md says', async (t) => {
    const group = `upgrade-${randomBytes(3).toString('hex')}.modelops.test`;
    const crd = load(readFileSync(join(REPO_ROOT, 'crds/modelops.dev_driftmonitors.yaml'), 'utf8')) as any;
    crd.metadata.name = `${crd.spec.names.plural}.${group}`;
    crd.spec.group = group;
    const chart = mkdtempSync(join(tmpdir(), 'modelops-crdchart-'));
    mkdirSync(join(chart, 'crds'));
    writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: crds-only\nversion: 0.1.0\n');
    writeFileSync(join(chart, 'crds', 'crd.yaml'), dump(crd));
    const ns = await testNamespace(t, 'crds');
    const release = `crds-${randomBytes(3).toString('hex')}`;
    t.after(async () => {
      await helm(['uninstall', release, '--namespace', ns, '--ignore-not-found'], { kubeconfig: kubeconfigPath() });
      await kubectl(['delete', 'crd', crd.metadata.name, '--ignore-not-found']);
      rmSync(chart, { recursive: true, force: true });
    });
    const installed = await helm(['install', release, chart, '--namespace', ns], { kubeconfig: kubeconfigPath() });
    assert.equal(installed.code, 0, installed.stderr);

    // The next chart version changes the schema.
    const next = structuredClone(crd);
    next.spec.versions[0].schema.openAPIV3Schema.description += ' Upgraded.';
    const plain = await kubectl(['apply', '--server-side', '-f', '-'], { input: dump(next) });
    assert.notEqual(plain.code, 0, 'a plain server-side apply is expected to conflict with Helm');
    assert.match(plain.stderr, /conflict with "helm"/);

    await kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: dump(next) });
    const got = JSON.parse(await kubectlOk(['get', 'crd', crd.metadata.name, '-o', 'json']));
    assert.match(got.spec.versions[0].schema.openAPIV3Schema.description, /Upgraded\.$/);
  });
});
