import type { Change, Plan, PlanSummary } from './types.js';

/** Counts of changes by action. */
export function summarise(changes: readonly Change[]): PlanSummary {
  const s: PlanSummary = { create: 0, update: 0, delete: 0, adopt: 0, archive: 0, rotate: 0 };
  for (const c of changes) s[c.action] += 1;
  return s;
}

export function isEmptyPlan(s: PlanSummary): boolean {
  return s.create + s.update + s.delete + s.adopt + s.archive + s.rotate === 0;
}

/**
 * The plan cut down to its time-driven rotation steps (due keys rotated, quiet generations
 * retired): what a scheduled reconcile may do without a review, since no policy changed.
 */
export function rotationStepsOnly(plan: Plan): Plan {
  const changes = plan.changes.filter((c) => c.resource === 'api_key' && c.rotation?.time_driven === true);
  return { ...plan, changes, summary: summarise(changes), refusals: plan.refusals.filter((r) => r.code === 'org_mismatch' || r.code === 'admin_key' || r.code === 'project_ownership') };
}
