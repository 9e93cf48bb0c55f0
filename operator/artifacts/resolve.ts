// Where the bytes of an artifact URI are read from, and whether the operator may delete them.
// A URI inside the operator's own store is a key in it (and the operator's to remove); another
// s3:// bucket or file:// path is read with the operator's own credentials but never deleted;
// http(s):// is a streamed GET. The environment is passed in by the caller, never read here.
import { createHash } from 'node:crypto';
import { dirname, posix } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseS3Uri } from './s3.ts';
import { ArtifactNotFoundError, checkKey } from './store.ts';
import type { ArtifactStore } from './store.ts';

export type ArtifactLocation =
  /** A key in a store; managed: the store is the operator's own (--artifact-store). */
  | { kind: 'store'; root: string; key: string; managed: boolean }
  | { kind: 'http'; url: string }
  /** A URI the operator cannot read; reason says why and what to do. */
  | { kind: 'unsupported'; reason: string };

/** Where a URI's bytes live, given the operator's store root (undefined: none configured). Pure. */
export function locateArtifact(uri: string, storeRoot: string | undefined): ArtifactLocation {
  if (/^https?:\/\//.test(uri)) return { kind: 'http', url: uri };
  if (uri.startsWith('s3://')) return locateS3(uri, storeRoot);
  if (uri.startsWith('file://')) return locateFile(uri, storeRoot);
  if (uri.startsWith('pvc://')) {
    return {
      kind: 'unsupported',
      reason: `the operator cannot read ${uri}: it mounts no PersistentVolumeClaims; store the model in the artifact store (s3:// or file://) or serve it over http(s)://`,
    };
  }
  return { kind: 'unsupported', reason: `unsupported artifact URI "${uri}": expected s3://, file:// or http(s)://` };
}

function locateS3(uri: string, storeRoot: string | undefined): ArtifactLocation {
  let target: { bucket: string; prefix: string };
  try {
    target = parseS3Uri(uri);
  } catch (err) {
    return { kind: 'unsupported', reason: (err as Error).message };
  }
  if (!target.prefix) return { kind: 'unsupported', reason: `${uri} names a bucket, not an object: expected s3://bucket/key` };
  if (storeRoot?.startsWith('s3://')) {
    const root = parseS3Uri(storeRoot);
    if (root.bucket === target.bucket) {
      const inside = root.prefix ? (target.prefix.startsWith(`${root.prefix}/`) ? target.prefix.slice(root.prefix.length + 1) : undefined) : target.prefix;
      if (inside !== undefined) return keyed(storeRoot, inside, true, uri);
    }
  }
  return keyed(`s3://${target.bucket}`, target.prefix, false, uri);
}

function locateFile(uri: string, storeRoot: string | undefined): ArtifactLocation {
  let path: string;
  try {
    path = fileURLToPath(new URL(uri)); // URL parsing resolves "." and ".." segments
  } catch (err) {
    return { kind: 'unsupported', reason: `${uri} is not a valid file:// URI: ${(err as Error).message}` };
  }
  if (storeRoot?.startsWith('file://')) {
    const rootDir = fileURLToPath(new URL(storeRoot)).replace(/\/+$/, '');
    if (path.startsWith(`${rootDir}/`)) return keyed(pathToFileURL(rootDir || '/').href, path.slice(rootDir.length + 1), true, uri);
  }
  if (path.endsWith('/')) return { kind: 'unsupported', reason: `${uri} names a directory, not a file` };
  return keyed(pathToFileURL(dirname(path)).href, posix.basename(path), false, uri);
}

function keyed(root: string, key: string, managed: boolean, uri: string): ArtifactLocation {
  try {
    checkKey(key);
  } catch {
    return { kind: 'unsupported', reason: `${uri} has an object key the artifact store cannot address (empty, "." or ".." segments)` };
  }
  return { kind: 'store', root, key, managed };
}

/** The service could not answer (network, 5xx, credentials): worth retrying, unlike a missing file. */
export class ArtifactUnreachableError extends Error {
  override readonly name = 'ArtifactUnreachableError';
  readonly code = 'ARTIFACT_UNREACHABLE';
}

export class UnsupportedArtifactError extends Error {
  override readonly name = 'UnsupportedArtifactError';
  readonly code = 'ARTIFACT_UNSUPPORTED';
}

export interface ArtifactReaderOptions {
  /** The operator's own store (--artifact-store), if any. */
  store: ArtifactStore | undefined;
  /** Opens a store for another root (s3://bucket, file:///dir) with the operator's credentials. */
  openStore: (root: string) => ArtifactStore;
  fetch?: typeof globalThis.fetch;
}

/** Reads and removes artifacts by URI. Stores for foreign roots are opened once and kept. */
export class ArtifactReader {
  readonly #o: ArtifactReaderOptions;
  readonly #stores = new Map<string, ArtifactStore>();

  constructor(opts: ArtifactReaderOptions) {
    this.#o = opts;
  }

  locate(uri: string): ArtifactLocation {
    return locateArtifact(uri, this.#o.store?.root);
  }

  #storeFor(loc: { root: string; managed: boolean }): ArtifactStore {
    if (loc.managed && this.#o.store) return this.#o.store;
    let s = this.#stores.get(loc.root);
    if (!s) {
      if (this.#stores.size >= 64) this.#stores.clear();
      s = this.#o.openStore(loc.root);
      this.#stores.set(loc.root, s);
    }
    return s;
  }

  /**
   * The artifact's bytes as a stream. Throws ArtifactNotFoundError when there is no such
   * object, UnsupportedArtifactError for a URI the operator cannot read, and
   * ArtifactUnreachableError (or the store's own error) when the service did not answer.
   */
  async open(uri: string): Promise<Readable> {
    const loc = this.locate(uri);
    if (loc.kind === 'unsupported') throw new UnsupportedArtifactError(loc.reason);
    if (loc.kind === 'store') return this.#storeFor(loc).get(loc.key);
    let res: Response;
    try {
      res = await (this.#o.fetch ?? globalThis.fetch)(loc.url, { redirect: 'follow' });
    } catch (err) {
      // fetch says only "fetch failed"; the reason (ECONNREFUSED, a TLS error) is its cause.
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new ArtifactUnreachableError(`GET ${loc.url} failed: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
    if (res.status === 404 || res.status === 410) {
      await res.body?.cancel();
      throw new ArtifactNotFoundError(uri);
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new ArtifactUnreachableError(`GET ${loc.url} answered ${res.status} ${res.statusText}`);
    }
    return Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
  }

  /**
   * The objects under a prefix URI (s3://bucket/prefix/ or file:///dir/), sorted by key, as
   * URIs with size and modification time. Throws UnsupportedArtifactError for other URIs.
   */
  async list(prefixUri: string): Promise<{ uri: string; size: number; lastModified?: Date }[]> {
    const loc = this.locate(prefixUri.replace(/\/+$/, ''));
    if (loc.kind !== 'store') throw new UnsupportedArtifactError(loc.kind === 'unsupported' ? loc.reason : `${prefixUri} cannot be listed: expected s3:// or file://`);
    const store = this.#storeFor(loc);
    return (await store.list(`${loc.key}/`)).map((o) => ({ uri: store.uri(o.key), size: o.size, ...(o.lastModified ? { lastModified: o.lastModified } : {}) }));
  }

  /** Removes an artifact of the operator's own store; refuses anything else. */
  async deleteManaged(uri: string): Promise<void> {
    const loc = this.locate(uri);
    if (loc.kind !== 'store' || !loc.managed || !this.#o.store) throw new UnsupportedArtifactError(`${uri} is outside the operator's artifact store; it is never deleted`);
    await this.#o.store.delete(loc.key);
  }
}

/** sha256 (hex) and size of a stream's bytes, read once. */
export async function hashStream(body: Readable): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of body) {
    const b = chunk as Buffer;
    hash.update(b);
    size += b.length;
  }
  return { sha256: hash.digest('hex'), size };
}
