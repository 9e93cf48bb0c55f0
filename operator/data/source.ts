// Makes a Dataset's source readable by DuckDB as a local file: file:// and pvc:// are read in
// place, http(s):// and s3:// are downloaded into the work folder first.
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { fileURLToPath } from 'node:url';
import { S3Store, s3Client, s3SettingsFromEnv } from '../artifacts/s3.ts';
import { ArtifactNotFoundError } from '../artifacts/store.ts';
import { IngestConfigError, InfrastructureError } from './errors.ts';

/** The mounted path of pvc://claim/path: <root>/<claim>/<path>. */
export function pvcPath(uri: string, root: string): string {
  const m = /^pvc:\/\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)\/(.+)$/.exec(uri);
  if (!m) throw new IngestConfigError(`"${uri}" is not pvc://<claim>/<path>`);
  const rest = posix.normalize(m[3]!);
  if (rest.startsWith('..') || rest.startsWith('/')) throw new IngestConfigError(`"${uri}": the path must stay inside the claim`);
  return join(root, m[1]!, rest);
}

/** A file name for a downloaded source that keeps its extension (DuckDB reads .gz by name). */
export function localName(uri: string): string {
  const name = basename(new URL(uri).pathname) || 'source';
  return `source-${name.replace(/[^A-Za-z0-9._-]/g, '_')}`;
}

/** Returns a local path holding the source's bytes. */
export async function fetchSource(uri: string, env: Record<string, string | undefined>, pvcRoot: string, workDir: string): Promise<{ path: string; bytes: number }> {
  let path: string;
  if (uri.startsWith('file://')) path = fileURLToPath(uri);
  else if (uri.startsWith('pvc://')) path = pvcPath(uri, pvcRoot);
  else if (uri.startsWith('http://') || uri.startsWith('https://')) path = await download(uri, env, workDir);
  else if (uri.startsWith('s3://')) path = await downloadS3(uri, env, workDir);
  else throw new IngestConfigError(`unsupported source "${uri}"`);
  try {
    const s = await stat(path);
    return { path, bytes: s.size };
  } catch (err) {
    throw new InfrastructureError('SourceUnavailable', `source ${uri}: ${(err as Error).message}`, { cause: err });
  }
}

async function download(uri: string, env: Record<string, string | undefined>, workDir: string): Promise<string> {
  const path = join(workDir, localName(uri));
  const headers: Record<string, string> = {};
  if (env.AUTHORIZATION) headers.authorization = env.AUTHORIZATION;
  let res: Response;
  try {
    res = await fetch(uri, { headers, redirect: 'follow' });
  } catch (err) {
    throw new InfrastructureError('SourceUnavailable', `source ${uri}: ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok || !res.body) throw new InfrastructureError('SourceUnavailable', `source ${uri}: HTTP ${res.status} ${res.statusText}`);
  await pipeline(Readable.fromWeb(res.body as WebReadableStream), createWriteStream(path));
  return path;
}

async function downloadS3(uri: string, env: Record<string, string | undefined>, workDir: string): Promise<string> {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) throw new IngestConfigError(`"${uri}" is not s3://bucket/key`);
  const path = join(workDir, localName(uri));
  const store = new S3Store(`s3://${m[1]}`, s3Client(s3SettingsFromEnv(env)));
  try {
    await pipeline(await store.get(m[2]!), createWriteStream(path));
  } catch (err) {
    const what = err instanceof ArtifactNotFoundError ? 'no such object' : (err as Error).message;
    throw new InfrastructureError('SourceUnavailable', `source ${uri}: ${what}`, { cause: err });
  }
  return path;
}
