import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { containsKeyValue } from '../../src/redact.js';
import { edit, runCli, workspaceWith, type RunResult } from '../helpers/cli.js';
import { keyInput, startTestOrg, type TestOrg } from '../helpers/sandbox.js';

let org: TestOrg;
let ws: string;
let outputs: RunResult[];

async function cli(...argv: string[]): Promise<RunResult> {
  const result = await runCli(argv, { cwd: ws, env: { GROQ_ADMIN_KEY: org.sandbox.adminKey, GROQ_BASE_URL: org.sandbox.url } });
  outputs.push(result);
  return result;
}
const liveKeys = () => org.client.listKeys();
const policy = (file: string) => path.join(ws, 'policies', file);

beforeEach(async () => {
  org = await startTestOrg({ orgId: 'org_sandbox' });
  ws = workspaceWith('policies');
  outputs = [];
});

afterEach(async () => {
  // No key value ever reaches stdout or stderr: neither the values this org handed out nor anything shaped like one.
  const values = Object.values(org.sandbox.state.snapshot().idempotency).map((r) => (r.response as { value: string }).value);
  for (const { stdout, stderr } of outputs) {
    for (const text of [stdout, stderr]) {
      expect(containsKeyValue(text)).toBe(false);
      for (const v of values) expect(text.includes(v)).toBe(false);
    }
  }
  await org.close();
});

