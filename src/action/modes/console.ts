/**
 * The GitOps loop for an organization changed by hand (`provider: groq-console`): the plan mode posts
 * the runbook as the sticky comment, apply opens or updates one issue with the steps still to do,
 * and the scheduled verify mode ticks them off and keeps the drift issue, as drift does for the
 * admin API. The comment, approval and issue machinery are the same ones the other modes use.
 */
import path from 'node:path';
import { readKeysFile } from '../../app/keys-file.js';
import { runbookSince } from '../../app/runbook.js';
import { verifyProjects } from '../../app/verify.js';
import { RefusalError, UserError } from '../../core/errors.js';
import { renderRunbookMarkdown } from '../../plan/render-runbook.js';
import { renderVerifyText } from '../../plan/render-verify.js';
import { checkHolds, verifyExitCode, type VerifyReport } from '../../plan/verify.js';
import { fieldLocator } from '../../policy/field-lines.js';
import type { DesiredState } from '../../policy/types.js';
import { findMergedPullRequest, requireApproval } from '../approval-facts.js';
import {
  addStepsSection,
  findStepsIssue,
  isSectionDone,
  sectionChecks,
  splitSections,
  stepsIssueBody,
  stepsSection,
  tickSection,
  trustedSections,
} from '../console-issue.js';
import { syncDriftIssue } from '../drift-issue.js';
import { commentParts } from '../plan-comment.js';
import { verifyPlanComment } from '../plan-integrity.js';
import { findMarkedComments, writeMarkedComments } from '../pull-request-comment.js';
import type { ModeContext, ModeResult } from './mode.js';
import { loadDesired, invalidMessage, requireGitHub, runInfo } from './shared.js';

const shallow = 'check out enough history for it (actions/checkout with `fetch-depth: 0`)';

/** plan, on a pull request: the runbook from the pull request's base to its head, as the sticky comment. */
export async function consolePlanMode(ctx: ModeContext, desired: DesiredState): Promise<ModeResult> {
  const pr = ctx.event.pullRequest;
  const since = pr?.baseSha || null;
  const { runbook, source } = await runbookSince(ctx.inputs.policies, desired, { since, cwd: ctx.cwd }).catch((e: unknown) => {
    throw e instanceof UserError && !(e instanceof RefusalError) ? new UserError(`${e.message}; ${shallow}`) : e;
  });
  const run = runInfo(ctx, pr?.headSha || ctx.event.sha);
  const how = ctx.inputs.requireApproval
    ? 'Once the code owners of every changed file approve this commit and it is merged'
    : 'Once this is merged';
  // Signed like a plan comment: apply lists only the steps of a runbook the plan job wrote.
  const key = ctx.inputs.planSigningKey;
  if (pr && !key)
    ctx.logger.warn(
      'plan-signing-key is not set: the runbook comment is unsigned, and apply will refuse to list its steps. Add `plan-signing-key: ${{ secrets.GROQ_RBAC_PLAN_SIGNING_KEY }}`; see "Plan integrity" in the README.',
    );
  const signing = pr && key ? { key, pr: pr.number } : null;
  const { parts, full } = commentParts(
    [],
    () => renderRunbookMarkdown(runbook, source),
    { state: 'planned', fingerprint: runbook.fingerprint, head_sha: run.sha },
    [
      `<sub>Runbook for commit ${run.sha.slice(0, 7)}${run.runUrl ? ` in [this run](${run.runUrl})` : ''}. ${how}, the apply workflow lists these steps in one issue, and the scheduled verify ticks them off as Groq's answers show them done.</sub>`,
    ],
    signing,
  );
  ctx.summary.push(full);
  if (ctx.inputs.comment && pr) {
    const github = requireGitHub(ctx);
    await writeMarkedComments(
      github,
      { owner: ctx.event.owner, repo: ctx.event.repo, issueNumber: pr.number },
      ctx.inputs.commentAuthor,
      parts,
    );
  }
  const n = runbook.steps.length;
  return {
    plan: null,
    hasChanges: n > 0,
    line: n === 0 ? 'No Console steps.' : `${n} Console step${n === 1 ? '' : 's'} to do.`,
    failure: null,
  };
}

/**
 * apply, on a push to the default branch: the merged pull request, its approval, and its runbook
 * comment's fingerprint, exactly as apply checks a plan; then the steps go into the issue. Nothing
 * is changed in the organization: a person does that in the Console.
 */
