import { applyPlan, type ApplyOptions, type ApplyReport } from '../apply/apply-plan.js';
import { planHasChanges, rotationStepsOnly } from '../plan/summary.js';
import { blockingRefusals } from '../plan/safety.js';
import type { Plan, Refusal } from '../plan/types.js';
import type { DesiredState } from '../policy/types.js';
import { planOrganization, type PlanRequestOptions } from './plan-organization.js';
import type { OrgSession } from './session.js';

export type ApplyResult =
  /** The plan now differs from the approved one: nothing was changed. */
  | { status: 'stale'; plan: Plan; expected: string }
  /** Safety refused the plan: nothing was changed. */
  | { status: 'refused'; plan: Plan; refusals: Refusal[] }
  | { status: 'no_changes'; plan: Plan }
  /** The person at the terminal said no. */
  | { status: 'declined'; plan: Plan }
  | { status: 'applied'; plan: Plan; report: ApplyReport };

export interface ApplyRequest extends Pick<ApplyOptions, 'onOutcome' | 'deliver'> {
  session: OrgSession;
  desired: DesiredState;
  /** The approved plan's fingerprint; `null` asks `confirm` instead. */
  expectedFingerprint: string | null;
  force: boolean;
  /** Shown the plan before anything changes (to print it). */
  onPlan?: (plan: Plan) => void;
  /** Asked when no fingerprint was approved; false declines. */
  confirm: (plan: Plan) => Promise<boolean>;
  /** `rotations`: only time-driven rotation steps, never another change (a scheduled reconcile). */
  only?: 'rotations';
  /** Who owned which project before this change: see PlanRequestOptions. */
  ownership?: PlanRequestOptions['ownership'];
}

/**
 * The one apply workflow, for the CLI and the Action alike: read policies and org → plan → check
 * the approval and safety → apply → report. Nothing changes unless every check passes.
 */
export async function applyOrganization(request: ApplyRequest): Promise<ApplyResult> {
  const full = (await planOrganization(request.session, request.desired, request.ownership ? { ownership: request.ownership } : {})).plan;
  const plan = request.only === 'rotations' ? rotationStepsOnly(full) : full;
  if (request.expectedFingerprint !== null && plan.fingerprint !== request.expectedFingerprint)
    return { status: 'stale', plan, expected: request.expectedFingerprint };
  request.onPlan?.(plan);
  const blocking = blockingRefusals(plan.refusals, request.force);
  if (blocking.length > 0) return { status: 'refused', plan, refusals: blocking };
  if (!planHasChanges(plan)) return { status: 'no_changes', plan };
  if (request.expectedFingerprint === null && !(await request.confirm(plan))) return { status: 'declined', plan };
  const report = await applyPlan(plan, request.session.admin, {
    concurrency: request.session.concurrency,
    ...(request.onOutcome ? { onOutcome: request.onOutcome } : {}),
    ...(request.deliver ? { deliver: request.deliver } : {}),
  });
  return { status: 'applied', plan, report };
}
