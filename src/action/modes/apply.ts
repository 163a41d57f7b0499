import path from 'node:path';
import { appendAuditLog, DEFAULT_AUDIT_LOG, readAuditContext } from '../../app/audit-log.js';
import { applyOrganization } from '../../app/apply-organization.js';
import { deliverToTargets } from '../../app/deliver-to-targets.js';
import { RefusalError } from '../../core/errors.js';
import type { GitHubClient } from '../../github/client.js';
import { summaryLine } from '../../plan/render-lines.js';
import { planHasChanges } from '../../plan/summary.js';
import type { MergedPullRequest } from '../approval.js';
import { findMergedPullRequest, requireApproval } from '../approval-facts.js';
import { requireDispatchApproval } from '../dispatch-approval.js';
import { appliedCommentParts, refusedCommentParts, staleCommentParts } from '../plan-comment.js';
import { verifyPlanComment } from '../plan-integrity.js';
import { findMarkedComments, joinParts, writeMarkedComments, type IssueTarget } from '../pull-request-comment.js';
import { consoleApplyMode } from './console.js';
import type { ModeContext, ModeResult } from './mode.js';
import { invalidMessage, loadDesired, loadOwnership, requireGitHub, runInfo, withSession } from './shared.js';

/** The approved plan: its fingerprint, and the pull request to report back on. */
interface Approved {
  fingerprint: string;
  pr: MergedPullRequest | null;
  /** The approved comment's text, to show what changed if the plan moved. */
  approvedBody: string | null;
}

/**
 * On a push to the default branch: find the merged pull request, check its approval, take the
 * fingerprint its plan comment shows, and apply only if the plan is still exactly that one. On
 * workflow_dispatch: the fingerprint a maintainer gives in `expect-fingerprint`.
 */
export async function applyMode(ctx: ModeContext): Promise<ModeResult> {
  // An organization changed by hand in the Console: apply lists the reviewed steps instead.
  const policies = ctx.readPolicies();
  if (policies.desired?.org.provider === 'groq-console') return consoleApplyMode(ctx, policies.desired);
  const github = requireGitHub(ctx);
  const authors = ctx.inputs.commentAuthor;
  // Every check that can refuse runs before the organization is opened: a refused apply sends it nothing.
  const approved =
    ctx.inputs.expectFingerprint !== null
      ? await dispatched(ctx, github, ctx.inputs.expectFingerprint)
      : await fromPullRequest(ctx, github);
  const target: IssueTarget | null =
    approved.pr && ctx.inputs.comment ? { owner: ctx.event.owner, repo: ctx.event.repo, issueNumber: approved.pr.number } : null;
  const run = runInfo(ctx, ctx.event.sha);
  const comment = async (parts: string[]) => {
    if (target) await writeMarkedComments(github, target, authors, parts);
  };

  const { desired, diagnostics } = loadDesired(ctx);
  if (!desired)
    return {
      plan: null,
      hasChanges: false,
      line: 'The policies do not validate.',
      failure: invalidMessage(diagnostics, ctx.inputs.policies),
    };

  const ownership = await loadOwnership(ctx, ownershipRef(ctx), desired);
  const result = await withSession(ctx, (session) =>
    applyOrganization({
      session,
      desired,
      expectedFingerprint: approved.fingerprint,
      force: false,
      ownership,
      // With an approved fingerprint there is nobody to ask: the approval is the confirmation.
      confirm: async () => false,
      deliver: deliverToTargets(desired, {
        env: ctx.env,
        cwd: ctx.cwd,
        logger: ctx.logger,
        ...(ctx.maskSecret ? { maskSecret: ctx.maskSecret } : {}),
      }),
      onOutcome: (o) =>
        ctx.logger.info(
          `${o.status === 'applied' ? '✓' : o.status === 'skipped' ? '·' : '✗'} ${o.action} ${o.resource}${o.project ? ` ${o.project}` : ''}${o.key ? `/${o.key}` : ''}: ${o.message}`,
        ),
    }),
  );
  const { plan } = result;
  const base = { plan, hasChanges: planHasChanges(plan) };
  const where = approved.pr ? `pull request #${approved.pr.number}` : 'the run';

  switch (result.status) {
    case 'stale': {
      const { parts, full } = staleCommentParts({
        plan,
        approved: result.expected,
        approvedBody: approved.approvedBody,
        run,
        workflowFile: ctx.workflowFile,
      });
      ctx.summary.push(full);
      await comment(parts);
      return {
        ...base,
        line: `The plan changed since it was approved; nothing was applied. ${summaryLine(plan.summary)}`,
        failure:
          `the plan changed since it was approved (fingerprint ${result.expected.slice(0, 12)}… is now ${plan.fingerprint.slice(0, 12)}…); nothing was changed. ` +
          `The new plan is on ${where}${target ? '' : ' and in the job summary'}: review it, then run this workflow by hand with \`expect-fingerprint: ${plan.fingerprint}\`.`,
      };
    }
    case 'refused': {
      const { parts, full } = refusedCommentParts(plan, result.refusals, run);
      ctx.summary.push(full);
      await comment(parts);
      return {
        ...base,
        line: 'Apply refused; nothing was changed.',
        failure: `apply refused; nothing was changed:\n${result.refusals.map((r) => `  - ${r.message}`).join('\n')}`,
      };
    }
    case 'declined':
      throw new RefusalError('apply was not confirmed; nothing was changed');
    case 'no_changes': {
      const { parts, full } = appliedCommentParts(plan, null, run);
      ctx.summary.push(full);
      await comment(parts);
      return { ...base, line: 'Nothing to apply: the organization matches the policies.', failure: null };
    }
    case 'applied': {
      const { report } = result;
      // One JSON line per change; the example workflows upload the file as an artifact.
      const audited = appendAuditLog(path.join(ctx.cwd, DEFAULT_AUDIT_LOG), report, readAuditContext(ctx.env, ctx.cwd));
      ctx.summary.push(`Audit log: ${audited} line${audited === 1 ? '' : 's'} appended to \`${DEFAULT_AUDIT_LOG}\`.\n`);
      const { parts, full } = appliedCommentParts(plan, report, run);
      ctx.summary.push(full);
      await comment(parts);
      const { applied, failed, skipped } = report.summary;
      const line = `Applied ${applied} change${applied === 1 ? '' : 's'}${failed + skipped > 0 ? `; ${failed} failed, ${skipped} skipped` : ''}.`;
      return {
        ...base,
        line,
        failure:
          failed + skipped > 0
            ? `apply finished with ${failed} failed and ${skipped} skipped change${failed + skipped === 1 ? '' : 's'} (see the log and ${where}). Fix the cause; the changes left show in the next plan (the drift workflow reports them), and this workflow run by hand with their \`expect-fingerprint\` applies them.`
            : null,
      };
    }
  }
}

