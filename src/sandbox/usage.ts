import type { Bucket, BucketWidth, CostResult, UsageResult } from '../providers/groq/wire.js';
import { invalid } from './errors.js';
import { usageRowKey, type UsageRow } from './snapshot.js';

const WIDTH_SECONDS: Record<BucketWidth, number> = { '1m': 60, '1h': 3600, '1d': 86_400 };
// OpenAI's page sizes per bucket width: default and maximum number of buckets.
const USAGE_LIMITS: Record<BucketWidth, [number, number]> = { '1m': [60, 1440], '1h': [24, 168], '1d': [7, 31] };
const COSTS_LIMITS: [number, number] = [7, 180];

/** `YYYY-MM` (UTC) of a time in seconds. Asked several times per inference request: the last day's answer is kept. */
export function monthOf(seconds: number): string {
  const day = Math.floor(seconds / 86_400);
  if (day !== lastDay) {
    lastDay = day;
    lastMonth = new Date(day * 86_400_000).toISOString().slice(0, 7);
  }
  return lastMonth;
}
let lastDay = Number.NaN;
let lastMonth = '';

/**
 * Inference traffic per minute per (project, key, model): exact answers for 1m, 1h and 1d buckets,
 * and month-to-date spend. Rows are kept in time order (the clock only moves forward), so a query
 * reads only the rows of its range.
 */
export class UsageLedger {
  private readonly rows: UsageRow[];
  private readonly index = new Map<string, UsageRow>();
  private readonly monthCost = new Map<string, number>();
  // Spend not yet visible (spend lag), oldest first.
  private readonly pending: { at: number; month: string; usd: number }[] = [];
  private pendingHead = 0;
  // The pending entries' sum per month, so that a spend check does not walk them (one per request in the lag).
  private readonly pendingByMonth = new Map<string, number>();

  constructor(rows: UsageRow[]) {
    this.rows = rows;
    for (const r of rows) {
      this.index.set(usageRowKey(r), r);
      const month = monthOf(r.minute);
      this.monthCost.set(month, (this.monthCost.get(month) ?? 0) + r.cost_usd);
    }
  }

  all(): UsageRow[] {
    return this.rows;
  }

  /** Counts one request; returns the row to journal. */
  record(
    now: number,
    spendLagSeconds: number,
    who: { project_id: string; api_key_id: string; model: string },
    input: number,
    output: number,
    costUsd: number,
  ): UsageRow {
    const minute = now - (now % 60);
    const key = `${minute}|${who.api_key_id}|${who.model}`;
    let row = this.index.get(key);
    if (!row) {
      row = { minute, ...who, requests: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0 };
      this.index.set(key, row);
      let i = this.rows.length;
      while (i > 0 && this.rows[i - 1]!.minute > minute) i--;
      this.rows.splice(i, 0, row);
    }
    row.requests += 1;
    row.input_tokens += input;
    row.output_tokens += output;
    row.cost_usd += costUsd;
    const month = monthOf(now);
    this.monthCost.set(month, (this.monthCost.get(month) ?? 0) + costUsd);
    if (spendLagSeconds > 0) {
      this.pending.push({ at: now, month, usd: costUsd });
      this.pendingByMonth.set(month, (this.pendingByMonth.get(month) ?? 0) + costUsd);
    }
    return row;
  }

  /** Month-to-date spend (USD) as billing sees it: traffic older than the spend lag, plus `adjustment`. */
  monthToDate(now: number, spendLagSeconds: number, adjustment: number): number {
    const month = monthOf(now);
    const total = (this.monthCost.get(month) ?? 0) + adjustment;
    const cutoff = now - spendLagSeconds;
    while (this.pendingHead < this.pending.length && this.pending[this.pendingHead]!.at <= cutoff) {
      const seen = this.pending[this.pendingHead++]!;
      const left = (this.pendingByMonth.get(seen.month) ?? 0) - seen.usd;
      // Entries are in time order, so when the next is of another month none of this one is left:
      // its sum is then dropped (0 exactly), not a float's leftover.
      if (this.pending[this.pendingHead]?.month !== seen.month) this.pendingByMonth.delete(seen.month);
      else this.pendingByMonth.set(seen.month, left);
    }
    if (this.pendingHead > 1024 && this.pendingHead * 2 > this.pending.length) {
      this.pending.splice(0, this.pendingHead);
      this.pendingHead = 0;
    }
    return total - (this.pendingByMonth.get(month) ?? 0);
  }

