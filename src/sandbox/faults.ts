import { invalid } from './errors.js';

/**
 * An injected failure: the next `times` requests matching `method` and `path`. A path is exact, a
 * prefix ending in `*`, or has `*` segments that each match one segment
 * (`/openai/v1/organization/projects/*` + `/api_keys` matches every project's key creates).
 */
export interface Fault {
  method?: string;
  path: string;
  status?: number;
  code?: string;
  retry_after?: number;
  delay_ms?: number;
  /** Drop the connection instead of answering. */
  reset?: boolean;
  /**
   * Let the request succeed and commit first, then drop the connection (`reset`) or answer `status`:
   * the client never learns that its change was made (the lost response).
   */
  after_commit?: boolean;
  times: number;
}

interface Entry {
  fault: Fault;
  matches: (pathname: string) => boolean;
}

export class FaultTable {
  private entries: Entry[] = [];

  list(): Fault[] {
    return this.entries.map((e) => e.fault);
  }

  add(body: unknown): Fault[] {
    this.entries.push(...parseFaults(body).map((fault) => ({ fault, matches: pathMatcher(fault.path) })));
    return this.list();
  }

  clear(): void {
    this.entries = [];
  }

  /** The first fault matching this request, used up by one; `undefined` (fast) when none is set. */
  take(method: string, pathname: string): Fault | undefined {
    if (this.entries.length === 0) return undefined;
    const entry = this.entries.find((e) => (!e.fault.method || e.fault.method.toUpperCase() === method) && e.matches(pathname));
    if (entry && --entry.fault.times <= 0) this.entries = this.entries.filter((e) => e !== entry);
    return entry?.fault;
  }
}

function pathMatcher(pattern: string): (pathname: string) => boolean {
  const prefix = pattern.endsWith('*');
  const body = prefix ? pattern.slice(0, -1) : pattern;
  if (!body.includes('/*/') && !body.endsWith('/*')) return prefix ? (p) => p.startsWith(body) : (p) => p === body;
  const source = body
    .split('/')
    .map((s) => (s === '*' ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  const re = new RegExp(`^${source}${prefix ? '' : '$'}`);
  return (p) => re.test(p);
}

function parseFaults(body: unknown): Fault[] {
  const list = (body as { faults?: unknown })?.faults;
  if (!Array.isArray(list)) throw invalid('faults', "'faults' must be an array.");
  return list.map((f, i) => {
    const x = f as Partial<Fault>;
    if (typeof x?.path !== 'string') throw invalid(`faults[${i}].path`, "each fault needs a 'path' (exact, or a prefix ending in '*').");
    if (x.status !== undefined && !(Number.isInteger(x.status) && x.status >= 400 && x.status <= 599))
      throw invalid(`faults[${i}].status`, "'status' must be an HTTP error status.");
    if (x.times !== undefined && !(Number.isInteger(x.times) && x.times >= 1))
      throw invalid(`faults[${i}].times`, "'times' must be a positive integer.");
    if (x.after_commit !== undefined && typeof x.after_commit !== 'boolean')
      throw invalid(`faults[${i}].after_commit`, "'after_commit' must be a boolean.");
    if (x.after_commit && !x.reset && x.status === undefined)
      throw invalid(`faults[${i}].after_commit`, "'after_commit' needs 'reset' or 'status': what the client gets instead of the answer.");
    return { ...x, path: x.path, times: x.times ?? 1 } as Fault;
  });
}
