import type { CostRow, UsageRow } from '../core/domain.js';
import type { ProviderAdmin, UsageQuery } from '../core/provider.js';
import type { DesiredState } from '../policy/types.js';
import type { Breakdown, UsageReport } from '../report/types.js';
import { buildUsageReport } from '../report/usage-report.js';
import { usageWindows } from '../report/windows.js';
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

/**
 * Reads what the report needs in the fewest requests, then builds it: the organization once (its
 * projects' per-model limits, keys and the spend settings), then in parallel the period's 1d usage
 * (per project, key and model), the last day's 1m usage (per project and model) and the 1d costs
 * (per project and line item) over the period and the month to date. The provider pages each range
 * in as few requests as its API allows.
 */
export async function readUsageReport(request: UsageReportRequest): Promise<UsageReport> {
  const { admin, concurrency } = request.session;
  // The windows need the organization's clock, known from its first answer: the usage reads start
  // then, alongside the rest of the organization's, not after it.
  let observed!: (now: number) => void;
  const clock = new Promise<number>((resolve) => (observed = resolve));
  const liveRead = admin.readLiveState({ concurrency, onObserved: observed, keyNames: request.desired.keys.map((k) => k.name) });
  liveRead.catch(() => {});
  const now = await Promise.race([clock, liveRead.then((l) => l.observed_at)]);
  const windows = usageWindows(now, { since: request.since ?? null, until: request.until ?? null });
  const usageDays = windows.usageRanges.map((r) =>
    listUsage(admin, { ...r, bucket_width: '1d', group_by: ['project_id', 'key_id', 'model'] }),
  );
  const minutes = listUsage(admin, { ...windows.peaks, bucket_width: '1m', group_by: ['project_id', 'model'] });
  const costs = windows.costRanges.map((r) => listCosts(admin, { ...r, group_by: ['project_id', 'line_item'] }));
  const [live, usage, minuteRows, costRows] = await Promise.all([liveRead, Promise.all(usageDays), minutes, Promise.all(costs)]);
  return buildUsageReport({
    desired: request.desired,
    live,
    windows,
    by: request.by,
    usage: usage.flat(),
    minutes: minuteRows,
    costs: costRows.flat(),
  });
}

function listUsage(admin: ProviderAdmin, query: UsageQuery): Promise<UsageRow[]> {
  return admin.usage(query);
}

function listCosts(
  admin: ProviderAdmin,
  query: { start_time: number; end_time: number; group_by: ('project_id' | 'line_item')[] },
): Promise<CostRow[]> {
  return admin.costs(query);
}
