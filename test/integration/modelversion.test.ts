// The ModelVersion reconciler on the real control plane and a real S3 server, the operator a
// process under the chart's RBAC with --artifact-store=s3://<bucket>/models. Stories: a good
// version is verified; a wrong digest, a missing file and a missing signature are Invalid and
// say why; an alias moves from its holder to a new claimant, and of concurrent claimants the
// highest version wins; the API server refuses a change to the artifact; deletionPolicy
// Delete removes the artifact (never an external one, never one another version references),
// Retain keeps it, and a deletion while the operator is down completes when it is back.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { Watch } from '@kubernetes/client-node';
import { dump } from 'js-yaml';
import { S3Store } from '../../operator/artifacts/s3.ts';
import { kubeConfig, kubectl, kubectlOk } from '../support/cluster.ts';
import { REPO_ROOT } from '../support/control-plane.ts';
import { startOperator } from '../support/operator.ts';
import type { OperatorProcess } from '../support/operator.ts';
import { installChartRbac, serviceAccountKubeconfig } from '../support/rbac.ts';
import { startS3 } from '../support/s3.ts';
import type { S3Server } from '../support/s3.ts';
import { waitFor } from '../support/wait.ts';

const FIXTURE = join(REPO_ROOT, 'runtime-images/server/test/fixtures/models/classifier/model.onnx');
const SIGNATURE = {
  inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
  outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
};

let s3: S3Server;
let store: S3Store;
let model: Buffer;
let digest: string;
let opNs: string;
let ns: string;
let kubeconfig: string;
let op: OperatorProcess | undefined;
const ops: OperatorProcess[] = [];

async function namespace(prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await kubectlOk(['create', 'namespace', name]);
  await kubectlOk(['label', 'namespace', name, 'modelops.dev/test=true', 'pod-security.kubernetes.io/enforce=restricted']);
  return name;
}

async function startOp(env: Record<string, string> = {}): Promise<OperatorProcess> {
  op = await startOperator({
    kubeconfig,
    args: [`--namespaces=${ns}`, '--workers=4', `--artifact-store=s3://${s3.bucket}/models`],
    env: { POD_NAMESPACE: opNs, ...s3.env, ...env },
  });
  ops.push(op);
  return op;
}

/** Uploads the fixture (or other bytes) under a key of the operator's store; returns its URI. */
async function upload(key: string, body: Buffer = model): Promise<string> {
  await store.put(key, body);
  return store.uri(key);
}

function version(name: string, spec: Record<string, unknown>) {
  const [, m, n] = /^(.*)-v(\d+)$/.exec(name)!;
  return { apiVersion: 'modelops.dev/v1alpha1', kind: 'ModelVersion', metadata: { name }, spec: { model: m, version: Number(n), signature: SIGNATURE, ...spec } };
}

async function apply(...objects: object[]): Promise<void> {
  await kubectlOk(['apply', '-f', '-'], { namespace: ns, input: objects.map((o) => dump(o)).join('---\n') });
}

async function get(name: string): Promise<any> {
  const r = await kubectl(['get', 'mv', name, '-o', 'json'], { namespace: ns });
  return r.code === 0 ? JSON.parse(r.stdout) : undefined;
}

function ready(o: any): any {
  return o?.status?.conditions?.find((c: any) => c.type === 'Ready');
}

async function phase(name: string, want: string, timeoutMs = 30_000): Promise<any> {
  return waitFor(`ModelVersion ${name} ${want}`, async () => {
    const o = await get(name);
    return o?.status?.phase === want && o.status.observedGeneration === o.metadata.generation ? o : undefined;
  }, timeoutMs);
}

async function events(name: string): Promise<any[]> {
  return JSON.parse(await kubectlOk(['get', 'events.events.k8s.io', '--field-selector', `regarding.name=${name}`, '-o', 'json'], { namespace: ns })).items;
}

async function eventWith(name: string, reason: string, note?: RegExp): Promise<any> {
  return waitFor(`a ${reason} event on ${name}${note ? ` saying ${note}` : ''}`, async () => (await events(name)).find((e) => e.reason === reason && (!note || note.test(e.note))));
}

