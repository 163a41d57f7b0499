import path from 'node:path';
import { readOwnershipBase } from '../../app/policies-at-ref.js';
import { InternalError } from '../../core/errors.js';
import type { OwnershipBase } from '../../plan/project-ownership.js';
import type { OrgSession } from '../../app/session.js';
import type { DesiredState } from '../../policy/types.js';
import type { Diagnostic } from '../../policy/diagnostics.js';
import { annotateDiagnostics } from '../annotations.js';
import type { ModeContext } from './mode.js';

/** Reads the policies and marks every finding on its line (annotations show in the log, too); null when any is an error. */
export function loadDesired(
  ctx: ModeContext,
): { desired: DesiredState; diagnostics: Diagnostic[] } | { desired: null; diagnostics: Diagnostic[] } {
  const result = ctx.readPolicies();
  annotateDiagnostics(result.diagnostics, ctx.annotator, { cwd: ctx.cwd, workspace: ctx.event.workspace });
  if (!result.desired) return { desired: null, diagnostics: result.diagnostics };
  ctx.logger.info(`Read ${result.files.length} policy file${result.files.length === 1 ? '' : 's'} from ${ctx.inputs.policies}.`);
  return { desired: result.desired, diagnostics: result.diagnostics };
}

export function invalidMessage(diagnostics: readonly Diagnostic[], policies: string): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  return `the policies in ${policies} do not validate (${errors} error${errors === 1 ? '' : 's'}, marked on the files): fix them and push again`;
}

/** Runs `fn` with a session to the organization and closes it afterwards. */
export async function withSession<T>(ctx: ModeContext, fn: (session: OrgSession) => Promise<T>): Promise<T> {
  const session = ctx.openSession();
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}

/** The run's link and commit, for the lines at the end of comments. */
export function runInfo(ctx: ModeContext, sha: string): { sha: string; runUrl: string | null } {
  return { sha, runUrl: ctx.event.runUrl };
}

export function requireGitHub(ctx: ModeContext): NonNullable<ModeContext['github']> {
  if (!ctx.github) throw new InternalError('no GitHub client, but readInputs lets this mode run only with a github-token');
  return ctx.github;
}

/**
 * The approved policies project ownership is checked against: a pull request's base commit, the
 * push's before on apply, the default branch's head on a schedule. When that commit is not in
 * the checkout, the check falls back to org.yaml's grants alone (fail closed) and the log says why.
 */
export async function loadOwnership(ctx: ModeContext, ref: string, head?: DesiredState): Promise<{ base: OwnershipBase | null }> {
  const dir = path.resolve(ctx.cwd, ctx.inputs.policies);
  try {
    const { base, note } = await readOwnershipBase(dir, ref === '' ? null : ref, head);
    if (note) ctx.logger.warn(note);
    return { base };
  } catch (e) {
    ctx.logger.warn(
      `ownership: cannot read the policies at ${ref} (${(e as Error).message}); every live project a team file names must be granted to its team in org.yaml. ` +
        "Check out the base commit too: actions/checkout with fetch-depth: 0 (a rebase merge pushes several commits, so the push's before can be more than one commit back)",
    );
    return { base: null };
  }
}
