import { UserError } from '../../core/errors.js';
import { readUsageReport } from '../../app/read-usage-report.js';
import { renderUsageJson } from '../../report/render-usage-json.js';
import { renderUsageMarkdown } from '../../report/render-usage-markdown.js';
import { renderUsageText } from '../../report/render-usage-text.js';
import { BREAKDOWNS, type Breakdown } from '../../report/types.js';
import { parseDate } from '../../report/windows.js';
import { ORG_OPTIONS, orgOptionsHelp, parseCommandArgs } from '../args.js';
import { connect } from '../connect.js';
import { loadDesired } from '../policies-input.js';
import { makeStyle, type Io } from '../io.js';
import { checkOutputFile, writeOutputFile } from '../output-file.js';

export const usageHelp = `Usage: groq-rbac usage [--policies DIR] [--since YYYY-MM-DD] [--until YYYY-MM-DD] [--by team|project|key|model]
                       [--format text|markdown|json] [--out FILE]

Shows what each team, project, key and model used and cost, from the organization's own usage
and cost figures, named through the policies: for the period and for today; the busiest minute
of the period's last day against each project's per-model limits; month-to-date spend against
the spend limit and alerts, projected to the month's end; and findings (idle keys, projects near
or at a limit, projects and keys in no policy, teams whose share of spend grew fastest), each
with the policy file and line to change. Changes nothing.

Options:
  --policies DIR     the policies directory (default: policies)
  --since DATE       first day of the period, UTC (default: 29 days before --until)
  --until DATE       last day of the period, UTC, inclusive (default: today)
  --by WHAT          team (default), project, key or model: the breakdown shown
  --format FORMAT    text (default), markdown (tables and Mermaid charts) or json (docs/usage-format.md)
  --out FILE         write the report to FILE instead of standard output
${orgOptionsHelp(21)}

Environment: GROQ_ADMIN_KEY (admin key), GROQ_BASE_URL, NO_COLOR.
Exit codes: 0 report written, 1 error.
`;

const FORMATS = ['text', 'markdown', 'json'] as const;

export async function usageCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('usage', argv, {
    ...ORG_OPTIONS,
    since: { type: 'string' },
    until: { type: 'string' },
    by: { type: 'string', default: 'team' },
    format: { type: 'string', default: 'text' },
    out: { type: 'string' },
  });
  if (values.help) return (io.out(usageHelp), 0);
  if (!(FORMATS as readonly string[]).includes(values.format))
    throw new UserError(`--format must be one of ${FORMATS.join(', ')}, not "${values.format}"`);
  if (!(BREAKDOWNS as readonly string[]).includes(values.by))
    throw new UserError(`--by must be one of ${BREAKDOWNS.join(', ')}, not "${values.by}"`);
  // Checked before the first request, like every date: a typo should not cost a full read of the org.
  if (values.since) parseDate('--since', values.since);
  if (values.until) parseDate('--until', values.until);
  const outFile = values.out ? checkOutputFile(io.cwd, values.out, '--out') : null;
  const desired = loadDesired(values.policies, io);
  if (!desired) return 1;
  const session = await connect(values, io, desired.org.id, desired.org.provider);
  let text: string;
  try {
    const report = await readUsageReport({
      session,
      desired,
      since: values.since ?? null,
      until: values.until ?? null,
      by: values.by as Breakdown,
    });
    text =
      values.format === 'json'
        ? renderUsageJson(report)
        : values.format === 'markdown'
          ? renderUsageMarkdown(report)
          : renderUsageText(report, makeStyle(io.color && !outFile));
  } finally {
    await session.close();
  }
  if (outFile) {
    writeOutputFile(outFile, text);
    io.err(`Wrote the usage report to ${values.out}.\n`);
  } else {
    io.out(text);
  }
  return 0;
}
