/**
 * Usage and cost rows (core/domain.ts) grouped back into their buckets: the report reads a bucket
 * at a time. A row passed twice (a range fetched twice) is counted once: within one bucket, one row
 * per group (project, key, model or line item) is all a provider answers.
 */
import type { CostRow, UsageRow } from '../core/domain.js';

export interface RowBucket<R> {
  start_time: number;
  end_time: number;
  results: R[];
}

const usageGroup = (r: UsageRow) => `${r.project_id}|${r.key_id}|${r.model}`;
const costGroup = (r: CostRow) => `${r.project_id}|${r.key_id}|${r.line_item}`;

export function byStart(rows: readonly UsageRow[]): RowBucket<UsageRow>[];
export function byStart(rows: readonly CostRow[]): RowBucket<CostRow>[];
export function byStart(rows: readonly (UsageRow | CostRow)[]): RowBucket<UsageRow | CostRow>[] {
  const buckets = new Map<number, { bucket: RowBucket<UsageRow | CostRow>; seen: Set<string> }>();
  for (const r of rows) {
    let entry = buckets.get(r.start_time);
    if (!entry)
      buckets.set(r.start_time, (entry = { bucket: { start_time: r.start_time, end_time: r.end_time, results: [] }, seen: new Set() }));
    const group = 'amount_usd' in r ? costGroup(r) : usageGroup(r);
    if (entry.seen.has(group)) continue;
    entry.seen.add(group);
    entry.bucket.results.push(r);
  }
  return [...buckets.values()].map((e) => e.bucket).sort((a, b) => a.start_time - b.start_time);
}
