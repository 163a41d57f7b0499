import path from 'node:path';
import { RefusalError, UserError } from '../core/errors.js';
import { checkProjectOwnership, ownershipRefusals } from '../plan/project-ownership.js';
import { planRunbook, type Runbook } from '../plan/runbook.js';
import type { RunbookSource } from '../plan/render-runbook.js';
import { formatDiagnostic } from '../policy/diagnostics.js';
import type { DesiredState } from '../policy/types.js';
import { defaultBaseRef, readPoliciesAtRef } from './policies-at-ref.js';

/**
 * The runbook of a change: the policies at `since` (default: where this branch left the default
 * branch) against `desired`, the policies in the working tree. No organization, no credentials.
 * A project moved from one team's file to another's without org.yaml's grant is refused, as plan
 * refuses it (plan/project-ownership.ts), with `since` as the base: a RefusalError, no steps. With no
 * organization to read there are no live owner marks and no live projects, so only moves between
 * files can be told; adopting a project made by hand is the Console operator's to notice.
 */
export async function runbookSince(
  policiesDir: string,
  desired: DesiredState,
  options: { since?: string | null; cwd: string },
): Promise<{ runbook: Runbook; source: RunbookSource }> {
  const dir = path.resolve(options.cwd, policiesDir);
  const ref = options.since ?? (await defaultBaseRef(dir));
  const at = await readPoliciesAtRef(dir, ref, { cwd: options.cwd });
  if (at.result && !at.result.desired) {
    const errors = at.result.diagnostics.filter((d) => d.severity === 'error');
    throw new UserError(
      `the policies at ${ref} (${at.commit.slice(0, 12)}) do not validate, so there is nothing to measure the change from:\n` +
        `${errors
          .slice(0, 5)
          .map((d) => `  ${formatDiagnostic(d)}`)
          .join('\n')}${errors.length > 5 ? `\n  …and ${errors.length - 5} more` : ''}\n` +
        '  pass --since with a revision whose policies validate',
    );
  }
  const base = at.result?.desired ?? null;
  if (base && base.org.id !== desired.org.id) {
    throw new UserError(
      `the policies at ${ref} govern ${base.org.id}, the working tree's govern ${desired.org.id}: a runbook cannot move steps between organizations; pass --since with a revision of this organization's policies`,
    );
  }
  const label = ref === at.commit ? at.commit.slice(0, 12) : `${ref} (${at.commit.slice(0, 12)})`;
  const moves = ownershipRefusals(checkProjectOwnership(desired, { label, projects: base?.projects ?? [] }, new Set()));
  if (moves.length > 0) {
    throw new RefusalError(`the runbook is refused, so no Console steps are listed:\n${moves.map((r) => `  - ${r.message}`).join('\n')}`);
  }
  return { runbook: planRunbook(base, desired), source: { ref, commit: at.commit } };
}
