/**
 * The Action bundle with `provider: openai` in org.yaml, run as the Actions runner runs it (`node
 * dist/action.js`, inputs in INPUT_* variables), against the real OpenAI sandbox over HTTP on
 * 127.0.0.1 and a recording stand-in for GitHub (test/helpers/fake-github.ts; nock cannot reach a
 * child process). Plan comments the plan, apply applies it after approval, reconcile advances
 * rotations only (through the quiet period), drift names who changed the organization. The admin
 * key arrives as `openai-admin-key`; it and every `sk-…` value made are masked before anything
 * else is printed, and none reaches a log line, comment, issue, output or the job summary.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { containsKeyValue } from '../../src/core/redact.js';
import { renderCodeownersBlock } from '../../src/policy/codeowners.js';
import { readPolicies } from '../../src/policy/read-policies.js';
import { decodeName } from '../../src/providers/openai/bookkeeping.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js';
import { openAiApi } from '../helpers/openai-api.js';

const BUNDLE = path.resolve('dist/action.js');
const EVENTS = path.resolve('test/fixtures/events');
const REPO = 'acme/groq-policies';
const ORG = 'org-acme';
// Built at run time: no tracked line looks like a secret.
const ADMIN_KEY = ['sk', 'admin', 'ActionTestAdminKey0123456789abcdefghijklmn'].join('-');
const GITHUB_TOKEN = ['ghs', 'OpenAiActionWorkflowToken0123456789'].join('_');
const MEMBERS_TOKEN = ['ghs', 'OpenAiActionMembersToken01234567890'].join('_');
const SIGNING_KEY = ['openai', 'plan', 'signing', 'key', '0123456789abcdef'].join('-');
// The fixtures' pull request #42 (test/fixtures/events/pull_request.json) and its merge (push.json).
const HEAD = '6dcb09b5b57875f334f61aebed695e2e4193db5e';
const BEFORE = '9049f1265b7d61be4a8904a9a27120d2064dab3b';
const MERGE = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const DAY = 86_400;

const ORG_YAML = `version: 2
provider: openai
org: ${ORG}
admins: ["@acme/platform"]
models: [gpt-4o, gpt-4o-mini]
spending:
  monthly_cap_usd: 500
  alert_thresholds_usd: [100, 400]
  alert_recipients: [platform@acme.example]
rotation:
  every: 30d
  quiet_period: 24h
  min_overlap: 1h
# The event payloads name commits this workspace does not hold, so ownership falls back to org.yaml's grants.
grants:
  chatbot:
    projects: [chatbot-prod]
`;
const TEAM_YAML = `team: chatbot
owners: ["@acme/chatbot"]
projects:
  - name: chatbot-prod
    models: [gpt-4o-mini]
    keys:
      - name: chatbot-prod-web
        rotation: {deliver: [{file: {path: .secrets/chatbot/web.key}}]}
      - name: chatbot-prod-ops
        protect: true
        rotation: {every: 365d, deliver: [{file: {path: .secrets/chatbot/ops.key}}]}
`;

interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

let sandbox: Sandbox;
let github: FakeGitHub;
let ws: string;
let runs: ActionRun[];

/** Runs the bundle once for an event, as the runner would: only the OpenAI inputs, no Groq ones. */
async function runAction(event: string, inputs: Record<string, string>): Promise<ActionRun> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-openai-action-run-'));
  const files = { output: path.join(tmp, 'output'), summary: path.join(tmp, 'summary.md') };
  fs.writeFileSync(files.output, '');
  fs.writeFileSync(files.summary, '');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: event,
    GITHUB_EVENT_PATH: path.join(EVENTS, `${event}.json`),
    GITHUB_REPOSITORY: REPO,
    GITHUB_SHA: event === 'pull_request' ? 'ffffffffffffffffffffffffffffffffffffffff' : MERGE,
    GITHUB_REF: event === 'pull_request' ? 'refs/pull/42/merge' : 'refs/heads/main',
    GITHUB_RUN_ID: '4242',
    GITHUB_ACTOR: 'bob',
    GITHUB_TRIGGERING_ACTOR: 'bob',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: github.url,
    GITHUB_WORKSPACE: ws,
    GITHUB_WORKFLOW_REF: `${REPO}/.github/workflows/groq-rbac-${inputs.mode}.yml@refs/heads/main`,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    RUNNER_TEMP: tmp,
    // As action.yml's defaults arrive: every declared input, absent ones empty.
    INPUT_POLICIES: 'policies',
    'INPUT_GITHUB-TOKEN': GITHUB_TOKEN,
    INPUT_COMMENT: 'true',
    'INPUT_REQUIRE-APPROVAL': 'true',
    'INPUT_OPENAI-ADMIN-KEY': ADMIN_KEY,
    'INPUT_OPENAI-BASE-URL': `${sandbox.url}/v1`,
    'INPUT_PLAN-SIGNING-KEY': SIGNING_KEY,
    'INPUT_MEMBERS-TOKEN': MEMBERS_TOKEN,
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
  };
  const child = spawn(process.execPath, [BUNDLE], { cwd: ws, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  const outputs = Object.fromEntries(
    [...fs.readFileSync(files.output, 'utf8').matchAll(/^(.+?)<<(.+)\n([\s\S]*?)\n\2$/gm)].map((m) => [m[1]!, m[3]!]),
  );
  const run = { code, stdout, stderr, outputs, summary: fs.readFileSync(files.summary, 'utf8') };
  runs.push(run);
  return run;
}

const openai = openAiApi(() => sandbox.url, ADMIN_KEY, ORG);
const projects = async () => (await openai('GET', '/v1/organization/projects')).body.data as { id: string; name: string }[];
const prod = async () => (await projects()).find((p) => p.name === 'chatbot-prod')!;
/** The project's service accounts as groq-rbac's marks read them: policy key and generation. */
const generations = async () => {
  const list = (await openai('GET', `/v1/organization/projects/${(await prod()).id}/service_accounts`)).body.data as {
    id: string;
    name: string;
  }[];
  return list.map((a) => ({ id: a.id, name: a.name, marks: decodeName(a.name)?.marks ?? null })).sort((a, b) => (a.name < b.name ? -1 : 1));
};
const infer = async (value: string) =>
  (
    await openai('POST', '/v1/chat/completions', {
      token: value,
      body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] },
    })
  ).status;
