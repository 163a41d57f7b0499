import { hasMemberChanges } from './plan-members.js';
import type { Change, PendingStep, Plan, PlanSummary } from './types.js';

/** Counts of changes by action. */
export function summarise(changes: readonly Change[]): PlanSummary {
  const s: PlanSummary = { create: 0, update: 0, delete: 0, adopt: 0, archive: 0, rotate: 0 };
  for (const c of changes) s[c.action] += 1;
  return s;
}

export function isEmptyPlan(s: PlanSummary): boolean {
  return s.create + s.update + s.delete + s.adopt + s.archive + s.rotate === 0;
}

/** Whether applying the plan changes anything: its changes, or its members section's (issue 20). */
export function planHasChanges(plan: Pick<Plan, 'summary' | 'members'>): boolean {
  return !isEmptyPlan(plan.summary) || hasMemberChanges(plan.members);
}

/**
 * The plan cut down to its time-driven rotation steps (due keys rotated, quiet generations
 * retired): what a scheduled reconcile may do without a review, since no policy changed.
 *
 * This is where the boundary of unreviewed runs is enforced: a new generation whose targets no
 * reviewed apply recorded (`rotation.needs_review`) is left out, with the retirements that wait for
 * it, and listed in `pending` as waiting for `review` instead. Nothing is delivered to a target
 * nobody approved; the next reviewed apply makes that generation.
 */
export function rotationStepsOnly(plan: Plan): Plan {
  const held = new Set<string>();
  // Keys with no generation in service: every retirement of theirs waits for the held one.
  const heldFirst = new Set<string>();
  const review: PendingStep[] = [];
  const id = (c: { project: string; key: string }) => `${c.project}\n${c.key}`;
  for (const c of plan.changes) {
    if (c.resource !== 'api_key' || !c.rotation?.time_driven || !c.rotation.needs_review || c.action === 'delete') continue;
    held.add(id(c));
    if (c.action === 'create') heldFirst.add(id(c));
    review.push({
      project: c.project,
      key: c.key,
      key_id: c.key_id,
      generation: c.rotation.generation,
      waiting_for: 'review',
      needs_review: c.rotation.needs_review,
      seconds_left: null,
      last_used_at: null,
    });
  }
  const changes = plan.changes.filter(
    (c) =>
      c.resource === 'api_key' &&
      c.rotation?.time_driven === true &&
      !c.rotation.needs_review &&
      !(c.rotation.after_rotation && held.has(id(c))),
  );
  const pending = [...plan.pending.filter((p) => !heldFirst.has(id(p))), ...review];
  // People are never changed by an unreviewed run: the members section, and its refusals, are left out.
  const { members: _members, ...rest } = plan;
  return {
    ...rest,
    changes,
    summary: summarise(changes),
    pending,
    refusals: plan.refusals.filter((r) => r.code === 'org_mismatch' || r.code === 'admin_key' || r.code === 'project_ownership'),
  };
}
