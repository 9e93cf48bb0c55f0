import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { FileStore } from './file.ts';
import { ArtifactReader, ArtifactUnreachableError, hashStream, locateArtifact, UnsupportedArtifactError } from './resolve.ts';
import type { ArtifactLocation } from './resolve.ts';
import { ArtifactNotFoundError } from './store.ts';

describe('locateArtifact', () => {
  const cases: Array<[string, string, string | undefined, ArtifactLocation | RegExp]> = [
    ['an s3 URI under the store root is a key of the operator\'s store', 's3://models/ml/m/1/model.onnx', 's3://models/ml', { kind: 'store', root: 's3://models/ml', key: 'm/1/model.onnx', managed: true }],
    ['an s3 URI in the store\'s bucket without a prefix is a key of the operator\'s store', 's3://models/a/b.onnx', 's3://models', { kind: 'store', root: 's3://models', key: 'a/b.onnx', managed: true }],
    ['an s3 URI in the store\'s bucket outside its prefix is external', 's3://models/other/b.onnx', 's3://models/ml', { kind: 'store', root: 's3://models', key: 'other/b.onnx', managed: false }],
    ['a prefix that only starts like the store\'s prefix is external', 's3://models/ml2/b.onnx', 's3://models/ml', { kind: 'store', root: 's3://models', key: 'ml2/b.onnx', managed: false }],
    ['an s3 URI in another bucket is read from that bucket and never managed', 's3://team/m.onnx', 's3://models', { kind: 'store', root: 's3://team', key: 'm.onnx', managed: false }],
    ['an s3 URI with no store configured is external', 's3://team/x/m.onnx', undefined, { kind: 'store', root: 's3://team', key: 'x/m.onnx', managed: false }],
    ['an s3 URI naming only a bucket is refused', 's3://team', 's3://models', /names a bucket, not an object/],
    ['an s3 key with an empty segment is refused', 's3://team/a//m.onnx', undefined, /cannot address/],
    ['a file URI under a file store root is a key of the operator\'s store', 'file:///data/store/m/1/model.onnx', 'file:///data/store', { kind: 'store', root: 'file:///data/store', key: 'm/1/model.onnx', managed: true }],
    ['a file URI that climbs out of the store with .. is external', 'file:///data/store/../elsewhere/m.onnx', 'file:///data/store', { kind: 'store', root: 'file:///data/elsewhere', key: 'm.onnx', managed: false }],
    ['a file URI elsewhere is read from its folder', 'file:///tmp/m.onnx', 'file:///data/store', { kind: 'store', root: 'file:///tmp', key: 'm.onnx', managed: false }],
    ['a file URI is external when the store is s3', 'file:///tmp/m.onnx', 's3://models', { kind: 'store', root: 'file:///tmp', key: 'm.onnx', managed: false }],
    ['an s3 URI is external when the store is a folder', 's3://models/m.onnx', 'file:///models', { kind: 'store', root: 's3://models', key: 'm.onnx', managed: false }],
    ['an https URI is a GET', 'https://example.com/m.onnx', 's3://models', { kind: 'http', url: 'https://example.com/m.onnx' }],
    ['a pvc URI cannot be read by the operator and says what to do instead', 'pvc://claim/m.onnx', 's3://models', /mounts no PersistentVolumeClaims; store the model in the artifact store/],
  ];
  for (const [name, uri, root, want] of cases) {
    it(name, () => {
      const got = locateArtifact(uri, root);
      if (want instanceof RegExp) {
        assert.equal(got.kind, 'unsupported');
        assert.match((got as { reason: string }).reason, want);
      } else {
        assert.deepEqual(got, want);
      }
    });
  }
});

describe('ArtifactReader', () => {
  let dir: string;
  let server: Server;
  let base: string;
  let reader: ArtifactReader;
  const opened: string[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'resolve-'));
    await mkdir(join(dir, 'store', 'm'), { recursive: true });
    await writeFile(join(dir, 'store', 'm', 'model.onnx'), 'in the store');
    await writeFile(join(dir, 'outside.onnx'), 'outside');
    server = createServer((req, res) => {
      if (req.url === '/model.onnx') res.end('over http');
      else if (req.url === '/broken') res.writeHead(503).end();
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    reader = new ArtifactReader({
      store: new FileStore(pathToFileURL(join(dir, 'store')).href),
      openStore: (root) => {
        opened.push(root);
        return new FileStore(root);
      },
    });
  });
  after(async () => {
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  const text = async (uri: string) => (await (await reader.open(uri)).toArray()).join('');

  it('reads a key of its own store, a file elsewhere and an http URL', async () => {
    assert.equal(await text(pathToFileURL(join(dir, 'store', 'm', 'model.onnx')).href), 'in the store');
    assert.equal(await text(pathToFileURL(join(dir, 'outside.onnx')).href), 'outside');
    assert.equal(await text(`${base}/model.onnx`), 'over http');
  });
  it('opens a foreign root once and reuses it', async () => {
    const uri = pathToFileURL(join(dir, 'outside.onnx')).href;
    await text(uri);
    await text(uri);
    assert.equal(opened.filter((r) => r === pathToFileURL(dir).href).length, 1);
  });
  it('tells a missing artifact from an unreachable one', async () => {
    await assert.rejects(reader.open(pathToFileURL(join(dir, 'store', 'nope.onnx')).href), ArtifactNotFoundError);
    await assert.rejects(reader.open(`${base}/nope.onnx`), ArtifactNotFoundError);
    await assert.rejects(reader.open(`${base}/broken`), ArtifactUnreachableError);
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await assert.rejects(reader.open(`http://127.0.0.1:${port}/m.onnx`), new RegExp(`GET http://127.0.0.1:${port}/m.onnx failed: ECONNREFUSED`));
    await assert.rejects(reader.open('pvc://claim/m.onnx'), UnsupportedArtifactError);
  });
  it('deletes only what lies in its own store', async () => {
    await writeFile(join(dir, 'store', 'm', 'gone.onnx'), 'x');
    await reader.deleteManaged(pathToFileURL(join(dir, 'store', 'm', 'gone.onnx')).href);
    await assert.rejects(reader.open(pathToFileURL(join(dir, 'store', 'm', 'gone.onnx')).href), ArtifactNotFoundError);
    await assert.rejects(reader.deleteManaged(pathToFileURL(join(dir, 'outside.onnx')).href), /outside the operator's artifact store; it is never deleted/);
    assert.equal(await text(pathToFileURL(join(dir, 'outside.onnx')).href), 'outside');
  });
  it('hashes a stream once, with its size', async () => {
    const { sha256, size } = await hashStream(await reader.open(`${base}/model.onnx`));
    assert.equal(size, 9);
    assert.equal(sha256, createHash('sha256').update('over http').digest('hex'));
  });
});
