// Benchmark of canary rollback on a real control plane, real Prometheus and real model
// servers (the harness of test/integration/rollout.test.ts), against the goal of issue #7:
//
//   rollback time <= 1.2 x (scrape interval + analysis interval x failed measurements needed) + 5 s
//
// where the failed measurements needed are failureLimit + 1 (a check fails the analysis when
// it has more Failed measurements than failureLimit). Each figure is reported as a ratio to
// that bound, computed from the same run's settings.
//
// 1. Rollback: `--runs` canaries of the `failing` fixture model (it fails at run time on real
//    inputs) beside a good stable revision, 40 requests/s split by the HTTPRoute's weights;
//    the time from the canary's first 5xx answer to the route sending nothing to it.
// 2. False rollbacks: `--good` canaries of a good version (the same classifier, a new
//    ModelVersion) held at one step for `--hold` seconds under the same load, with every
//    built-in check at its default (latency-ratio included); the share of analyses (rounds of
//    all checks at one instant) in which a check failed, and how many were rolled back.
//
//   node bench/rollout/bench.ts [--runs=10] [--interval=5s] [--failure-limit=1] [--good=2] [--hold=120] [--out=FILE]
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dump } from 'js-yaml';
import { parseDuration } from '../../operator/runtime/duration.ts';
import { kubectl, kubectlOk } from '../../test/support/cluster.ts';
import { startControlPlane, stopControlPlane } from '../../test/support/control-plane.ts';
import { installCrds, installGatewayApiCrds } from '../../test/support/crds.ts';
import { startOperator } from '../../test/support/operator.ts';
import { startPrometheus } from '../../test/support/prometheus.ts';
import { installChartRbac, serviceAccountKubeconfig } from '../../test/support/rbac.ts';
import { fixtureRequest, fixtureVersion, generateLoad, runRevisions } from '../../test/support/rollout.ts';
import { waitFor } from '../../test/support/wait.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    interval: { type: 'string', default: '5s' },
    'failure-limit': { type: 'string', default: '1' },
    good: { type: 'string', default: '2' },
    hold: { type: 'string', default: '120' },
    out: { type: 'string', default: '' },
  },
});
const RUNS = Number(values.runs);
const INTERVAL = values.interval;
const FAILURE_LIMIT = Number(values['failure-limit']);
const GOOD = Number(values.good);
const HOLD_S = Number(values.hold);
const SCRAPE_S = 1;
const GOAL_S = 1.2 * (SCRAPE_S + (parseDuration(INTERVAL) / 1000) * (FAILURE_LIMIT + 1)) + 5;
const GATEWAY = { provider: 'GatewayAPI', gateway: { parentRefs: [{ name: 'edge' }] } };