export async function consoleApplyMode(ctx: ModeContext, desired: DesiredState): Promise<ModeResult> {
  const github = requireGitHub(ctx);
  const { event } = ctx;
  // No by-hand path (decided for issue 19): in the admin-API apply, workflow_dispatch lets a second
  // person approve a plan the merge's own approval no longer covers, because the Action is about to
  // change the organization. Here the Action changes nothing; it lists steps a person then does by
  // hand. The same steps come from `groq-rbac runbook` at any time, and verify's drift issue shows
  // what Groq's answers still differ in, so a dispatch would add a second approval path, not a need.
  if (event.eventName !== 'push' || ctx.inputs.expectFingerprint !== null) {
    throw new RefusalError(
      `\`mode: apply\` on ${event.eventName || 'this event'} lists no Console steps: with \`provider: groq-console\` apply only runs on the push of a reviewed merge. To see the steps of a merge whose apply refused, run \`groq-rbac runbook --since MERGE^1\` in a checkout of the default branch (MERGE: the merge commit); no steps were listed`,
    );
  }
  if (!event.defaultBranch || event.ref !== `refs/heads/${event.defaultBranch}`) {
    throw new RefusalError(
      `apply runs on pushes to the default branch${event.defaultBranch ? ` (${event.defaultBranch})` : ''}, and this push is to ${event.ref || 'an unknown ref'}`,
    );
  }
  const pr = await findMergedPullRequest(github, {
    owner: event.owner,
    repo: event.repo,
    sha: event.sha,
    defaultBranch: event.defaultBranch,
  });
  if (!pr)
    throw new RefusalError(
      `commit ${event.sha.slice(0, 7)} came from no merged pull request, so nobody reviewed its runbook; no steps were listed`,
    );
  if (ctx.inputs.requireApproval) {
    if (!event.before)
      throw new RefusalError(
        "the push event has no `before` commit, so the default branch's code owners before the merge are unknown; no steps were listed",
      );
    await requireApproval(github, ctx.members ?? null, { owner: event.owner, repo: event.repo, pr, baseSha: event.before });
  }
  const found = await findMarkedComments(
    github,
    { owner: event.owner, repo: event.repo, issueNumber: pr.number },
    ctx.inputs.commentAuthor,
  );
  // readInputs refuses apply on push without the key.
  const verdict = verifyPlanComment({
    mine: found.mine,
    others: found.others,
    author: ctx.inputs.commentAuthor,
    key: ctx.inputs.planSigningKey ?? '',
    pr: pr.number,
  });
  if (!verdict.ok)
    throw new RefusalError(
      `pull request #${pr.number} has no runbook comment apply can trust: ${verdict.reason}; no steps were listed. Re-run the plan workflow on it`,
    );
  const { state } = verdict;
  if (state.state !== 'planned' || !state.fingerprint || state.head_sha !== pr.headSha) {
    throw new RefusalError(
      `pull request #${pr.number} has no runbook comment for its last commit ${pr.headSha.slice(0, 7)}, so what was reviewed is unknown; no steps were listed. Re-run the plan workflow on it`,
    );
  }
  // The push's before is what the default branch said before this merge, whatever the merge method
  // (after a rebase merge the pushed commit's first parent already holds the earlier commits).
  if (!event.before)
    throw new RefusalError(
      'the push event has no `before` commit, so what the default branch said before this merge is unknown; no steps were listed',
    );
  const { runbook, source } = await runbookSince(ctx.inputs.policies, desired, { since: event.before, cwd: ctx.cwd }).catch(
    (e: unknown) => {
      throw e instanceof UserError && !(e instanceof RefusalError) ? new UserError(`${e.message}; ${shallow}`) : e;
    },
  );
  if (runbook.fingerprint !== state.fingerprint) {
    ctx.summary.push(
      renderRunbookMarkdown(runbook, source, {
        title: `The merge's runbook: not the one reviewed on pull request #${pr.number}, so not listed`,
      }),
    );
    const rerun = event.before ? event.before.slice(0, 12) : `${event.sha.slice(0, 12)}^1`;
    throw new RefusalError(
      `the runbook of the merge (${runbook.fingerprint.slice(0, 12)}…) is not the one reviewed on pull request #${pr.number} (${state.fingerprint.slice(0, 12)}…): the base moved after the review (another change was merged first). No steps were listed. This job's summary shows the merge's runbook; check it against the reviewed one and do its steps (\`groq-rbac runbook --since ${rerun}\` prints them too)`,
    );
  }
  const n = runbook.steps.length;
  if (n === 0) return { plan: null, hasChanges: false, line: 'No Console steps for this merge.', failure: null };
  const section = stepsSection(
    runbook,
    source,
    `Pull request #${pr.number}: ${n} step${n === 1 ? '' : 's'} (runbook ${runbook.fingerprint.slice(0, 12)})`,
  );
  const outcome = await addStepsSection(
    github,
    { owner: event.owner, repo: event.repo },
    desired.org.id,
    section,
    `Pull request #${pr.number}:`,
    { author: ctx.inputs.commentAuthor, key: ctx.inputs.planSigningKey ?? '', logger: ctx.logger },
  );
  ctx.summary.push(section, `\nListed in issue #${outcome.number}.\n`);
  ctx.logger.info(`Console steps of pull request #${pr.number}: issue #${outcome.number} ${outcome.action} (${outcome.url}).`);
  return {
    plan: null,
    hasChanges: true,
    line: `${n} Console step${n === 1 ? '' : 's'} listed in issue #${outcome.number}.`,
    failure: null,
  };
}

