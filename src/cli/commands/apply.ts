import fs from 'node:fs';
import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { applyOrganization } from '../../app/apply-organization.js';
import { appendAuditLog, DEFAULT_AUDIT_LOG, readAuditContext } from '../../app/audit-log.js';
import { deliverToTargets } from '../../app/deliver-to-targets.js';
import type { ChangeOutcome } from '../../apply/apply-plan.js';
import { RefusalError, UserError } from '../../core/errors.js';
import { renderPlanText } from '../../plan/render-text.js';
import type { Plan } from '../../plan/types.js';
import { ORG_OPTIONS, orgOptionsHelp, parseCommandArgs } from '../args.js';
import { connect } from '../connect.js';
import { loadDesired, loadOwnershipBase } from '../policies-input.js';
import { makeStyle, type Io, type Style } from '../io.js';
import { checkOutputFile, writeOutputFile } from '../output-file.js';

export const applyHelp = `Usage: groq-rbac apply [--policies DIR] [--yes] [--plan FILE | --expect-fingerprint SHA] [--force]

Plans again against the live organization and applies the changes in phases: organization
settings, new projects, each project's model permissions, rate limits and keys, then deletes,
and archives last. A failing change does not stop the others; re-run to finish.

Every new key generation is verified with one authenticated call and delivered to its
rotation.deliver targets (GitHub Actions secret, Vault KV v2, file) before it is marked
delivered; if verification fails, the new key is deleted. A key with no delivery target is
created already marked, in one request. Old generations are retired only once quiet.

Options:
  --policies DIR             the policies directory (default: policies)
  --yes                      do not ask for confirmation (needed when not on a terminal)
  --plan FILE                apply only if the plan is still the one saved with \`plan --out FILE\`
  --expect-fingerprint SHA   apply only if the plan's fingerprint is still SHA (as approved)
  --force                    override the delete limits in org.yaml's safety section
                             (never: protected projects and keys, the admin key, another organization)
  --out FILE                 write a JSON report of every change's outcome
  --audit-log FILE           append one JSON line per applied change: time, actor, commit, PR,
                             change, outcome, ids; never a key value (default: ${DEFAULT_AUDIT_LOG})
  --rotations-only           only advance key rotations (rotate due keys, retire quiet old
                             generations); never another change, and never a delivery to
                             targets no reviewed apply recorded (those wait, listed in the
                             plan). For a scheduled job.
  --base REF                 the approved policies to check project ownership against (default:
                             where this branch left the default branch; see plan --help)
${orgOptionsHelp(29)}

With --plan or --expect-fingerprint the approved plan is the confirmation: apply does not ask.
Exit codes: 0 applied or nothing to do, 1 error, refusal or any change failed.
`;

