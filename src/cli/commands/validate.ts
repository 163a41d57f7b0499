import path from 'node:path';
import { UserError } from '../../core/errors.js';
import { sortDiagnostics, type Diagnostic } from '../../policy/diagnostics.js';
import { readPolicies } from '../../policy/read-policies.js';
import { parseCommandArgs } from '../args.js';
import { writeDiagnostics } from '../policies-input.js';
import { makeStyle, type Io } from '../io.js';

export const validateHelp = `Usage: groq-rbac validate [--policies DIR] [--format text|json] [--base REF]

Checks the policy files (version 2): YAML, schema, and organization-wide rules. Reports every
problem with file:line:column and what to write instead (the first 50 per file, 200 in all).
Changes nothing and needs no credentials.

Options:
  --policies DIR   the policies directory (default: policies)
  --format FORMAT  text (default) or json
  --base REF       also refuse moving a project from one team's file to another's without a grant
                   in org.yaml, compared with the policies at REF (plan and apply always check it)
  -h, --help       show this help

Exit codes: 0 valid (warnings allowed), 1 invalid.
`;

export async function validateCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('validate', argv, {
    policies: { type: 'string', default: 'policies' },
    format: { type: 'string', default: 'text' },
    base: { type: 'string' },
  });
  if (values.help) return (io.out(validateHelp), 0);
  if (values.format !== 'text' && values.format !== 'json')
    throw new UserError(`--format must be one of text, json, not "${values.format}"`);
  const read = readPolicies(path.resolve(io.cwd, values.policies), { cwd: io.cwd });
  const result = values.base && read.desired ? await withMoves(read, values.policies, values.base, io.cwd) : read;
  // Counted before the list was capped: a file with thousands of problems prints only the first ones.
  const { errors, warnings } = result.counts;
  if (values.format === 'json') {
    io.out(`${JSON.stringify({ valid: errors === 0, errors, warnings, diagnostics: result.diagnostics }, null, 2)}\n`);
    return errors === 0 ? 0 : 1;
  }
  const style = makeStyle(io.color);
  writeDiagnostics(io, result.diagnostics, 'out');
  if (errors > 0) {
    io.err(
      `${errors} error${errors === 1 ? '' : 's'}${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''} in ${values.policies}: nothing was changed.\n`,
    );
    return 1;
  }
  const { desired } = result;
  io.out(
    `${style.green('✓')} ${values.policies} is valid: ${desired!.teams.length} teams, ${desired!.projects.length} projects, ${desired!.keys.length} keys${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}.\n`,
  );
  return 0;
}

/** Moves between teams' files, as errors at the project: without the live organization, adoptions cannot be told. */
async function withMoves(
  result: ReturnType<typeof readPolicies>,
  policies: string,
  ref: string,
  cwd: string,
): Promise<ReturnType<typeof readPolicies>> {
  // Loaded only with --base: a plain validate needs no git and should start as fast as it can.
  const [{ readOwnershipBase }, { checkProjectOwnership }] = await Promise.all([
    import('../../app/policies-at-ref.js'),
    import('../../plan/project-ownership.js'),
  ]);
  const { base } = await readOwnershipBase(path.resolve(cwd, policies), ref);
  const moves: Diagnostic[] = checkProjectOwnership(result.desired!, base, new Set()).map((f) => ({
    severity: 'error',
    file: f.source.file,
    line: f.source.line,
    column: f.source.column,
    path: '',
    message: f.message,
    hint: f.hint,
  }));
  if (moves.length === 0) return result;
  const { desired: _valid, ...rest } = result;
  return {
    ...rest,
    diagnostics: sortDiagnostics([...result.diagnostics, ...moves]),
    counts: { ...result.counts, errors: result.counts.errors + moves.length },
  };
}
