import type { Bucket, CostsQuery, UsageQuery, UsageResult } from '../providers/groq/wire.js';
import { readLiveState } from '../providers/groq/read.js';
import type { GroqAdmin } from '../providers/groq/admin.js';
import type { DesiredState } from '../policy/types.js';
import type { Breakdown, UsageReport } from '../report/types.js';
import { buildUsageReport } from '../report/usage-report.js';
import { DAY, usageWindows } from '../report/windows.js';
import type { OrgSession } from './session.js';

export interface UsageReportRequest {
  session: OrgSession;
  desired: DesiredState;
  /** `YYYY-MM-DD` (UTC); default: 29 days before `until`. */
  since?: string | null;
  /** `YYYY-MM-DD` (UTC), inclusive; default: today. */
  until?: string | null;
  by: Breakdown;
}

// The contract's largest pages (buckets per page): fewer requests than its defaults (7 days, 60 minutes).
const MAX_DAYS_PER_USAGE_PAGE = 31;
const MAX_MINUTES_PER_PAGE = 1440;
const MAX_DAYS_PER_COSTS_PAGE = 180;

/**
 * Reads what the report needs in the fewest requests, then builds it: the organization once (its
 * projects' per-model limits, keys and the spend settings), then in parallel the period's 1d usage
 * (per project, key and model), the last day's 1m usage (per project and model) and the 1d costs
 * (per project and line item) over the period and the month to date.
 */
export async function readUsageReport(request: UsageReportRequest): Promise<UsageReport> {
  const { admin, concurrency } = request.session;
  // The windows need the organization's clock, known from its first answer: the bucket reads start
  // then, alongside the rest of the organization's, not after it.
  const watched = watchFirstAnswer(admin);
  const liveRead = readLiveState(watched.admin, { concurrency });
  liveRead.catch(() => {});
  const now = await Promise.race([watched.now, liveRead.then((l) => l.observed_at)]);
  const windows = usageWindows(now, { since: request.since ?? null, until: request.until ?? null });
  const usageDays = windows.usageRanges.map((r) =>
    listUsage(admin, { ...r, bucket_width: '1d', group_by: ['project_id', 'api_key_id', 'model'] }, Math.min(MAX_DAYS_PER_USAGE_PAGE, days(r))));
  const minutes = listUsage(admin, { ...windows.peaks, bucket_width: '1m', group_by: ['project_id', 'model'] }, MAX_MINUTES_PER_PAGE);
  const costs = windows.costRanges.map((r) => listCosts(admin, { ...r, group_by: ['project_id', 'line_item'] }, Math.min(MAX_DAYS_PER_COSTS_PAGE, days(r))));
  const [live, usage, minuteBuckets, costBuckets] = await Promise.all([liveRead, Promise.all(usageDays), minutes, Promise.all(costs)]);
  return buildUsageReport({ desired: request.desired, live, windows, by: request.by, usage: usage.flat(), minutes: minuteBuckets, costs: costBuckets.flat() });
}

/** The same admin, and the organization's clock as soon as any of its calls has an answer (an error's too). */
function watchFirstAnswer(admin: GroqAdmin): { admin: GroqAdmin; now: Promise<number> } {
  let resolve!: (now: number) => void;
  const now = new Promise<number>((r) => (resolve = r));
  const seen = () => resolve(admin.observedNow() ?? Math.floor(Date.now() / 1000));
  const watched = new Proxy(admin, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result: unknown = value.apply(target, args);
        if (result instanceof Promise) result.then(seen, seen);
        return result;
      };
    },
  });
  return { admin: watched, now };
}

/** Whole UTC days a range touches: the page size that fetches it in one request. */
const days = (r: { start_time: number; end_time: number }) => Math.max(1, Math.ceil((r.end_time - (r.start_time - (r.start_time % DAY))) / DAY));

/** `limit` is the contract's page size (buckets per page): one page per range. */
function listUsage(admin: GroqAdmin, query: UsageQuery, limit: number): Promise<Bucket<UsageResult>[]> {
  return admin.listCompletionsUsage({ ...query, limit });
}

function listCosts(admin: GroqAdmin, query: CostsQuery, limit: number) {
  return admin.listCosts({ ...query, limit });
}
