import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { FileStore } from '../../artifacts/file.ts';
import { ArtifactReader } from '../../artifacts/resolve.ts';
import { dayFolders, readLogLines } from './logreader.ts';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const HOUR = 3_600_000;

describe('dayFolders', () => {
  it('names the day folders a window can have objects in', () => {
    assert.deepEqual(dayFolders(Date.parse('2026-11-30T23:30:00Z'), Date.parse('2026-12-01T00:30:00Z')), ['2026-11-30', '2026-12-01']);
    assert.deepEqual(dayFolders(T0 - HOUR, T0), ['2026-12-01']);
    assert.equal(dayFolders(T0 - 40 * 24 * HOUR, T0), undefined, 'a long window lists the whole prefix');
  });
});

describe('readLogLines', () => {
  let dir: string;
  let reader: ArtifactReader;
  const read = async (uri: string, limits = { maxRecords: 100, maxBytes: 1 << 20 }) => {
    const lines: [string, string][] = [];
    const r = await readLogLines(uri, T0 - HOUR, T0, reader, limits, (line, where) => lines.push([line, where]));
    return { r, lines };
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'modelops-logreader-'));
    reader = new ArtifactReader({ store: undefined, openStore: (root) => new FileStore(root) });
    // The S3 sink's layout (one object per flush under day folders), here in a folder.
    const day = join(dir, 'sink', '2026-12-01');
    await mkdir(day, { recursive: true });
    const objects: [string, string[], number][] = [
      ['h-1-000000.jsonl', ['old-1'], T0 - 2 * HOUR],
      ['h-1-000001.jsonl', ['a-1', 'a-2'], T0 - 30 * 60_000],
      ['h-1-000002.jsonl', ['b-1', '', 'b-2', 'b-3'], T0 - 60_000],
    ];
    for (const [name, lines, mtime] of objects) {
      await writeFile(join(day, name), `${lines.join('\n')}\n`);
      await utimes(join(day, name), mtime / 1000, mtime / 1000);
    }
    await writeFile(join(dir, 'appended.jsonl'), 'one\ntwo\nthree\nfour\n');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('reads the objects of the window newest first, naming each line by object and line number', async () => {
    const { r, lines } = await read(pathToFileURL(join(dir, 'sink')).href);
    assert.deepEqual(lines.map(([l]) => l), ['b-1', 'b-2', 'b-3', 'a-1', 'a-2'], 'the object older than the window is not read');
    assert.match(lines[1]![1], /sink\/2026-12-01\/h-1-000002\.jsonl line 3$/);
    assert.deepEqual({ objects: r.objects, lines: r.lines, limited: r.limited }, { objects: 2, lines: 5, limited: false });
  });

  it('stops at the record bound, keeping the newest lines', async () => {
    const { r, lines } = await read(pathToFileURL(join(dir, 'sink')).href, { maxRecords: 4, maxBytes: 1 << 20 });
    assert.deepEqual(lines.map(([l]) => l), ['b-1', 'b-2', 'b-3', 'a-2']);
    assert.equal(r.limited, true);
    assert.equal(r.limitedBy, 'records');
  });

  it('stops before an object that would pass the byte bound', async () => {
    const { r, lines } = await read(pathToFileURL(join(dir, 'sink')).href, { maxRecords: 100, maxBytes: 16 });
    assert.deepEqual(lines.map(([l]) => l), ['b-1', 'b-2', 'b-3']);
    assert.equal(r.bytes, 13);
    assert.equal(r.limitedBy, 'bytes');
  });

  it('reads the tail of an appended file within the byte bound, dropping the line the bound cuts', async () => {
    const uri = pathToFileURL(join(dir, 'appended.jsonl')).href;
    assert.deepEqual((await read(uri)).lines.map(([l, w]) => `${l} @ ${w.slice(-6)}`), ['one @ line 1', 'two @ line 2', 'three @ line 3', 'four @ line 4']);
    const { r, lines } = await read(uri, { maxRecords: 100, maxBytes: 12 });
    assert.deepEqual(lines.map(([l]) => l), ['three', 'four'], '"o\\n" of "two" is cut and not read');
    assert.equal(r.limited, true);
  });

  it('reads nothing where no log was written yet', async () => {
    assert.deepEqual((await read(pathToFileURL(join(dir, 'none.jsonl')).href)).r, { objects: 0, bytes: 0, lines: 0, limited: false });
    assert.equal((await read(pathToFileURL(join(dir, 'no-sink')).href)).r.objects, 0);
  });
});
