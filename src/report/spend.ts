import type { Bucket, CostResult } from '../providers/groq/wire.js';
import type { LiveState } from '../providers/groq/live-state.js';
import { centsToUsd } from '../core/money.js';
import type { SpendStatus, UsageWindows } from './types.js';
import { isoDate, nextMonthStart } from './windows.js';

/**
 * Month-to-date spend from the cost buckets since the 1st (UTC), against the live spend limit and
 * alerts, with a linear projection to the month's end.
 */
export function buildSpendStatus(costs: readonly Bucket<CostResult>[], live: LiveState, windows: UsageWindows): SpendStatus {
  const { month, now } = windows;
  let mtd = 0;
  for (const b of costs) {
    if (b.start_time < month.start_time || b.start_time >= now) continue;
    for (const r of b.results) mtd += r.amount.value;
  }
  mtd = Math.round(mtd * 1e9) / 1e9;
  const limit = live.spendLimit ? centsToUsd(live.spendLimit.threshold_amount) : null;
  const elapsed = now - month.start_time;
  const length = nextMonthStart(now) - month.start_time;
  const projected = elapsed > 0 ? Math.round(((mtd * length) / elapsed) * 100) / 100 : mtd;
  let projectedLimitDate: string | null = null;
  if (limit !== null && mtd > 0 && mtd < limit && projected >= limit) projectedLimitDate = isoDate(month.start_time + Math.floor((limit / mtd) * elapsed));
  return {
    month: month.month,
    month_to_date_usd: mtd,
    limit_usd: limit,
    enforcing: live.spendLimit?.enforcement.status === 'enforcing',
    alerts: live.spendAlerts.map((a) => centsToUsd(a.threshold_amount)).sort((a, b) => a - b).map((t) => ({ threshold_usd: t, reached: mtd >= t })),
    projected_month_end_usd: projected,
    projected_limit_date: projectedLimitDate,
  };
}
