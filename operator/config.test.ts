import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('has defaults that work out of the box', () => {
    const c = loadConfig([], {});
    assert.deepEqual(c.namespaces, []);
    assert.equal(c.workers, 4);
    assert.deepEqual(c.metricsAddress, { host: '0.0.0.0', port: 8080 });
    assert.deepEqual(c.probeAddress, { host: '0.0.0.0', port: 8081 });
    assert.equal(c.leaderElect, false);
    assert.equal(c.kubeApiQps, 20);
    assert.equal(c.kubeApiBurst, 30);
    assert.equal(c.operatorImage, 'localhost/modelops/operator:0.1.0');
    assert.equal(c.artifactStoreSecret, undefined);
  });
  it('reads MODELOPS_* variables, and a flag wins over its variable', () => {
    const c = loadConfig(['--workers=8'], { MODELOPS_WORKERS: '2', MODELOPS_NAMESPACES: 'a, b', MODELOPS_LEADER_ELECT: 'true', POD_NAMESPACE: 'ops', POD_NAME: 'op-0' });
    assert.equal(c.workers, 8);
    assert.deepEqual(c.namespaces, ['a', 'b']);
    assert.equal(c.leaderElect, true);
    assert.equal(c.leaderElectionNamespace, 'ops');
    assert.equal(c.identity, 'op-0');
  });
  const bad: Array<[string[], Record<string, string>, RegExp]> = [
    [['--workers=0'], {}, /--workers: expected a positive integer, got "0"/],
    [['--metrics-bind-address=8080'], {}, /--metrics-bind-address: expected \[host\]:port/],
    [['--leader-elect=true'], {}, /--leader-elect needs --leader-election-namespace or the POD_NAMESPACE/],
    [['--log-level=loud'], {}, /--log-level: expected debug, info, warn or error/],
    [['--namespaces=Bad_NS'], {}, /--namespaces: "Bad_NS" is not a namespace name/],
    [['--artifact-store=gs://x'], {}, /--artifact-store: expected s3:\/\/bucket\/prefix or file:\/\/\/path/],
    [['--artifact-store-secret=S3 Creds'], {}, /--artifact-store-secret: "S3 Creds" is not a Secret name/],
    [['--no-such-flag'], {}, /Unknown option '--no-such-flag'.*flags: --namespaces/],
  ];
  for (const [argv, env, message] of bad) {
    it(`rejects ${argv.join(' ')} with a message that says what to do`, () => {
      assert.throws(() => loadConfig(argv, env), message);
    });
  }
});
