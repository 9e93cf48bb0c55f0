// Cron schedules (cron-parser), decided the way the CronJob controller decides them: from the
// last time a run was started and the clock, never from timers, so a restarted operator makes
// the same decision. Shared by Dataset refresh and scheduled TrainingJobs.
import { CronExpressionParser } from 'cron-parser';

export class ScheduleError extends Error {
  override readonly name = 'ScheduleError';
}

export interface ScheduleDecision {
  /** The scheduled time of the run to start now, if one is due. */
  due?: Date;
  /** Scheduled times that passed without a run and are not started (too late, or older than the latest). */
  missed: number;
  /** The next scheduled time after now. */
  next: Date;
}

/** Runs missed while the operator was away are counted up to this many; beyond, "at least". */
const MAX_COUNTED = 100;

function parse(schedule: string, tz: string | undefined, from: Date) {
  if (tz !== undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
    } catch {
      throw new ScheduleError(`time zone "${tz}" is not an IANA time zone name; use one such as Europe/Berlin, or omit it for UTC`);
    }
  }
  try {
    return CronExpressionParser.parse(schedule, { currentDate: from, tz: tz ?? 'UTC' });
  } catch (err) {
    throw new ScheduleError(`schedule "${schedule}"${tz ? ` in ${tz}` : ''} is not a cron expression: ${(err as Error).message}; use five fields (minute hour day month weekday) or a macro such as @daily`);
  }
}

/** Throws ScheduleError with a message for the user when the schedule or time zone is invalid. */
export function checkSchedule(schedule: string, tz?: string): void {
  parse(schedule, tz, new Date(0)).next();
}

/**
 * What to do now. `since` is when the last run was scheduled (or, before any run, when the
 * object was created). The latest scheduled time in (since, now] is due, unless it is older
 * than `startingDeadlineSeconds`; earlier ones are missed (only the latest starts, as with a
 * CronJob).
 */
export function decide(schedule: string, tz: string | undefined, since: Date, now: Date, startingDeadlineSeconds?: number): ScheduleDecision {
  const it = parse(schedule, tz, since);
  let latest: Date | undefined;
  let passed = 0;
  for (;;) {
    const t = it.next().toDate();
    if (t.getTime() > now.getTime()) {
      const next = t;
      if (!latest) return { missed: 0, next };
      const late = (now.getTime() - latest.getTime()) / 1000;
      if (startingDeadlineSeconds !== undefined && late > startingDeadlineSeconds) return { missed: passed, next };
      return { due: latest, missed: passed - 1, next };
    }
    latest = t;
    if (++passed >= MAX_COUNTED) {
      // Far behind (a long outage): jump to now and count no further.
      const rest = parse(schedule, tz, new Date(now.getTime() - 1000 * Math.max(60, startingDeadlineSeconds ?? 60)));
      let t2 = rest.next().toDate();
      let last: Date | undefined;
      while (t2.getTime() <= now.getTime()) {
        last = t2;
        t2 = rest.next().toDate();
      }
      const late = last ? (now.getTime() - last.getTime()) / 1000 : Infinity;
      if (!last || (startingDeadlineSeconds !== undefined && late > startingDeadlineSeconds)) return { missed: passed, next: t2 };
      return { due: last, missed: passed, next: t2 };
    }
  }
}
