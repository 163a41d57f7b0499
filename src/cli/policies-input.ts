import path from 'node:path';
import { readOwnershipBase } from '../app/policies-at-ref.js';
import type { OwnershipBase } from '../plan/project-ownership.js';
import { formatDiagnostic, type Diagnostic } from '../policy/diagnostics.js';
import { readPolicies } from '../policy/read-policies.js';
import type { DesiredState } from '../policy/types.js';
import { UserError } from '../core/errors.js';
import { makeStyle, type Io } from './io.js';

/** Prints diagnostics, errors always to stderr; warnings to stdout only where stdout is free for them. */
export function writeDiagnostics(io: Io, diagnostics: readonly Diagnostic[], warningsTo: 'out' | 'err' = 'err'): void {
  const style = makeStyle(io.color);
  for (const d of diagnostics) {
    const text = formatDiagnostic(d);
    if (d.severity === 'error') io.err(`${style.red(text)}\n`);
    else io[warningsTo](`${style.yellow(text)}\n`);
  }
}

/** Reads and validates the policies; prints diagnostics; null when invalid. */
export function loadDesired(policies: string, io: Io): DesiredState | null {
  const result = readPolicies(path.resolve(io.cwd, policies), { cwd: io.cwd });
  writeDiagnostics(io, result.diagnostics);
  if (!result.desired) {
    const n = result.diagnostics.filter((d) => d.severity === 'error').length;
    io.err(`${n} error${n === 1 ? '' : 's'} in ${policies}: nothing was changed. Run \`groq-rbac validate\` after fixing them.\n`);
    return null;
  }
  return result.desired;
}

/**
 * What project ownership is checked against for plan and apply: the policies at `--base REF`, else
 * where this branch left the default branch. Says so in one line when there is none.
 */
export async function loadOwnershipBase(
  policies: string,
  ref: string | undefined,
  io: Io,
  head?: DesiredState,
): Promise<{ base: OwnershipBase | null }> {
  const { base, note } = await readOwnershipBase(path.resolve(io.cwd, policies), ref ?? null, head);
  if (note) io.err(`${note}\n`);
  return { base };
}

/**
 * runbook, deliver and verify are for Groq as it is today, changed by hand in the Console. An
 * OpenAI organization has an Administration API, which plan and apply use.
 */
export function requireGroqOrganization(desired: DesiredState, command: string): void {
  if (desired.org.provider !== 'openai') return;
  throw new UserError(
    `\`groq-rbac ${command}\` is for Groq organizations changed by hand in the Groq Console, and ${desired.org.file} says \`provider: openai\`: OpenAI has an Administration API, so use \`groq-rbac plan\` and \`groq-rbac apply\` (they create, deliver and verify keys themselves)`,
  );
}
