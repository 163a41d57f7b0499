import fs from 'node:fs';
import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { UserError } from '../../core/errors.js';
import { makeDirs } from '../../core/make-dirs.js';
import { mergeCodeowners, renderCodeownersBlock } from '../../policy/codeowners.js';
import { readPolicies } from '../../policy/read-policies.js';
import { parseCommandArgs } from '../args.js';
import { writeDiagnostics } from '../policies-input.js';
import type { Io } from '../io.js';

export const codeownersHelp = `Usage: groq-rbac codeowners [--check | --write] [--policies DIR] [--file PATH]

Derives CODEOWNERS lines from the policies: org.yaml needs its admins' review, each team file
its owners'. Hand-written lines outside the generated block are kept.

Options:
  --check          exit 1 and show the difference when the file is out of date (for CI)
  --write          update the file
  --policies DIR   the policies directory (default: policies)
  --file PATH      the CODEOWNERS file (default: .github/CODEOWNERS)
  -h, --help       show this help

Without --check or --write, prints the file as it should be.

Exit codes: 0 done (--check: up to date), 1 error (--check: out of date, or the policies are invalid).
`;

export async function codeownersCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('codeowners', argv, {
    check: { type: 'boolean' },
    write: { type: 'boolean' },
    policies: { type: 'string', default: 'policies' },
    file: { type: 'string', default: '.github/CODEOWNERS' },
  });
  if (values.help) return (io.out(codeownersHelp), 0);
  if (values.check && values.write) throw new UserError('--check and --write exclude each other: pick one');
  const result = readPolicies(path.resolve(io.cwd, values.policies), { cwd: io.cwd });
  if (!result.desired) {
    writeDiagnostics(io, result.diagnostics);
    throw new UserError(`the policies are invalid; fix them (groq-rbac validate) before deriving CODEOWNERS`);
  }
  const target = path.resolve(io.cwd, values.file);
  const existing = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : null;
  const wanted = mergeCodeowners(
    existing,
    renderCodeownersBlock(result.desired, path.relative(io.cwd, path.resolve(io.cwd, values.policies)), values.file),
  );
  if (values.check) {
    if (existing === wanted) {
      io.out(`${values.file} is up to date.\n`);
      return 0;
    }
    io.err(`${values.file} is out of date; run \`groq-rbac codeowners --write\` and commit it:\n`);
    io.err(createTwoFilesPatch(values.file, values.file, existing ?? '', wanted, 'current', 'derived from the policies'));
    return 1;
  }
  if (values.write) {
    if (existing === wanted) {
      io.out(`${values.file} is already up to date.\n`);
      return 0;
    }
    makeDirs(path.dirname(target));
    fs.writeFileSync(target, wanted);
    io.out(`Wrote ${values.file}.\n`);
    return 0;
  }
  io.out(wanted);
  return 0;
}
