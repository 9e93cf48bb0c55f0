import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Job } from '@kubernetes/client-node';
import type { TrainingRun } from '../../api/v1alpha1/types.ts';
import { jobsToDelete, newestFirst, runEntry } from './runs.ts';

const job = (name: string, minute: number, state?: 'Complete' | 'Failed'): V1Job => ({
  metadata: { name, creationTimestamp: new Date(Date.UTC(2026, 11, 1, 0, minute)) },
  status: state ? { conditions: [{ type: state, status: 'True' }] } : {},
});

describe('run bookkeeping', () => {
  it('orders runs newest first', () => {
    assert.deepEqual(newestFirst([job('a', 1), job('c', 3), job('b', 2)]).map((j) => j.metadata!.name), ['c', 'b', 'a']);
  });
  it('deletes finished Jobs beyond each history limit, oldest first, only once status records their result', () => {
    const jobs = newestFirst([job('s1', 1, 'Complete'), job('s2', 2, 'Complete'), job('s3', 3, 'Complete'), job('f1', 4, 'Failed'), job('f2', 5, 'Failed'), job('a', 6)]);
    const recorded = new Map<string, TrainingRun>([
      ['s1', { name: 's1', phase: 'Succeeded' }],
      ['s2', { name: 's2', phase: 'Rejected' }],
      ['s3', { name: 's3', phase: 'Succeeded' }],
      ['f1', { name: 'f1', phase: 'Failed' }],
      // f2 finished but its result is not in status yet: kept for now.
    ]);
    assert.deepEqual(jobsToDelete(jobs, recorded, 1, 0).map((j) => j.metadata!.name), ['f1', 's1', 's2']);
    assert.deepEqual(jobsToDelete(jobs, recorded, 3, 1).map((j) => j.metadata!.name), []);
  });
  it('an entry of status.runs carries the run\'s times and ModelVersion', () => {
    assert.deepEqual(runEntry({ phase: 'Succeeded', reason: 'ModelRegistered', message: '', job: 'w-1', startTime: 't0', completionTime: 't1', modelVersion: 'm-v2', metrics: { a: 1 } }), {
      name: 'w-1',
      phase: 'Succeeded',
      startTime: 't0',
      completionTime: 't1',
      modelVersion: 'm-v2',
    });
  });
});
