import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { UserError } from '../../core/errors.js';
import { makeDirs } from '../../core/make-dirs.js';
import { importPolicies } from '../../policy/import-policies.js';
import { ORG_OPTIONS, parseCommandArgs } from '../args.js';
import { connect } from '../connect.js';
import { packageRoot } from '../package-root.js';
import type { Io } from '../io.js';

export const importHelp = `Usage: groq-rbac import [--provider groq|openai] [--org ID] [--out DIR] [--admins LIST] [--force]

Writes policies that describe an existing organization as it is: org.yaml (provider, organization
id, model permissions, spend limit and alerts, members and their roles, pending invites as members)
and one team file per team, holding its projects (grouped by name prefix, else teams/imported.yaml)
with their model permissions, rate limits, own spending (OpenAI), keys and members. Keys are
written without delivery targets. An OpenAI service account's name is free text: its key is
written under a policy key name derived from it (made distinct by the key's id where another key
has that name), and plan adopts the key by that name. Reads the organization once and changes
nothing in it; \`plan\` right after shows only adoptions of the keys groq-rbac does not manage yet.

Options:
  --provider NAME     groq or openai (default: the provider DIR/org.yaml names, else groq)
  --org ID            the organization's id (default: DIR/org.yaml's org:); a real OpenAI
                      organization needs its org-… (sent as OpenAI-Organization, which OpenAI checks
                      against the key); the sandbox's is org_sandbox (groq) or org-sandbox (openai)
  --out DIR           where to write (default: policies)
  --admins LIST       comma-separated admins and default owners (default: @your-org/platform)
  --force             overwrite existing policy files
  --sandbox           import the built-in sandbox organization (no credentials needed)
  --sandbox-url URL   a sandbox already running here (\`groq-rbac sandbox\`: 127.0.0.1, ::1 or
                        localhost), with GROQ_ADMIN_KEY or OPENAI_ADMIN_KEY
  --base-url URL      API base URL (default: GROQ_BASE_URL, else https://api.groq.com; OpenAI:
                        OPENAI_BASE_URL, else https://api.openai.com/v1): https:// (http:// only to
                        127.0.0.1, ::1, localhost)
  --concurrency N     parallel requests (default 8)
  --debug             log every request and retry to stderr
  --no-color          no colour (also NO_COLOR=1)
  -h, --help          show this help

Environment: GROQ_ADMIN_KEY or OPENAI_ADMIN_KEY (admin key), GROQ_BASE_URL, OPENAI_BASE_URL, NO_COLOR.
Exit codes: 0 the policies were written, 1 error (bad options, policy files already there without
--force, the organization could not be read).
`;

const PROVIDERS = ['groq', 'openai'] as const;
type ImportProvider = (typeof PROVIDERS)[number];
/** Each provider's organization id form (src/policy/capabilities.ts) and its sandbox's id. */
const ORG_FORM: Record<ImportProvider, { pattern: RegExp; prefix: string; sandbox: string }> = {
  groq: { pattern: /^org_[A-Za-z0-9_-]+$/, prefix: 'org_', sandbox: 'org_sandbox' },
  openai: { pattern: /^org-[A-Za-z0-9_-]+$/, prefix: 'org-', sandbox: 'org-sandbox' },
};

