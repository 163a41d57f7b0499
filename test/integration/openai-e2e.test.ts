/**
 * The command line against the OpenAI sandbox over HTTP on 127.0.0.1 (`--sandbox-url`, with
 * OPENAI_ADMIN_KEY as a user would export it): import of an organization groq-rbac never touched
 * (projects, service accounts with free names, their keys, lowered rate limits) and the round trip
 * through plan and apply; staged rotation with delivery to a file, judged quiet from usage per key
 * and `last_used_at`; usage; drift made outside groq-rbac, with exit 2 and the audit log's
 * attribution by resource id; and a create whose answer is lost, converging to one service account.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { distinctKeyName } from '../../src/core/key-names.js';
import { containsKeyValue } from '../../src/core/redact.js';
import { decodeName } from '../../src/providers/openai/bookkeeping.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { runCli, type RunResult } from '../helpers/cli.js';
import { openAiApi } from '../helpers/openai-api.js';

const ORG = 'org-acme';
// Built at run time: no tracked line looks like a key.
const ADMIN_KEY = ['sk', 'admin', 'OpenAiEndToEndKey0123456789abcdefghijkl'].join('-');
const DAY = 86_400;

let sandbox: Sandbox;
let ws: string;
let outputs: RunResult[];

async function cli(...argv: string[]): Promise<RunResult> {
  const result = await runCli(argv, { cwd: ws, env: { OPENAI_ADMIN_KEY: ADMIN_KEY } });
  outputs.push(result);
  return result;
}
const at = () => ['--sandbox-url', sandbox.url];

const openai = openAiApi(() => sandbox.url, ADMIN_KEY, ORG);
async function project(name: string): Promise<string> {
  const made = await openai('POST', '/v1/organization/projects', { body: { name } });
  expect(made.status).toBe(200);
  return made.body.id as string;
}
async function serviceAccount(projectId: string, name: string): Promise<{ id: string; keyId: string; value: string }> {
  const made = await openai('POST', `/v1/organization/projects/${projectId}/service_accounts`, { body: { name } });
  expect(made.status).toBe(200);
  return { id: made.body.id, keyId: made.body.api_key.id, value: made.body.api_key.value };
}
const projectId = async (name: string) =>
  ((await openai('GET', '/v1/organization/projects')).body.data as { id: string; name: string }[]).find((p) => p.name === name)!.id;
const accounts = async (name: string) =>
  (await openai('GET', `/v1/organization/projects/${await projectId(name)}/service_accounts`)).body.data as { id: string; name: string }[];
/** `key gN` for each service account of the project whose name carries groq-rbac's marks. */
const generations = async (name: string) =>
  (await accounts(name))
    .map((a) => decodeName(a.name)?.marks)
    .map((m) => (m ? `${m.key} g${m.generation}` : 'unmanaged'))
    .sort();
const infer = async (value: string) =>
  (
    await openai('POST', '/v1/chat/completions', {
      token: value,
      body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] },
    })
  ).status;
const advance = async (seconds: number) =>
  expect((await openai('POST', '/_sandbox/clock', { body: { advance_seconds: seconds } })).status).toBe(200);
const today = async () => new Date((await openai('GET', '/_sandbox/clock')).body.now * 1000).toISOString().slice(0, 10);
const read = (file: string) => fs.readFileSync(path.join(ws, file), 'utf8');
const write = (file: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(ws, file)), { recursive: true });
  fs.writeFileSync(path.join(ws, file), text);
};

const ORG_YAML = `version: 2
provider: openai
org: ${ORG}
admins: ["@acme/platform"]
models: [gpt-4o, gpt-4o-mini]
grants:
  app:
    projects: [app-prod]
`;
const teamYaml = (rotation: string, extra = '') => `team: app
owners: ["@acme/app"]
projects:
  - name: app-prod
    models: [gpt-4o-mini]
    keys:
      - name: app-prod-web
        rotation: {${rotation}deliver: [{file: {path: .secrets/app/web.key}}]}
${extra}`;

beforeEach(async () => {
  sandbox = await startSandbox({ provider: 'openai', host: '127.0.0.1', port: 0, orgId: ORG, adminKey: ADMIN_KEY });
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-openai-e2e-'));
  outputs = [];
});