describe('plan and apply against the sandbox', () => {
  it('plans every key on an empty org, applies, and then has nothing to do', async () => {
    const plan = await cli('plan', '--detailed-exitcode');
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('Plan: 7 to create, 1 to update, 0 to delete, 0 to adopt.');
    const apply = await cli('apply', '--yes');
    expect(apply.code).toBe(0);
    expect(apply.stdout).toContain('Apply complete: 7 created, 1 updated, 0 deleted, 0 adopted.');
    const keys = await liveKeys();
    expect(keys.map((k) => k.metadata['groq-rbac/key']).sort()).toEqual(['analytics-dashboards', 'analytics-notebooks', 'batch-nightly', 'chatbot-prod', 'chatbot-staging', 'research-evals', 'research-speech']);
    expect(keys.find((k) => k.name === 'chatbot-prod')).toMatchObject({ allowed_models: ['meta-llama/llama-prompt-guard-2-86m', 'openai/gpt-oss-120b'], requests_per_minute: 500, requests_per_day: 200000, metadata: { 'groq-rbac/protect': 'true' } });
    const again = await cli('plan', '--detailed-exitcode');
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('No changes. Organization org_sandbox matches the policies.\n');
    const writesBefore = (await org.request('GET', '/_sandbox/stats')).body.by_route;
    expect((await cli('apply', '--yes')).code).toBe(0);
    const writesAfter = (await org.request('GET', '/_sandbox/stats')).body.by_route;
    for (const route of ['POST /openai/v1/api-keys', 'PATCH /openai/v1/api-keys/{id}', 'DELETE /openai/v1/api-keys/{id}', 'PUT /openai/v1/organization/spending-limit']) {
      expect(writesAfter[route], route).toBe(writesBefore[route]);
    }
  });

  it('shows a change made behind its back as drift, and reverts it', async () => {
    await cli('apply', '--yes');
    const prod = (await liveKeys()).find((k) => k.name === 'chatbot-prod')!;
    await org.request('PATCH', `/openai/v1/api-keys/${prod.id}`, { body: { requests_per_minute: 9999, allowed_models: ['openai/gpt-oss-20b'] } });
    const plan = await cli('plan', '--detailed-exitcode');
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain(`~ key "chatbot-prod" (${prod.id}, ${prod.redacted_value})  # drift`);
    expect(plan.stdout).toContain('~ requests_per_minute = 9999 -> 500');
    expect(plan.stdout).toContain('- "openai/gpt-oss-20b",');
    expect((await cli('apply', '--yes')).code).toBe(0);
    expect(await org.client.getKey(prod.id)).toMatchObject({ requests_per_minute: 500, allowed_models: ['meta-llama/llama-prompt-guard-2-86m', 'openai/gpt-oss-120b'] });
  });

  it('deletes a key removed from the YAML', async () => {
    await cli('apply', '--yes');
    edit(policy('teams/research.yaml'), (t) => t.slice(0, t.indexOf('  - name: research-speech')));
    const plan = await cli('plan');
    expect(plan.stdout).toMatch(/- key "research-speech" \(key_\w+, gsk_…\w{4}\) {2}# removed from policies/);
    expect((await cli('apply', '--yes')).code).toBe(0);
    expect((await liveKeys()).map((k) => k.name)).not.toContain('research-speech');
  });

  it('refuses more deletes than the safety limit with nothing changed, and applies them with --force', async () => {
    await cli('apply', '--yes');
    fs.rmSync(policy('teams/analytics.yaml'));
    fs.rmSync(policy('teams/research.yaml'));
    const refused = await cli('apply', '--yes');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('error: apply refused; nothing was changed:\n  - 4 deletes are over safety.max_deletes 3; --force required\n  re-run with --force if these deletes are intended');
    expect(await liveKeys()).toHaveLength(7);
    const planned = await cli('plan', '--detailed-exitcode');
    expect(planned.code).toBe(1);
    expect((await cli('plan', '--detailed-exitcode', '--force')).code).toBe(2);
    expect((await cli('apply', '--yes', '--force')).code).toBe(0);
    expect(await liveKeys()).toHaveLength(3);
  });

  it('never deletes a protected key, even with --force', async () => {
    await cli('apply', '--yes');
    edit(policy('teams/chatbot.yaml'), (t) => t.replace(/ {2}- name: chatbot-prod[\s\S]*?(?= {2}- name: chatbot-staging)/, ''));
    const refused = await cli('apply', '--yes', '--force');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/key "chatbot-prod" \(key_\w+\) is protected and would be deleted: first merge a change that sets `protect: false`/);
    expect((await liveKeys()).map((k) => k.name)).toContain('chatbot-prod');
  });

  it('refuses a stale plan, showing what changed, and applies an approved one without asking', async () => {
    await cli('apply', '--yes');
    edit(policy('teams/batch.yaml'), (t) => t.replace('requests_per_minute: 1000', 'requests_per_minute: 900'));
    expect((await cli('plan', '--out', 'plan.json')).code).toBe(0);
    const batch = (await liveKeys()).find((k) => k.name === 'batch-nightly')!;
    await org.request('PATCH', `/openai/v1/api-keys/${batch.id}`, { body: { tokens_per_minute: 5 } });
    const stale = await cli('apply', '--plan', 'plan.json');
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/^The plan changed since it was approved \(fingerprint [0-9a-f]{12}… is now [0-9a-f]{12}…\)\. Nothing was changed\./);
    expect(stale.stderr).toContain('+      ~ tokens_per_minute   = 5 -> 1000000');
    expect(await org.client.getKey(batch.id)).toMatchObject({ requests_per_minute: 1000, tokens_per_minute: 5 });

    const fresh = JSON.parse((await cli('plan', '--format', 'json')).stdout);
    const approved = await cli('apply', '--expect-fingerprint', fresh.fingerprint);
    expect(approved.code).toBe(0);
    expect(await org.client.getKey(batch.id)).toMatchObject({ requests_per_minute: 900, tokens_per_minute: 1_000_000 });
    expect((await cli('apply', '--expect-fingerprint', fresh.fingerprint)).code).toBe(1);
  });

  it('finishes what it can when changes fail, reports each outcome, and a re-run converges', async () => {
    await org.request('POST', '/_sandbox/faults', { body: { faults: [{ method: 'POST', path: '/openai/v1/api-keys', status: 400, code: 'invalid_request_error', times: 2 }] } });
    const partial = await cli('apply', '--yes', '--out', 'report.json');
    expect(partial.code).toBe(1);
    expect(partial.stderr).toContain('Apply finished with 2 failed changes (5 created, 1 updated, 0 deleted, 0 adopted). Fix the cause and run apply again to finish.');
    expect(partial.stdout.match(/^✗ \+ key "[a-z-]+": POST \/openai\/v1\/api-keys → 400 invalid_request_error/gm)).toHaveLength(2);
    const report = JSON.parse(fs.readFileSync(path.join(ws, 'report.json'), 'utf8'));
    expect(report.summary).toEqual({ applied: 6, failed: 2 });
    expect(report.outcomes.filter((o: { status: string }) => o.status === 'failed').map((o: { error: { status: number } }) => o.error.status)).toEqual([400, 400]);
    expect((await cli('apply', '--yes')).code).toBe(0);
    expect((await cli('plan', '--detailed-exitcode')).code).toBe(0);
    expect(await liveKeys()).toHaveLength(7);
  });

  it('asks for confirmation on a terminal and needs --yes elsewhere', async () => {
    const offTerminal = await cli('apply');
    expect(offTerminal.code).toBe(1);
    expect(offTerminal.stderr).toContain('apply changes the organization and is not on a terminal: add --yes');
    const env = { GROQ_ADMIN_KEY: org.sandbox.adminKey, GROQ_BASE_URL: org.sandbox.url };
    const declined = await runCli(['apply'], { cwd: ws, env, interactive: true, answer: 'no' });
    expect(declined.code).toBe(1);
    expect(declined.stdout).toContain("Do you want to perform these actions in org_sandbox (127.0.0.1:");
    expect(await liveKeys()).toHaveLength(0);
    const accepted = await runCli(['apply'], { cwd: ws, env, interactive: true, answer: 'yes' });
    expect(accepted.code).toBe(0);
    expect(await liveKeys()).toHaveLength(7);
  });

  it('refuses to plan or apply against another organization', async () => {
    edit(policy('org.yaml'), (t) => t.replace('org: org_sandbox', 'org: org_production'));
    const plan = await cli('plan');
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain('the admin key belongs to organization org_sandbox, but policies/org.yaml governs org_production');
    expect((await cli('apply', '--yes', '--force')).code).toBe(1);
    expect(await liveKeys()).toHaveLength(0);
  });

  it('bad policies: exit 1 with file:line:column, and not one request to the org', async () => {
    edit(policy('teams/chatbot.yaml'), (t) => t.replace('requests_per_minute: 500', 'requests_per_minute: lots'));
    const result = await cli('apply', '--yes');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('policies/teams/chatbot.yaml:9:26: error: keys[0].requests_per_minute: must be a whole number, not string "lots"');
    expect(result.stderr).toContain('nothing was changed');
    expect((await org.request('GET', '/_sandbox/stats')).body.requests_total).toBe(0);
  });

  it('writes markdown and json renderings and saves the plan with --out', async () => {
    const md = await cli('plan', '--format', 'markdown');
    expect(md.stdout).toContain('| **Total** | **7** | **1** | **0** | **0** |');
    const json = await cli('plan', '--format', 'json', '--out', 'saved/plan.json');
    const parsed = JSON.parse(json.stdout);
    expect(parsed).toMatchObject({ format_version: 1, org: 'org_sandbox', summary: { create: 7, update: 1, delete: 0, adopt: 0, rotate: 0 } });
    expect(JSON.parse(fs.readFileSync(path.join(ws, 'saved/plan.json'), 'utf8')).fingerprint).toBe(parsed.fingerprint);
    expect((await cli('plan', '--format', 'yaml')).stderr).toContain('--format must be one of text, markdown, json, not "yaml"');
  });

  it('says which environment variable to set when there is no admin key', async () => {
    const result = await runCli(['plan'], { cwd: ws, env: {} });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('error: GROQ_ADMIN_KEY is not set: export an admin key for your organization, or add --sandbox to use the built-in sandbox\n');
  });
});

