// The local back end: a directory tree under a file:/// root. Writes go to a hidden temporary
// file in the target directory and are published with link(2), which fails when the final name
// exists, so an object appears whole or not at all and is never replaced by accident.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ArtifactExistsError, ArtifactNotFoundError, checkKey, isFileBody } from './store.ts';
import type { ArtifactStore, Body, ObjectInfo, PutOptions } from './store.ts';

const TEMP_MARK = '.tmp-';

export class FileStore implements ArtifactStore {
  readonly root: string;
  readonly #dir: string;

  /** rootUri: file:///absolute/dir (created on first write). */
  constructor(rootUri: string) {
    const url = new URL(rootUri);
    if (url.protocol !== 'file:') throw new Error(`FileStore needs a file:/// URI, got "${rootUri}"`);
    this.#dir = fileURLToPath(url).replace(/\/+$/, '') || '/';
    this.root = pathToFileURL(this.#dir).href;
  }

  uri(key: string): string {
    return pathToFileURL(this.#path(key)).href;
  }

  /** The local path of a key (for tools such as DuckDB that read files directly). */
  path(key: string): string {
    return this.#path(key);
  }

  #path(key: string): string {
    return join(this.#dir, ...checkKey(key).split('/'));
  }

  async put(key: string, body: Body, options: PutOptions = {}): Promise<ObjectInfo> {
    const final = this.#path(key);
    if (!options.overwrite && (await exists(final))) throw new ArtifactExistsError(this.uri(key));
    await mkdir(dirname(final), { recursive: true });
    const temp = join(dirname(final), `.${randomBytes(6).toString('hex')}${TEMP_MARK}${final.slice(dirname(final).length + 1)}`);
    const hash = createHash('sha256');
    let size = 0;
    const source = Buffer.isBuffer(body) ? Readable.from([body]) : isFileBody(body) ? createReadStream(body.path) : body;
    try {
      await pipeline(
        source,
        new Transform({
          transform(chunk: Buffer, _enc, done) {
            hash.update(chunk);
            size += chunk.length;
            done(null, chunk);
          },
        }),
        createWriteStream(temp, { flags: 'wx' }),
      );
      if (options.overwrite) {
        await rename(temp, final);
      } else {
        try {
          await link(temp, final);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new ArtifactExistsError(this.uri(key));
          throw err;
        }
      }
    } finally {
      await rm(temp, { force: true });
    }
    return { key, size, sha256: hash.digest('hex') };
  }

  async get(key: string): Promise<Readable> {
    const path = this.#path(key);
    const s = await stat(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw new ArtifactNotFoundError(this.uri(key));
      throw err;
    });
    if (!s.isFile()) throw new ArtifactNotFoundError(this.uri(key));
    return createReadStream(path);
  }

  async read(key: string): Promise<Buffer> {
    try {
      return await readFile(this.#path(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EISDIR') throw new ArtifactNotFoundError(this.uri(key));
      throw err;
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const s = await stat(this.#path(key));
      return s.isFile() ? { key, size: s.size, lastModified: s.mtime } : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== undefined;
  }

  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    // Walk only the directory that can hold the prefix, then filter by the full prefix.
    const cut = prefix.lastIndexOf('/');
    const start = cut < 0 ? this.#dir : join(this.#dir, ...prefix.slice(0, cut).split('/').filter(Boolean));
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return;
        throw err;
      }
      for (const e of entries) {
        const full = join(dir, e.name);
        if (e.isDirectory()) await walk(full);
        else if (e.isFile() && !e.name.includes(TEMP_MARK)) {
          const key = relative(this.#dir, full).split(sep).join('/');
          if (key.startsWith(prefix)) {
            const s = await stat(full);
            out.push({ key, size: s.size, lastModified: s.mtime });
          }
        }
      }
    };
    await walk(start);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