before(async () => {
  model = await readFile(FIXTURE);
  digest = `sha256:${createHash('sha256').update(model).digest('hex')}`;
  s3 = await startS3('mv');
  store = new S3Store(`s3://${s3.bucket}/models`, s3.client);
  opNs = await namespace('mv-op');
  ns = await namespace('mv-work');
  const { serviceAccount } = await installChartRbac(opNs, { watchNamespaces: [ns] });
  kubeconfig = await serviceAccountKubeconfig(opNs, serviceAccount);
  await startOp();
});

after(async () => {
  if (op && op.child.exitCode === null) await op.kill();
  // Retried failures are part of normal operation (409s); their count says how often.
  const retried = ops.flatMap((o) => o.logs(/reconcile failed/));
  const why = new Map<string, number>();
  for (const l of retried) {
    const k = /the object has been modified/.test(String(l.err)) ? '409 Conflict' : String(l.err).replace(/127\.0\.0\.1:\d+/g, 'HOST').slice(0, 160);
    why.set(k, (why.get(k) ?? 0) + 1);
  }
  process.stderr.write(`# operator: ${retried.length} reconciles retried with backoff: ${JSON.stringify(Object.fromEntries(why))}\n`);
  for (const n of [ns, opNs]) if (n) await kubectl(['delete', 'namespace', n, '--wait=false']);
  await s3?.stop();
});

