import type { Change, PlanSummary } from './types.js';

/** Counts of changes by action. */
export function summarise(changes: readonly Change[]): PlanSummary {
  const s: PlanSummary = { create: 0, update: 0, delete: 0, adopt: 0, archive: 0, rotate: 0 };
  for (const c of changes) s[c.action] += 1;
  return s;
}

export function isEmptyPlan(s: PlanSummary): boolean {
  return s.create + s.update + s.delete + s.adopt + s.archive + s.rotate === 0;
}
