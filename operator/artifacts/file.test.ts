import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { FileStore } from './file.ts';
import { openStore } from './open.ts';
import { S3Store } from './s3.ts';
import { ArtifactExistsError, ArtifactNotFoundError } from './store.ts';

describe('FileStore', () => {
  let dir: string;
  let store: FileStore;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'filestore-'));
    store = new FileStore(pathToFileURL(join(dir, 'root')).href);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('writes from a buffer, a stream and a file, and reports size and sha256', async () => {
    const a = await store.put('x/a.txt', Buffer.from('hello'));
    assert.equal(a.size, 5);
    assert.equal(a.sha256, '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
    await store.put('x/b.txt', Readable.from([Buffer.from('hel'), Buffer.from('lo')]));
    await writeFile(join(dir, 'src'), 'hello');
    await store.put('y/c.txt', { path: join(dir, 'src') });
    assert.equal((await store.read('x/b.txt')).toString(), 'hello');
    assert.equal((await store.read('y/c.txt')).toString(), 'hello');
    assert.equal((await store.head('y/c.txt'))?.size, 5);
  });
  it('never overwrites unless asked', async () => {
    await store.put('o/k', Buffer.from('first'));
    await assert.rejects(store.put('o/k', Buffer.from('second')), ArtifactExistsError);
    assert.equal((await store.read('o/k')).toString(), 'first');
    await store.put('o/k', Buffer.from('second'), { overwrite: true });
    assert.equal((await store.read('o/k')).toString(), 'second');
  });
  it('leaves nothing under the key, and no temporary file, when the body fails', async () => {
    const failing = new Readable({
      read() {
        this.push(Buffer.from('partial'));
        this.destroy(new Error('source broke'));
      },
    });
    await assert.rejects(store.put('f/broken', failing), /source broke/);
    assert.equal(await store.exists('f/broken'), false);
    assert.deepEqual(await readdir(join(dir, 'root', 'f')), []);
  });
  it('lets one of two concurrent writers of a key win', async () => {
    const results = await Promise.allSettled([store.put('race/k', Buffer.from('one')), store.put('race/k', Buffer.from('two'))]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    assert.ok(['one', 'two'].includes((await store.read('race/k')).toString()));
  });
  it('lists by prefix in key order, deletes, and reports missing objects', async () => {
    assert.deepEqual(
      (await store.list('x/')).map((o) => o.key),
      ['x/a.txt', 'x/b.txt'],
    );
    assert.deepEqual(
      (await store.list('x/a')).map((o) => o.key),
      ['x/a.txt'],
    );
    await store.delete('x/a.txt');
    await store.delete('x/a.txt');
    assert.equal(await store.head('x/a.txt'), undefined);
    await assert.rejects(store.read('x/a.txt'), ArtifactNotFoundError);
    await assert.rejects(store.get('x/a.txt'), ArtifactNotFoundError);
    assert.deepEqual(await store.list('nothing/'), []);
  });
  it('gives file:// URIs for keys', () => {
    assert.equal(store.uri('x/a.txt'), pathToFileURL(join(dir, 'root', 'x', 'a.txt')).href);
  });
});

describe('openStore', () => {
  it('picks the back end by scheme', () => {
    assert.ok(openStore('file:///tmp/s', {}) instanceof FileStore);
    const s3 = openStore('s3://bucket/some/prefix/', { AWS_ENDPOINT_URL: 'http://127.0.0.1:9000' });
    assert.ok(s3 instanceof S3Store);
    assert.equal(s3.uri('a/b'), 's3://bucket/some/prefix/a/b');
  });
  it('refuses other schemes', () => assert.throws(() => openStore('gs://b', {}), /unsupported artifact store/));
});