const advance = async (seconds: number) =>
  expect((await openai('POST', '/_sandbox/clock', { body: { advance_seconds: seconds } })).status).toBe(200);
const secret = (file: string) => fs.readFileSync(path.join(ws, '.secrets/chatbot', file), 'utf8').trim();
const prComments = () => github.state.comments.get(42) ?? [];
const commentState = (body: string) =>
  JSON.parse(/<!-- groq-rbac:state (\{.*\}) -->/.exec(body)![1]!) as { state: string; fingerprint: string | null; head_sha: string | null };

const writePolicies = (org = ORG_YAML, team = TEAM_YAML) => {
  fs.mkdirSync(path.join(ws, 'policies/teams'), { recursive: true });
  fs.writeFileSync(path.join(ws, 'policies/org.yaml'), org);
  fs.writeFileSync(path.join(ws, 'policies/teams/chatbot.yaml'), team);
};

/** Pull request #42 merged as MERGE, approved by @bob (in @acme/chatbot, which owns the changed team file). */
function merged(): void {
  github.state.pulls = [
    {
      number: 42,
      author: 'alice',
      headSha: HEAD,
      headRef: 'chatbot-staging',
      mergeCommitSha: MERGE,
      reviews: [{ login: 'bob', state: 'APPROVED', commit_id: HEAD }],
      commits: [{ author: 'alice', committer: 'alice' }],
      pushers: ['alice'],
      files: ['policies/teams/chatbot.yaml'],
    },
  ];
  github.state.codeowners.set(BEFORE, renderCodeownersBlock(readPolicies(path.join(ws, 'policies')).desired!, 'policies'));
}

