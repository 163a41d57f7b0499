import { invalid } from './errors.js';

/** An injected failure: the next `times` requests matching `method` and `path` (exact, or a prefix ending in `*`). */
export interface Fault {
  method?: string;
  path: string;
  status?: number;
  code?: string;
  retry_after?: number;
  delay_ms?: number;
  /** Drop the connection instead of answering. */
  reset?: boolean;
  times: number;
}

export class FaultTable {
  private faults: Fault[] = [];

  list(): Fault[] {
    return this.faults;
  }

  add(body: unknown): Fault[] {
    this.faults.push(...parseFaults(body));
    return this.faults;
  }

  clear(): void {
    this.faults = [];
  }

  /** The first fault matching this request, used up by one; `undefined` (fast) when none is set. */
  take(method: string, pathname: string): Fault | undefined {
    if (this.faults.length === 0) return undefined;
    const fault = this.faults.find((f) => (!f.method || f.method.toUpperCase() === method) && (f.path.endsWith('*') ? pathname.startsWith(f.path.slice(0, -1)) : pathname === f.path));
    if (fault && --fault.times <= 0) this.faults = this.faults.filter((f) => f !== fault);
    return fault;
  }
}

function parseFaults(body: unknown): Fault[] {
  const list = (body as { faults?: unknown })?.faults;
  if (!Array.isArray(list)) throw invalid('faults', "'faults' must be an array.");
  return list.map((f, i) => {
    const x = f as Partial<Fault>;
    if (typeof x?.path !== 'string') throw invalid(`faults[${i}].path`, "each fault needs a 'path' (exact, or a prefix ending in '*').");
    if (x.status !== undefined && !(Number.isInteger(x.status) && x.status >= 400 && x.status <= 599)) throw invalid(`faults[${i}].status`, "'status' must be an HTTP error status.");
    if (x.times !== undefined && !(Number.isInteger(x.times) && x.times >= 1)) throw invalid(`faults[${i}].times`, "'times' must be a positive integer.");
    return { ...x, path: x.path, times: x.times ?? 1 } as Fault;
  });
}