  completions(query: URLSearchParams, now: number) {
    const width = parseWidth(query.get('bucket_width'));
    const range = parseRange(query, now, WIDTH_SECONDS[width], USAGE_LIMITS[width]);
    const groupBy = parseArray(query, 'group_by', ['project_id', 'api_key_id', 'model']);
    const projects = parseArray(query, 'project_ids');
    const keys = parseArray(query, 'api_key_ids');
    const models = parseArray(query, 'models');
    const keep = (r: UsageRow) =>
      (!projects.length || projects.includes(r.project_id)) &&
      (!keys.length || keys.includes(r.api_key_id)) &&
      (!models.length || models.includes(r.model));
    return this.page(range, keep, (rows): UsageResult[] => {
      const groups = new Map<string, UsageResult>();
      for (const r of rows) {
        const project_id = groupBy.includes('project_id') ? r.project_id : null;
        const api_key_id = groupBy.includes('api_key_id') ? r.api_key_id : null;
        const model = groupBy.includes('model') ? r.model : null;
        const id = `${project_id}|${api_key_id}|${model}`;
        let g = groups.get(id);
        if (!g)
          groups.set(
            id,
            (g = {
              object: 'organization.usage.completions.result',
              input_tokens: 0,
              output_tokens: 0,
              num_model_requests: 0,
              project_id,
              api_key_id,
              model,
            }),
          );
        g.input_tokens += r.input_tokens;
        g.output_tokens += r.output_tokens;
        g.num_model_requests += r.requests;
      }
      return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, g]) => g);
    });
  }

  /** `byApiKey`: OpenAI's costs also take `api_key_ids[]` and `group_by[]=api_key_id` (openai-node usage.ts). */
  costs(query: URLSearchParams, now: number, byApiKey = false) {
    const width = query.get('bucket_width') ?? '1d';
    if (width !== '1d') throw invalid('bucket_width', "'bucket_width' must be '1d' for costs.");
    const range = parseRange(query, now, WIDTH_SECONDS['1d'], COSTS_LIMITS);
    const groupBy = parseArray(query, 'group_by', byApiKey ? ['project_id', 'line_item', 'api_key_id'] : ['project_id', 'line_item']);
    const projects = parseArray(query, 'project_ids');
    const keys = byApiKey ? parseArray(query, 'api_key_ids') : [];
    const keep = (r: UsageRow) => (!projects.length || projects.includes(r.project_id)) && (!keys.length || keys.includes(r.api_key_id));
    return this.page(range, keep, (rows): (CostResult & { api_key_id?: string | null })[] => {
      const groups = new Map<string, CostResult & { api_key_id?: string | null }>();
      for (const r of rows) {
        const project_id = groupBy.includes('project_id') ? r.project_id : null;
        const line_item = groupBy.includes('line_item') ? r.model : null;
        const api_key_id = groupBy.includes('api_key_id') ? r.api_key_id : null;
        const id = `${project_id}|${line_item}|${api_key_id}`;
        let g = groups.get(id);
        if (!g)
          groups.set(
            id,
            (g = {
              object: 'organization.costs.result',
              amount: { value: 0, currency: 'usd' },
              line_item,
              project_id,
              ...(byApiKey ? { api_key_id } : {}),
            }),
          );
        g.amount.value += r.cost_usd;
      }
      return [...groups.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([, g]) => ({ ...g, amount: { value: roundUsd(g.amount.value), currency: 'usd' as const } }));
    });
  }

  private page<R>(range: Range, keep: (r: UsageRow) => boolean, summarise: (rows: UsageRow[]) => R[]) {
    const { first, end, width, limit, from } = range;
    const data: Bucket<R>[] = [];
    let start = from;
    let i = lowerBound(this.rows, start);
    for (; start < end && data.length < limit; start += width) {
      const rows: UsageRow[] = [];
      for (; i < this.rows.length && this.rows[i]!.minute < start + width; i++)
        if (this.rows[i]!.minute < end && keep(this.rows[i]!)) rows.push(this.rows[i]!);
      data.push({ object: 'bucket', start_time: start, end_time: start + width, results: rows.length ? summarise(rows) : [] });
    }
    const hasMore = start < end && start >= first;
    return { object: 'page' as const, data, has_more: hasMore, next_page: hasMore ? encodePage(start) : null };
  }
}

interface Range {
  first: number;
  end: number;
  width: number;
  limit: number;
  from: number;
}

function parseRange(query: URLSearchParams, now: number, width: number, [defaultLimit, maxLimit]: [number, number]): Range {
  const startRaw = query.get('start_time');
  if (startRaw === null) throw invalid('start_time', "Missing required parameter: 'start_time'.");
  const start = parseSeconds(startRaw, 'start_time');
  const endRaw = query.get('end_time');
  // Without `end_time`, up to now inclusive: traffic of this very second counts.
  const end = endRaw === null ? now + 1 : parseSeconds(endRaw, 'end_time');
  if (end <= start) throw invalid('end_time', "'end_time' must be after 'start_time'.");
  const limitRaw = query.get('limit');
  const limit = limitRaw === null ? defaultLimit : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit)
    throw invalid('limit', `'limit' must be an integer from 1 to ${maxLimit}.`);
  // Buckets are aligned to UTC minute, hour or day boundaries.
  const first = start - (start % width);
  const page = query.get('page');
  const from = page === null ? first : decodePage(page, first, width);
  return { first, end, width, limit, from };
}

function parseSeconds(raw: string, name: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) throw invalid(name, `'${name}' must be Unix seconds.`);
  return n;
}

function parseWidth(raw: string | null): BucketWidth {
  if (raw === null) return '1d';
  if (raw !== '1m' && raw !== '1h' && raw !== '1d') throw invalid('bucket_width', "'bucket_width' must be one of '1m', '1h', '1d'.");
  return raw;
}

/** An array parameter as OpenAI's SDK sends it (`name[]=a&name[]=b`), or plain (`name=a`). */
export function parseArray(query: URLSearchParams, name: string, allowed?: readonly string[]): string[] {
  const values = [...query.getAll(`${name}[]`), ...query.getAll(name)];
  if (allowed)
    for (const v of values)
      if (!allowed.includes(v)) throw invalid(name, `'${name}' values must be among ${allowed.join(', ')}; got '${v}'.`);
  return values;
}

const encodePage = (start: number) => `page_${start.toString(36)}`;

function decodePage(page: string, first: number, width: number): number {
  const start = page.startsWith('page_') ? parseInt(page.slice(5), 36) : NaN;
  if (!Number.isSafeInteger(start) || start < first || (start - first) % width !== 0)
    throw invalid('page', "'page' is not a cursor of this query; pass 'next_page' as it came.");
  return start;
}

function lowerBound(rows: UsageRow[], minute: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid]!.minute < minute) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export const roundUsd = (usd: number) => Math.round(usd * 1e9) / 1e9;