/**
 * What project ownership is measured against. On a push: the push's `before`, what the default
 * branch said before this push, whatever the merge method: a rebase merge pushes every commit of the
 * pull request, and the pushed commit's first parent would already hold the earlier ones (a move
 * in commit 1 of 2 would be "already there"). On workflow_dispatch no push names a before: the
 * commit before the default branch's head, as the required reviewer of the dispatch environment
 * approves the fingerprint of that plan.
 */
export function ownershipRef(ctx: Pick<ModeContext, 'event' | 'inputs'>): string {
  const { event } = ctx;
  if (ctx.inputs.expectFingerprint !== null) return event.sha ? `${event.sha}^1` : 'HEAD^1';
  if (!event.before) {
    throw new RefusalError(
      'the push event has no `before` commit, so what the default branch said before this push is unknown, and project ownership is measured against it; nothing was changed. ' +
        "Run apply on `push` to the default branch (not on a new branch's first push), or run this workflow by hand with `expect-fingerprint`",
    );
  }
  return event.before;
}

/** A push: the merged pull request it came from, its approval, and its plan comment. */
async function fromPullRequest(ctx: ModeContext, github: GitHubClient): Promise<Approved> {
  const { event } = ctx;
  const defaultBranch = event.defaultBranch;
  if (!defaultBranch || event.ref !== `refs/heads/${defaultBranch}`) {
    throw new RefusalError(
      `apply runs on pushes to the default branch${defaultBranch ? ` (${defaultBranch})` : ''}, and this push is to ${event.ref || 'an unknown ref'}; nothing was changed. Limit the workflow with \`on: push: branches: [${defaultBranch ?? 'main'}]\``,
    );
  }
  const pr = await findMergedPullRequest(github, { owner: event.owner, repo: event.repo, sha: event.sha, defaultBranch });
  if (!pr) {
    throw new RefusalError(
      `commit ${event.sha.slice(0, 7)} came from no merged pull request, so nobody approved a plan for it; nothing was changed. ` +
        'groq-rbac applies only reviewed pull requests. To apply it anyway, a maintainer can review the plan (the drift workflow or `groq-rbac plan` shows it) and run this workflow by hand with `expect-fingerprint` set to its fingerprint.',
    );
  }
  ctx.logger.info(`Commit ${event.sha.slice(0, 7)} came from pull request #${pr.number} by @${pr.author}.`);
  if (ctx.inputs.requireApproval) {
    if (!event.before)
      throw new RefusalError(
        `the push event has no \`before\` commit, so the default branch's code owners before the merge are unknown; nothing was changed`,
      );
    const approvers = await requireApproval(github, ctx.members ?? null, {
      owner: event.owner,
      repo: event.repo,
      pr,
      baseSha: event.before,
    });
    ctx.logger.info(
      `Approved on ${pr.headSha.slice(0, 7)} by ${approvers.map((a) => `@${a}`).join(', ')}, who together own every changed file.`,
    );
  }
  const found = await findMarkedComments(
    github,
    { owner: event.owner, repo: event.repo, issueNumber: pr.number },
    ctx.inputs.commentAuthor,
  );
  const rerun = 'run this workflow by hand with `expect-fingerprint` set to the fingerprint of a plan you reviewed';
  // readInputs refuses apply on push without the key.
  const verdict = verifyPlanComment({
    mine: found.mine,
    others: found.others,
    author: ctx.inputs.commentAuthor,
    key: ctx.inputs.planSigningKey ?? '',
    pr: pr.number,
  });
  if (!verdict.ok) {
    throw new RefusalError(
      `pull request #${pr.number} has no plan apply can trust: ${verdict.reason}; nothing was changed. Push a commit (or re-run its plan job) to have the plan job post it again, or ${rerun}`,
    );
  }
  const { state } = verdict;
  const body = joinParts(found.mine);
  if (state.state !== 'planned' || !state.fingerprint) {
    const why =
      state.state === 'invalid'
        ? 'its policies did not validate'
        : state.state === 'stale'
          ? 'an earlier apply found that the plan changed since it was approved, and the plan it posted was never approved'
          : `its comment shows the outcome of an earlier apply (${state.state}), not a plan awaiting apply`;
    throw new RefusalError(`pull request #${pr.number} has no approved plan: ${why}; nothing was changed. To proceed, ${rerun}`);
  }
  if (state.head_sha !== pr.headSha) {
    throw new RefusalError(
      `the plan comment on pull request #${pr.number} was made for commit ${(state.head_sha ?? 'unknown').slice(0, 7)}, not its last commit ${pr.headSha.slice(0, 7)}: the plan did not finish after the last push, so what was approved is unknown; nothing was changed. To proceed, ${rerun}`,
    );
  }
  return { fingerprint: state.fingerprint, pr, approvedBody: body };
}

