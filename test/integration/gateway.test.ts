// The Gateway API implementation of our local clusters, for real: Traefik (hack/build-traefik.sh)
// started by hack/gateway.sh against the test control plane programs a Gateway, and requests
// sent through it reach backends in an HTTPRoute's weights. The backends are Services without
// a selector whose hand-written EndpointSlices point at HTTP servers of this process, so no
// node is needed (on the host's own non-loopback address: the API server refuses loopback
// endpoints). Stories: an 80/20 route splits 1000 requests within a binomial tolerance; a
// change to 0/100 (and back) is applied in a measured time, which bounds a rollout's rollback;
// a RequestMirror filter, which Traefik does not support, fails its rule with 500s and copies
// nothing (so the operator's Shadow strategy, which puts that filter on its route, cannot run
// behind Traefik 3.7), and Traefik's GatewayClass says so: its status.supportedFeatures, which
// the operator reads before mirroring, lacks HTTPRouteRequestMirror.
// Skipped when Traefik is not built: `make gateway`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { dump } from 'js-yaml';
import { kubeconfigPath, kubectl, kubectlOk } from '../support/cluster.ts';
import { REPO_ROOT, traefikMissing } from '../support/control-plane.ts';
import { waitFor } from '../support/wait.ts';
import { MIRROR_FEATURE, mirrorSupport, supportedFeatures } from '../../operator/controllers/inferenceservice/rollout/traffic.ts';

const run = promisify(execFile);
const skip = traefikMissing();

const N = 1000;
// Four standard deviations of a binomial count of N draws at p = 0.8: about 5 points of share.
const TOLERANCE = (4 * Math.sqrt(N * 0.8 * 0.2)) / N;

/** An HTTP server answering every request with its own name, counting what it received. */
interface Backend {
  name: string;
  port: number;
  received: number;
  paths: string[];
  close(): Promise<void>;
}

async function startBackend(name: string, address: string): Promise<Backend> {
  const backend: Backend = { name, port: 0, received: 0, paths: [], close: async () => {} };
  const server = http.createServer((req, res) => {
    backend.received++;
    backend.paths.push(req.url ?? '');
    req.resume();
    res.setHeader('content-type', 'text/plain');
    res.end(name);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, resolve);
  });
  backend.port = (server.address() as { port: number }).port;
  backend.close = () => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return backend;
}

/** The host's first non-loopback IPv4 address: the API server accepts it in an EndpointSlice. */
function hostAddress(): string {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new Error('no non-loopback IPv4 address on this host for the test backends');
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within 5 s`)));
    req.on('error', reject);
  });
}

/** Sends n requests, 8 at a time, and counts the answers by body (non-200 answers by status). */
async function sendRequests(url: string, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      const r = await get(url);
      const key = r.status === 200 ? r.body : `HTTP ${r.status}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return counts;
}

