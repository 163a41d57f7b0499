import type { CostRow, DomainLiveState as LiveState } from '../core/domain.js';
import type { SpendStatus, UsageWindows } from './types.js';
import { isoDate, nextMonthStart } from './windows.js';

/**
 * Month-to-date spend from the cost buckets since the 1st (UTC), against the live spend limit and
 * alerts, with a linear projection to the month's end.
 */
export function buildSpendStatus(costs: readonly CostRow[], live: LiveState, windows: UsageWindows): SpendStatus {
  const { month, now } = windows;
  let mtd = 0;
  for (const r of costs) {
    if (r.start_time < month.start_time || r.start_time >= now) continue;
    mtd += r.amount_usd;
  }
  mtd = Math.round(mtd * 1e9) / 1e9;
  const limit = live.spending.monthly_cap_usd;
  const elapsed = now - month.start_time;
  const length = nextMonthStart(now) - month.start_time;
  const projected = elapsed > 0 ? Math.round(((mtd * length) / elapsed) * 100) / 100 : mtd;
  let projectedLimitDate: string | null = null;
  if (limit !== null && mtd > 0 && mtd < limit && projected >= limit)
    projectedLimitDate = isoDate(month.start_time + Math.floor((limit / mtd) * elapsed));
  return {
    month: month.month,
    month_to_date_usd: mtd,
    limit_usd: limit,
    enforcing: live.spending.enforcing === true,
    alerts: live.spending.alerts
      .map((a) => a.threshold_usd)
      .sort((a, b) => a - b)
      .map((t) => ({ threshold_usd: t, reached: mtd >= t })),
    projected_month_end_usd: projected,
    projected_limit_date: projectedLimitDate,
  };
}