/** workflow_dispatch: the maintainer's fingerprint is the approval; the pull request, if any, hears the outcome. */
async function dispatched(ctx: ModeContext, github: GitHubClient, fingerprint: string): Promise<Approved> {
  const { event } = ctx;
  if (event.defaultBranch && event.ref !== `refs/heads/${event.defaultBranch}`) {
    throw new RefusalError(
      `apply runs on the default branch (${event.defaultBranch}), and this run is on ${event.ref}; nothing was changed. Choose ${event.defaultBranch} under "Use workflow from"`,
    );
  }
  if (!event.runId)
    throw new RefusalError("GITHUB_RUN_ID is not set, so this run's deployment reviews cannot be read; nothing was changed");
  const gate = await requireDispatchApproval(github, {
    owner: event.owner,
    repo: event.repo,
    runId: event.runId,
    actors: event.actors,
    defaultBranch: event.defaultBranch,
  });
  ctx.logger.info(`@${gate.reviewer} approved this run in the protected environment ${gate.environment}.`);
  const pr = event.defaultBranch
    ? await findMergedPullRequest(github, { owner: event.owner, repo: event.repo, sha: event.sha, defaultBranch: event.defaultBranch })
    : null;
  ctx.logger.info(
    `Applying the plan with fingerprint ${fingerprint}, as given in expect-fingerprint${pr ? `; reporting on pull request #${pr.number}` : ''}.`,
  );
  return { fingerprint, pr, approvedBody: null };
}
