import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyedMutex } from './mutex.ts';

describe('KeyedMutex', () => {
  it('runs sections of one key one after another, and of different keys side by side', async () => {
    const m = new KeyedMutex();
    const log: string[] = [];
    const section = (key: string, name: string, ms: number) =>
      m.run(key, async () => {
        log.push(`${name}+`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`${name}-`);
      });
    await Promise.all([section('a', 'a1', 20), section('a', 'a2', 1), section('b', 'b1', 5)]);
    assert.deepEqual(log, ['a1+', 'b1+', 'b1-', 'a1-', 'a2+', 'a2-']);
  });
  it('releases the key when a section throws', async () => {
    const m = new KeyedMutex();
    await assert.rejects(m.run('a', async () => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(await m.run('a', async () => 'next'), 'next');
  });
});
