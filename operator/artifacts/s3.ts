// The S3 back end (AWS S3, MinIO, versitygw, ...): path-style addressing, objects written by one
// PUT or one multipart upload, which S3 publishes only when complete, with If-None-Match: * so an
// existing key is never replaced. The sha256 of every object is kept in its metadata.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { CompletedPart, S3ClientConfig } from '@aws-sdk/client-s3';
import { ArtifactExistsError, ArtifactNotFoundError, checkKey, isFileBody } from './store.ts';
import type { ArtifactStore, Body, ObjectInfo, PutOptions } from './store.ts';

/** Objects up to this size go in one PUT; larger ones in parts of this size. */
export const PART_SIZE = 16 * 1024 * 1024;

/** Where the store's client connects; from the standard AWS_* variables (see s3ConfigFromEnv). */
export interface S3Settings {
  endpoint?: string;
  region: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/**
 * Reads AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, AWS_REGION / AWS_DEFAULT_REGION (default us-east-1),
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN from the given environment.
 * Without keys the SDK's default chain applies (web identity, instance profile, ...).
 */
export function s3SettingsFromEnv(env: Record<string, string | undefined>): S3Settings {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  const settings: S3Settings = { region };
  if (endpoint) settings.endpoint = endpoint;
  if (accessKeyId && secretAccessKey) {
    settings.credentials = { accessKeyId, secretAccessKey };
    if (env.AWS_SESSION_TOKEN) settings.credentials.sessionToken = env.AWS_SESSION_TOKEN;
  }
  return settings;
}

/** Splits s3://bucket/prefix into its parts; the prefix has no leading or trailing slash. */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m || !m[1]) throw new Error(`expected s3://bucket[/prefix], got "${uri}"`);
  return { bucket: m[1], prefix: (m[2] ?? '').replace(/^\/+|\/+$/g, '') };
}

export function s3Client(settings: S3Settings): S3Client {
  const config: S3ClientConfig = {
    region: settings.region,
    forcePathStyle: true,
    // Checksums only where S3 requires them: MinIO and versitygw differ in the newer
    // flexible-checksum headers; integrity is checked with our own sha256 instead.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 5,
  };
  if (settings.endpoint) config.endpoint = settings.endpoint;
  if (settings.credentials) config.credentials = settings.credentials;
  return new S3Client(config);
}

export class S3Store implements ArtifactStore {
  readonly root: string;
  readonly bucket: string;
  readonly #prefix: string;
  readonly #client: S3Client;

  constructor(rootUri: string, client: S3Client) {
    const { bucket, prefix } = parseS3Uri(rootUri);
    this.bucket = bucket;
    this.#prefix = prefix;
    this.#client = client;
    this.root = `s3://${bucket}${prefix ? `/${prefix}` : ''}`;
  }

  uri(key: string): string {
    return `s3://${this.bucket}/${this.#objectKey(key)}`;
  }

  #objectKey(key: string): string {
    checkKey(key);
    return this.#prefix ? `${this.#prefix}/${key}` : key;
  }

  async put(key: string, body: Body, options: PutOptions = {}): Promise<ObjectInfo> {
    const objectKey = this.#objectKey(key);
    if (!options.overwrite && (await this.head(key))) throw new ArtifactExistsError(this.uri(key));
    if (Buffer.isBuffer(body)) return this.#putBuffer(key, objectKey, body, options);
    if (isFileBody(body)) return this.#putFile(key, objectKey, body.path, options);
    // A stream is spooled to a local file first: its hash goes into the metadata, which S3
    // takes before the upload, and parts can be retried from the file.
    const dir = await mkdtemp(join(tmpdir(), 'modelops-s3-'));
    try {
      const spool = join(dir, 'body');
      await pipeline(body, createWriteStream(spool));
      return await this.#putFile(key, objectKey, spool, options);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async #putBuffer(key: string, objectKey: string, body: Buffer, options: PutOptions): Promise<ObjectInfo> {
    const sha256 = createHash('sha256').update(body).digest('hex');
    try {
      await this.#client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: objectKey,
          Body: body,
          ContentLength: body.length,
          ContentType: options.contentType ?? 'application/octet-stream',
          Metadata: { sha256 },
          ...(options.overwrite ? {} : { IfNoneMatch: '*' }),
        }),
      );
    } catch (err) {
      throw this.#existsOr(err, key);
    }
    return { key, size: body.length, sha256 };
  }

  async #putFile(key: string, objectKey: string, path: string, options: PutOptions): Promise<ObjectInfo> {
    const { size } = await stat(path);
    if (size <= PART_SIZE) return this.#putBuffer(key, objectKey, await readFile(path), options);
    const hash = createHash('sha256');
    await pipeline(createReadStream(path), hash);
    const sha256 = hash.digest('hex');
    const created = await this.#client.send(
      new CreateMultipartUploadCommand({
        Bucket: this.bucket,
        Key: objectKey,
        ContentType: options.contentType ?? 'application/octet-stream',
        Metadata: { sha256 },
      }),
    );
    const uploadId = created.UploadId;
    if (!uploadId) throw new Error(`S3 returned no upload id for ${this.uri(key)}`);
    const file = await open(path, 'r');
    try {
      const parts: CompletedPart[] = [];
      for (let offset = 0, n = 1; offset < size; offset += PART_SIZE, n++) {
        const length = Math.min(PART_SIZE, size - offset);
        const chunk = Buffer.alloc(length);
        await file.read(chunk, 0, length, offset);
        const out = await this.#client.send(
          new UploadPartCommand({ Bucket: this.bucket, Key: objectKey, UploadId: uploadId, PartNumber: n, Body: chunk, ContentLength: length }),
        );
        parts.push({ PartNumber: n, ETag: out.ETag });
      }
      await this.#client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: objectKey,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
          ...(options.overwrite ? {} : { IfNoneMatch: '*' }),
        }),
      );
    } catch (err) {
      // An upload that is never completed publishes nothing; abort it so its parts are freed.
      await this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: objectKey, UploadId: uploadId })).catch(() => {});
      throw this.#existsOr(err, key);
    } finally {
      await file.close();
    }
    return { key, size, sha256 };
  }

  /**
   * A refused conditional write means another writer published the key first: 412
   * PreconditionFailed, or 409 ConditionalRequestConflict while its upload was completing.
   */
  #existsOr(err: unknown, key: string): unknown {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const name = (err as Error).name;
    if (status === 412 || name === 'PreconditionFailed' || name === 'ConditionalRequestConflict') return new ArtifactExistsError(this.uri(key));
    return err;
  }

  async get(key: string): Promise<Readable> {
    try {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.#objectKey(key) }));
      if (!out.Body) throw new Error(`S3 returned no body for ${this.uri(key)}`);
      return out.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) throw new ArtifactNotFoundError(this.uri(key));
      throw err;
    }
  }

  async read(key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.get(key)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const out = await this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.#objectKey(key) }));
      const info: ObjectInfo = { key, size: out.ContentLength ?? 0 };
      if (out.Metadata?.sha256) info.sha256 = out.Metadata.sha256;
      if (out.LastModified) info.lastModified = out.LastModified;
      return info;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== undefined;
  }

  async delete(key: string): Promise<void> {
    await this.#client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.#objectKey(key) }));
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const base = this.#prefix ? `${this.#prefix}/` : '';
    const out: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      const page = await this.#client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: base + prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        if (!o.Key) continue;
        const info: ObjectInfo = { key: o.Key.slice(base.length), size: o.Size ?? 0 };
        if (o.LastModified) info.lastModified = o.LastModified;
        out.push(info);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}