/** verify, on a schedule: probes every project in the keys file, ticks off steps, keeps the drift issue. */
export async function verifyMode(ctx: ModeContext): Promise<ModeResult> {
  const { desired, diagnostics } = loadDesired(ctx);
  if (!desired)
    return {
      plan: null,
      hasChanges: false,
      line: 'The policies do not validate.',
      failure: invalidMessage(diagnostics, ctx.inputs.policies),
    };
  if (!ctx.inputs.keysFile) throw new UserError('`mode: verify` needs `keys:` (a YAML file: project → environment variable name)');
  const keys = readKeysFile(ctx.inputs.keysFile, ctx.cwd, desired, ctx.env);
  const report = await verifyProjects({
    desired,
    keys,
    baseUrl: ctx.inputs.baseUrl,
    at: fieldLocator(path.resolve(ctx.cwd, ctx.inputs.policies), ctx.cwd),
    logger: ctx.logger,
  });
  const text = renderVerifyText(report);
  const markdown = `### groq-rbac verify for \`${desired.org.id}\`\n\n\`\`\`\n${text.trimEnd()}\n\`\`\`\n`;
  ctx.summary.push(markdown);
  const exit = verifyExitCode(report);
  if (ctx.inputs.comment) {
    const github = requireGitHub(ctx);
    const target = { owner: ctx.event.owner, repo: ctx.event.repo };
    const drift = await syncDriftIssue(github, target, {
      drifted: exit === 2,
      body: `The Groq organization \`${desired.org.id}\` differs from the policies on the default branch, as Groq's own answers show (commit ${ctx.event.sha.slice(0, 7)}).\n\nDo the Console steps the runbook lists, or open a pull request that writes what the organization has into the policies. This issue is updated while the drift lasts and closed when it is gone.\n\n${markdown}`,
      closingComment: `Groq's answers match the policies again (commit ${ctx.event.sha.slice(0, 7)}${ctx.event.runUrl ? `, [this run](${ctx.event.runUrl})` : ''}). Closing.`,
    });
    if (drift.action !== 'none') ctx.logger.info(`Drift issue #${drift.number}: ${drift.action}.`);
    await tickSteps(ctx, report, desired.org.id);
  }
  return {
    plan: null,
    hasChanges: exit === 2,
    line:
      exit === 0
        ? "Verified: Groq's answers match the policies."
        : exit === 2
          ? "Drift: Groq's answers differ from the policies."
          : 'Verify could not tell everything.',
    failure:
      exit === 1
        ? `verify could not tell everything (see the summary): ${report.projects
            .flatMap((p) => p.unknown.map((u) => u.message))
            .slice(0, 3)
            .join('; ')}`
        : null,
  };
}

async function tickSteps(ctx: ModeContext, report: VerifyReport, org: string): Promise<void> {
  const github = requireGitHub(ctx);
  const target = { owner: ctx.event.owner, repo: ctx.event.repo };
  // Only the sections the Action signed are ticked (and kept): without the key, none can be told apart.
  const key = ctx.inputs.planSigningKey;
  if (!key) {
    ctx.logger.warn(
      "plan-signing-key is not set: verify cannot tell the Console steps the Action wrote from a writer's, so it ticks none. Add `plan-signing-key: ${{ secrets.GROQ_RBAC_PLAN_SIGNING_KEY }}` to the verify step",
    );
    return;
  }
  const trust = { author: ctx.inputs.commentAuthor, key, logger: ctx.logger };
  const issue = await findStepsIssue(github, target, trust);
  if (!issue) return;
  const sections = trustedSections(issue, org, trust).map((section) => {
    const done = new Set(
      Object.entries(sectionChecks(section))
        .filter(([, checks]) => checks.length > 0 && checks.every((c) => checkHolds(c, report) === true))
        .map(([id]) => id),
    );
    return tickSection(section, done);
  });
  const base = { owner: target.owner, repo: target.repo, issue_number: issue.number };
  if (sections.length === 0) {
    // Nothing the Action wrote is left: take out what someone else added, so nobody follows it.
    const body = stepsIssueBody(org, []);
    if (splitSections(issue.body).length > 0) await github.rest.issues.update({ ...base, body });
    return;
  }
  if (sections.every(isSectionDone)) {
    await github.rest.issues.createComment({
      ...base,
      body: `Every listed Console step is done (the last checked by verify${ctx.event.runUrl ? ` in [this run](${ctx.event.runUrl})` : ''}). Closing.`,
    });
    await github.rest.issues.update({ ...base, state: 'closed', state_reason: 'completed' });
    return;
  }
  const body = stepsIssueBody(org, sections);
  if (body !== issue.body) await github.rest.issues.update({ ...base, body });
}
