import { planOrganization } from '../../app/plan-organization.js';
import { renderPlanMarkdown } from '../../plan/render-markdown.js';
import { summaryLine } from '../../plan/render-lines.js';
import { withMemberSummary } from '../../plan/render-members.js';
import { blockingRefusals } from '../../plan/safety.js';
import { planHasChanges } from '../../plan/summary.js';
import { invalidCommentParts, planCommentParts } from '../plan-comment.js';
import { UserError } from '../../core/errors.js';
import { writeMarkedComments, type WriteResult } from '../pull-request-comment.js';
import { consolePlanMode } from './console.js';
import type { ModeContext, ModeResult } from './mode.js';
import { invalidMessage, loadDesired, loadOwnership, requireGitHub, runInfo, withSession } from './shared.js';

/**
 * On a pull request: validate, plan, and keep ONE sticky comment with the plan (split over several
 * when it is too long for one). Elsewhere the plan goes to the job summary only.
 */
export async function planMode(ctx: ModeContext): Promise<ModeResult> {
  const pr = ctx.event.pullRequest;
  const commenting = ctx.inputs.comment && pr !== null;
  const target = pr ? { owner: ctx.event.owner, repo: ctx.event.repo, issueNumber: pr.number } : null;
  const run = runInfo(ctx, pr?.headSha || ctx.event.sha);

  const { desired, diagnostics } = loadDesired(ctx);
  if (!desired) {
    const { parts, full } = invalidCommentParts(diagnostics, run);
    ctx.summary.push(full);
    // The comment must not keep showing a plan a merge could apply: it now says the policies are invalid.
    if (commenting && target) checkWriter(ctx, await writeMarkedComments(requireGitHub(ctx), target, ctx.inputs.commentAuthor, parts));
    return {
      plan: null,
      hasChanges: false,
      line: 'The policies do not validate.',
      failure: invalidMessage(diagnostics, ctx.inputs.policies),
    };
  }

  // An organization changed by hand in the Console: the comment is its runbook.
  if (desired.org.provider === 'groq-console') return consolePlanMode(ctx, desired);
  // On a pull request, ownership is what its base said; elsewhere, the default branch's own policies.
  const ownership = await loadOwnership(ctx, pr ? pr.baseSha : ctx.event.sha, desired);
  const { plan } = await withSession(ctx, (session) => planOrganization(session, desired, { ownership }));
  const key = ctx.inputs.planSigningKey;
  if (pr && !key) {
    ctx.logger.warn(
      'plan-signing-key is not set: the plan comment is unsigned, and apply will refuse to take a fingerprint from it (anyone who can run a workflow here can write an identical-looking comment). Add `plan-signing-key: ${{ secrets.GROQ_RBAC_PLAN_SIGNING_KEY }}`; see "Plan integrity" in the README.',
    );
  }
  const signing = pr && key ? { key, pr: pr.number } : null;
  const { parts, full } = pr
    ? planCommentParts(plan, run, { requireApproval: ctx.inputs.requireApproval, signing })
    : { parts: [], full: renderPlanMarkdown(plan, { budget: 1_000_000 }) };
  ctx.summary.push(full);
  if (commenting && target) {
    const written = checkWriter(ctx, await writeMarkedComments(requireGitHub(ctx), target, ctx.inputs.commentAuthor, parts));
    ctx.logger.info(
      `Plan comment on #${target.issueNumber}: ${written.created} created, ${written.updated} updated, ${written.deleted} deleted (${parts.length} part${parts.length === 1 ? '' : 's'}).`,
    );
  } else if (!pr) {
    ctx.logger.info(`This ${ctx.event.eventName || 'run'} is not a pull request: the plan is in the job summary only.`);
  }

  const empty = !planHasChanges(plan);
  const refusals = blockingRefusals(plan.refusals, false);
  return {
    plan,
    hasChanges: !empty,
    line: empty ? 'No changes.' : withMemberSummary(summaryLine(plan.summary), plan.members),
    failure: refusals.length > 0 ? `apply would refuse this plan:\n${refusals.map((r) => `  - ${r.message}`).join('\n')}` : null,
  };
}

/** The comment must come out as `comment-author`, or apply (which trusts only that identity) will never find it. */
function checkWriter(ctx: ModeContext, written: WriteResult): WriteResult {
  const as = written.writtenAs;
  if (as && as.toLowerCase() !== ctx.inputs.commentAuthor.login.toLowerCase()) {
    throw new UserError(
      `the plan comment was written as @${as}, but \`comment-author\` is @${ctx.inputs.commentAuthor.login}, the only identity apply trusts: set \`comment-author: ${as}\` (and \`comment-author-id\`) on the plan and the apply steps`,
    );
  }
  return written;
}
