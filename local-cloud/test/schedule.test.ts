import { describe, expect, it } from 'vitest';
import { nextFire, ScheduleError } from '../src/schedule.ts';

const at = (iso: string) => new Date(iso);

describe('EventBridge schedule expressions on the local clock', () => {
  it('rate() fires every period from the start', () => {
    const start = at('2026-12-06T10:00:00Z');
    expect(nextFire('rate(5 minutes)', start, start)?.toISOString()).toBe('2026-12-06T10:05:00.000Z');
    expect(nextFire('rate(5 minutes)', at('2026-12-06T10:07:00Z'), start)?.toISOString()).toBe(
      '2026-12-06T10:10:00.000Z',
    );
    expect(nextFire('rate(1 hour)', start, start)?.toISOString()).toBe('2026-12-06T11:00:00.000Z');
    expect(nextFire('rate(1 day)', start, start)?.toISOString()).toBe('2026-12-07T10:00:00.000Z');
  });

  it('refuses the rate forms EventBridge refuses', () => {
    expect(() => nextFire('rate(1 minutes)', new Date())).toThrow(ScheduleError);
    expect(() => nextFire('rate(5 minute)', new Date())).toThrow(ScheduleError);
    expect(() => nextFire('rate(0 minutes)', new Date())).toThrow(ScheduleError);
    expect(() => nextFire('every day', new Date())).toThrow(/not rate\(\.\.\.\) or cron/);
  });

  it('cron() uses six fields, UTC and 1 = Sunday, as EventBridge does', () => {
    // 02:00 every day.
    expect(nextFire('cron(0 2 * * ? *)', at('2026-12-06T10:00:00Z'))?.toISOString()).toBe(
      '2026-12-07T02:00:00.000Z',
    );
    // Mondays (2) at 08:30; 2026-12-06 is a Sunday.
    expect(nextFire('cron(30 8 ? * 2 *)', at('2026-12-06T10:00:00Z'))?.toISOString()).toBe(
      '2026-12-07T08:30:00.000Z',
    );
    expect(nextFire('cron(0 9 ? * MON-FRI *)', at('2026-12-05T10:00:00Z'))?.toISOString()).toBe(
      '2026-12-07T09:00:00.000Z',
    );
    // Last day of the month, and a year that has passed.
    expect(nextFire('cron(0 0 L * ? *)', at('2026-12-06T10:00:00Z'))?.toISOString()).toBe(
      '2026-12-31T00:00:00.000Z',
    );
    expect(nextFire('cron(0 0 1 1 ? 2020)', at('2026-12-06T10:00:00Z'))).toBeNull();
    expect(() => nextFire('cron(0 2 * * ?)', new Date())).toThrow(/6 fields/);
  });
});
