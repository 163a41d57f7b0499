import { planOrganization } from '../../app/plan-organization.js';
import { renderPlanMarkdown } from '../../plan/render-markdown.js';
import { summaryLine } from '../../plan/render-lines.js';
import { withMemberSummary } from '../../plan/render-members.js';
import { planHasChanges } from '../../plan/summary.js';
import type { Plan } from '../../plan/types.js';
import { syncDriftIssue } from '../drift-issue.js';
import { providerInputs } from '../inputs.js';
import type { ModeContext, ModeResult } from './mode.js';
import { invalidMessage, loadDesired, loadOwnership, requireGitHub, withSession } from './shared.js';

// An issue body takes 65,536 characters, like a comment; the rest of a long plan is in the job summary.
const ISSUE_BUDGET = 60_000;

/**
 * On a schedule: plan the default branch's policies against the organization. While they differ,
 * one issue labelled `groq-rbac-drift` shows the plan; once they match again it is closed.
 */
export async function driftMode(ctx: ModeContext): Promise<ModeResult> {
  const { desired, diagnostics } = loadDesired(ctx);
  if (!desired)
    return {
      plan: null,
      hasChanges: false,
      line: 'The policies do not validate.',
      failure: invalidMessage(diagnostics, ctx.inputs.policies),
    };
  const ownership = await loadOwnership(ctx, ctx.event.sha, desired);
  const { plan } = await withSession(ctx, (session) => planOrganization(session, desired, { ownership }));
  const drifted = planHasChanges(plan);
  ctx.summary.push(renderPlanMarkdown(plan, { budget: 1_000_000 }));

  if (ctx.inputs.comment) {
    const outcome = await syncDriftIssue(
      requireGitHub(ctx),
      { owner: ctx.event.owner, repo: ctx.event.repo },
      {
        drifted,
        providerTitle: providerInputs(ctx.inputs.provider ?? 'groq').title,
        body: driftIssueBody(plan, ctx),
        closingComment: `The organization matches the policies again (checked against commit ${ctx.event.sha.slice(0, 7)}${ctx.event.runUrl ? ` in [this run](${ctx.event.runUrl})` : ''}). Closing.`,
      },
    );
    if (outcome.action === 'none') ctx.logger.info('No drift, and no drift issue open.');
    else ctx.logger.info(`Drift issue #${outcome.number}: ${outcome.action} (${outcome.url}).`);
    if (drifted && outcome.action !== 'none' && outcome.action !== 'closed') ctx.summary.push(`\nTracked in issue #${outcome.number}.\n`);
  }
  if (drifted) ctx.logger.warn(`The organization differs from the policies: ${summaryLine(plan.summary)}`);
  return {
    plan,
    hasChanges: drifted,
    line: drifted
      ? `Drift: ${withMemberSummary(summaryLine(plan.summary), plan.members)}`
      : 'No drift: the organization matches the policies.',
    failure: null,
  };
}

/** Stable for an unchanged plan and commit, so a daily run does not rewrite the issue for nothing. */
export function driftIssueBody(plan: Plan, ctx: Pick<ModeContext, 'event'> & { inputs?: Pick<ModeContext['inputs'], 'provider'> }): string {
  return [
    `The ${providerInputs(ctx.inputs?.provider ?? 'groq').title} organization \`${plan.org}\` differs from the policies on the default branch (commit ${ctx.event.sha.slice(0, 7)}).`,
    'Either someone changed the organization outside groq-rbac, or a merged change was not applied.',
    '',
    '- To bring the organization back to the policies: review the plan below and run the apply workflow by hand with `expect-fingerprint` set to its fingerprint.',
    '- To keep what the organization has: open a pull request that writes it into the policies.',
    '',
    'This issue is updated while the drift lasts and closed when it is gone.',
    '',
    renderPlanMarkdown(plan, { budget: ISSUE_BUDGET }),
  ].join('\n');
}
