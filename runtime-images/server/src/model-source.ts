// Fetches artifacts (model, signature, reference profile) from file://, http(s):// and s3://
// URIs, hashing the bytes as they stream. S3 credentials come from the environment through
// the AWS SDK's default provider chain.

import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';

export interface S3Options {
  endpoint: string | undefined;
  forcePathStyle: boolean;
  region: string;
}

export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

const clients = new Map<string, S3Client>();
/** One client per endpoint settings; credentials come from the SDK's default chain (env, IRSA...). */
export function s3Client(opts: S3Options): S3Client {
  const key = `${opts.endpoint ?? ''}|${opts.forcePathStyle}|${opts.region}`;
  let client = clients.get(key);
  if (client === undefined) {
    client = new S3Client({
      region: opts.region,
      forcePathStyle: opts.forcePathStyle,
      ...(opts.endpoint !== undefined ? { endpoint: opts.endpoint } : {}),
    });
    clients.set(key, client);
  }
  return client;
}

export function parseS3(uri: string): { bucket: string; key: string } {
  const u = new URL(uri);
  return { bucket: u.hostname, key: decodeURIComponent(u.pathname.replace(/^\//, '')) };
}

async function openStream(uri: string, s3opts: S3Options): Promise<Readable> {
  const scheme = uri.slice(0, uri.indexOf(':'));
  if (scheme === 'file') {
    const p = fileURLToPath(uri);
    const stream = createReadStream(p);
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' ? new NotFoundError(`${uri} does not exist`) : err));
    });
    return stream;
  }
  if (scheme === 'http' || scheme === 'https') {
    const res = await fetch(uri);
    if (res.status === 404) throw new NotFoundError(`${uri} answered 404`);
    if (!res.ok || res.body === null) throw new Error(`GET ${uri} answered ${res.status}`);
    return Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
  }
  if (scheme === 's3') {
    const { bucket, key } = parseS3(uri);
    try {
      const out = await s3Client(s3opts).send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return out.Body as Readable;
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) throw new NotFoundError(`${uri} does not exist`);
      throw err;
    }
  }
  throw new Error(`unsupported URI scheme in ${uri}`);
}

/** Makes the model a local file (file:// is used in place) and returns its path and sha256. */
export async function fetchModel(uri: string, cacheDir: string, s3opts: S3Options): Promise<{ path: string; sha256: string }> {
  const hash = createHash('sha256');
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  const source = await openStream(uri, s3opts);
  if (uri.startsWith('file:')) {
    for await (const chunk of source) hash.update(chunk as Buffer);
    return { path: fileURLToPath(uri), sha256: hash.digest('hex') };
  }
  await mkdir(cacheDir, { recursive: true });
  const dest = path.join(cacheDir, 'model.onnx');
  const partial = `${dest}.partial`;
  await pipeline(source, hasher, createWriteStream(partial));
  await rename(partial, dest);
  return { path: dest, sha256: hash.digest('hex') };
}

/** Reads a small JSON artifact; NotFoundError when absent. */
export async function fetchJson(uri: string, s3opts: S3Options): Promise<unknown> {
  let text: string;
  if (uri.startsWith('file:')) {
    try {
      text = await readFile(fileURLToPath(uri), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`${uri} does not exist`);
      throw err;
    }
  } else {
    const chunks: Buffer[] = [];
    for await (const c of await openStream(uri, s3opts)) chunks.push(c as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${uri} is not valid JSON: ${(err as Error).message}`);
  }
}

/** `signature.json` in the same folder (or key prefix) as the model. */
export function siblingUri(modelUri: string, name: string): string {
  const u = new URL(modelUri);
  u.pathname = u.pathname.replace(/[^/]*$/, name);
  return u.toString();
}
