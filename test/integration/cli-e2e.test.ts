import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { containsKeyValue } from '../../src/core/redact.js';
import { edit, runCli, workspaceWith, type RunResult } from '../helpers/cli.js';
import { chat, createKey, startTestOrg, type TestOrg } from '../helpers/sandbox.js';

let org: TestOrg;
let ws: string;
let outputs: RunResult[];

async function cli(...argv: string[]): Promise<RunResult> {
  const result = await runCli(argv, { cwd: ws, env: { GROQ_ADMIN_KEY: org.sandbox.adminKey, GROQ_BASE_URL: org.sandbox.url } });
  outputs.push(result);
  return result;
}
const policy = (file: string) => path.join(ws, 'policies', file);
const projects = () => org.client.listProjects();
const projectNamed = async (name: string) => (await projects()).find((p) => p.name === name)!;
const keysOf = async (name: string) => org.client.listProjectKeys((await projectNamed(name)).id);
const allKeys = async () => (await Promise.all((await projects()).map((p) => org.client.listProjectKeys(p.id)))).flat();
const requests = async () => (await org.request('GET', '/_sandbox/stats')).body.requests_total as number;
/** The value delivered for a key (every target is a local file in these tests). */
const delivered = (key: string) => fs.readFileSync(path.join(ws, '.deliveries', `${key}.key`), 'utf8').trim();

/** Rewrites a team file so that each key delivers to `.deliveries/<key>.key` alone. */
function localDeliveries(text: string): string {
  let key = '';
  let replaced = '';
  return text
    .split('\n')
    .flatMap((line) => {
      const name = /^\s{6}- name: ([a-z0-9-]+)/.exec(line);
      if (name) key = name[1]!;
      const target = /^(\s+)- (github|vault|file): /.exec(line);
      if (!target) return [line];
      if (replaced === key) return [];
      replaced = key;
      return [`${target[1]}- file: {path: .deliveries/${key}.key}`];
    })
    .join('\n');
}

beforeEach(async () => {
  org = await startTestOrg({ orgId: 'org_sandbox' });
  ws = workspaceWith('policies');
  // Every key's targets become one file in the workspace, so each new key can be read and used.
  for (const file of fs.readdirSync(policy('teams'))) edit(policy(`teams/${file}`), localDeliveries);
  // .deliveries/ is outside every team's own name space: org.yaml grants it to each.
  edit(policy('org.yaml'), (text) => {
    const doc = parseDocument(text);
    for (const file of fs.readdirSync(policy('teams'))) doc.setIn(['grants', file.replace(/\.yaml$/, ''), 'files'], ['.deliveries/']);
    return doc.toString();
  });
  outputs = [];
});

afterEach(async () => {
  // No key value ever reaches stdout or stderr: neither the values delivered nor anything shaped like one, nor the admin key.
  const dir = path.join(ws, '.deliveries');
  const values = fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), 'utf8').trim()) : [];
  for (const { stdout, stderr } of outputs) {
    for (const text of [stdout, stderr]) {
      expect(containsKeyValue(text)).toBe(false);
      expect(text.includes(org.sandbox.adminKey)).toBe(false);
      for (const v of values) expect(text.includes(v)).toBe(false);
    }
  }
  await org.close();
});