afterEach(async () => {
  // No key value, delivered or not, and not the admin key, in anything the command line printed.
  const dir = path.join(ws, '.secrets/app');
  const delivered = fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), 'utf8').trim()) : [];
  for (const { stdout, stderr } of outputs) {
    for (const text of [stdout, stderr]) {
      expect(containsKeyValue(text)).toBe(false);
      for (const s of [ADMIN_KEY, ...delivered]) expect(text).not.toContain(s);
    }
  }
  await sandbox.close();
});

describe('import from an OpenAI organization', () => {
  it('adopts its projects, service accounts and keys, so that plan shows only adoptions and, once applied, nothing', async () => {
    const prod = await project('search-prod');
    const dev = await project('search-dev');
    await project('Default project');
    expect(
      (
        await openai('POST', `/v1/organization/projects/${prod}/model_permissions`, {
          body: { mode: 'allow_list', model_ids: ['gpt-4o-mini'] },
        })
      ).status,
    ).toBe(200);
    expect(
      (await openai('POST', `/v1/organization/projects/${prod}/rate_limits/rl-gpt-4o-mini`, { body: { max_requests_per_1_minute: 300 } }))
        .status,
    ).toBe(200);
    // The project's own spending.
    expect(
      (
        await openai('POST', `/v1/organization/projects/${prod}/spend_limit`, {
          body: { threshold_amount: 12_000, currency: 'USD', interval: 'month' },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await openai('POST', `/v1/organization/projects/${prod}/spend_alerts`, {
          body: {
            threshold_amount: 8_000,
            currency: 'USD',
            interval: 'month',
            notification_channel: { type: 'email', recipients: ['search@acme.example'] },
          },
        })
      ).status,
    ).toBe(200);
    // Service account names are free text, and repeat across projects.
    const made = [
      await serviceAccount(prod, 'Search API (prod)'),
      await serviceAccount(prod, 'ci'),
      await serviceAccount(dev, 'ci'),
      await serviceAccount(dev, 'backend-worker'),
    ];

    const imported = await cli('import', '--provider', 'openai', '--org', ORG, ...at(), '--out', 'imported', '--admins', '@acme/platform');
    expect(imported.code, imported.stderr).toBe(0);
    expect(fs.readdirSync(path.join(ws, 'imported/teams'))).toEqual(['search.yaml']);
    const org = read('imported/org.yaml');
    expect(org).toMatch(/^version: 2\nprovider: openai\norg: org-acme\n/m);
    expect(imported.stderr).toContain('note: left out project');
    expect(imported.stderr).toContain('"Default project" is not a valid policy name');
    expect(imported.stderr).toContain('rename it in the OpenAI dashboard');
    const team = read('imported/teams/search.yaml');
    // Derived from the free name; the second "ci" made distinct by its key's id; limits in policy fields, only where lowered.
    const ciDev = distinctKeyName('ci', made[2]!.keyId);
    for (const name of ['Search-API-prod', 'ci', ciDev, 'backend-worker']) expect(team).toContain(`- name: ${name}\n`);
    expect(team).toContain('gpt-4o-mini: {requests_per_minute: 300}');
    expect(team).toContain(
      'spending:\n      monthly_cap_usd: 120\n      alert_thresholds_usd: [80]\n      alert_recipients: [search@acme.example]\n',
    );
    expect(team).not.toContain('max_requests_per_1_minute');
    expect((await cli('validate', '--policies', 'imported')).code).toBe(0);

    const plan = JSON.parse((await cli('plan', '--policies', 'imported', ...at(), '--format', 'json')).stdout);
    expect(plan.summary).toEqual({ create: 0, update: 0, delete: 0, adopt: 4, archive: 0, rotate: 0 });
    expect(plan.changes.map((c: { key: string; key_id: string }) => [c.key, c.key_id]).sort()).toEqual(
      [
        ['Search-API-prod', made[0]!.keyId],
        ['backend-worker', made[3]!.keyId],
        ['ci', made[1]!.keyId],
        [ciDev, made[2]!.keyId],
      ].sort(),
    );

    const apply = await cli('apply', '--policies', 'imported', ...at(), '--yes');
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout).toContain('4 adopted');
    // Adopted, not replaced: the same keys, now carrying their marks, still working.
    expect(await generations('search-prod')).toEqual(['Search-API-prod g1', 'ci g1']);
    expect(await generations('search-dev')).toEqual([`${ciDev} g1`, 'backend-worker g1'].sort());
    for (const m of made) expect(await infer(m.value)).toBe(200);
    expect((await cli('plan', '--policies', 'imported', ...at(), '--detailed-exitcode')).code).toBe(0);

    // Importing again (over the files, provider and org from the org.yaml there) writes the same policies.
    const before = [read('imported/org.yaml'), read('imported/teams/search.yaml')];
    expect((await cli('import', ...at(), '--out', 'imported', '--admins', '@acme/platform')).stderr).toContain(
      'imported already holds org.yaml',
    );
    const again = await cli('import', ...at(), '--out', 'imported', '--admins', '@acme/platform', '--force');
    expect(again.code, again.stderr).toBe(0);
    expect([read('imported/org.yaml'), read('imported/teams/search.yaml')]).toEqual(before);
  });

  it('needs the organization id of a real OpenAI organization, and its help lists the exit codes', async () => {
    const r = await runCli(['import', '--provider', 'openai', '--base-url', `${sandbox.url}/v1`], {
      cwd: ws,
      env: { OPENAI_ADMIN_KEY: ADMIN_KEY },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('importing an OpenAI organization needs its id: add --org org-…');
    expect(
      (await runCli(['import', '--provider', 'openai', '--org', 'org_acme', ...at()], { cwd: ws, env: { OPENAI_ADMIN_KEY: ADMIN_KEY } }))
        .stderr,
    ).toContain('--org must look like org-… for OpenAI, not "org_acme"');
    // Another organization's id: OpenAI refuses the key for it, and nothing is written.
    const other = await runCli(['import', '--provider', 'openai', '--org', 'org-other', ...at()], {
      cwd: ws,
      env: { OPENAI_ADMIN_KEY: ADMIN_KEY },
    });
    expect(other.code).toBe(1);
    expect(fs.existsSync(path.join(ws, 'policies'))).toBe(false);
    const help = (await runCli(['import', '--help'], { cwd: ws })).stdout;
    expect(help).toContain('Exit codes: 0 the policies were written, 1 error');
    expect(help).toContain('--provider NAME');
    expect(help).not.toMatch(/deliver(y|ies) go/);
    expect(help).not.toContain('--policies');
  });
});

describe('the OpenAI organization end to end', () => {
  it('rotates a due key in stages: the new one delivered to its file, the old one retired only once quiet by usage per key', async () => {
    write('policies/org.yaml', ORG_YAML);
    const rotation = 'every: 30d, quiet_period: 24h, min_overlap: 1h, ';
    write('policies/teams/app.yaml', teamYaml(rotation));
    expect((await cli('apply', '--policies', 'policies', ...at(), '--yes')).code).toBe(0);
    const first = read('.secrets/app/web.key').trim();
    expect(first).toMatch(/^sk-svcacct-/);
    expect(await infer(first)).toBe(200);

    await advance(31 * DAY);
    const plan = await cli('plan', '--policies', 'policies', ...at(), '--detailed-exitcode');
    expect(plan.code).toBe(2);
    expect(plan.stdout).toMatch(/key "app-prod-web".*\n.*g2/);
    const rotate = await cli('apply', '--policies', 'policies', ...at(), '--yes');
    expect(rotate.code, rotate.stdout + rotate.stderr).toBe(0);
    const second = read('.secrets/app/web.key').trim();
    expect(second).not.toBe(first);
    expect(await generations('app-prod')).toEqual(['app-prod-web g1', 'app-prod-web g2']);
    // Both work while the old one drains.
    expect(await infer(first)).toBe(200);
    expect(await infer(second)).toBe(200);

    // Used 12 hours on: not quiet, kept, whoever applies how often.
    await advance(12 * 3600);
    expect(await infer(first)).toBe(200);
    const busy = await cli('plan', '--policies', 'policies', ...at(), '--detailed-exitcode');
    expect(busy.code).toBe(0);
    expect(busy.stdout).toMatch(/retire g1: .*last used/);
    expect((await cli('apply', '--policies', 'policies', ...at(), '--yes')).code).toBe(0);
    expect(await generations('app-prod')).toEqual(['app-prod-web g1', 'app-prod-web g2']);

    // Quiet for the quiet period (plus the usage lag allowance and the hour buckets' rounding): retired.
    await advance(DAY + 2 * 3600);
    const retire = await cli('apply', '--policies', 'policies', ...at(), '--yes');
    expect(retire.code, retire.stdout + retire.stderr).toBe(0);
    expect(await generations('app-prod')).toEqual(['app-prod-web g2']);
    expect(await infer(first)).toBe(401);
    expect(await infer(second)).toBe(200);
  });

  it("usage reports each key's requests from the organization's own usage, named through the policies", async () => {
    write('policies/org.yaml', ORG_YAML);
    write('policies/teams/app.yaml', teamYaml(''));
    expect((await cli('apply', '--policies', 'policies', ...at(), '--yes')).code).toBe(0);
    const value = read('.secrets/app/web.key').trim();
    for (let i = 0; i < 3; i++) expect(await infer(value)).toBe(200);
    // A report ends at the organization's clock: traffic of that very minute's first second would be
    // a bucket starting at the end. Read a minute later, as a scheduled report would.
    await advance(61);
    const r = await cli('usage', '--policies', 'policies', ...at(), '--format', 'json', '--by', 'key');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ org: ORG, provider: 'openai', totals: { period: { requests: 3 } } });
    expect(report.breakdown.key).toEqual([
      expect.objectContaining({ name: 'app-prod-web', project: 'app-prod', team: 'app', managed: true, requests: 3 }),
    ]);
    expect((await cli('usage', '--policies', 'policies', ...at(), '--format', 'markdown')).stdout).toMatch(/^## OpenAI usage: org-acme$/m);
  });

  it('finds drift made outside groq-rbac (exit 2), says who made it from the audit log by resource id, and applies it away', async () => {
    write('policies/org.yaml', ORG_YAML);
    write(
      'policies/teams/app.yaml',
      teamYaml('').replace('      - name: app-prod-web\n', '      - name: app-prod-web\n        protect: true\n'),
    );
    expect((await cli('apply', '--policies', 'policies', ...at(), '--yes')).code).toBe(0);
    expect((await cli('plan', '--policies', 'policies', ...at(), '--detailed-exitcode')).code).toBe(0);

    // Two days on, someone drops the key's protect mark by renaming its service account, and opens the project to every model.
    await advance(2 * DAY);
    const changedOn = await today();
    const [account] = await accounts('app-prod');
    expect(
      (
        await openai('POST', `/v1/organization/projects/${await projectId('app-prod')}/service_accounts/${account!.id}`, {
          body: { name: account!.name.replace(' p ', ' ') },
        })
      ).status,
    ).toBe(200);
    expect((await openai('DELETE', `/v1/organization/projects/${await projectId('app-prod')}/model_permissions`)).status).toBe(200);

    const drift = await cli('plan', '--policies', 'policies', ...at(), '--detailed-exitcode');
    expect(drift.code).toBe(2);
    expect(drift.stdout).toContain('protect = false -> true');
    // The rename's audit event is the service account's; it is matched to the key by id, not by the event's project.
    expect(drift.stdout).toContain(`the organization's value set by key_admin on ${changedOn}`);
    // OpenAI logs no model-permission events: that change is found, and attributed to nobody.
    const json = JSON.parse((await cli('plan', '--policies', 'policies', ...at(), '--format', 'json')).stdout);
    const permissions = json.changes.find((c: { resource: string }) => c.resource === 'project_model_permissions');
    expect(permissions).toMatchObject({ reason: 'differs' });
    expect(permissions.context?.changed_by).toBeUndefined();
    expect(json.changes.find((c: { resource: string }) => c.resource === 'api_key').context.changed_by).toMatchObject({
      actor: 'key_admin',
    });

    expect((await cli('apply', '--policies', 'policies', ...at(), '--yes')).code).toBe(0);
    expect((await cli('plan', '--policies', 'policies', ...at(), '--detailed-exitcode')).code).toBe(0);
    expect(decodeName((await accounts('app-prod'))[0]!.name)!.marks.protect).toBe(true);
  });

  it('a create whose answer is lost converges to one service account per key', async () => {
    write('policies/org.yaml', ORG_YAML);
    write('policies/teams/app.yaml', teamYaml(''));
    // The service account is made, then the connection drops before the answer.
    expect(
      (
        await openai('POST', '/_sandbox/faults', {
          body: {
            faults: [{ method: 'POST', path: '/v1/organization/projects/*/service_accounts', after_commit: true, times: 1, reset: true }],
          },
        })
      ).status,
    ).toBe(200);
    const apply = await cli('apply', '--policies', 'policies', ...at(), '--yes');
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(await generations('app-prod')).toEqual(['app-prod-web g1']);
    expect(await infer(read('.secrets/app/web.key').trim())).toBe(200);
    expect((await cli('plan', '--policies', 'policies', ...at(), '--detailed-exitcode')).code).toBe(0);
  });
});
