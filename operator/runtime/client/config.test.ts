import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { dump } from 'js-yaml';
import { defaultAccess, inClusterAccess, kubeconfigAccess } from './config.ts';

function kubeconfig(dir: string, user: object, cluster: object = { server: 'https://api.example:6443/' }): string {
  const path = join(dir, 'config');
  writeFileSync(
    path,
    dump({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'other', cluster: { server: 'https://wrong:1' } }, { name: 'c', cluster }],
      users: [{ name: 'u', user }],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'ctx',
    }),
  );
  return path;
}

const tmp = () => mkdtempSync(join(tmpdir(), 'modelops-kubeconfig-'));

describe('kubeconfigAccess', () => {
  it('takes the current context: server without a trailing slash, a bearer token, a CA file relative to the kubeconfig', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'ca.crt'), 'CA PEM');
    const access = await kubeconfigAccess(kubeconfig(dir, { token: 'abc' }, { server: 'https://api.example:6443/', 'certificate-authority': 'ca.crt' }));
    assert.equal(access.server, 'https://api.example:6443');
    assert.equal(access.tls.ca?.toString(), 'CA PEM');
    assert.equal(access.tls.rejectUnauthorized, true);
    assert.equal(await access.authorization(), 'Bearer abc');
  });

  it('reads client certificates from inline data and honours insecure-skip-tls-verify and tls-server-name', async () => {
    const dir = tmp();
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const access = await kubeconfigAccess(
      kubeconfig(
        dir,
        { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') },
        { server: 'https://10.0.0.1', 'insecure-skip-tls-verify': true, 'tls-server-name': 'kubernetes' },
      ),
    );
    assert.equal(access.tls.cert?.toString(), 'CERT');
    assert.equal(access.tls.key?.toString(), 'KEY');
    assert.equal(access.tls.rejectUnauthorized, false);
    assert.equal(access.tls.servername, 'kubernetes');
    assert.equal(await access.authorization(), undefined, 'certificates only: no Authorization header');
  });

  it('reads a token file and encodes basic auth', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'token'), 'from-file\n');
    assert.equal(await (await kubeconfigAccess(kubeconfig(dir, { tokenFile: join(dir, 'token') }))).authorization(), 'Bearer from-file');
    const basic = await kubeconfigAccess(kubeconfig(dir, { username: 'admin', password: 's3cret' }));
    assert.equal(await basic.authorization(), `Basic ${Buffer.from('admin:s3cret').toString('base64')}`);
  });

  it('says which context is missing', async () => {
    const dir = tmp();
    const path = join(dir, 'config');
    writeFileSync(path, dump({ contexts: [], 'current-context': 'gone' }));
    await assert.rejects(kubeconfigAccess(path), /current-context "gone" is not among its contexts/);
  });
});

describe('inClusterAccess', () => {
  it('uses the service account token and CA, and brackets an IPv6 service host', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'token'), 'sa-token');
    writeFileSync(join(dir, 'ca.crt'), 'CLUSTER CA');
    const access = inClusterAccess({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, dir);
    assert.equal(access.server, 'https://[fd00::1]:443');
    assert.equal(access.tls.ca?.toString(), 'CLUSTER CA');
    assert.equal(await access.authorization(), 'Bearer sa-token');
  });

  it('refuses to run outside a cluster', () => {
    assert.throws(() => inClusterAccess({}, tmp()), /not running in a cluster/);
  });
});

describe('defaultAccess', () => {
  it('takes the first existing file of KUBECONFIG before ~/.kube/config', async () => {
    const dir = tmp();
    const path = kubeconfig(dir, { token: 'first' });
    const access = await defaultAccess({ KUBECONFIG: `${join(dir, 'missing')}:${path}`, HOME: tmp() });
    assert.equal(await access.authorization(), 'Bearer first');
  });
});
