import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../core/errors.js';
import { makeDirs } from '../../core/make-dirs.js';
import { importPolicies } from '../../policy/import-policies.js';
import { ORG_OPTIONS, orgOptionsHelp, parseCommandArgs } from '../args.js';
import { connect } from '../connect.js';
import { packageRoot } from '../package-root.js';
import type { Io } from '../io.js';

export const importHelp = `Usage: groq-rbac import [--out DIR] [--admins LIST] [--force]

Writes policies that describe an existing organization as it is: org.yaml (model permissions,
spend limit and alerts, members and their roles, pending invites as members) and one team file
per team, holding its projects (grouped by name prefix, else teams/imported.yaml) with their
model permissions, rate limits, keys and members.
\`plan\` right after shows only adoptions of the keys groq-rbac does not manage yet.

Options:
  --out DIR          where to write (default: policies)
  --admins LIST      comma-separated admins and default owners (default: @your-org/platform)
  --org ID           with --sandbox: the sandbox organization's id (default: org_sandbox)
  --force            overwrite existing policy files
${orgOptionsHelp(21)}
`;

export async function importCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('import', argv, {
    ...ORG_OPTIONS,
    out: { type: 'string', default: 'policies' },
    admins: { type: 'string', default: '@your-org/platform' },
    org: { type: 'string', default: 'org_sandbox' },
    force: { type: 'boolean' },
  });
  if (values.help) return io.out(importHelp), 0;
  const admins = values.admins.split(',').map((a) => a.trim()).filter(Boolean);
  if (admins.length === 0) throw new UserError('--admins needs at least one GitHub team or user, such as @acme/platform');
  const outDir = path.resolve(io.cwd, values.out);
  const connection = await connect(values, io, values.org);
  let result;
  try {
    const schemas = path.join(packageRoot(), 'schemas');
    const schemaRef = {
      org: path.relative(outDir, path.join(schemas, 'org.schema.json')).split(path.sep).join('/'),
      team: path.relative(path.join(outDir, 'teams'), path.join(schemas, 'team.schema.json')).split(path.sep).join('/'),
    };
    const live = await connection.admin.readLiveState({ concurrency: connection.concurrency });
    // Today's people too (issue 20): members, pending invites and every project's memberships.
    if (connection.admin.capabilities.members) live.members = await connection.admin.readMembers({ projectIds: live.projects.map((p) => p.id), concurrency: connection.concurrency });
    result = importPolicies(live, { admins, schemaRef });
  } finally {
    await connection.close();
  }
  const existing = Object.keys(result.files).filter((f) => fs.existsSync(path.join(outDir, f)));
  if (existing.length > 0 && !values.force) {
    throw new UserError(`${values.out} already holds ${existing.join(', ')}: import into an empty directory (--out DIR), or add --force to overwrite`);
  }
  for (const [file, content] of Object.entries(result.files)) {
    makeDirs(path.dirname(path.join(outDir, file)));
    fs.writeFileSync(path.join(outDir, file), content);
    io.out(`wrote ${path.join(values.out, file)}\n`);
  }
  for (const note of result.notes) io.err(`note: ${note}\n`);
  io.out(`Imported ${Object.keys(result.files).length - 1} team file(s). Set admins and owners, then run \`groq-rbac plan --policies ${values.out}${values.sandbox ? ' --sandbox' : ''}\`: it should show only adoptions of keys groq-rbac does not manage yet. Add rotation.deliver targets before keys are due: a key without one is never rotated.\n`);
  return 0;
}
