// The artifact store: one small interface over the places the operator's jobs keep immutable
// artifacts (dataset versions, profiles, models, predictions), with a local and an S3 back end.
import type { Readable } from 'node:stream';

/** What a store knows about one object. */
export interface ObjectInfo {
  key: string;
  size: number;
  /** Hex sha256 of the content, where the store recorded it at write time. */
  sha256?: string;
  lastModified?: Date;
}

/** A body to write: bytes in memory, a readable stream, or a local file by path. */
export type Body = Buffer | Readable | { path: string };

export interface PutOptions {
  /** Replace an existing object. Default false: content-addressed objects are never overwritten. */
  overwrite?: boolean;
  contentType?: string;
}

export interface ArtifactStore {
  /** The store's root as a URI (file:///dir or s3://bucket/prefix). */
  readonly root: string;
  /** The URI of a key, e.g. s3://bucket/prefix/datasets/ns/name/<sha256>/data.parquet. */
  uri(key: string): string;
  /**
   * Writes an object atomically: readers see the whole object under the key or nothing.
   * Throws ArtifactExistsError when the key exists and overwrite is not set.
   * Returns the object's size and sha256, computed while writing.
   */
  put(key: string, body: Body, options?: PutOptions): Promise<ObjectInfo>;
  /** The content as a stream; throws ArtifactNotFoundError. */
  get(key: string): Promise<Readable>;
  /** The whole content in memory; throws ArtifactNotFoundError. */
  read(key: string): Promise<Buffer>;
  /** Size (and sha256 where recorded) of an object, or undefined when it does not exist. */
  head(key: string): Promise<ObjectInfo | undefined>;
  exists(key: string): Promise<boolean>;
  /** Removes an object; removing a missing object is not an error. */
  delete(key: string): Promise<void>;
  /** Every object whose key starts with prefix, sorted by key. */
  list(prefix: string): Promise<ObjectInfo[]>;
}

export class ArtifactExistsError extends Error {
  override readonly name = 'ArtifactExistsError';
  readonly code = 'ARTIFACT_EXISTS';
  readonly uri: string;
  constructor(uri: string) {
    super(`${uri} already exists; content-addressed artifacts are never overwritten`);
    this.uri = uri;
  }
}

export class ArtifactNotFoundError extends Error {
  override readonly name = 'ArtifactNotFoundError';
  readonly code = 'ARTIFACT_NOT_FOUND';
  readonly uri: string;
  constructor(uri: string) {
    super(`${uri} does not exist`);
    this.uri = uri;
  }
}

/** Keys are relative, slash-separated, without empty, "." or ".." segments. */
export function checkKey(key: string): string {
  if (key === '' || key.startsWith('/') || key.endsWith('/') || key.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new Error(`invalid artifact key "${key}": expected a relative path such as datasets/ns/name/<sha256>/data.parquet`);
  }
  return key;
}

/** Whether a body is a local file reference. */
export function isFileBody(body: Body): body is { path: string } {
  return !Buffer.isBuffer(body) && typeof (body as { path?: unknown }).path === 'string' && typeof (body as { pipe?: unknown }).pipe !== 'function';
}
