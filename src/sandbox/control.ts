import { invalid } from './errors.js';
import type { FaultTable } from './faults.js';
import type { Inference } from './inference.js';
import type { OrgState } from './org-state.js';
import type { Reply, RouteSpec } from './router.js';

export interface Stats {
  requests_total: number;
  by_route: Record<string, number>;
}

/** `/_sandbox/`: the control surface tests and demos use. Admin key; not counted in stats; no faults. */
export function controlRoutes(org: OrgState, inference: Inference, faults: FaultTable, stats: Stats): RouteSpec[] {
  const ok = (body: unknown): Reply => ({ status: 200, body });
  const control = (method: string, path: string, handler: RouteSpec['handler']): RouteSpec => ({
    method,
    template: `/_sandbox/${path}`,
    access: 'control',
    handler,
  });
  return [
    control('GET', 'clock', () => ok(clock(org))),
    control('POST', 'clock', ({ body }) => {
      const b = (body ?? {}) as { advance_seconds?: unknown; freeze?: unknown };
      if (b.freeze !== undefined) {
        if (typeof b.freeze !== 'boolean') throw invalid('freeze', "'freeze' must be a boolean.");
        org.freezeClock(b.freeze);
      }
      if (b.advance_seconds !== undefined || b.freeze === undefined) org.advanceClock(Number(b.advance_seconds));
      return ok(clock(org));
    }),
    control('GET', 'faults', () => ok({ faults: faults.list() })),
    control('POST', 'faults', ({ body }) => ok({ faults: faults.add(body) })),
    control('DELETE', 'faults', () => {
      faults.clear();
      return ok({ faults: [] });
    }),
    control('GET', 'stats', () => ok(stats)),
    control('POST', 'reset', () => {
      org.reset();
      inference.reset();
      faults.clear();
      stats.requests_total = 0;
      stats.by_route = {};
      return ok({ reset: true });
    }),
    control('GET', 'spend', () => ok(org.billing.spendStatus())),
    control('POST', 'spend', ({ body }) => ok(org.billing.addSpend(body))),
    control('POST', 'rate_limits', ({ body }) => ok(org.setOrgRateLimit(body))),
  ];
}

function clock(org: OrgState): { now: number; now_ms: number; frozen: boolean } {
  return { now: org.now(), now_ms: org.nowMs(), frozen: org.frozen };
}
