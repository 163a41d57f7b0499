import { runbookSince } from '../../app/runbook.js';
import { UserError } from '../../core/errors.js';
import { renderRunbookJson, renderRunbookMarkdown, renderRunbookText } from '../../plan/render-runbook.js';
import { parseCommandArgs } from '../args.js';
import type { Io } from '../io.js';
import { loadDesired, requireGroqOrganization } from '../policies-input.js';

export const runbookHelp = `Usage: groq-rbac runbook [--since REF] [--policies DIR] [--format text|markdown|json]

The change from the policies at REF to the policies in the working tree, as numbered steps in the
Groq Console, grouped by Console page, in the Console's words: model permissions ("Only Allow" /
"Only Block"), each project's per-model rate limits (field, old -> new), projects to create or
delete, API keys to create (in which project, with what name) and how their values reach their
users (groq-rbac deliver), rotations in stages, the spend limit and its alerts. For organizations
Groq lets change only in the Console (org.yaml: provider: groq-console). Needs git, no credentials,
no organization.

Options:
  --since REF      the revision to measure from (default: where HEAD left origin/HEAD, main or master)
  --policies DIR   the policies directory (default: policies)
  --format FORMAT  text (default), markdown (for a pull-request comment) or json
  --no-color       no colour
  -h, --help       show this help

Exit codes: 0 nothing to do, 2 steps to do, 1 error.
`;

const FORMATS = ['text', 'markdown', 'json'] as const;

export async function runbookCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('runbook', argv, {
    since: { type: 'string' },
    policies: { type: 'string', default: 'policies' },
    format: { type: 'string', default: 'text' },
  });
  if (values.help) return (io.out(runbookHelp), 0);
  if (!(FORMATS as readonly string[]).includes(values.format))
    throw new UserError(`--format must be one of ${FORMATS.join(', ')}, not "${values.format}"`);
  if (values.since !== undefined && (values.since === '' || values.since.startsWith('-')))
    throw new UserError(`--since must name a git revision (a branch, tag or commit), not "${values.since}"`);
  const desired = loadDesired(values.policies, io);
  if (!desired) return 1;
  requireGroqOrganization(desired, 'runbook');
  const { runbook, source } = await runbookSince(values.policies, desired, { since: values.since ?? null, cwd: io.cwd });
  if (values.format === 'json') io.out(renderRunbookJson(runbook, source));
  else if (values.format === 'markdown') io.out(renderRunbookMarkdown(runbook, source));
  else io.out(renderRunbookText(runbook, source));
  return runbook.steps.length > 0 ? 2 : 0;
}