const dir = join(mkdtempSync(join(tmpdir(), 'modelops-bench-rollout-')), 'cluster');
const cp = await startControlPlane(dir);
process.env.MODELOPS_TEST_KUBECONFIG = cp.kubeconfig;
const prom = await startPrometheus([], { fileTargets: true, scrapeInterval: `${SCRAPE_S}s` });
const stopAll: (() => Promise<unknown>)[] = [() => prom.stop(), () => stopControlPlane(dir)];
try {
  await installCrds();
  await installGatewayApiCrds();
  const ns = 'bench';
  await kubectlOk(['create', 'namespace', ns]);
  await kubectlOk(['create', 'namespace', 'bench-op']);
  const { serviceAccount } = await installChartRbac('bench-op', { watchNamespaces: [ns] });
  const kubeconfig = await serviceAccountKubeconfig('bench-op', serviceAccount);
  const op = await startOperator({
    kubeconfig,
    args: [`--namespaces=${ns}`, '--workers=4', '--server-image=localhost/modelops/server:bench', `--prometheus-url=${prom.url}`],
    env: { POD_NAMESPACE: 'bench-op' },
  });
  stopAll.unshift(() => op.stop());
  const runner = runRevisions(ns, prom);
  stopAll.unshift(() => runner.stop());

  const apply = (...objects: object[]) => kubectlOk(['apply', '-f', '-'], { namespace: ns, input: objects.map((o) => dump(o)).join('---\n') });
  const status = async (name: string) => JSON.parse((await kubectl(['get', 'misvc', name, '-o', 'json'], { namespace: ns })).stdout).status ?? {};
  const isvc = (name: string, analysis: object, steps: object[]) => ({
    apiVersion: 'modelops.dev/v1alpha1',
    kind: 'InferenceService',
    metadata: { name },
    spec: { model: { name, alias: 'production' }, rollout: { strategy: 'Canary', canary: { steps }, analysis }, traffic: GATEWAY },
  });
  /** Serves v1 of `name`, starts load, applies v2 of `fixture`; returns the load and the stable revision. */
  const startRollout = async (name: string, fixture: 'classifier' | 'failing', analysis: object, steps: object[]) => {
    await apply(await fixtureVersion(`${name}-v1`, 'classifier', ['production']));
    await apply(isvc(name, analysis, steps));
    const stable = await waitFor(`${name} v1 serves`, async () => {
      const s = await status(name);
      return s.phase === 'Healthy' ? (s.servingRevision as string) : undefined;
    }, 60_000, 200);
    const load = generateLoad(ns, name, runner, fixtureRequest(runner, name));
    await waitFor(`${name}: load on stable`, () => load.samples.some((x) => x.revision === stable && x.status === 200), 30_000);
    await apply(await fixtureVersion(`${name}-v2`, fixture, ['production']));
    return { load, stable };
  };

  // 1. Rollback time.
  const rollbacks: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const name = `bad-${i}`;
    const { load, stable } = await startRollout(name, 'failing', { interval: INTERVAL, window: '10s', failureLimit: FAILURE_LIMIT }, [{ weight: 20, pause: { duration: '10m' } }]);
    const canary = await waitFor(`${name} canary`, async () => (await status(name)).canaryRevision?.name as string | undefined, 60_000, 200);
    const firstBad = await waitFor(`${name}: a failed request on the canary`, () => load.samples.find((x) => x.revision === canary && x.status >= 500), 60_000, 50);
    const back = await waitFor(`${name}: route back on stable`, () => load.changes.find((c) => c.time > firstBad.time && !c.weights[canary] && c.weights[stable]), 120_000, 50);
    const seconds = (back.time - firstBad.time) / 1000;
    rollbacks.push(seconds);
    process.stderr.write(`rollback ${i + 1}/${RUNS}: ${seconds.toFixed(2)} s (${(seconds / GOAL_S).toFixed(2)} of the goal)\n`);
    await load.stop();
    await kubectlOk(['delete', 'misvc', name, '--wait=false'], { namespace: ns });
  }

  // 2. False rollbacks of good canaries, all held at once for HOLD_S.
  const goods = [];
  for (let i = 0; i < GOOD; i++) goods.push(await startRollout(`good-${i}`, 'classifier', { interval: '2s' }, [{ weight: 50, pause: { duration: `${HOLD_S}s` } }]));
  // Status keeps the newest 50 measurements (16 rounds of 2 s): gather them every 10 s.
  const rounds = new Map<string, boolean>(); // `${isvc} ${time}` -> some check failed
  const deadline = Date.now() + (HOLD_S + 5) * 1000;
  while (Date.now() < deadline) {
    for (let i = 0; i < GOOD; i++) {
      for (const m of (await status(`good-${i}`)).analysis ?? []) {
        const key = `good-${i} ${m.time}`;
        rounds.set(key, (rounds.get(key) ?? false) || m.result === 'Failed');
      }
    }
    await new Promise((r) => setTimeout(r, 10_000));
  }
  let rolledBack = 0;
  for (let i = 0; i < GOOD; i++) {
    if ((await status(`good-${i}`)).phase === 'RolledBack') rolledBack++;
    await goods[i]!.load.stop();
  }
  const goodAnalyses = rounds.size;
  const goodFailed = [...rounds.values()].filter(Boolean).length;

  const sorted = [...rollbacks].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
  const worst = sorted.at(-1) ?? NaN;
  const result = {
    date: new Date().toISOString(),
    settings: { scrapeSeconds: SCRAPE_S, interval: INTERVAL, failureLimit: FAILURE_LIMIT, rps: 40, canaryWeight: 20 },
    goalSeconds: Number(GOAL_S.toFixed(2)),
    rollbackSeconds: rollbacks.map((s) => Number(s.toFixed(2))),
    rollbackMedianRatio: Number((median / GOAL_S).toFixed(3)),
    rollbackWorstRatio: Number((worst / GOAL_S).toFixed(3)),
    goodCanaries: GOOD,
    goodHoldSeconds: HOLD_S,
    goodAnalyses,
    goodFailedAnalyses: goodFailed,
    goodRolledBack: rolledBack,
    falseFailureRate: goodAnalyses ? Number((goodFailed / goodAnalyses).toFixed(4)) : null,
  };
  const text = JSON.stringify(result, null, 2);
  process.stdout.write(`${text}\n`);
  if (values.out) writeFileSync(values.out, `${text}\n`);
} finally {
  for (const stop of stopAll) await stop().catch(() => undefined);
}
