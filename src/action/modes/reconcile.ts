import path from 'node:path';
import { appendAuditLog, DEFAULT_AUDIT_LOG, readAuditContext } from '../../app/audit-log.js';
import { applyOrganization } from '../../app/apply-organization.js';
import { deliverToTargets } from '../../app/deliver-to-targets.js';
import { RefusalError } from '../../core/errors.js';
import { escapeMarkdown } from '../../core/sanitize.js';
import { quote } from '../../plan/render-lines.js';
import { pendingText as pendingStepText } from '../../plan/render-reason.js';
import { planHasChanges } from '../../plan/summary.js';
import type { Plan } from '../../plan/types.js';
import { appliedCommentParts } from '../plan-comment.js';
import type { ModeContext, ModeResult } from './mode.js';
import { invalidMessage, loadDesired, loadOwnership, withSession } from './shared.js';

/**
 * On a schedule: advance key rotations only: create the keys that are due and deliver them, retire
 * generations that have gone quiet. Never any other change: those need a reviewed pull request.
 * Time-driven steps follow from policies already merged, so no approval is asked for.
 */
export async function reconcileMode(ctx: ModeContext): Promise<ModeResult> {
  const { desired, diagnostics } = loadDesired(ctx);
  if (!desired)
    return {
      plan: null,
      hasChanges: false,
      line: 'The policies do not validate.',
      failure: invalidMessage(diagnostics, ctx.inputs.policies),
    };
  const ownership = await loadOwnership(ctx, ctx.event.sha, desired);
  const result = await withSession(ctx, (session) =>
    applyOrganization({
      session,
      desired,
      expectedFingerprint: null,
      force: false,
      only: 'rotations',
      ownership,
      confirm: async () => true,
      deliver: deliverToTargets(desired, {
        env: ctx.env,
        cwd: ctx.cwd,
        logger: ctx.logger,
        ...(ctx.maskSecret ? { maskSecret: ctx.maskSecret } : {}),
      }),
      onOutcome: (o) =>
        ctx.logger.info(
          `${o.status === 'applied' ? '✓' : o.status === 'skipped' ? '·' : '✗'} ${o.action} key ${o.project ?? ''}/${o.key ?? ''}: ${o.message}`,
        ),
    }),
  );
  const { plan } = result;
  const run = { sha: ctx.event.sha, runUrl: ctx.event.runUrl };
  const heading = `### groq-rbac reconcile for \`${plan.org}\``;
  const note =
    'Reconcile makes only time-driven rotation steps. Other differences between the organization and the policies are reported by the drift workflow and applied by `mode: apply` after review.';
  // New generations whose targets no reviewed apply recorded: never delivered here (summary.ts).
  const held = reviewLines(plan);
  for (const l of held) ctx.logger.warn(`left for a reviewed apply: ${l}`);
  const reportHeld = () => {
    if (held.length > 0)
      ctx.summary.push(
        [
          '**Left for the next reviewed apply** (reconcile delivers a key only to the targets a reviewed apply recorded):',
          ...held.map((l) => `- ${escapeMarkdown(l)}`),
          '',
        ].join('\n'),
      );
  };
  switch (result.status) {
    case 'stale':
    case 'declined':
      // Neither can happen without an expected fingerprint and with a confirm that says yes.
      throw new RefusalError(`reconcile was not confirmed (${result.status}); nothing was changed`);
    case 'refused':
      ctx.summary.push(
        [heading, '', '**Refused; nothing was changed:**', ...result.refusals.map((r) => `- ${escapeMarkdown(r.message)}`), ''].join('\n'),
      );
      return {
        plan,
        hasChanges: true,
        line: 'Reconcile refused; nothing was changed.',
        failure: `reconcile refused; nothing was changed:\n${result.refusals.map((r) => `  - ${r.message}`).join('\n')}`,
      };
    case 'no_changes': {
      const line = `Nothing to reconcile: no key rotation is due${pendingText(plan)}.`;
      ctx.summary.push([heading, '', `**${line}** Nothing was changed.`, '', note, ''].join('\n'));
      reportHeld();
      ctx.logger.info(line);
      return { plan, hasChanges: false, line, failure: null };
    }
    case 'applied': {
      const { report } = result;
      // One JSON line per change; the example workflows upload the file as an artifact.
      const audited = appendAuditLog(path.join(ctx.cwd, DEFAULT_AUDIT_LOG), report, readAuditContext(ctx.env, ctx.cwd));
      ctx.summary.push(`Audit log: ${audited} line${audited === 1 ? '' : 's'} appended to \`${DEFAULT_AUDIT_LOG}\`.\n`);
      ctx.summary.push(appliedCommentParts(plan, report, run).full, note);
      reportHeld();
      const { applied, failed, skipped } = report.summary;
      const line = `Reconciled ${applied} rotation step${applied === 1 ? '' : 's'}${failed + skipped > 0 ? `; ${failed} failed, ${skipped} skipped` : ''}${held.length > 0 ? `; ${held.length} left for a reviewed apply` : ''}.`;
      return {
        plan,
        hasChanges: planHasChanges(plan),
        line,
        failure:
          failed + skipped > 0
            ? `reconcile finished with ${failed} failed and ${skipped} skipped step${failed + skipped === 1 ? '' : 's'}: see the log; the next run tries again`
            : null,
      };
    }
  }
}

function pendingText(plan: Plan): string {
  const pending = plan.pending ?? [];
  const review = pending.filter((p) => p.waiting_for === 'review').length;
  const waiting = pending.length - review;
  const parts = [
    ...(waiting > 0 ? [`${waiting} step${waiting === 1 ? '' : 's'} waiting for an overlap or quiet period`] : []),
    ...(review > 0 ? [`${review} left for a reviewed apply`] : []),
  ];
  return parts.length === 0 ? '' : ` (${parts.join('; ')})`;
}

/** `key "web" in project "chatbot-prod": g2 waits for a reviewed apply: …`, one per held generation. */
function reviewLines(plan: Plan): string[] {
  return (plan.pending ?? [])
    .filter((p) => p.waiting_for === 'review')
    .map((p) => `key ${quote(p.key)} in project ${quote(p.project)}: ${pendingStepText(p)}`);
}