export async function importCommand(argv: string[], io: Io): Promise<number> {
  // `--policies` is not an option here: import writes to --out.
  const { policies: _policies, ...orgOptions } = ORG_OPTIONS;
  const { values } = parseCommandArgs('import', argv, {
    ...orgOptions,
    provider: { type: 'string' },
    out: { type: 'string', default: 'policies' },
    admins: { type: 'string', default: '@your-org/platform' },
    org: { type: 'string' },
    force: { type: 'boolean' },
  });
  if (values.help) return (io.out(importHelp), 0);
  const admins = values.admins
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  if (admins.length === 0) throw new UserError('--admins needs at least one GitHub team or user, such as @acme/platform');
  const outDir = path.resolve(io.cwd, values.out);
  const { provider, orgId } = whichOrganization(values, path.join(outDir, 'org.yaml'));
  const connection = await connect(values, io, orgId, provider);
  let result;
  try {
    const schemas = path.join(packageRoot(), 'schemas');
    const schemaRef = {
      org: path.relative(outDir, path.join(schemas, 'org.schema.json')).split(path.sep).join('/'),
      team: path.relative(path.join(outDir, 'teams'), path.join(schemas, 'team.schema.json')).split(path.sep).join('/'),
    };
    const live = await connection.admin.readLiveState({ concurrency: connection.concurrency });
    // Today's people too (issue 20): members, pending invites and every project's memberships.
    if (connection.admin.capabilities.members)
      live.members = await connection.admin.readMembers({
        projectIds: live.projects.map((p) => p.id),
        concurrency: connection.concurrency,
      });
    result = importPolicies(live, { admins, schemaRef });
  } finally {
    await connection.close();
  }
  const existing = Object.keys(result.files).filter((f) => fs.existsSync(path.join(outDir, f)));
  if (existing.length > 0 && !values.force) {
    throw new UserError(
      `${values.out} already holds ${existing.join(', ')}: import into an empty directory (--out DIR), or add --force to overwrite`,
    );
  }
  for (const [file, content] of Object.entries(result.files)) {
    makeDirs(path.dirname(path.join(outDir, file)));
    fs.writeFileSync(path.join(outDir, file), content);
    io.out(`wrote ${path.join(values.out, file)}\n`);
  }
  for (const note of result.notes) io.err(`note: ${note}\n`);
  const target = values.sandbox ? ' --sandbox' : values['sandbox-url'] ? ` --sandbox-url ${values['sandbox-url']}` : '';
  io.out(
    `Imported ${Object.keys(result.files).length - 1} team file(s). Set admins and owners, then run \`groq-rbac plan --policies ${values.out}${target}\`: it should show only adoptions of keys groq-rbac does not manage yet. Add rotation.deliver targets before keys are due: a key without one is never rotated.\n`,
  );
  return 0;
}

/**
 * The provider and organization id to import: the flags, else what an org.yaml already in the
 * output directory says (a re-import with --force), else Groq and, for a sandbox, its own id.
 */
function whichOrganization(
  values: { provider?: string; org?: string; sandbox?: boolean; 'sandbox-url'?: string },
  orgFile: string,
): { provider: ImportProvider; orgId: string } {
  const existing = readExistingOrg(orgFile);
  const named = values.provider ?? existing.provider ?? 'groq';
  if (!(PROVIDERS as readonly string[]).includes(named)) {
    throw new UserError(
      `${values.provider !== undefined ? '--provider' : orgFile} names provider "${named}": import reads groq or openai${named === 'groq-console' ? ' (a Console organization has no admin API to read)' : ''}`,
    );
  }
  const provider = named as ImportProvider;
  const form = ORG_FORM[provider];
  const fromFile = existing.provider === undefined || existing.provider === provider ? existing.org : undefined;
  const orgId =
    values.org ??
    (fromFile !== undefined && form.pattern.test(fromFile) ? fromFile : undefined) ??
    (values.sandbox || values['sandbox-url'] !== undefined || provider === 'groq' ? form.sandbox : undefined);
  if (orgId === undefined) {
    throw new UserError(
      'importing an OpenAI organization needs its id: add --org org-… (OpenAI shows it under Settings → Organization → General), which groq-rbac sends as OpenAI-Organization and OpenAI checks against the admin key',
    );
  }
  if (!form.pattern.test(orgId))
    throw new UserError(`--org must look like ${form.prefix}… for ${provider === 'openai' ? 'OpenAI' : 'Groq'}, not "${orgId}"`);
  return { provider, orgId };
}

/** `provider:` and `org:` of an org.yaml already there; nothing when there is none or it does not parse. */
function readExistingOrg(file: string): { provider?: string; org?: string } {
  let data: unknown;
  try {
    data = parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
  if (data === null || typeof data !== 'object') return {};
  const { provider, org } = data as { provider?: unknown; org?: unknown };
  return { ...(typeof provider === 'string' ? { provider } : { provider: 'groq' }), ...(typeof org === 'string' ? { org } : {}) };
}
