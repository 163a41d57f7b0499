import { UserError } from '../core/errors.js';
import type { UsageWindows } from './types.js';

export const DAY = 86_400;
/** The default period: the last 30 days, today included. */
export const DEFAULT_PERIOD_DAYS = 30;
/** Longer periods would make the 1d bucket reads grow without bound (31 buckets a page). */
export const MAX_PERIOD_DAYS = 180;
/** Peak per-minute use is read from the last day of the period only: 1440 1m buckets, one page. */
export const PEAK_WINDOW_SECONDS = DAY;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export const dayStart = (t: number): number => t - (((t % DAY) + DAY) % DAY);
export const isoDate = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);
export const monthStart = (t: number): number => {
  const d = new Date(t * 1000);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / 1000;
};
export const nextMonthStart = (t: number): number => {
  const d = new Date(t * 1000);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) / 1000;
};

/** `YYYY-MM-DD` (UTC) → Unix seconds at its start. */
export function parseDate(flag: string, raw: string): number {
  const m = DATE.exec(raw);
  const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / 1000 : NaN;
  if (!m || Number.isNaN(t) || isoDate(t) !== raw) throw new UserError(`${flag} must be a date written YYYY-MM-DD (UTC), not "${raw}"`);
  return t;
}

/**
 * The windows of one report at the organization's time `now`: the period (whole UTC days from
 * `since` through `until`, cut at `now`), today, the month to date, and the last day of the period
 * for per-minute peaks; plus the fewest bucket ranges that cover them.
 */
export function usageWindows(now: number, options: { since?: string | null; until?: string | null } = {}): UsageWindows {
  const today = dayStart(now);
  const untilDay = options.until ? parseDate('--until', options.until) : today;
  const sinceDay = options.since ? parseDate('--since', options.since) : untilDay - (DEFAULT_PERIOD_DAYS - 1) * DAY;
  if (sinceDay > untilDay)
    throw new UserError(`--since ${isoDate(sinceDay)} is after --until ${isoDate(untilDay)}: the period would be empty`);
  if (sinceDay > today) throw new UserError(`--since ${isoDate(sinceDay)} is in the future (the organization's date is ${isoDate(today)})`);
  const days = (untilDay - sinceDay) / DAY + 1;
  if (days > MAX_PERIOD_DAYS)
    throw new UserError(
      `the period ${isoDate(sinceDay)} – ${isoDate(untilDay)} is ${days} days; a report covers at most ${MAX_PERIOD_DAYS}`,
    );
  const start = sinceDay;
  const end = Math.min(untilDay + DAY, now);
  const month = { month: isoDate(now).slice(0, 7), start_time: monthStart(now), end_time: now };
  // Minute-aligned, so the window is at most 1440 buckets.
  const peakStart = Math.max(start, Math.ceil((end - PEAK_WINDOW_SECONDS) / 60) * 60);
  return {
    now,
    period: { since: isoDate(sinceDay), until: isoDate(untilDay), start_time: start, end_time: end, days },
    today: { date: isoDate(today), start_time: today, end_time: now },
    month,
    peaks: { start_time: peakStart, end_time: end },
    usageRanges: coverRanges([
      { start_time: start, end_time: end },
      { start_time: today, end_time: now },
    ]),
    costRanges: coverRanges([
      { start_time: start, end_time: end },
      { start_time: month.start_time, end_time: now },
    ]),
  };
}

/** Ranges merged where they overlap or touch; disjoint ones stay apart (fetching the gap would be waste). */
function coverRanges(ranges: { start_time: number; end_time: number }[]): { start_time: number; end_time: number }[] {
  const sorted = ranges.filter((r) => r.end_time > r.start_time).sort((a, b) => a.start_time - b.start_time);
  const out: { start_time: number; end_time: number }[] = [];
  for (const r of sorted) {
    const last = out.at(-1);
    if (last && r.start_time <= last.end_time) last.end_time = Math.max(last.end_time, r.end_time);
    else out.push({ ...r });
  }
  return out;
}