describe('validation', () => {
  it('a version whose artifact matches its digest is Ready, with verifiedAt, and kubectl get mv reads well', async () => {
    const uri = await upload('ml/good/1/model.onnx');
    await apply(version('good-v1', { artifact: { uri, digest, sizeBytes: model.length } }));
    const o = await phase('good-v1', 'Ready');
    assert.ok(Date.parse(o.status.verifiedAt) > Date.now() - 120_000, 'verifiedAt is recent');
    assert.equal(ready(o).status, 'True');
    assert.equal(ready(o).reason, 'ArtifactVerified');
    assert.match(ready(o).message, new RegExp(`matches ${digest} \\(${model.length} bytes\\)`));
    await eventWith('good-v1', 'ArtifactVerified');
    const table = await kubectlOk(['get', 'mv', 'good-v1'], { namespace: ns });
    assert.match(table, /^NAME\s+MODEL\s+VERSION\s+PHASE\s+ALIASES\s+AGE\n/);
    assert.match(table, /good-v1\s+good\s+1\s+Ready\s+\d+s\n/, 'no aliases held: an empty column');
  });

  it('a wrong digest is Invalid (DigestMismatch) and the message names both digests and what to do', async () => {
    const uri = await upload('ml/tampered/1/model.onnx', Buffer.concat([model, Buffer.from('x')]));
    await apply(version('tampered-v1', { artifact: { uri, digest } }));
    const o = await phase('tampered-v1', 'Invalid');
    const actual = `sha256:${createHash('sha256').update(Buffer.concat([model, Buffer.from('x')])).digest('hex')}`;
    assert.equal(ready(o).reason, 'DigestMismatch');
    assert.equal(ready(o).message, `expected ${digest} got ${actual}; the file at ${uri} changed after registration — register a new version`);
    assert.equal(o.status.verifiedAt, undefined);
    assert.equal((await eventWith('tampered-v1', 'DigestMismatch')).type, 'Warning');
  });

  it('a missing artifact is Invalid (ArtifactMissing) and says where it looked', async () => {
    const uri = store.uri('ml/nowhere/1/model.onnx');
    await apply(version('nowhere-v1', { artifact: { uri, digest } }));
    const o = await phase('nowhere-v1', 'Invalid');
    assert.equal(ready(o).reason, 'ArtifactMissing');
    assert.match(ready(o).message, new RegExp(`^no file at ${uri}; upload the model there`));
  });

  it('a version without a signature is Invalid (NoSignature)', async () => {
    const uri = await upload('ml/unsigned/1/model.onnx');
    const obj = version('unsigned-v1', { artifact: { uri, digest } });
    delete (obj.spec as Record<string, unknown>).signature;
    await apply(obj);
    const o = await phase('unsigned-v1', 'Invalid');
    assert.equal(ready(o).reason, 'NoSignature');
    assert.match(ready(o).message, /server validates every request against it/);
  });

  it('reads an artifact over http(s), and a server that does not answer leaves the version Pending (StoreUnreachable), not Invalid', async () => {
    const server = createServer((req, res) => (req.url === '/model.onnx' ? res.end(model) : res.writeHead(404).end()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const closed = createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const dead = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/model.onnx`;
      await new Promise((r) => closed.close(r));
      await apply(version('web-v1', { artifact: { uri: `${base}/model.onnx`, digest } }), version('down-v1', { artifact: { uri: dead, digest } }));
      await phase('web-v1', 'Ready');
      const down = await waitFor('down-v1 StoreUnreachable', async () => {
        const o = await get('down-v1');
        return ready(o)?.reason === 'StoreUnreachable' ? o : undefined;
      });
      assert.equal(down.status.phase, 'Pending');
      assert.equal(ready(down).status, 'Unknown');
      assert.equal(ready(down).message, `could not read ${dead}: GET ${dead} failed: ECONNREFUSED; retrying with backoff`);
    } finally {
      server.close();
    }
  });

  it('the API server refuses to change the artifact of a registered version', async () => {
    const uri = await upload('ml/frozen/1/model.onnx');
    await apply(version('frozen-v1', { artifact: { uri, digest } }));
    const r = await kubectl(['patch', 'mv', 'frozen-v1', '--type=merge', '-p', JSON.stringify({ spec: { artifact: { uri, digest: `sha256:${'0'.repeat(64)}` } } })], { namespace: ns });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec.artifact is immutable: register a new ModelVersion instead/);
    await kubectlOk(['patch', 'mv', 'frozen-v1', '--type=merge', '-p', '{"spec":{"stage":"Staging","description":"still editable"}}'], { namespace: ns });
  });
});

describe('aliases', () => {
  it('a new claimant takes the alias from its holder: the holder\'s spec and status lose it, and both get an AliasMoved event', async () => {
    const uri1 = await upload('ml/fraud/1/model.onnx');
    const uri2 = await upload('ml/fraud/2/model.onnx');
    await apply(version('fraud-v1', { artifact: { uri: uri1, digest }, aliases: ['production'] }));
    await waitFor('fraud-v1 holds production', async () => (await get('fraud-v1'))?.status?.aliases?.includes('production'));

    await apply(version('fraud-v2', { artifact: { uri: uri2, digest }, aliases: ['production'] }));
    const v2 = await waitFor('fraud-v2 holds production', async () => {
      const o = await get('fraud-v2');
      return o?.status?.aliases?.includes('production') ? o : undefined;
    });
    const v1 = await get('fraud-v1');
    assert.equal(v1.spec.aliases, undefined, 'the previous holder\'s claim is removed');
    assert.equal(v1.status.aliases, undefined);
    assert.deepEqual(v2.spec.aliases, ['production']);
    await eventWith('fraud-v1', 'AliasMoved', /^alias production moved to fraud-v2 \(version 2\); removed from spec.aliases$/);
    await eventWith('fraud-v2', 'AliasMoved', /^took alias production from fraud-v1 \(version 1\)$/);
    const table = await kubectlOk(['get', 'mv', '--sort-by=.spec.version'], { namespace: ns });
    assert.match(table, /fraud-v2\s+fraud\s+2\s+Ready\s+\["production"\]/);
  });

  it('of several versions claiming an alias at once, the highest version wins and the others lose their claims with a Warning', async () => {
    const uris = await Promise.all([1, 2, 3].map((n) => upload(`ml/churn/${n}/model.onnx`)));
    await apply(version('churn-v1', { artifact: { uri: uris[0], digest }, aliases: ['production'] }));
    await waitFor('churn-v1 holds production', async () => (await get('churn-v1'))?.status?.aliases?.includes('production'));

    // With the operator down, both claims are in place before it looks: a true tie.
    await op!.stop();
    await apply(version('churn-v2', { artifact: { uri: uris[1], digest }, aliases: ['production'] }), version('churn-v3', { artifact: { uri: uris[2], digest }, aliases: ['production'] }));
    await startOp();

    await waitFor('churn-v3 holds production', async () => (await get('churn-v3'))?.status?.aliases?.includes('production'));
    const [v1, v2] = [await get('churn-v1'), await get('churn-v2')];
    assert.equal(v1.spec.aliases, undefined);
    assert.equal(v2.spec.aliases, undefined);
    assert.equal(v1.status.aliases, undefined);
    assert.equal(v2.status.aliases, undefined);
    const conflict = await eventWith('churn-v2', 'AliasConflict');
    assert.equal(conflict.type, 'Warning');
    assert.match(conflict.note, /claimed at once by this version and churn-v3 \(version 3\); the highest version wins/);
    await eventWith('churn-v1', 'AliasMoved', /moved to churn-v3/);
  });

  it('never shows an alias on two versions while it moves back and forth', async () => {
    const uris = await Promise.all([1, 2].map((n) => upload(`ml/flip/${n}/model.onnx`)));
    await apply(version('flip-v1', { artifact: { uri: uris[0], digest }, aliases: ['production'] }), version('flip-v2', { artifact: { uri: uris[1], digest } }));
    await waitFor('flip-v1 holds production', async () => (await get('flip-v1'))?.status?.aliases?.includes('production'));
    const watcher = await watchVersions('flip-');
    for (let i = 0; i < 4; i++) {
      const to = i % 2 === 0 ? 'flip-v2' : 'flip-v1';
      await kubectlOk(['patch', 'mv', to, '--type=merge', '-p', '{"spec":{"aliases":["production"]}}'], { namespace: ns });
      await waitFor(`${to} holds production`, async () => (await get(to))?.status?.aliases?.includes('production'));
    }
    const seen = await watcher.stop();
    // Replaying every status the watch delivered, in order: never two holders at once.
    const holds = new Map<string, boolean>();
    for (const o of seen) {
      holds.set(o.metadata.name, Boolean(o.status?.aliases?.includes('production')));
      assert.ok([...holds.values()].filter(Boolean).length <= 1, `two holders after resourceVersion ${o.metadata.resourceVersion}`);
    }
    assert.ok(seen.length >= 8, `the watch saw the moves (${seen.length} updates)`);
  });
});

/** Watches the versions of the namespace and collects every object the watch delivers, in order. */
async function watchVersions(prefix: string): Promise<{ stop(): Promise<any[]> }> {
  const objects: any[] = [];
  const ctl = await new Watch(kubeConfig()).watch(
    `/apis/modelops.dev/v1alpha1/namespaces/${ns}/modelversions`,
    {},
    (_type, obj: any) => {
      if (obj?.metadata?.name?.startsWith(prefix)) objects.push(obj);
    },
    () => {},
  );
  return {
    async stop() {
      await new Promise((r) => setTimeout(r, 1000));
      ctl.abort();
      return objects;
    },
  };
}

describe('deletion policy', () => {
  it('Delete removes the artifact from the store, then the object goes away', async () => {
    const key = 'ml/purge/1/model.onnx';
    const uri = await upload(key);
    await apply(version('purge-v1', { artifact: { uri, digest }, deletionPolicy: 'Delete' }));
    const o = await phase('purge-v1', 'Ready');
    await waitFor('the finalizer', async () => (await get('purge-v1'))?.metadata.finalizers?.includes('modelops.dev/artifact'));
    assert.ok(o);
    await kubectlOk(['delete', 'mv', 'purge-v1', '--wait=false'], { namespace: ns });
    await waitFor('purge-v1 gone', async () => (await get('purge-v1')) === undefined);
    assert.equal(await store.head(key), undefined, 'the artifact is gone from S3');
    await eventWith('purge-v1', 'ArtifactDeleted');
  });

  it('Retain (the default) keeps the artifact and puts no finalizer on the object', async () => {
    const key = 'ml/keep/1/model.onnx';
    const uri = await upload(key);
    await apply(version('keep-v1', { artifact: { uri, digest } }));
    const o = await phase('keep-v1', 'Ready');
    assert.equal(o.metadata.finalizers, undefined);
    await kubectlOk(['delete', 'mv', 'keep-v1'], { namespace: ns });
    assert.ok(await store.head(key), 'the artifact is still in S3');
  });

  it('switching Delete back to Retain removes the finalizer', async () => {
    const uri = await upload('ml/undecided/1/model.onnx');
    await apply(version('undecided-v1', { artifact: { uri, digest }, deletionPolicy: 'Delete' }));
    await waitFor('the finalizer', async () => (await get('undecided-v1'))?.metadata.finalizers?.includes('modelops.dev/artifact'));
    await kubectlOk(['patch', 'mv', 'undecided-v1', '--type=merge', '-p', '{"spec":{"deletionPolicy":"Retain"}}'], { namespace: ns });
    await waitFor('no finalizer', async () => (await get('undecided-v1'))?.metadata.finalizers === undefined);
  });

  it('Delete keeps an artifact that another ModelVersion references, and says so', async () => {
    const key = 'ml/shared/1/model.onnx';
    const uri = await upload(key);
    await apply(version('shared-v1', { artifact: { uri, digest }, deletionPolicy: 'Delete' }), version('copy-v1', { artifact: { uri, digest } }));
    await waitFor('the finalizer', async () => (await get('shared-v1'))?.metadata.finalizers?.includes('modelops.dev/artifact'));
    await kubectlOk(['delete', 'mv', 'shared-v1', '--wait=false'], { namespace: ns });
    await waitFor('shared-v1 gone', async () => (await get('shared-v1')) === undefined);
    assert.ok(await store.head(key), 'the artifact is still in S3');
    assert.match((await eventWith('shared-v1', 'ArtifactRetained')).note, new RegExp(`kept: ModelVersion ${ns}/copy-v1 also references it`));
  });

  it('Delete never removes an artifact outside the operator\'s store (another bucket), and says so', async () => {
    const bucket = `mv-ext-${randomBytes(3).toString('hex')}`;
    await s3.client.send(new CreateBucketCommand({ Bucket: bucket }));
    const external = new S3Store(`s3://${bucket}`, s3.client);
    await external.put('team/model.onnx', model);
    await apply(version('external-v1', { artifact: { uri: external.uri('team/model.onnx'), digest }, deletionPolicy: 'Delete' }));
    await phase('external-v1', 'Ready'); // read from the other bucket with the operator's credentials
    await waitFor('the finalizer', async () => (await get('external-v1'))?.metadata.finalizers?.includes('modelops.dev/artifact'));
    await kubectlOk(['delete', 'mv', 'external-v1', '--wait=false'], { namespace: ns });
    await waitFor('external-v1 gone', async () => (await get('external-v1')) === undefined);
    assert.ok(await external.head('team/model.onnx'), 'the external artifact is untouched');
    assert.match((await eventWith('external-v1', 'ArtifactRetained')).note, /outside the operator's artifact store/);
  });

  it('a version deleted while the operator is down is cleaned up when it is back', async () => {
    const key = 'ml/later/1/model.onnx';
    const uri = await upload(key);
    await apply(version('later-v1', { artifact: { uri, digest }, deletionPolicy: 'Delete' }));
    await phase('later-v1', 'Ready');
    await waitFor('the finalizer', async () => (await get('later-v1'))?.metadata.finalizers?.includes('modelops.dev/artifact'));
    assert.equal(await op!.stop(), 0);
    await kubectlOk(['delete', 'mv', 'later-v1', '--wait=false'], { namespace: ns });
    await new Promise((r) => setTimeout(r, 1000));
    const terminating = await get('later-v1');
    assert.ok(terminating?.metadata.deletionTimestamp, 'held by the finalizer while the operator is down');
    assert.ok(await store.head(key));
    await startOp();
    await waitFor('later-v1 gone', async () => (await get('later-v1')) === undefined);
    assert.equal(await store.head(key), undefined);
  });
  it('a store that fails keeps the object (finalizer) and retries until the artifact is gone', async () => {
    const key = 'ml/stubborn/1/model.onnx';
    const uri = await upload(key);
    await apply(version('stubborn-v1', { artifact: { uri, digest }, deletionPolicy: 'Delete' }));
    await phase('stubborn-v1', 'Ready');
    await waitFor('the finalizer', async () => (await get('stubborn-v1'))?.metadata.finalizers?.includes('modelops.dev/artifact'));
    // The same store, reached through an endpoint where nothing listens.
    await op!.stop();
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const dead = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((r) => closed.close(r));
    await startOp({ AWS_ENDPOINT_URL: dead, AWS_ENDPOINT_URL_S3: dead });
    await kubectlOk(['delete', 'mv', 'stubborn-v1', '--wait=false'], { namespace: ns });
    const failed = await eventWith('stubborn-v1', 'ArtifactDeleteFailed');
    assert.equal(failed.type, 'Warning');
    assert.match(failed.note, new RegExp(`^could not delete ${uri}: .*; the ModelVersion stays \\(finalizer modelops.dev/artifact\\) until it succeeds`));
    assert.ok((await get('stubborn-v1'))?.metadata.deletionTimestamp, 'the object stays while the artifact does');
    assert.ok(await store.head(key));

    await op!.stop();
    await startOp();
    await waitFor('stubborn-v1 gone', async () => (await get('stubborn-v1')) === undefined);
    assert.equal(await store.head(key), undefined);
  });
});
