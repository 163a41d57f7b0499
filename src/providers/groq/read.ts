import type { Project } from './wire.js';
import type { LiveProject, LiveState } from './live-state.js';
import type { GroqAdmin } from './admin.js';

/** Per-project reads in flight at once, unless the caller says otherwise. */
export const DEFAULT_READ_CONCURRENCY = 8;

/**
 * An admin that hands out the project list one page at a time (GroqClient does), so the reads of a
 * page's projects start while the next page is on its way. Any other GroqAdmin is read through
 * `listProjects`, all pages first.
 */
export interface ProjectPageSource {
  listProjectPages(options?: { includeArchived?: boolean }): AsyncIterable<Project[]>;
}

/**
 * Reads the organization once, in the fewest requests: the org's five reads, in parallel with the
 * project list pages, then three per active project (model permissions, rate limits, keys), at most
 * `concurrency` of them in flight, each project's starting as soon as its page arrives.
 */
export async function readLiveState(admin: GroqAdmin, options: { concurrency?: number } = {}): Promise<LiveState> {
  const limit = createLimiter(options.concurrency ?? DEFAULT_READ_CONCURRENCY);
  const orgReads = Promise.all([admin.getOrganization(), admin.getOrgModelPermissions(), admin.listOrgRateLimits(), admin.getSpendLimit(), admin.listSpendAlerts()]);
  // A failed org read stops the project reads; it is thrown when awaited below.
  orgReads.catch(limit.stop);

  const projectReads: Promise<LiveProject>[] = [];
  for await (const page of projectPages(admin)) {
    limit.throwIfStopped();
    for (const project of page) {
      if (project.status !== 'active') continue;
      const read = Promise.all([
        limit(() => admin.getProjectModelPermissions(project.id)),
        limit(() => admin.listProjectRateLimits(project.id)),
        limit(() => admin.listProjectKeys(project.id)),
      ]).then(([permissions, rateLimits, keys]): LiveProject => ({ project, permissions, rateLimits, keys }));
      // Awaited below, after the last page; until then a rejection is recorded by the limiter, not unhandled.
      read.catch(() => {});
      projectReads.push(read);
    }
  }
  const [org, permissions, rateLimits, spendLimit, spendAlerts] = await orgReads;
  const projects = await Promise.all(projectReads);
  return { org, permissions, rateLimits, spendLimit, spendAlerts, projects, observed_at: admin.observedNow() ?? Math.floor(Date.now() / 1000) };
}

function projectPages(admin: GroqAdmin): AsyncIterable<Project[]> {
  const paged = admin as GroqAdmin & Partial<ProjectPageSource>;
  if (typeof paged.listProjectPages === 'function') return paged.listProjectPages();
  return (async function* () {
    yield await admin.listProjects();
  })();
}

interface Limiter {
  <T>(task: () => Promise<T>): Promise<T>;
  /** After the first failure no queued task starts: the read has failed, more requests would be waste. */
  stop(error: unknown): void;
  throwIfStopped(): void;
}

/** At most `max` tasks running; first come, first served. */
function createLimiter(max: number): Limiter {
  const width = Math.max(1, Math.floor(max));
  let running = 0;
  let queue: (() => void)[] = [];
  let head = 0;
  let stopped: { error: unknown } | null = null;
  const stop = (error: unknown) => {
    stopped ??= { error };
  };
  const run = async <T>(task: () => Promise<T>): Promise<T> => {
    if (running < width) running++;
    else await new Promise<void>((resolve) => queue.push(resolve));
    try {
      if (stopped) throw stopped.error;
      return await task();
    } catch (error) {
      stop(error);
      throw error;
    } finally {
      // Hand the slot straight to the next task in line, or free it.
      if (head < queue.length) {
        const next = queue[head++]!;
        if (head === queue.length) {
          queue = [];
          head = 0;
        }
        next();
      } else {
        running--;
      }
    }
  };
  return Object.assign(run, {
    stop,
    throwIfStopped: () => {
      if (stopped) throw stopped.error;
    },
  });
}