export async function applyCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('apply', argv, {
    ...ORG_OPTIONS,
    yes: { type: 'boolean', short: 'y' },
    plan: { type: 'string' },
    'expect-fingerprint': { type: 'string' },
    force: { type: 'boolean' },
    out: { type: 'string' },
    'audit-log': { type: 'string', default: DEFAULT_AUDIT_LOG },
    'rotations-only': { type: 'boolean' },
    base: { type: 'string' },
  });
  if (values.help) return (io.out(applyHelp), 0);
  if (values.plan && values['expect-fingerprint']) throw new UserError('--plan and --expect-fingerprint exclude each other: pick one');
  const approved = values.plan ? readSavedPlan(path.resolve(io.cwd, values.plan), values.plan) : null;
  const expected = approved?.fingerprint ?? values['expect-fingerprint'] ?? null;
  if (expected !== null && !/^[0-9a-f]{64}$/.test(expected))
    throw new UserError(`the expected fingerprint "${expected}" is not a sha256 (64 hex digits); copy it from the plan`);
  // Checked before the first request: failing to write the report after changing the org is worse.
  const outFile = values.out ? checkOutputFile(io.cwd, values.out, '--out') : null;
  const auditFile = checkOutputFile(io.cwd, values['audit-log'], '--audit-log');
  if (values['rotations-only'] && expected !== null)
    throw new UserError('--rotations-only applies no reviewed plan: drop --plan / --expect-fingerprint');
  if (!values.yes && expected === null && !io.interactive) {
    throw new UserError(
      'apply changes the organization and is not on a terminal: add --yes (or --plan FILE / --expect-fingerprint SHA) to confirm',
    );
  }
  const style = makeStyle(io.color);
  const desired = loadDesired(values.policies, io);
  if (!desired) return 1;
  const ownership = await loadOwnershipBase(values.policies, values.base, io, desired);
  const session = await connect(values, io, desired.org.id, desired.org.provider);
  if (session.sandboxDeliveries)
    io.err(
      `sandbox: GitHub and Vault deliveries are written under ${path.relative(io.cwd, session.sandboxDeliveries)}/ instead; sandbox keys never reach real secrets.\n`,
    );
  try {
    const result = await applyOrganization({
      session,
      desired,
      expectedFingerprint: expected,
      force: Boolean(values.force),
      ownership,
      onPlan: (plan) => io.out(renderPlanText(plan, style)),
      confirm: async (plan) => {
        if (values.yes) return true;
        const answer = await io.prompt(
          `Do you want to perform these actions in ${plan.org} (${session.target})? Only 'yes' will be accepted: `,
        );
        return answer.trim() === 'yes';
      },
      onOutcome: (o) => io.out(progressLine(o, style)),
      // A sandbox named as one (--sandbox, --sandbox-url) gets local deliveries; any other server, real ones.
      deliver: deliverToTargets(desired, {
        env: io.env,
        cwd: io.cwd,
        logger: io.logger,
        ...(session.sandboxDeliveries ? { redirectTo: session.sandboxDeliveries } : {}),
      }),
      ...(values['rotations-only'] ? { only: 'rotations' as const } : {}),
    });
    switch (result.status) {
      case 'stale':
        io.err(
          style.red(
            `The plan changed since it was approved (fingerprint ${result.expected.slice(0, 12)}… is now ${result.plan.fingerprint.slice(0, 12)}…). Nothing was changed.\n`,
          ),
        );
        if (approved)
          io.err(
            createTwoFilesPatch(
              'approved plan',
              'plan now',
              renderPlanText(approved),
              renderPlanText(result.plan),
              values.plan,
              'live organization',
            ),
          );
        else io.err(`The plan now:\n${renderPlanText(result.plan)}`);
        io.err('Run plan again, review the new plan, and approve it.\n');
        return 1;
      case 'refused': {
        const forceable = result.refusals.every((r) => r.forceable);
        throw new RefusalError(
          `apply refused; nothing was changed:\n${result.refusals.map((r) => `  - ${r.message}`).join('\n')}${forceable ? '\n  re-run with --force if these deletes and archives are intended, or raise the limits in org.yaml' : ''}`,
        );
      }
      case 'no_changes':
        return 0;
      case 'declined':
        io.err('Apply cancelled; nothing was changed.\n');
        return 1;
      case 'applied': {
        const { report } = result;
        if (outFile) writeOutputFile(outFile, `${JSON.stringify(report, null, 2)}\n`);
        appendAuditLog(auditFile, report, readAuditContext(io.env, io.cwd));
        const done = (a: ChangeOutcome['action']) => report.outcomes.filter((o) => o.status === 'applied' && o.action === a).length;
        const counts = `${done('create')} created, ${done('update')} updated, ${done('rotate')} rotated, ${done('delete')} deleted, ${done('adopt')} adopted, ${done('archive')} archived`;
        if (report.summary.failed + report.summary.skipped > 0) {
          io.err(
            style.red(
              `Apply finished with ${report.summary.failed} failed and ${report.summary.skipped} skipped change${report.summary.failed + report.summary.skipped === 1 ? '' : 's'} (${counts}). Fix the cause and run apply again to finish.\n`,
            ),
          );
          return 1;
        }
        io.out(style.green(`Apply complete: ${counts}.\n`));
        return 0;
      }
    }
  } finally {
    await session.close();
  }
}

const SIGNS: Record<ChangeOutcome['action'], string> = { create: '+', update: '~', delete: '-', adopt: '<=', archive: '-', rotate: '~' };

function progressLine(o: ChangeOutcome, style: Style): string {
  const title =
    o.resource === 'api_key'
      ? `key "${o.key}"`
      : o.project
        ? `${o.resource.replace(/_/g, ' ')} "${o.project}"`
        : o.resource.replace(/_/g, ' ');
  if (o.status === 'applied') return `${style.green('✓')} ${SIGNS[o.action]} ${title}: ${o.message}\n`;
  return `${style.red(o.status === 'skipped' ? '·' : '✗')} ${SIGNS[o.action]} ${title}: ${o.message.split('\n').join('\n    ')}\n`;
}

function readSavedPlan(file: string, shown: string): Plan {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`cannot read the saved plan ${shown}: ${(e as Error).message}; save one with \`groq-rbac plan --out ${shown}\``);
  }
  const plan = data as Partial<Plan>;
  if (plan.format_version !== 3 || typeof plan.fingerprint !== 'string' || !Array.isArray(plan.changes)) {
    const older =
      (plan.format_version as number) === 2
        ? ` (it is format_version 2, from a release before groq-rbac spoke its own vocabulary in plans)`
        : '';
    throw new UserError(`${shown} is not a groq-rbac plan of format_version 3${older}; save one with \`groq-rbac plan --out ${shown}\``);
  }
  return plan as Plan;
}
