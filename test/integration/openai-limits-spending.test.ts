import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { runCli } from '../helpers/cli.js';

// Issue 18: OpenAI project rate limits and project spending, end to end. examples/openai against the
// OpenAI sandbox on 127.0.0.1 (port 0, over HTTP); what apply left is read back with the official
// `openai` package's admin resources (client.admin.organization.projects.rateLimits, .spendLimit,
// .spendAlerts), unchanged.
const EXAMPLE = path.resolve(__dirname, '../../examples/openai');
let dir: string;
let sandbox: Sandbox;
let sdk: OpenAI;
let env: NodeJS.ProcessEnv;

/** Any run of `sk-` long enough to be a key value (the redacted `sk-svcacct-...abcd` form is not). */
const leak = (text: string) => /sk-[A-Za-z0-9_-]{20,}/.exec(text)?.[0] ?? null;
const outputs: string[] = [];

beforeEach(async () => {
  // The admin key is built at run time: no tracked line looks like a real key.
  sandbox = await startSandbox({
    provider: 'openai',
    host: '127.0.0.1',
    port: 0,
    adminKey: ['sk', 'admin', 'limits'].join('-') + 'x'.repeat(24),
    orgId: 'org-sandbox',
  });
  sdk = new OpenAI({
    adminAPIKey: sandbox.adminKey,
    apiKey: null,
    baseURL: `${sandbox.url}/v1`,
    organization: 'org-sandbox',
    maxRetries: 0,
  });
  env = { OPENAI_ADMIN_KEY: sandbox.adminKey };
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grbac-openai-limits-'));
  fs.cpSync(EXAMPLE, path.join(dir, 'policies'), { recursive: true });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  git('add', '-A');
  git('-c', 'user.email=t@example.test', '-c', 'user.name=t', 'commit', '-qm', 'policies');
  outputs.length = 0;
});
afterEach(async () => {
  for (const text of outputs) expect(leak(text)).toBeNull();
  await sandbox.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const run = async (...argv: string[]) => {
  const r = await runCli([...argv, '--sandbox-url', sandbox.url, '--policies', 'policies'], { cwd: dir, env });
  outputs.push(r.stdout, r.stderr);
  return r;
};
const plan = () => run('plan', '--detailed-exitcode');
const apply = () => run('apply', '--yes');

/** Replaces `from` with `to` in a policy file (the text must be there). */
function edit(file: string, from: string, to: string): string {
  const full = path.join(dir, 'policies', file);
  const text = fs.readFileSync(full, 'utf8');
  expect(text).toContain(from);
  const next = text.replace(from, to);
  fs.writeFileSync(full, next);
  return next;
}

async function projectId(name: string): Promise<string> {
  const found = [];
  for await (const p of sdk.admin.organization.projects.list({ limit: 100 })) if (p.name === name) found.push(p.id);
  expect(found).toHaveLength(1);
  return found[0]!;
}

async function rateLimits(name: string): Promise<Record<string, Record<string, unknown>>> {
  const out: Record<string, Record<string, unknown>> = {};
  for await (const l of sdk.admin.organization.projects.rateLimits.listRateLimits(await projectId(name))) out[l.model] = { ...l };
  return out;
}

async function spending(name: string) {
  const id = await projectId(name);
  const limit = await sdk.admin.organization.projects.spendLimit.retrieve(id).then(
    (l) => l.threshold_amount,
    () => null,
  );
  const alerts = [];
  for await (const a of sdk.admin.organization.projects.spendAlerts.list(id))
    alerts.push({ cents: a.threshold_amount, recipients: a.notification_channel.recipients });
  return { limit, alerts: alerts.sort((a, b) => a.cents - b.cents) };
}

/** How many times the sandbox answered `GET …/projects/{id}/rate_limits` (its control surface is not counted). */
async function rateLimitReads(): Promise<number> {
  const res = await fetch(`${sandbox.url}/_sandbox/stats`, { headers: { authorization: `Bearer ${sandbox.adminKey}` } });
  const stats = (await res.json()) as { by_route: Record<string, number> };
  return stats.by_route['GET /v1/organization/projects/{project_id}/rate_limits'] ?? 0;
}

describe('OpenAI project limits and spending against the OpenAI sandbox', () => {
  it("sets a new project's limits after its create, then changes limits and spending of live projects, each converging to plan exit 0", async () => {
    const first = await plan();
    expect(first.code).toBe(2);
    expect(first.stdout).toContain(
      '~ limits gpt-4o: requests_per_minute = 500, tokens_per_minute = 100000, requests_per_day = 100000  # set after the project is created (its rate limits come with it)',
    );
    const reads = await rateLimitReads();
    expect((await apply()).code).toBe(0);
    // One read of each new project's limits, however many of its models change (assistant-prod: 2).
    expect((await rateLimitReads()) - reads).toBe(3);
    expect((await rateLimits('assistant-prod'))['gpt-4o']).toMatchObject({
      id: 'rl-gpt-4o',
      max_requests_per_1_minute: 500,
      max_tokens_per_1_minute: 100_000,
      max_requests_per_1_day: 100_000,
    });
    expect((await rateLimits('studio-images'))['gpt-image-1']).toMatchObject({ max_images_per_1_minute: 20 });
    expect((await rateLimits('assistant-voice'))['whisper-1']).toMatchObject({ max_audio_megabytes_per_1_minute: 50 });
    const settled = await plan();
    expect(settled.stdout).toContain('No changes.');
    expect(settled.code).toBe(0);

    // A limit and spending changed on a live project.
    edit(
      'teams/assistant.yaml',
      'gpt-4o: {tokens_per_minute: 100000}',
      [
        'gpt-4o: {tokens_per_minute: 90000}',
        '      gpt-4o-mini: {requests_per_minute: 250}',
        '    spending:',
        '      monthly_cap_usd: 120',
        '      alert_thresholds_usd: [100, 50]',
        '      alert_recipients: [assistant@acme.example]',
      ].join('\n'),
    );
    const changed = await plan();
    expect(changed.code).toBe(2);
    for (const line of [
      '~ limits gpt-4o: tokens_per_minute 100000 -> 90000',
      '~ limits gpt-4o-mini: requests_per_minute 500 -> 250',
      '+ spend limit',
      '+ monthly_cap_usd = 120',
      '+ alert at 50 USD → assistant@acme.example',
      '+ alert at 100 USD → assistant@acme.example',
    ])
      expect(changed.stdout).toContain(line);
    const json = JSON.parse((await run('plan', '--format', 'json')).stdout) as {
      changes: { resource: string; project?: string; action: string }[];
    };
    expect(json.changes.map((c) => `${c.resource} ${c.action} ${c.project}`)).toEqual([
      'project_rate_limit update assistant-prod',
      'project_rate_limit update assistant-prod',
      'project_spend_limit create assistant-prod',
      'project_spend_alert create assistant-prod',
      'project_spend_alert create assistant-prod',
    ]);
    const applied = await apply();
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('set the spend limit of project "assistant-prod" to 120 USD');
    expect((await rateLimits('assistant-prod'))['gpt-4o']).toMatchObject({
      max_tokens_per_1_minute: 90_000,
      max_requests_per_1_minute: 500,
    });
    expect((await rateLimits('assistant-prod'))['gpt-4o-mini']).toMatchObject({ max_requests_per_1_minute: 250 });
    expect(await spending('assistant-prod')).toEqual({
      limit: 12_000,
      alerts: [
        { cents: 5_000, recipients: ['assistant@acme.example'] },
        { cents: 10_000, recipients: ['assistant@acme.example'] },
      ],
    });
    // The organization's spending is its own: untouched by the project's.
    expect((await sdk.admin.organization.spendLimit.retrieve()).threshold_amount).toBe(50_000);
    expect((await plan()).code).toBe(0);

    // The cap raised, an alert dropped, the recipients changed.
    edit(
      'teams/assistant.yaml',
      'monthly_cap_usd: 120\n      alert_thresholds_usd: [100, 50]\n      alert_recipients: [assistant@acme.example]',
      'monthly_cap_usd: 150\n      alert_thresholds_usd: [100]\n      alert_recipients: [oncall@acme.example]',
    );
    const again = await plan();
    expect(again.code).toBe(2);
    expect(again.stdout).toContain('~ monthly_cap_usd = 120 -> 150');
    expect(again.stdout).toMatch(/- alert at 50 USD \(\S+\) → assistant@acme\.example {2}# removed from the policies/);
    expect((await apply()).code).toBe(0);
    expect(await spending('assistant-prod')).toEqual({ limit: 15_000, alerts: [{ cents: 10_000, recipients: ['oncall@acme.example'] }] });
    expect((await plan()).code).toBe(0);
  });

  it("a field the model's limit lacks: a new project's apply fails that change, and the next plan refuses it at its file:line:column", async () => {
    const text = edit(
      'teams/studio.yaml',
      'batch_input_tokens_per_day: 5000000}',
      'batch_input_tokens_per_day: 5000000, audio_megabytes_per_minute: 5}',
    );
    const lines = text.split('\n');
    const line = lines.findIndex((l) => l.includes('audio_megabytes_per_minute')) + 1;
    const column = lines[line - 1]!.indexOf('audio_megabytes_per_minute') + 1;

    const applied = await apply();
    expect(applied.code).toBe(1);
    expect(applied.stdout + applied.stderr).toContain(
      'the rate limit for gpt-4.1-mini of project "studio-images" has no audio_megabytes_per_minute (set: requests_per_minute, batch_input_tokens_per_day): remove it from the project\'s limits (run plan to see where)',
    );
    // What the model has was set; the rest of the policies were applied.
    expect((await rateLimits('studio-images'))['gpt-4.1-mini']).toMatchObject({
      max_requests_per_1_minute: 100,
      batch_1_day_max_input_tokens: 5_000_000,
    });
    expect((await rateLimits('studio-images'))['gpt-4.1-mini']).not.toHaveProperty('max_audio_megabytes_per_1_minute');

    const refused = await plan();
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(
      `project "studio-images": OpenAI's rate limit for gpt-4.1-mini has no audio_megabytes_per_minute (policies/teams/studio.yaml:${line}:${column}): OpenAI has it only for the models it applies to; remove it (even with --force)`,
    );

    edit('teams/studio.yaml', ', audio_megabytes_per_minute: 5', '');
    expect((await plan()).code).toBe(0);
  });
});
