import { UserError } from '../../core/errors.js';
import { planOrganization } from '../../app/plan-organization.js';
import { renderPlanJson } from '../../plan/render-json.js';
import { renderPlanMarkdown } from '../../plan/render-markdown.js';
import { renderPlanText } from '../../plan/render-text.js';
import { blockingRefusals } from '../../plan/safety.js';
import { planHasChanges, rotationStepsOnly } from '../../plan/summary.js';
import type { Plan } from '../../plan/types.js';
import { ORG_OPTIONS, orgOptionsHelp, parseCommandArgs } from '../args.js';
import { connect } from '../connect.js';
import { loadDesired, loadOwnershipBase } from '../policies-input.js';
import { makeStyle, type Io } from '../io.js';
import { checkOutputFile, writeOutputFile } from '../output-file.js';

export const planHelp = `Usage: groq-rbac plan [--policies DIR] [--format text|markdown|json] [--out FILE] [--detailed-exitcode]

Compares the policies with the live organization (projects, their model permissions, per-model
rate limits and keys; the org's model permissions, spend limit and alerts) and shows what apply
would change. Reads the organization once; changes nothing.

Options:
  --policies DIR        the policies directory (default: policies)
  --format FORMAT       text (default), markdown (for a PR comment) or json
  --out FILE            also save the plan as JSON, for \`apply --plan FILE\`
  --detailed-exitcode   exit 2 when there are changes
  --force               preview as \`apply --force\` would: forceable refusals do not fail the plan
  --rotations-only      preview \`apply --rotations-only\` (the Action's reconcile): time-driven rotation steps only
  --base REF            the approved policies to check project ownership against (default: where
                        this branch left the default branch; outside git, none: then every live
                        project a team file names needs a grant in org.yaml)
${orgOptionsHelp(24)}

Environment: GROQ_ADMIN_KEY (admin key), GROQ_BASE_URL, NO_COLOR.
Exit codes: 0 no changes (or changes without --detailed-exitcode), 1 error or a plan apply would refuse, 2 changes present.
`;

export const FORMATS = ['text', 'markdown', 'json'] as const;

export async function planCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('plan', argv, {
    ...ORG_OPTIONS,
    format: { type: 'string', default: 'text' },
    out: { type: 'string' },
    'detailed-exitcode': { type: 'boolean' },
    force: { type: 'boolean' },
    'rotations-only': { type: 'boolean' },
    base: { type: 'string' },
  });
  if (values.help) return (io.out(planHelp), 0);
  if (!(FORMATS as readonly string[]).includes(values.format))
    throw new UserError(`--format must be one of ${FORMATS.join(', ')}, not "${values.format}"`);
  const outFile = values.out ? checkOutputFile(io.cwd, values.out, '--out') : null;
  const desired = loadDesired(values.policies, io);
  if (!desired) return 1;
  const ownership = await loadOwnershipBase(values.policies, values.base, io, desired);
  const session = await connect(values, io, desired.org.id, desired.org.provider);
  let plan: Plan;
  try {
    plan = (await planOrganization(session, desired, { ownership })).plan;
    if (values['rotations-only']) plan = rotationStepsOnly(plan);
  } finally {
    await session.close();
  }
  if (values.format === 'json') io.out(renderPlanJson(plan));
  else if (values.format === 'markdown') io.out(renderPlanMarkdown(plan));
  else io.out(renderPlanText(plan, makeStyle(io.color)));
  if (outFile) {
    writeOutputFile(outFile, renderPlanJson(plan));
    io.err(`Saved the plan to ${values.out}; apply exactly it with \`groq-rbac apply --plan ${values.out}\`.\n`);
  }
  if (blockingRefusals(plan.refusals, Boolean(values.force)).length > 0) return 1;
  return values['detailed-exitcode'] && planHasChanges(plan) ? 2 : 0;
}