describe('plan and apply against the sandbox', () => {
  it('sets up every project, permission, limit and key of an empty org, then has nothing to do', async () => {
    expect((await cli('validate')).code).toBe(0);
    const plan = await cli('plan', '--detailed-exitcode');
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('Plan: 19 to create, 24 to update, 0 to delete, 0 to adopt, 0 to archive.');
    const apply = await cli('apply', '--yes');
    expect(apply.code).toBe(0);
    expect(apply.stdout).toContain('Apply complete: 19 created, 24 updated, 0 rotated, 0 deleted, 0 adopted, 0 archived.');
    expect((await projects()).map((p) => p.name).sort()).toEqual([
      'analytics-dashboards',
      'analytics-notebooks',
      'batch-nightly',
      'chatbot-prod',
      'chatbot-staging',
      'research-evals',
      'research-speech',
    ]);
    const prod = await projectNamed('chatbot-prod');
    expect(await org.client.getProjectModelPermissions(prod.id)).toMatchObject({
      mode: 'allow_list',
      model_ids: ['meta-llama/llama-prompt-guard-2-86m', 'openai/gpt-oss-120b'],
    });
    expect((await org.client.listProjectRateLimits(prod.id)).find((r) => r.model === 'openai/gpt-oss-120b')).toMatchObject({
      max_requests_per_1_minute: 500,
      max_tokens_per_1_minute: 60_000,
      max_requests_per_1_day: 200_000,
    });
    expect(await org.client.getOrgModelPermissions()).toMatchObject({ mode: 'allow_list' });
    expect(await org.client.getSpendLimit()).toMatchObject({ threshold_amount: 50_000 });
    expect((await org.client.listSpendAlerts()).map((a) => a.threshold_amount).sort((a, b) => a - b)).toEqual([10_000, 25_000, 40_000]);
    // Every key reached its target and works, within its project's permissions.
    const web = delivered('chatbot-prod-web');
    expect((await org.request('POST', '/openai/v1/chat/completions', { token: web, body: chat('openai/gpt-oss-120b') })).status).toBe(200);
    expect((await org.request('POST', '/openai/v1/chat/completions', { token: web, body: chat('openai/gpt-oss-20b') })).status).toBe(403);

    const again = await cli('plan', '--detailed-exitcode');
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('No changes. Organization org_sandbox matches the policies.\n');
    const before = (await org.request('GET', '/_sandbox/stats')).body.by_route as Record<string, number>;
    expect((await cli('apply', '--yes')).code).toBe(0);
    const after = (await org.request('GET', '/_sandbox/stats')).body.by_route as Record<string, number>;
    for (const route of Object.keys(after).filter((r) => !r.startsWith('GET '))) expect(after[route], route).toBe(before[route]);
  });

  it('with --sandbox-url, a running sandbox never sends its keys to a real GitHub or Vault target', async () => {
    edit(policy('teams/chatbot.yaml'), (t) =>
      t.replace(
        '- file: {path: .deliveries/chatbot-staging-web.key}',
        '- github: {repository: acme/chatbot, secret: GROQ_API_KEY, environment: staging}',
      ),
    );
    // Even with a GitHub token in the environment. The flag, not the server's answers, says it is a
    // sandbox: a --base-url to one is a real organization (test/security/transport.test.ts).
    const result = await runCli(['apply', '--yes', '--sandbox-url', org.sandbox.url], {
      cwd: ws,
      env: { GROQ_ADMIN_KEY: org.sandbox.adminKey, GITHUB_TOKEN: 'ghs_notarealtoken', GITHUB_API_URL: 'http://127.0.0.1:9' },
    });
    outputs.push(result);
    expect(result.code).toBe(0);
    const value = fs.readFileSync(path.join(ws, '.groq-rbac/deliveries/github/acme/chatbot/staging/GROQ_API_KEY'), 'utf8').trim();
    expect((await org.request('POST', '/openai/v1/chat/completions', { token: value, body: chat('openai/gpt-oss-20b') })).status).toBe(200);
  });

  it("binds all of a project's keys by the project's limits", async () => {
    edit(policy('teams/chatbot.yaml'), (t) =>
      t
        .replace(
          'default: {requests_per_minute: 500, tokens_per_minute: 100000, requests_per_day: 200000}',
          'default: {requests_per_minute: 2, tokens_per_minute: 100000, requests_per_day: 200000}',
        )
        .replace('openai/gpt-oss-120b: {tokens_per_minute: 60000}', 'openai/gpt-oss-120b: {requests_per_minute: 2}'),
    );
    expect((await cli('apply', '--yes')).code).toBe(0);
    await org.request('POST', '/_sandbox/clock', { body: { freeze: true } });
    const [web, mobile] = [delivered('chatbot-prod-web'), delivered('chatbot-prod-mobile')];
    const send = async (token: string) =>
      (
        await org.request('POST', '/openai/v1/chat/completions', {
          token,
          body: chat('openai/gpt-oss-120b', 'hi', { max_completion_tokens: 8 }),
        })
      ).status;
    expect([await send(web), await send(mobile), await send(web)]).toEqual([200, 200, 429]);
  });

  it('shows a change made behind its back as a difference, and reverts it', async () => {
    await cli('apply', '--yes');
    const prod = await projectNamed('chatbot-prod');
    await org.request('POST', `/openai/v1/organization/projects/${prod.id}/rate_limits/rl-openai%2Fgpt-oss-120b`, {
      body: { max_requests_per_1_minute: 999 },
    });
    await org.request('POST', `/openai/v1/organization/projects/${prod.id}/model_permissions`, {
      body: { mode: 'allow_list', model_ids: ['openai/gpt-oss-120b'] },
    });
    const plan = await cli('plan', '--detailed-exitcode');
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('requests_per_minute 999 -> 500');
    // Who changed it, from the organization's audit log.
    expect(plan.stdout).toMatch(
      /requests_per_minute 999 -> 500 {2}# to match the policies; the organization's value set by api key \w+ on \d{4}-\d{2}-\d{2}/,
    );
    expect(plan.stdout).toContain('+ "meta-llama/llama-prompt-guard-2-86m"');
    expect((await cli('apply', '--yes')).code).toBe(0);
    expect(
      (await org.client.listProjectRateLimits(prod.id)).find((r) => r.model === 'openai/gpt-oss-120b')!.max_requests_per_1_minute,
    ).toBe(500);
    expect((await cli('plan', '--detailed-exitcode')).code).toBe(0);
  });

  it('deletes a key removed from the YAML, and archives a project removed from it: its keys stop working', async () => {
    await cli('apply', '--yes');
    const transcriber = delivered('research-speech-transcriber');
    edit(policy('teams/research.yaml'), (t) => t.slice(0, t.indexOf('  - name: research-speech')));
    edit(policy('teams/analytics.yaml'), (t) => t.replace(/ {4}keys:\n {6}- name: analytics-notebooks-shared[\s\S]*$/, '    keys: []\n'));
    const plan = await cli('plan');
    expect(plan.stdout).toMatch(/- key "analytics-notebooks-shared" \(key_\w+, gsk_…\w{4}\)/);
    expect(plan.stdout).toMatch(/- project "research-speech" \(proj_\w+\)/);
    expect((await cli('apply', '--yes')).code).toBe(0);
    expect(await keysOf('analytics-notebooks')).toEqual([]);
    expect((await projects()).map((p) => p.name)).not.toContain('research-speech');
    expect(
      (await org.request('POST', '/openai/v1/chat/completions', { token: transcriber, body: chat('whisper-large-v3-turbo') })).status,
    ).toBe(401);
  });

  it('refuses more deletes and archives than the safety limit with nothing changed, and applies them with --force', async () => {
    await cli('apply', '--yes');
    fs.rmSync(policy('teams/analytics.yaml'));
    fs.rmSync(policy('teams/research.yaml'));
    const refused = await cli('apply', '--yes');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      '4 deletes and archives are over safety.max_deletes 3: apply with --force, or raise safety.max_deletes in policies/org.yaml in the same pull request (admins approve)',
    );
    expect(await projects()).toHaveLength(7);
    expect((await cli('plan', '--detailed-exitcode')).code).toBe(1);
    expect((await cli('plan', '--detailed-exitcode', '--force')).code).toBe(2);
    expect((await cli('apply', '--yes', '--force')).code).toBe(0);
    expect((await projects()).map((p) => p.name).sort()).toEqual(['batch-nightly', 'chatbot-prod', 'chatbot-staging']);
  });

  it('never archives a protected project nor deletes its keys, even with --force', async () => {
    await cli('apply', '--yes');
    edit(policy('teams/chatbot.yaml'), (t) => t.replace(/ {2}- name: chatbot-prod\n[\s\S]*?(?= {2}- name: chatbot-staging)/, ''));
    const refused = await cli('apply', '--yes', '--force');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/project "chatbot-prod" \(proj_\w+\) is protected and would be archived/);
    expect((await projects()).map((p) => p.name)).toContain('chatbot-prod');
  });

  it('refuses a stale plan, showing what changed, and applies an approved one without asking', async () => {
    await cli('apply', '--yes');
    edit(policy('teams/batch.yaml'), (t) => t.replace('requests_per_minute: 800', 'requests_per_minute: 700'));
    expect((await cli('plan', '--out', 'plan.json')).code).toBe(0);
    const batch = await projectNamed('batch-nightly');
    await org.request('POST', `/openai/v1/organization/projects/${batch.id}/rate_limits/rl-openai%2Fgpt-oss-20b`, {
      body: { max_tokens_per_1_minute: 5 },
    });
    const stale = await cli('apply', '--plan', 'plan.json');
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(
      /^The plan changed since it was approved \(fingerprint [0-9a-f]{12}… is now [0-9a-f]{12}…\)\. Nothing was changed\./,
    );
    expect(stale.stderr).toContain('tokens_per_minute 5 -> 800000');
    const limit = async () => (await org.client.listProjectRateLimits(batch.id)).find((r) => r.model === 'openai/gpt-oss-20b')!;
    expect(await limit()).toMatchObject({ max_requests_per_1_minute: 800, max_tokens_per_1_minute: 5 });

    const fresh = JSON.parse((await cli('plan', '--format', 'json')).stdout);
    const approved = await cli('apply', '--expect-fingerprint', fresh.fingerprint);
    expect(approved.code).toBe(0);
    expect(await limit()).toMatchObject({ max_requests_per_1_minute: 700, max_tokens_per_1_minute: 800_000 });
    expect((await cli('apply', '--expect-fingerprint', fresh.fingerprint)).code).toBe(1);
  });

  it('finishes what it can when changes fail, reports each outcome, and a re-run converges', async () => {
    await org.request('POST', '/_sandbox/faults', {
      body: {
        faults: [{ method: 'POST', path: '/openai/v1/organization/projects', status: 400, code: 'invalid_request_error', times: 1 }],
      },
    });
    const partial = await cli('apply', '--yes', '--out', 'report.json');
    expect(partial.code).toBe(1);
    expect(partial.stderr).toMatch(/Apply finished with 1 failed and \d+ skipped changes/);
    const report = JSON.parse(fs.readFileSync(path.join(ws, 'report.json'), 'utf8'));
    expect(report.summary.failed).toBe(1);
    expect(report.summary.skipped).toBeGreaterThan(0);
    expect(report.outcomes.find((o: { status: string }) => o.status === 'failed')).toMatchObject({
      resource: 'project',
      action: 'create',
      error: { status: 400 },
    });
    expect((await cli('apply', '--yes')).code).toBe(0);
    expect((await cli('plan', '--detailed-exitcode')).code).toBe(0);
    expect(await allKeys()).toHaveLength(8);
  });

  it('asks for confirmation on a terminal and needs --yes elsewhere', async () => {
    const offTerminal = await cli('apply');
    expect(offTerminal.code).toBe(1);
    expect(offTerminal.stderr).toContain('apply changes the organization and is not on a terminal: add --yes');
    const env = { GROQ_ADMIN_KEY: org.sandbox.adminKey, GROQ_BASE_URL: org.sandbox.url };
    const declined = await runCli(['apply'], { cwd: ws, env, interactive: true, answer: 'no' });
    outputs.push(declined);
    expect(declined.code).toBe(1);
    expect(declined.stdout).toContain('Do you want to perform these actions in org_sandbox (127.0.0.1:');
    expect(await projects()).toHaveLength(0);
    const accepted = await runCli(['apply'], { cwd: ws, env, interactive: true, answer: 'yes' });
    outputs.push(accepted);
    expect(accepted.code).toBe(0);
    expect(await projects()).toHaveLength(7);
  });

  it('refuses to plan or apply against another organization', async () => {
    edit(policy('org.yaml'), (t) => t.replace('org: org_sandbox', 'org: org_production'));
    const plan = await cli('plan');
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain(
      'the admin key belongs to organization org_sandbox, but policies/org.yaml governs org_production: nothing was planned or changed',
    );
    // No plan is shown: against another organization every project would read as new.
    expect(plan.stdout).not.toContain('Plan:');
    expect(plan.stdout).not.toContain('No changes');
    expect((await cli('apply', '--yes', '--force')).code).toBe(1);
    expect(await projects()).toHaveLength(0);
  });

  it('bad policies and bad output paths: exit 1 with a clear message, and not one request to the org', async () => {
    edit(policy('teams/chatbot.yaml'), (t) => t.replace('requests_per_minute: 500', 'requests_per_minute: lots'));
    const result = await cli('apply', '--yes');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /policies\/teams\/chatbot\.yaml:\d+:\d+: error: projects\[0\]\.limits\.default\.requests_per_minute: must be a whole number/,
    );
    expect(result.stderr).toContain('nothing was changed');
    edit(policy('teams/chatbot.yaml'), (t) => t.replace('requests_per_minute: lots', 'requests_per_minute: 500'));
    fs.mkdirSync(path.join(ws, 'somedir'));
    expect((await cli('plan', '--out', 'somedir')).stderr).toContain('--out somedir is a directory');
    expect((await cli('apply', '--yes', '--out', 'somedir')).stderr).toContain('--out somedir is a directory');
    expect(await requests()).toBe(0);
    // A model the org blocks cannot be allowed by a project: refused at validate time.
    edit(policy('org.yaml'), (t) => t.replace('  - whisper-large-v3-turbo\n', ''));
    const blocked = await cli('plan');
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toMatch(/policies\/teams\/research\.yaml:\d+:\d+: error: .*whisper-large-v3-turbo/);
    expect(await requests()).toBe(0);
  });

  it('writes markdown and json renderings and saves the plan with --out', async () => {
    const md = await cli('plan', '--format', 'markdown');
    expect(md.stdout).toMatch(/^<!-- groq-rbac:plan -->/);
    const json = await cli('plan', '--format', 'json', '--out', 'saved/plan.json');
    const parsed = JSON.parse(json.stdout);
    expect(parsed).toMatchObject({
      format_version: 3,
      org: 'org_sandbox',
      summary: { create: 19, update: 24, delete: 0, adopt: 0, archive: 0, rotate: 0 },
    });
    expect(JSON.parse(fs.readFileSync(path.join(ws, 'saved/plan.json'), 'utf8')).fingerprint).toBe(parsed.fingerprint);
    expect((await cli('plan', '--format', 'yaml')).stderr).toContain('--format must be one of text, markdown, json, not "yaml"');
  });

  it('says which environment variable to set when there is no admin key', async () => {
    const result = await runCli(['plan'], { cwd: ws, env: {} });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'error: GROQ_ADMIN_KEY is not set: export an admin key for your organization, or add --sandbox to use the built-in sandbox\n',
    );
  });
});

