import { invalid } from './errors.js';

export interface ListPage<T> {
  object: 'list';
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/** `?limit=1..100`, default 20. */
export function parseLimit(raw: string | null): number {
  if (raw === null) return 20;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw invalid('limit', "'limit' must be an integer from 1 to 100.");
  return n;
}

/**
 * OpenAI's cursor pagination over items whose ids sort in list order: `after` may name an item
 * deleted meanwhile, and the page still starts right after where it was.
 */
export function paginate<S extends { id: string }, T>(items: readonly S[], query: URLSearchParams, present: (item: S) => T): ListPage<T> {
  const limit = parseLimit(query.get('limit'));
  const after = query.get('after');
  let start = 0;
  if (after !== null) {
    let hi = items.length;
    while (start < hi) {
      const mid = (start + hi) >> 1;
      if (items[mid]!.id <= after) start = mid + 1;
      else hi = mid;
    }
  }
  const page = items.slice(start, start + limit);
  const data = page.map(present);
  return { object: 'list', data, first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null, has_more: start + limit < items.length };
}
