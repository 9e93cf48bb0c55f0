import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSchedule, decide, ScheduleError } from './schedule.ts';

const at = (s: string) => new Date(`2026-12-01T${s}Z`);

describe('decide', () => {
  it('waits for the next time when none has passed', () => {
    assert.deepEqual(decide('*/5 * * * *', undefined, at('10:00:00'), at('10:03:00')), { missed: 0, next: at('10:05:00') });
  });
  it('starts the time that just passed', () => {
    assert.deepEqual(decide('*/5 * * * *', undefined, at('10:00:00'), at('10:05:30')), { due: at('10:05:00'), missed: 0, next: at('10:10:00') });
  });
  it('after an outage starts only the latest time and counts the others as missed', () => {
    assert.deepEqual(decide('*/5 * * * *', undefined, at('10:00:00'), at('10:21:00')), { due: at('10:20:00'), missed: 3, next: at('10:25:00') });
  });
  it('skips a time that is later than the starting deadline', () => {
    assert.deepEqual(decide('*/5 * * * *', undefined, at('10:00:00'), at('10:08:00'), 60), { missed: 1, next: at('10:10:00') });
    assert.equal(decide('*/5 * * * *', undefined, at('10:00:00'), at('10:05:50'), 60).due?.toISOString(), at('10:05:00').toISOString());
  });
  it('reads the schedule in its time zone', () => {
    // 02:00 in Berlin (UTC+1 in December) is 01:00 UTC.
    assert.deepEqual(decide('0 2 * * *', 'Europe/Berlin', at('00:00:00'), at('00:30:00')).next, at('01:00:00'));
  });
  it('stops counting after a very long outage and still starts the latest time', () => {
    const d = decide('* * * * *', undefined, new Date('2026-11-01T00:00:00Z'), at('10:00:30'));
    assert.equal(d.due?.toISOString(), at('10:00:00').toISOString());
    assert.ok(d.missed >= 100);
    assert.deepEqual(d.next, at('10:01:00'));
  });
});

describe('checkSchedule', () => {
  it('accepts five fields and macros', () => {
    checkSchedule('0 3 * * 1-5');
    checkSchedule('@daily');
  });
  it('says what a schedule should look like', () => {
    assert.throws(() => checkSchedule('every day'), (e) => e instanceof ScheduleError && /is not a cron expression.*five fields/.test(e.message));
  });
  it('names a time zone it does not know as such, not as a bad cron expression', () => {
    assert.throws(() => checkSchedule('0 3 * * *', 'Mars/Olympus_Mons'), (e) => e instanceof ScheduleError && /^time zone "Mars\/Olympus_Mons" is not an IANA time zone name/.test(e.message));
  });
});