describe('import', () => {
  it('writes policies for an existing org such that plan shows only adoptions', async () => {
    const make = async (name: string) =>
      (await org.request('POST', '/openai/v1/organization/projects', { body: { name } })).body.id as string;
    const searchProd = await make('search-prod');
    const searchDev = await make('search-dev');
    await org.request('POST', `/openai/v1/organization/projects/${searchProd}/model_permissions`, {
      body: { mode: 'allow_list', model_ids: ['openai/gpt-oss-120b'] },
    });
    await org.request('POST', `/openai/v1/organization/projects/${searchProd}/rate_limits/rl-openai%2Fgpt-oss-120b`, {
      body: { max_requests_per_1_minute: 300 },
    });
    await createKey(org, searchProd, 'search-prod-api');
    await createKey(org, searchDev, 'search-dev-api');
    await org.request('POST', '/openai/v1/organization/spend_limit', {
      body: { threshold_amount: 25_000, currency: 'USD', interval: 'month' },
    });

    const imported = await cli('import', '--out', 'imported', '--admins', '@acme/platform');
    expect(imported.code).toBe(0);
    expect(fs.readdirSync(path.join(ws, 'imported/teams')).sort()).toEqual(['search.yaml']);
    expect((await cli('validate', '--policies', 'imported')).code).toBe(0);

    const plan = JSON.parse((await cli('plan', '--policies', 'imported', '--format', 'json')).stdout);
    expect(plan.summary).toEqual({ create: 0, update: 0, delete: 0, adopt: 2, archive: 0, rotate: 0 });
    expect((await cli('apply', '--policies', 'imported', '--yes')).code).toBe(0);
    expect((await cli('plan', '--policies', 'imported', '--detailed-exitcode')).code).toBe(0);
    expect((await cli('import', '--out', 'imported')).stderr).toContain('imported already holds org.yaml');
  });
});