describe('Gateway API through Traefik', { skip }, () => {
  let ns: string;
  let dir: string;
  let gatewayUrl: string;
  const backends: Record<string, Backend> = {};

  async function apply(...objects: object[]): Promise<void> {
    await kubectlOk(['apply', '-f', '-'], { namespace: ns, input: objects.map((o) => dump(o)).join('---\n') });
  }

  function route(name: string, rule: Record<string, unknown>) {
    return {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name },
      spec: { parentRefs: [{ name: 'modelops', namespace: ns }], rules: [rule] },
    };
  }

  function weighted(a: number, b: number) {
    return route('split', {
      backendRefs: [
        { name: 'a', port: 80, weight: a },
        { name: 'b', port: 80, weight: b },
      ],
    });
  }

  /** The route's condition of that type, as the Gateway's controller last wrote it. */
  async function routeCondition(name: string, type: string): Promise<{ status: string; reason: string; observedGeneration: number } | undefined> {
    const r = await kubectl(['get', 'httproutes.gateway.networking.k8s.io', name, '-o', 'json'], { namespace: ns });
    if (r.code !== 0) return undefined;
    const o = JSON.parse(r.stdout);
    const parent = (o.status?.parents ?? [])[0];
    const c = (parent?.conditions ?? []).find((x: { type: string }) => x.type === type);
    return c && c.observedGeneration === o.metadata.generation ? c : undefined;
  }

  before(async () => {
    ns = `gateway-${randomBytes(3).toString('hex')}`;
    await kubectlOk(['create', 'namespace', ns]);
    await kubectlOk(['label', 'namespace', ns, 'modelops.dev/test=true']);
    const address = hostAddress();
    for (const name of ['a', 'b', 'mirror']) {
      const backend = await startBackend(name, address);
      backends[name] = backend;
      await apply(
        { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } },
        {
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: { name: `${name}-local`, labels: { 'kubernetes.io/service-name': name } },
          addressType: 'IPv4',
          ports: [{ name: 'http', port: backend.port, protocol: 'TCP' }],
          endpoints: [{ addresses: [address], conditions: { ready: true } }],
        },
      );
    }
    // hack/gateway.sh down removes it.
    dir = mkdtempSync(join(tmpdir(), 'modelops-gateway-'));
    try {
      const r = await run(join(REPO_ROOT, 'hack/gateway.sh'), ['up', '--kubeconfig', kubeconfigPath(), '--dir', dir, '--namespace', ns], { maxBuffer: 16 << 20 });
      gatewayUrl = r.stdout.trim();
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`hack/gateway.sh up failed: ${e.stderr ?? e.message}`);
    }
  });

  after(async () => {
    agent.destroy();
    if (dir) await run(join(REPO_ROOT, 'hack/gateway.sh'), ['down', '--dir', dir]).catch(() => {});
    for (const b of Object.values(backends)) await b.close();
    if (ns) await kubectl(['delete', 'namespace', ns, '--wait=false']);
  });

  it('splits 1000 requests 80/20 by the HTTPRoute backendRefs weights', async (t) => {
    await apply(weighted(80, 20));
    await waitFor('the route Accepted by Traefik', async () => (await routeCondition('split', 'Accepted'))?.status === 'True', 30_000);
    // Programmed once both backends answer through the Gateway.
    const seen = new Set<string>();
    await waitFor('both backends answering through the Gateway', async () => {
      const r = await get(`${gatewayUrl}/warmup`);
      if (r.status === 200) seen.add(r.body);
      return seen.has('a') && seen.has('b');
    }, 30_000, 20);

    const counts = await sendRequests(`${gatewayUrl}/predict`, N);
    const share = (counts.a ?? 0) / N;
    t.diagnostic(`${N} requests at weights 80/20: ${JSON.stringify(counts)}; a's share ${share.toFixed(3)} (expected 0.800 ± ${TOLERANCE.toFixed(3)})`);
    assert.equal((counts.a ?? 0) + (counts.b ?? 0), N, `every request answered by a or b: ${JSON.stringify(counts)}`);
    assert.ok(Math.abs(share - 0.8) <= TOLERANCE, `a's share ${share} is not within ${TOLERANCE.toFixed(3)} of 0.8`);
  });

  it('applies a weight change (0/100 and back) within seconds, measured', async (t) => {
    const latencies: number[] = [];
    const applied: number[] = [];
    // Each flip: from the moment the patch is sent until the first answer of a run of 50 that
    // all come from the backend now weighted 100 (the other one has weight 0: none may follow).
    for (const [wa, wb] of [[0, 100], [100, 0], [0, 100], [100, 0], [0, 100]] as const) {
      const target = wa === 100 ? 'a' : 'b';
      const start = performance.now();
      await apply(weighted(wa, wb));
      const stored = performance.now();
      let runStart = 0;
      let streak = 0;
      await waitFor(`all answers from ${target} after weights ${wa}/${wb}`, async () => {
        const sent = performance.now();
        const r = await get(`${gatewayUrl}/flip`);
        if (r.status === 200 && r.body === target) {
          if (streak === 0) runStart = sent;
          streak++;
        } else {
          streak = 0;
        }
        return streak >= 50;
      }, 30_000, 2);
      latencies.push(runStart - start);
      applied.push(runStart - stored);
    }
    const sorted = [...latencies].sort((x, y) => x - y);
    const ms = (l: number[]) => l.map((x) => `${Math.round(x)}`).join(', ');
    t.diagnostic(`weight change applied after ${ms(latencies)} ms from \`kubectl apply\` started (median ${Math.round(sorted[2]!)} ms, max ${Math.round(sorted[4]!)} ms); ${ms(applied)} ms after it returned`);
    assert.ok(sorted[4]! < 10_000, `a weight change took ${Math.round(sorted[4]!)} ms to apply`);
  });

  it('does not support the RequestMirror filter: the rule answers 500 and nothing is copied', async (t) => {
    // Until the mirrored route is in effect its paths fall to the split route, all on b.
    await apply(weighted(0, 100));
    await waitFor('the split route all on b', async () => (await sendRequests(`${gatewayUrl}/mirrored/x`, 20)).b === 20, 30_000, 50);
    await apply(route('mirrored', {
      matches: [{ path: { type: 'PathPrefix', value: '/mirrored' } }],
      // The filter as the operator's Shadow strategy writes it (rollout/traffic.ts).
      filters: [{ type: 'RequestMirror', requestMirror: { backendRef: { kind: 'Service', name: 'mirror', port: 80 }, percent: 50 } }],
      backendRefs: [{ name: 'a', port: 80 }],
    }));
    await waitFor('the mirrored route seen by Traefik', async () => (await routeCondition('mirrored', 'Accepted')) !== undefined, 30_000);
    const answers = await waitFor('the mirrored route in effect', async () => {
      const r = await get(`${gatewayUrl}/mirrored/x`);
      return r.status === 200 && r.body === 'b' ? undefined : r;
    }, 30_000, 50);
    const counts = await sendRequests(`${gatewayUrl}/mirrored/y`, 20);
    const accepted = await routeCondition('mirrored', 'Accepted');
    const resolved = await routeCondition('mirrored', 'ResolvedRefs');
    t.diagnostic(`with a RequestMirror filter: first answer ${answers.status} ${JSON.stringify(answers.body)}, then ${JSON.stringify(counts)}; route Accepted=${accepted?.status} (${accepted?.reason}), ResolvedRefs=${resolved?.status} (${resolved?.reason}); mirror received ${backends.mirror!.received}`);
    assert.deepEqual(counts, { 'HTTP 500': 20 }, 'Traefik fails a rule whose filters it does not support');
    assert.equal(backends.mirror!.received, 0, 'the mirror backend received no copies');
    assert.equal(backends.a!.paths.filter((p) => p.startsWith('/mirrored')).length, 0, 'the primary received none of the mirrored rule\'s requests');
  });

  it('says so in its GatewayClass\'s status.supportedFeatures, which the operator\'s Shadow guard reads as unsupported', async (t) => {
    const gateway = JSON.parse(await kubectlOk(['get', 'gateways.gateway.networking.k8s.io', 'modelops', '-o', 'json'], { namespace: ns }));
    const className: string = gateway.spec.gatewayClassName;
    const cls = await waitFor(`GatewayClass ${className} with status.supportedFeatures`, async () => {
      const o = JSON.parse(await kubectlOk(['get', 'gatewayclasses.gateway.networking.k8s.io', className, '-o', 'json']));
      return supportedFeatures(o) ? o : undefined;
    }, 30_000);
    const features = supportedFeatures(cls)!;
    const support = mirrorSupport([{ gateway: `${ns}/modelops`, gatewayClass: className, controller: cls.spec.controllerName, features }]);
    t.diagnostic(`Traefik lists ${features.length} features (${features.filter((f) => f.startsWith('HTTPRoute')).join(', ')}); the guard: ${support.message}`);
    assert.ok(features.includes('HTTPRoute'), 'the list is Traefik\'s own');
    assert.equal(features.includes(MIRROR_FEATURE), false);
    assert.equal(support.supported, false);
  });
});