describe('import', () => {
  it('writes policies for an existing org such that plan shows only adoptions', async () => {
    await org.request('PUT', '/openai/v1/organization/spending-limit', { body: { monthly_cap_usd: 250, alert_thresholds_usd: [50, 200], auto_pause: false } });
    for (const [name, extra] of [
      ['search-prod', { allowed_models: ['openai/gpt-oss-120b'], requests_per_minute: 300 }],
      ['search-dev', { allowed_models: ['openai/gpt-oss-20b'] }],
      ['Billing_Batch', { tokens_per_day: 1000 }],
      ['standalone', {}],
      ['tagged', { metadata: { 'groq-rbac/team': 'platform' } }],
      ['search-prod', {}],
    ] as const) {
      expect((await org.request('POST', '/openai/v1/api-keys', { body: keyInput(name, extra) })).status).toBe(201);
    }
    const disabled = (await liveKeys()).find((k) => k.name === 'search-dev')!;
    await org.request('PATCH', `/openai/v1/api-keys/${disabled.id}`, { body: { status: 'disabled' } });

    const imported = await cli('import', '--out', 'imported', '--admins', '@acme/platform');
    expect(imported.code).toBe(0);
    expect(imported.stderr).toMatch(/note: left out key_\w+: another key is also named "search-prod"/);
    expect(fs.readdirSync(path.join(ws, 'imported/teams')).sort()).toEqual(['billing.yaml', 'imported.yaml', 'platform.yaml', 'search.yaml']);
    expect(fs.readFileSync(path.join(ws, 'imported/teams/search.yaml'), 'utf8')).toContain('  - name: search-dev\n    models: [openai/gpt-oss-20b]\n    enabled: false\n');
    const orgYaml = fs.readFileSync(path.join(ws, 'imported/org.yaml'), 'utf8');
    const schemaRef = /^# yaml-language-server: \$schema=(.+)$/m.exec(orgYaml)![1]!;
    expect(fs.existsSync(path.resolve(ws, 'imported', schemaRef))).toBe(true);
    expect((await cli('validate', '--policies', 'imported')).code).toBe(0);

    const plan = JSON.parse((await cli('plan', '--policies', 'imported', '--format', 'json')).stdout);
    expect(plan.summary).toEqual({ create: 0, update: 0, delete: 0, adopt: 5, rotate: 0 });
    expect(plan.unmanaged).toHaveLength(1);
    expect((await cli('apply', '--policies', 'imported', '--yes')).code).toBe(0);
    expect((await cli('plan', '--policies', 'imported', '--detailed-exitcode')).code).toBe(0);
    expect((await cli('import', '--out', 'imported')).stderr).toContain('imported already holds org.yaml');
  });
});