/** Plan on the pull request, merge, apply on the push: the organization then matches the policies. */
async function planAndApply(): Promise<{ plan: ActionRun; apply: ActionRun }> {
  const plan = await runAction('pull_request', { mode: 'plan' });
  expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  merged();
  const apply = await runAction('push', { mode: 'apply' });
  expect(apply.code, apply.stdout + apply.stderr).toBe(0);
  return { plan, apply };
}

beforeAll(() => {
  if (!fs.existsSync(BUNDLE))
    throw new Error('dist/action.js is missing: the global setup builds it (node scripts/build.mjs); see its output');
});

beforeEach(async () => {
  sandbox = await startSandbox({ provider: 'openai', host: '127.0.0.1', port: 0, orgId: ORG, adminKey: ADMIN_KEY });
  github = await startFakeGitHub(REPO);
  Object.assign(github.state.permissions, { alice: 'write', bob: 'write', carol: 'admin' });
  github.state.members.push('chatbot:bob', 'platform:carol');
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-openai-action-ws-'));
  writePolicies();
  runs = [];
});

afterEach(async () => {
  const dir = path.join(ws, '.secrets/chatbot');
  const delivered = fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), 'utf8').trim()) : [];
  // `::add-mask::` hands a secret to the runner, which masks it from then on: the admin key before
  // any other line, each new sk- value as soon as it exists; the only place a secret may appear.
  const maskLines = runs.flatMap((r) => r.stdout.split('\n').filter((l) => l.startsWith('::add-mask::')));
  for (const value of delivered) expect(maskLines).toContain(`::add-mask::${value}`);
  for (const r of runs) expect(r.stdout.startsWith(`::add-mask::${ADMIN_KEY}\n`)).toBe(true);
  const unmasked = (stdout: string) =>
    stdout
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n');
  const texts = [
    ...runs.flatMap((r) => [
      unmasked(r.stdout),
      r.stderr,
      r.summary,
      ...Object.values(r.outputs),
      ...(r.outputs['plan-json'] && fs.existsSync(r.outputs['plan-json']) ? [fs.readFileSync(r.outputs['plan-json'], 'utf8')] : []),
    ]),
    ...github.state.requests.map((r) => JSON.stringify(r.body ?? '')),
  ];
  for (const text of texts) {
    for (const s of [ADMIN_KEY, GITHUB_TOKEN, MEMBERS_TOKEN, SIGNING_KEY, ...delivered]) expect(text).not.toContain(s);
    expect(containsKeyValue(text)).toBe(false);
  }
  // The Action talked to GitHub with the workflow token (and the members token for team memberships) only.
  for (const r of github.state.requests) expect([`token ${GITHUB_TOKEN}`, `token ${MEMBERS_TOKEN}`]).toContain(r.authorization);
  await github.close();
  await sandbox.close();
});

