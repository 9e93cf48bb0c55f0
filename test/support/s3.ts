// A real S3-compatible server for integration tests: versitygw started by hack/s3-server.sh
// for one test file, or the one named by MODELOPS_TEST_S3_ENV (the s3.env file of a server
// already running). Each caller gets its own bucket.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { s3Client, s3SettingsFromEnv } from '../../operator/artifacts/s3.ts';
import { REPO_ROOT } from './control-plane.ts';

const run = promisify(execFile);

export interface S3Server {
  /** AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION. */
  env: Record<string, string>;
  bucket: string;
  client: S3Client;
  /** Stops the server if this call started it. */
  stop(): Promise<void>;
}

/** Parses the `export NAME=value` lines hack/s3-server.sh writes. */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^(?:export\s+)?([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

/** address: where the server listens (default loopback; the node's bridge 10.244.0.1 for Pods). */
export async function startS3(bucketPrefix = 'test', address?: string): Promise<S3Server> {
  let dir: string | undefined;
  let envFile = process.env.MODELOPS_TEST_S3_ENV;
  if (!envFile) {
    dir = await mkdtemp(join(tmpdir(), 'modelops-s3-'));
    try {
      await run(join(REPO_ROOT, 'hack/s3-server.sh'), ['up', '--dir', dir, ...(address ? ['--address', address] : [])]);
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`hack/s3-server.sh up failed (is versitygw built? hack/build-s3.sh): ${e.stderr ?? e.message}`);
    }
    envFile = join(dir, 's3.env');
  }
  const env = parseEnvFile(await readFile(envFile, 'utf8'));
  const client = s3Client(s3SettingsFromEnv(env));
  const bucket = `${bucketPrefix}-${randomBytes(4).toString('hex')}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    env,
    bucket,
    client,
    async stop() {
      client.destroy();
      if (dir) {
        await run(join(REPO_ROOT, 'hack/s3-server.sh'), ['down', '--dir', dir]);
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
