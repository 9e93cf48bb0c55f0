// S3Store against a real S3-compatible server (versitygw): what every artifact writer relies
// on, that an object appears whole or not at all and is never replaced by accident.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ListMultipartUploadsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { openStore } from '../../operator/artifacts/open.ts';
import { PART_SIZE } from '../../operator/artifacts/s3.ts';
import { ArtifactExistsError, ArtifactNotFoundError } from '../../operator/artifacts/store.ts';
import type { ArtifactStore } from '../../operator/artifacts/store.ts';
import { startS3 } from '../support/s3.ts';
import type { S3Server } from '../support/s3.ts';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('S3Store on versitygw', () => {
  let s3: S3Server;
  let store: ArtifactStore;
  let dir: string;
  before(async () => {
    s3 = await startS3('artifacts');
    store = openStore(`s3://${s3.bucket}/root`, s3.env);
    dir = await mkdtemp(join(tmpdir(), 'artifacts-'));
  });
  after(async () => {
    await s3?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('puts, heads, gets, lists and deletes, with the sha256 kept in the metadata', async () => {
    const body = Buffer.from('a dataset version');
    const put = await store.put('datasets/ns/d/x/data.parquet', body);
    assert.deepEqual([put.size, put.sha256], [body.length, sha256(body)]);
    const head = await store.head('datasets/ns/d/x/data.parquet');
    assert.equal(head?.size, body.length);
    assert.equal(head?.sha256, sha256(body));
    assert.ok(head?.lastModified instanceof Date);
    assert.deepEqual(await store.read('datasets/ns/d/x/data.parquet'), body);
    const chunks: Buffer[] = [];
    for await (const c of await store.get('datasets/ns/d/x/data.parquet')) chunks.push(c as Buffer);
    assert.deepEqual(Buffer.concat(chunks), body);
    await store.put('datasets/ns/d/x/profile.json', Buffer.from('{}'));
    await store.put('datasets/ns/other/y/data.parquet', Buffer.from('z'));
    assert.deepEqual(
      (await store.list('datasets/ns/d/')).map((o) => o.key),
      ['datasets/ns/d/x/data.parquet', 'datasets/ns/d/x/profile.json'],
    );
    assert.equal(store.uri('datasets/ns/d/x/data.parquet'), `s3://${s3.bucket}/root/datasets/ns/d/x/data.parquet`);
    await store.delete('datasets/ns/d/x/profile.json');
    assert.equal(await store.exists('datasets/ns/d/x/profile.json'), false);
    assert.equal(await store.head('datasets/ns/d/x/profile.json'), undefined);
    await assert.rejects(store.read('datasets/ns/d/x/profile.json'), ArtifactNotFoundError);
  });

  it('uploads a file larger than one part as a multipart upload, whole', async () => {
    const big = Buffer.alloc(PART_SIZE + 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = i % 251;
    await writeFile(join(dir, 'big'), big);
    const put = await store.put('models/ns/m/v1/model.onnx', { path: join(dir, 'big') });
    assert.equal(put.sha256, sha256(big));
    const head = await store.head('models/ns/m/v1/model.onnx');
    assert.deepEqual([head?.size, head?.sha256], [big.length, sha256(big)]);
    assert.equal(sha256(await store.read('models/ns/m/v1/model.onnx')), sha256(big));
  });

  it('never overwrites an existing object unless asked', async () => {
    await store.put('immutable/k', Buffer.from('first'));
    await assert.rejects(store.put('immutable/k', Buffer.from('second')), ArtifactExistsError);
    await assert.rejects(store.put('immutable/k', Readable.from([Buffer.from('third')])), ArtifactExistsError);
    assert.equal((await store.read('immutable/k')).toString(), 'first');
    await store.put('immutable/k', Buffer.from('replaced'), { overwrite: true });
    assert.equal((await store.read('immutable/k')).toString(), 'replaced');
  });

  it('relies on the server refusing a conditional PUT over an existing key (If-None-Match: *)', async () => {
    await store.put('conditional/k', Buffer.from('first'));
    await assert.rejects(
      s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'root/conditional/k', Body: 'second', IfNoneMatch: '*' })),
      (err: { $metadata?: { httpStatusCode?: number } }) => err.$metadata?.httpStatusCode === 412,
    );
    assert.equal((await store.read('conditional/k')).toString(), 'first');
  });

  it('lets exactly one of concurrent writers of a key win', async () => {
    const results = await Promise.allSettled(['a', 'b', 'c', 'd'].map((v) => store.put('race/k', Buffer.from(v))));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof ArtifactExistsError, String(r.reason));
  });

  it('publishes nothing, and leaves no upload behind, when the body fails midway', async () => {
    let sent = 0;
    const failing = new Readable({
      read() {
        if (sent++ < 3) this.push(Buffer.alloc(1024 * 1024, 1));
        else this.destroy(new Error('source broke'));
      },
    });
    await assert.rejects(store.put('broken/k', failing), /source broke/);
    assert.equal(await store.exists('broken/k'), false);
    const uploads = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket }));
    assert.deepEqual(uploads.Uploads ?? [], []);
  });
});
