// Reads the newest lines of an InferenceService's prediction log, within a bound per run: from
// S3 (one object per server flush under <prefix>/<YYYY-MM-DD>/, newest object first) or from
// the file the server appends to (its tail). Only reads; nothing is ever deleted or rewritten.
import { open, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { ArtifactReader } from '../../artifacts/resolve.ts';

/** What one run reads at most, newest first. */
export interface LogLimits {
  /** Non-empty lines (records) parsed. */
  maxRecords: number;
  /** Bytes read. */
  maxBytes: number;
}

/** The bound of a run (docs/drift.md): 100,000 records or 64 MiB, whichever comes first. */
export const LOG_LIMITS: LogLimits = { maxRecords: 100_000, maxBytes: 64 * 1024 * 1024 };

export interface LogRead {
  /** Objects (or the one file) read. */
  objects: number;
  bytes: number;
  /** Non-empty lines handed on. */
  lines: number;
  /** A bound stopped reading while older objects or lines of the window were left unread. */
  limited: boolean;
  /** What stopped it, when limited. */
  limitedBy?: 'records' | 'bytes';
}

const DAY_MS = 86_400_000;
/** Windows of more days than this list the whole prefix instead of one folder per day. */
const MAX_DAY_FOLDERS = 31;

/** The S3 sink's day folders that can hold records of [fromMs, toMs] (an object is written after its records). */
export function dayFolders(fromMs: number, toMs: number): string[] | undefined {
  const first = Math.floor(fromMs / DAY_MS);
  const last = Math.floor(toMs / DAY_MS);
  if (last - first + 1 > MAX_DAY_FOLDERS) return undefined;
  const out: string[] = [];
  for (let d = first; d <= last; d++) out.push(new Date(d * DAY_MS).toISOString().slice(0, 10));
  return out;
}

/** Splits text into lines with their 1-based numbers, dropping empty ones. */
function linesOf(text: string): { line: string; n: number }[] {
  const out: { line: string; n: number }[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() !== '') out.push({ line, n: i + 1 });
  });
  return out;
}

/**
 * Hands the log's lines inside the bound to `onLine`, newest object first. A missing log (no
 * object, no file yet) reads nothing. Throws what the store throws (unreachable, no access).
 */
export async function readLogLines(
  uri: string,
  fromMs: number,
  toMs: number,
  reader: Pick<ArtifactReader, 'list' | 'open'>,
  limits: LogLimits,
  onLine: (line: string, where: string) => void,
): Promise<LogRead> {
  const read: LogRead = { objects: 0, bytes: 0, lines: 0, limited: false };
  if (uri.startsWith('file://')) {
    const path = fileURLToPath(uri);
    const s = await stat(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (!s) return read;
    if (s.isFile()) return readTail(uri, path, s.size, limits, onLine);
    return readObjects(uri, [''], fromMs, reader, limits, onLine);
  }
  return readObjects(uri, dayFolders(fromMs, toMs)?.map((d) => `${d}/`) ?? [''], fromMs, reader, limits, onLine);
}

async function readObjects(
  uri: string,
  folders: string[],
  fromMs: number,
  reader: Pick<ArtifactReader, 'list' | 'open'>,
  limits: LogLimits,
  onLine: (line: string, where: string) => void,
): Promise<LogRead> {
  const read: LogRead = { objects: 0, bytes: 0, lines: 0, limited: false };
  const prefix = uri.replace(/\/+$/, '');
  const objects = [];
  for (const folder of folders) objects.push(...(await reader.list(`${prefix}/${folder}`)));
  // An object older than the window's start holds only older records.
  const candidates = objects
    .filter((o) => !o.lastModified || o.lastModified.getTime() >= fromMs)
    .sort((a, b) => (b.lastModified?.getTime() ?? 0) - (a.lastModified?.getTime() ?? 0) || (a.uri < b.uri ? 1 : a.uri > b.uri ? -1 : 0));
  for (const o of candidates) {
    if (read.bytes + o.size > limits.maxBytes) {
      read.limited = true;
      read.limitedBy = 'bytes';
      break;
    }
    const chunks: Buffer[] = [];
    for await (const c of await reader.open(o.uri)) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    read.objects++;
    read.bytes += body.length;
    let lines = linesOf(body.toString('utf8'));
    const room = limits.maxRecords - read.lines;
    if (lines.length > room) {
      lines = lines.slice(lines.length - room); // the object's newest lines are its last
      read.limited = true;
      read.limitedBy = 'records';
    }
    for (const { line, n } of lines) onLine(line, `${o.uri} line ${n}`);
    read.lines += lines.length;
    if (read.limited) break;
  }
  return read;
}

/** The last maxBytes of an appended file; a line cut by the bound is not read. */
async function readTail(uri: string, path: string, size: number, limits: LogLimits, onLine: (line: string, where: string) => void): Promise<LogRead> {
  const read: LogRead = { objects: 1, bytes: 0, lines: 0, limited: false };
  const start = Math.max(0, size - limits.maxBytes);
  const buf = Buffer.alloc(size - start);
  const fh = await open(path, 'r');
  try {
    let at = 0;
    while (at < buf.length) {
      const { bytesRead } = await fh.read(buf, at, buf.length - at, start + at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    read.bytes = at;
    let text = buf.subarray(0, at).toString('utf8');
    if (start > 0) {
      text = text.slice(text.indexOf('\n') + 1);
      read.limited = true;
      read.limitedBy = 'bytes';
    }
    // Line numbers count from the start of what was read when the bound cut the file.
    const where = start > 0 ? `${uri} (last ${at} bytes) line` : `${uri} line`;
    let lines = linesOf(text);
    if (lines.length > limits.maxRecords) {
      lines = lines.slice(lines.length - limits.maxRecords);
      read.limited = true;
      read.limitedBy = 'records';
    }
    for (const { line, n } of lines) onLine(line, `${where} ${n}`);
    read.lines = lines.length;
  } finally {
    await fh.close();
  }
  return read;
}