describe('the Action bundle with provider: openai', () => {
  it('plan comments the plan; apply after approval makes the service accounts and delivers their sk- keys; then there is nothing to do', async () => {
    const { plan, apply } = await planAndApply();
    const planned = plan.outputs.fingerprint!;
    expect(plan.outputs).toMatchObject({ 'has-changes': 'true', summary: expect.stringMatching(/^Plan: \d+ to create/) });
    expect(JSON.parse(fs.readFileSync(plan.outputs['plan-json']!, 'utf8'))).toMatchObject({
      format_version: 3,
      org: ORG,
      fingerprint: planned,
    });
    expect(plan.summary).toContain(`### groq-rbac plan for \`${ORG}\``);

    // The one comment went from the plan to what was applied, for the approved fingerprint.
    expect(prComments()).toHaveLength(1);
    const body = prComments()[0]!.body;
    expect(commentState(body)).toMatchObject({ state: 'applied' });
    expect(body).toContain('**Applied:**');
    expect(apply.outputs).toMatchObject({ fingerprint: planned, summary: expect.stringMatching(/^Applied \d+ changes\.$/) });
    expect(apply.stdout).toMatch(/Approved on 6dcb09b by @bob/);

    // One service account per key, its marks in its name; each key delivered to its file and working.
    expect((await projects()).map((p) => p.name)).toEqual(['chatbot-prod']);
    expect((await generations()).map((g) => [g.marks?.key, g.marks?.generation, g.marks?.protect])).toEqual([
      ['chatbot-prod-ops', 1, true],
      ['chatbot-prod-web', 1, false],
    ]);
    for (const file of ['web.key', 'ops.key']) {
      expect(secret(file)).toMatch(/^sk-svcacct-/);
      expect(await infer(secret(file))).toBe(200);
    }
    // The organization now matches: the next plan (and a drift check) finds nothing.
    const again = await runAction('pull_request', { mode: 'plan' });
    expect(again.outputs['has-changes']).toBe('false');
    const drift = await runAction('schedule', { mode: 'drift' });
    expect(drift.outputs).toMatchObject({ 'has-changes': 'false', summary: 'No drift: the organization matches the policies.' });
    expect(github.state.issues).toEqual([]);
  });

  it('apply refuses an unapproved pull request and sends the organization nothing', async () => {
    await runAction('pull_request', { mode: 'plan' });
    merged();
    github.state.pulls[0]!.reviews = [{ login: 'alice', state: 'APPROVED', commit_id: HEAD }];
    const apply = await runAction('push', { mode: 'apply' });
    expect(apply.code).toBe(1);
    expect(apply.stdout).toContain('::error::pull request #42 was merged without the approval apply needs');
    expect(await projects()).toEqual([]);
  });

  it('reconcile rotates only the due key, delivers the new one, and retires the old one once quiet', async () => {
    const idle = await runAction('schedule', { mode: 'reconcile' });
    expect(idle.code, idle.stdout + idle.stderr).toBe(0);
    expect(idle.outputs.summary).toMatch(/^Nothing to reconcile: no key rotation is due/);
    expect(await projects()).toEqual([]);
    await planAndApply();
    const first = secret('web.key');
    const ops = secret('ops.key');

    // 31 days on (rotation every 30d), with a policy change waiting for review.
    await advance(31 * DAY);
    writePolicies(ORG_YAML.replace('monthly_cap_usd: 500', 'monthly_cap_usd: 900'));
    const rotate = await runAction('schedule', { mode: 'reconcile' });
    expect(rotate.code, rotate.stdout + rotate.stderr).toBe(0);
    expect(rotate.outputs.summary).toMatch(/^Reconciled [1-9]\d* rotation steps?\.$/);
    const second = secret('web.key');
    expect(second).not.toBe(first);
    expect(second).toMatch(/^sk-svcacct-/);
    // The key due in a year is left alone; both web generations work while the old one drains.
    expect(secret('ops.key')).toBe(ops);
    expect((await generations()).map((g) => `${g.marks?.key} g${g.marks?.generation}`)).toEqual([
      'chatbot-prod-ops g1',
      'chatbot-prod-web g1',
      'chatbot-prod-web g2',
    ]);
    expect(await infer(first)).toBe(200);
    expect(await infer(second)).toBe(200);
    const audit = fs
      .readFileSync(path.join(ws, '.groq-rbac/audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; status: string; key: string });
    expect(audit.some((e) => e.action === 'rotate' && e.status === 'applied' && e.key === 'chatbot-prod-web')).toBe(true);

    // Still used (usage per key, last_used_at): kept, however often reconcile runs.
    await advance(12 * 3600);
    expect(await infer(first)).toBe(200);
    const busy = await runAction('schedule', { mode: 'reconcile' });
    expect(busy.code).toBe(0);
    expect(busy.outputs.summary).toMatch(/^Nothing to reconcile: no key rotation is due \(1 step waiting for an overlap or quiet period\)/);
    expect((await generations()).length).toBe(3);

    // Quiet for the quiet period (plus the usage lag allowance and the hour buckets' rounding): retired.
    await advance(DAY + 2 * 3600);
    const retire = await runAction('schedule', { mode: 'reconcile' });
    expect(retire.code, retire.stdout + retire.stderr).toBe(0);
    expect(retire.outputs.summary).toBe('Reconciled 1 rotation step.');
    expect((await generations()).map((g) => `${g.marks?.key} g${g.marks?.generation}`)).toEqual([
      'chatbot-prod-ops g1',
      'chatbot-prod-web g2',
    ]);
    expect(await infer(first)).toBe(401);
    expect(await infer(second)).toBe(200);

    // Reconcile made no other change: the spend cap still waits for its reviewed apply.
    const plan = await runAction('pull_request', { mode: 'plan' });
    expect(plan.outputs['has-changes']).toBe('true');
    expect(prComments()[0]!.body).toContain('monthly_cap_usd = 500 -> 900');
  });

  it('drift opens one issue saying who changed the organization outside groq-rbac, and closes it once it matches', async () => {
    await planAndApply();
    // Three days later someone renames the protected key's service account by hand, dropping its protect mark.
    await advance(3 * DAY);
    const renamedOn = new Date((await openai('GET', '/_sandbox/clock')).body.now * 1000).toISOString().slice(0, 10);
    const ops = (await generations()).find((g) => g.marks?.key === 'chatbot-prod-ops')!;
    const project = (await prod()).id;
    const renamed = await openai('POST', `/v1/organization/projects/${project}/service_accounts/${ops.id}`, {
      body: { name: ops.name.replace(' p ', ' ') },
    });
    expect(renamed.status).toBe(200);

    const drift = await runAction('schedule', { mode: 'drift' });
    expect(drift.code, drift.stdout + drift.stderr).toBe(0);
    expect(drift.outputs['has-changes']).toBe('true');
    expect(github.state.issues).toHaveLength(1);
    const issue = github.state.issues[0]!;
    expect(issue).toMatchObject({
      state: 'open',
      title: 'groq-rbac: the OpenAI organization differs from the policies',
      labels: [{ name: 'groq-rbac-drift' }],
    });
    expect(issue.body).toContain(`The OpenAI organization \`${ORG}\` differs from the policies`);
    expect(issue.body).toContain('key "chatbot-prod-ops"');
    expect(issue.body).toContain('protect = false -> true');
    // Attributed from OpenAI's audit log: the rename (a service account event, matched to its key), not the key's creation.
    expect(issue.body).toContain(`the organization's value set by key_admin on ${renamedOn}`);

    // Put back by hand: the next check closes the issue.
    expect(
      (await openai('POST', `/v1/organization/projects/${project}/service_accounts/${ops.id}`, { body: { name: ops.name } })).status,
    ).toBe(200);
    const after = await runAction('schedule', { mode: 'drift' });
    expect(after.outputs['has-changes']).toBe('false');
    expect(issue.state).toBe('closed');
    expect(issue.comments).toEqual([expect.stringContaining('The organization matches the policies again')]);
  });

  it('usage writes the OpenAI usage report to the job summary and changes nothing', async () => {
    await planAndApply();
    expect(await infer(secret('web.key'))).toBe(200);
    const before = await generations();
    const run = await runAction('schedule', { mode: 'usage' });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.summary).toMatch(/^## OpenAI usage: org-acme$/m);
    expect(run.summary).toContain('chatbot');
    expect(run.outputs.summary).toMatch(/^Usage report for org-acme: \d+ findings?\.$/);
    expect(await generations()).toEqual(before);
  });

  it('says which input to use when the workflow gives the Groq admin key to an OpenAI organization', async () => {
    const run = await runAction('pull_request', { mode: 'plan', 'openai-admin-key': '', 'groq-admin-key': ADMIN_KEY });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      '::error::input `groq-admin-key` is for Groq, and org.yaml says `provider: openai`: give the admin key as `openai-admin-key` instead',
    );
    expect(github.state.requests).toEqual([]);
  });
});
