// s3:// end to end against a real S3-compatible server (versitygw, started by hack/s3-server.sh):
// the model, its signature and the reference profile come from a bucket, and the prediction log
// goes to one. Credentials reach the AWS SDK through the environment, as in a pod.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { classifierRequest, inferUrl, MODELS, postJson, startServer } from './helpers.ts';

const run = promisify(execFile);
const S3_SERVER = path.join(import.meta.dirname, '..', '..', '..', 'hack', 's3-server.sh');

describe('s3:// artifacts and prediction log', () => {
  let dir: string;
  let endpoint: string;
  let s3: S3Client;
  let digest: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'modelops-server-s3-'));
    await run(S3_SERVER, ['up', '--dir', dir]);
    const vars = Object.fromEntries(
      (await readFile(path.join(dir, 's3.env'), 'utf8'))
        .split('\n')
        .map((l) => /^export ([A-Z_]+)=(.*)$/.exec(l.trim()))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1], m[2]]),
    ) as Record<string, string>;
    endpoint = vars.AWS_ENDPOINT_URL!;
    process.env.AWS_ACCESS_KEY_ID = vars.AWS_ACCESS_KEY_ID;
    process.env.AWS_SECRET_ACCESS_KEY = vars.AWS_SECRET_ACCESS_KEY;
    s3 = new S3Client({ endpoint, region: vars.AWS_REGION ?? 'us-east-1', forcePathStyle: true });
    for (let i = 0; ; i++) {
      try {
        await s3.send(new CreateBucketCommand({ Bucket: 'models' }));
        break;
      } catch (err) {
        if (i > 100) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await s3.send(new CreateBucketCommand({ Bucket: 'logs' }));
    const model = await readFile(path.join(MODELS, 'classifier', 'model.onnx'));
    digest = createHash('sha256').update(model).digest('hex');
    for (const f of ['model.onnx', 'signature.json', 'profile.json']) {
      await s3.send(new PutObjectCommand({ Bucket: 'models', Key: `weather/3/${f}`, Body: await readFile(path.join(MODELS, 'classifier', f)) }));
    }
  });
  after(async () => {
    await run(S3_SERVER, ['down', '--dir', dir]);
  });

  const env = (extra: Record<string, string>) => ({
    MODEL_URI: 's3://models/weather/3/model.onnx', MODEL_SHA256: digest, REFERENCE_PROFILE: 's3://models/weather/3/profile.json',
    AWS_ENDPOINT_URL_S3: endpoint, S3_FORCE_PATH_STYLE: 'true', MODEL_VERSION: '3', ...extra,
  });

  it('loads model, signature and profile from a bucket and writes the prediction log to one', async () => {
    const ts = await startServer(env({ PREDICTION_LOG_URI: 's3://logs/predictions/weather', PREDICTION_LOG_SAMPLE_RATE: '1', MODEL_CACHE_DIR: path.join(import.meta.dirname, '..', 'tmp', 's3-cache') }));
    try {
      assert.equal(ts.rt.phase, 'ready', ts.rt.failure);
      assert.deepEqual(ts.rt.signature?.outputs[0]?.classLabels, ['drizzle', 'fog', 'rain', 'snow', 'sun']);
      for (let i = 0; i < 3; i++) assert.equal((await postJson(inferUrl(ts), classifierRequest(1, i), { 'x-request-id': `s3-${i}` })).status, 200);
    } finally {
      await ts.close(); // flushes the buffered records as one object
    }
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'logs', Prefix: 'predictions/weather/' }));
    const keys = (listed.Contents ?? []).map((o) => o.Key as string);
    assert.equal(keys.length, 1);
    assert.match(keys[0] as string, /^predictions\/weather\/\d{4}-\d{2}-\d{2}\/.+-\d+-000000\.jsonl$/);
    const body = await (await s3.send(new GetObjectCommand({ Bucket: 'logs', Key: keys[0] }))).Body?.transformToString();
    const records = (body ?? '').trim().split('\n').map((l) => JSON.parse(l) as { request_id: string; version: string });
    assert.deepEqual(records.map((r) => r.request_id), ['s3-0', 's3-1', 's3-2']);
    assert.equal(records[0]?.version, '3');
  });

  it('counts prediction log uploads that fail and still answers every request', async () => {
    const ts = await startServer(env({ PREDICTION_LOG_URI: 's3://no-such-bucket/p', PREDICTION_LOG_SAMPLE_RATE: '1', MODEL_CACHE_DIR: path.join(import.meta.dirname, '..', 'tmp', 's3-cache2') }));
    let metrics = '';
    try {
      for (let i = 0; i < 2; i++) assert.equal((await postJson(inferUrl(ts), classifierRequest(1, i))).status, 200);
      await ts.rt.predictionLog.close(); // force the upload now
      metrics = await (await fetch(`${ts.url}/metrics`)).text();
    } finally {
      await ts.close();
    }
    assert.match(metrics, /modelops_prediction_log_records_total\{model="weather",version="3",result="failed"\} 2/);
  });

  it('refuses a model from a bucket whose digest does not match', async () => {
    const ts = await startServer(env({ MODEL_SHA256: 'f'.repeat(64), MODEL_CACHE_DIR: path.join(import.meta.dirname, '..', 'tmp', 's3-cache3') }));
    try {
      assert.equal(ts.rt.phase, 'failed');
      assert.match(ts.rt.failure ?? '', /digest mismatch/);
    } finally {
      await ts.close();
    }
  });
});
