/**
 * The bounds of one paginated list, whatever the API: a list must end, so a server that never says
 * "no more" (a repeated cursor, fresh cursors forever, pages far larger than asked for, or pages
 * answered slowly enough that each one stays under the request timeout) ends it with an error,
 * never a loop. Each client turns the problem into its own error with its own advice.
 *
 * - a cursor seen before is an error at once (following it would loop);
 * - at most `maxPages` pages and `maxItems` items in all (a page larger than asked counts in full);
 * - the whole list within `deadlineMs` of its first request, checked before each further page (a
 *   page already asked for is bounded by the transport's own timeout).
 */

/** 10,000 pages of 100: a million items, twenty times the largest organization benchmarked. */
export const DEFAULT_MAX_PAGES = 10_000;
/** As many items as DEFAULT_MAX_PAGES full pages hold. */
export const DEFAULT_MAX_ITEMS = 1_000_000;
/**
 * Ten minutes for one list. The largest read benchmarked (1,000 projects at 50 ms latency) makes
 * its longest list, the projects, in 10 pages: under a second. A list still going after ten
 * minutes is a server dripping pages, not an organization.
 */
export const DEFAULT_LIST_DEADLINE_MS = 10 * 60_000;

export interface ListBoundsOptions {
  maxPages?: number;
  maxItems?: number;
  deadlineMs?: number;
  /** The page size asked for, to say how many items the page cap means. */
  pageSize?: number;
  /** Milliseconds since some fixed point (tests pass a fake clock); default `performance.now`. */
  now?: () => number;
}

/** Why a list was stopped, for the client's own error: `problem` is a clause (`the server sent …`, `the list did not end …`). */
export class ListBoundExceeded extends Error {
  override readonly name = 'ListBoundExceeded';
  constructor(
    readonly kind: 'repeated_cursor' | 'pages' | 'items' | 'deadline',
    readonly problem: string,
  ) {
    super(problem);
  }
}

/**
 * One list's pages so far. Call `page(items)` with each page's item count as it arrives, then
 * `next(cursor)` before asking for the page after it.
 */
export class ListBounds {
  private readonly seen = new Set<string>();
  private readonly started: number;
  private readonly now: () => number;
  readonly maxPages: number;
  readonly maxItems: number;
  readonly deadlineMs: number;
  private readonly pageSize: number | null;
  pages = 0;
  items = 0;

  constructor(
    private readonly field: string,
    options: ListBoundsOptions = {},
  ) {
    this.maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
    this.maxItems = options.maxItems ?? DEFAULT_MAX_ITEMS;
    this.deadlineMs = options.deadlineMs ?? DEFAULT_LIST_DEADLINE_MS;
    this.pageSize = options.pageSize ?? null;
    this.now = options.now ?? (() => performance.now());
    this.started = this.now();
  }

  /** A page arrived with `count` items: past the item cap it is an error (the items are already in memory, no more are asked for). */
  page(count: number): void {
    this.pages += 1;
    this.items += count;
    if (this.items > this.maxItems) {
      throw new ListBoundExceeded(
        'items',
        `the list held more than ${n(this.maxItems)} items after ${n(this.pages)} pages, more than any organization groq-rbac supports; stopped there`,
      );
    }
  }

  /** The cursor for the next page, once it is known to be new and the list may go on. */
  next(cursor: string): string {
    if (this.seen.has(cursor)) {
      throw new ListBoundExceeded(
        'repeated_cursor',
        `the server sent the same ${this.field} cursor twice, so the list would never end; stopped after ${n(this.pages)} pages`,
      );
    }
    this.seen.add(cursor);
    if (this.pages >= this.maxPages) {
      throw new ListBoundExceeded(
        'pages',
        `the list did not end after ${n(this.maxPages)} pages, more than any organization groq-rbac supports${this.pageSize ? ` (${n(this.maxPages * this.pageSize)} items at ${this.pageSize} a page)` : ''}; stopped there`,
      );
    }
    const elapsed = this.now() - this.started;
    if (elapsed > this.deadlineMs) {
      throw new ListBoundExceeded(
        'deadline',
        `the list was still going after ${seconds(this.deadlineMs)} (${n(this.pages)} pages), longer than any list of an organization takes; stopped there`,
      );
    }
    return cursor;
  }
}

const n = (x: number) => x.toLocaleString('en-US');

function seconds(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} minutes` : `${Math.round(ms / 100) / 10} s`;
}
