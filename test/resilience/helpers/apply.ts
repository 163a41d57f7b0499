import { applyOrganization, type ApplyResult } from '../../../src/app/apply-organization.js';
import { planOrganization } from '../../../src/app/plan-organization.js';
import type { OrgSession } from '../../../src/app/session.js';
import type { ApplyOptions } from '../../../src/apply/apply-plan.js';
import { appliedCommentParts } from '../../../src/action/plan-comment.js';
import { renderPlanJson } from '../../../src/plan/render-json.js';
import { renderPlanMarkdown } from '../../../src/plan/render-markdown.js';
import { renderPlanText } from '../../../src/plan/render-text.js';
import type { Plan } from '../../../src/plan/types.js';
import type { DesiredState } from '../../../src/policy/types.js';
import { scanner } from './secrets.js';

/** Values delivered per policy key, newest last, as a delivery target would hold them. */
export type Deliveries = Map<string, string[]>;

export function inMemoryDelivery(deliveries: Deliveries): NonNullable<ApplyOptions['deliver']> {
  return async (change, created) => {
    deliveries.set(change.key, [...(deliveries.get(change.key) ?? []), created.value]);
  };
}

/**
 * One in-process apply, as the CLI and the Action run it, with every rendering groq-rbac would write
 * (text plan, Markdown comment, JSON plan, the applied comment, the JSON report) fed to the scanner.
 */
export async function applyOnce(
  session: OrgSession,
  desired: DesiredState,
  options: { deliver?: ApplyOptions['deliver']; label?: string } = {},
): Promise<ApplyResult> {
  const label = options.label ?? 'apply';
  const result = await applyOrganization({
    session,
    desired,
    expectedFingerprint: null,
    force: true,
    confirm: async () => true,
    onPlan: (plan) => recordPlan(label, plan),
    onOutcome: (o) => scanner.record(`${label} outcome`, JSON.stringify(o)),
    ...(options.deliver ? { deliver: options.deliver } : {}),
  });
  if (result.status === 'applied') {
    scanner.record(`${label} report`, JSON.stringify(result.report, null, 2));
    scanner.record(`${label} applied comment`, appliedCommentParts(result.plan, result.report, { sha: 'abc123', runUrl: null }).full);
  }
  return result;
}

export function recordPlan(label: string, plan: Plan): void {
  scanner.record(`${label} plan text`, renderPlanText(plan));
  scanner.record(`${label} plan markdown`, renderPlanMarkdown(plan));
  scanner.record(`${label} plan json`, renderPlanJson(plan));
}

export async function planOnce(session: OrgSession, desired: DesiredState, label = 'plan'): Promise<Plan> {
  const { plan } = await planOrganization(session, desired);
  recordPlan(label, plan);
  return plan;
}

export const changeCount = (plan: Plan): number => plan.changes.length;
