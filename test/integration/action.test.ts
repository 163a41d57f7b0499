import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { containsKeyValue } from '../../src/core/redact.js';
import { renderCodeownersBlock } from '../../src/policy/codeowners.js';
import { readPolicies } from '../../src/policy/read-policies.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';

// The committed bundle, run as the Actions runner runs it: `node dist/action.js` with inputs in
// INPUT_* variables, the event payload at GITHUB_EVENT_PATH, outputs and the job summary in files,
// and GitHub's API at GITHUB_API_URL: here a stand-in server, since nock cannot reach a child process.

const BUNDLE = path.resolve('dist/action.js');
const EVENTS = path.resolve('test/fixtures/events');
const ADMIN_KEY = 'gsk_' + 'ActionTestAdminKey0123456789abcdefghijklmnop';
const GITHUB_TOKEN = 'ghs_ActionTestWorkflowToken0123456789';
const MEMBERS_TOKEN = 'ghs_ActionTestMembersToken0123456789';
const SIGNING_KEY = ['integration', 'plan', 'signing', 'key', '0123456789abcdef'].join('-');
const HEAD = '6dcb09b5b57875f334f61aebed695e2e4193db5e';
const MERGE = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const REPO = '/repos/acme/groq-policies';

const ORG_YAML = `version: 2
org: org_sandbox
admins: ["@acme/platform"]
models: [openai/gpt-oss-120b, openai/gpt-oss-20b]
spending:
  monthly_cap_usd: 500
  alert_thresholds_usd: [100, 400]
  alert_recipients: [platform@acme.example]
# The event payloads name commits this workspace does not hold, so ownership falls back to org.yaml's grants.
grants:
  chatbot:
    projects: [chatbot-prod]
`;
const teamYaml = (keys: string[]) => `team: chatbot
owners: ["@acme/chatbot"]
projects:
  - name: chatbot-prod
    models: [openai/gpt-oss-120b]
    limits:
      default: {requests_per_minute: 500}
    keys:
${keys.map((k) => `      - name: ${k}\n        rotation: {deliver: [{file: {path: .secrets/chatbot/${k}.key}}]}\n`).join('')}`;

interface Comment {
  id: number;
  body: string;
  user: { login: string; id: number; type: string };
}
interface Issue {
  number: number;
  title: string;
  body: string;
  state: string;
  labels: { name: string }[];
  comments: string[];
}
interface Recorded {
  method: string;
  path: string;
  body: unknown;
}

/** A stand-in for the parts of GitHub's REST API the Action uses, with state, recording every request. */
async function startFakeGitHub() {
  const state = {
    comments: new Map<number, Comment[]>(),
    issues: [] as Issue[],
    /** commits/{sha}/pulls */
    pullsOfCommit: new Map<string, unknown[]>(),
    reviews: new Map<number, unknown[]>(),
    requests: [] as Recorded[],
    nextId: 1000,
    permissions: { alice: 'write', bob: 'write', carol: 'admin' } as Record<string, string>,
    /** `team:login` of active team memberships. */
    members: ['chatbot:bob', 'platform:carol'],
    files: ['policies/teams/chatbot.yaml'],
    /** The generated CODEOWNERS as the default branch had it before the merge. */
    codeowners: '',
    /** This run's deployment reviews (workflow_dispatch): a required reviewer other than the dispatcher approved it. */
    deploymentReviews: [
      { state: 'approved', user: { login: 'carol' }, environments: [{ name: 'groq-rbac-dispatch' }], comment: '' },
    ] as unknown[],
  };
  const bot = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const body = raw ? JSON.parse(raw) : null;
      state.requests.push({ method: req.method ?? '', path: url.pathname, body });
      const send = (status: number, data: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(status === 204 ? undefined : JSON.stringify(data));
      };
      const route = `${req.method} ${url.pathname}`;
      let m: RegExpExecArray | null;
      if (route === 'GET /user') return send(403, { message: 'Resource not accessible by integration' });
      if ((m = new RegExp(`^GET ${REPO}/issues/(\\d+)/comments$`).exec(route))) return send(200, state.comments.get(Number(m[1])) ?? []);
      if ((m = new RegExp(`^POST ${REPO}/issues/(\\d+)/comments$`).exec(route))) {
        const n = Number(m[1]);
        const issue = state.issues.find((i) => i.number === n);
        if (issue) {
          issue.comments.push(body.body);
          return send(201, { id: state.nextId++, body: body.body, user: bot });
        }
        const comment = { id: state.nextId++, body: body.body as string, user: bot };
        state.comments.set(n, [...(state.comments.get(n) ?? []), comment]);
        return send(201, comment);
      }
      if ((m = new RegExp(`^(PATCH|DELETE) ${REPO}/issues/comments/(\\d+)$`).exec(route))) {
        for (const [n, list] of state.comments) {
          const found = list.find((c) => c.id === Number(m![2]));
          if (!found) continue;
          if (m[1] === 'DELETE') {
            state.comments.set(
              n,
              list.filter((c) => c !== found),
            );
            return send(204, null);
          }
          found.body = body.body;
          return send(200, found);
        }
        return send(404, { message: 'Not Found' });
      }
      if ((m = new RegExp(`^GET ${REPO}/commits/([0-9a-f]+)/pulls$`).exec(route))) return send(200, state.pullsOfCommit.get(m[1]!) ?? []);
      if ((m = new RegExp(`^GET ${REPO}/pulls/(\\d+)/reviews$`).exec(route))) return send(200, state.reviews.get(Number(m[1])) ?? []);
      if ((m = new RegExp(`^GET ${REPO}/collaborators/([^/]+)/permission$`).exec(route)))
        return send(200, {
          permission: state.permissions[m[1]!] ?? 'none',
          role_name: state.permissions[m[1]!] ?? '',
          user: { login: m[1] },
        });
      if (route === `GET ${REPO}/pulls/42/commits`)
        return send(200, [{ sha: HEAD, author: { login: 'alice' }, committer: { login: 'alice' } }]);
      if (route === `GET ${REPO}/activity`)
        return send(200, [{ id: 1, activity_type: 'push', ref: url.searchParams.get('ref'), actor: { login: 'alice' } }]);
      if (route === `GET ${REPO}/pulls/42/files`)
        return send(
          200,
          state.files.map((filename) => ({ filename })),
        );
      if (decodeURIComponent(route) === `GET ${REPO}/contents/.github/CODEOWNERS`)
        return send(200, { type: 'file', encoding: 'base64', content: Buffer.from(state.codeowners).toString('base64') });
      if ((m = /^GET \/orgs\/acme\/teams\/([^/]+)\/memberships\/([^/]+)$/.exec(route))) {
        return state.members.includes(`${m[1]}:${m[2]}`)
          ? send(200, { state: 'active', role: 'member' })
          : send(404, { message: 'Not Found' });
      }
      if (route === `GET ${REPO}/actions/runs/4242/approvals`) return send(200, state.deploymentReviews);
      if (route === `GET ${REPO}/environments/groq-rbac-dispatch/deployment-branch-policies`)
        return send(200, { total_count: 1, branch_policies: [{ id: 1, node_id: 'n1', name: 'main', type: 'branch' }] });
      if (route === `GET ${REPO}/environments/groq-rbac-dispatch`) {
        return send(200, {
          name: 'groq-rbac-dispatch',
          protection_rules: [
            { type: 'required_reviewers', prevent_self_review: true, reviewers: [{ type: 'User', reviewer: { login: 'carol' } }] },
          ],
          deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
        });
      }
      const asJson = (i: Issue) => ({ ...i, html_url: `https://github.com/acme/groq-policies/issues/${i.number}`, user: bot });
      if (route === `GET ${REPO}/issues`) {
        const label = url.searchParams.get('labels');
        return send(
          200,
          state.issues
            .filter((i) => i.state === url.searchParams.get('state') && (!label || i.labels.some((l) => l.name === label)))
            .map(asJson),
        );
      }
      if (route === `POST ${REPO}/issues`) {
        const issue: Issue = {
          number: state.nextId++,
          title: body.title,
          body: body.body,
          state: 'open',
          labels: (body.labels as string[]).map((name) => ({ name })),
          comments: [],
        };
        state.issues.push(issue);
        return send(201, asJson(issue));
      }
      if ((m = new RegExp(`^PATCH ${REPO}/issues/(\\d+)$`).exec(route))) {
        const issue = state.issues.find((i) => i.number === Number(m![1]));
        if (!issue) return send(404, { message: 'Not Found' });
        Object.assign(issue, body.body !== undefined ? { body: body.body } : {}, body.state !== undefined ? { state: body.state } : {});
        return send(200, asJson(issue));
      }
      return send(404, { message: `Not Found: ${route}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    state,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

let sandbox: Sandbox;
let github: Awaited<ReturnType<typeof startFakeGitHub>>;
let ws: string;
let runs: ActionRun[];

/** Runs the bundle once for an event, as the runner would. */
async function runAction(
  event: string,
  inputs: Record<string, string>,
  extra: { eventName?: string; sha?: string; ref?: string } = {},
): Promise<ActionRun> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-action-run-'));
  const files = { output: path.join(tmp, 'output'), summary: path.join(tmp, 'summary.md') };
  fs.writeFileSync(files.output, '');
  fs.writeFileSync(files.summary, '');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: extra.eventName ?? event,
    GITHUB_EVENT_PATH: path.join(EVENTS, `${event}.json`),
    GITHUB_REPOSITORY: 'acme/groq-policies',
    GITHUB_SHA: extra.sha ?? (event === 'pull_request' ? 'ffffffffffffffffffffffffffffffffffffffff' : MERGE),
    GITHUB_REF: extra.ref ?? (event === 'pull_request' ? 'refs/pull/42/merge' : 'refs/heads/main'),
    GITHUB_RUN_ID: '4242',
    GITHUB_ACTOR: 'bob',
    GITHUB_TRIGGERING_ACTOR: 'bob',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: github.url,
    GITHUB_WORKSPACE: ws,
    GITHUB_WORKFLOW_REF: `acme/groq-policies/.github/workflows/groq-rbac-${inputs.mode}.yml@refs/heads/main`,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    RUNNER_TEMP: tmp,
    // As action.yml's defaults arrive: every declared input, absent ones empty.
    INPUT_POLICIES: 'policies',
    'INPUT_GITHUB-TOKEN': GITHUB_TOKEN,
    INPUT_COMMENT: 'true',
    'INPUT_REQUIRE-APPROVAL': 'true',
    'INPUT_GROQ-BASE-URL': sandbox.url,
    'INPUT_GROQ-ADMIN-KEY': ADMIN_KEY,
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

const prComments = () => github.state.comments.get(42) ?? [];
const writes = () => github.state.requests.filter((r) => r.method !== 'GET');
const state = (body: string) => {
  // The signature's fields are checked in test/security; here, what the comment says.
  const {
    state: s,
    fingerprint,
    head_sha,
  } = JSON.parse(/<!-- groq-rbac:state (\{.*\}) -->/.exec(body)![1]!) as {
    state: string;
    fingerprint: string | null;
    head_sha: string | null;
  };
  return { state: s, fingerprint, head_sha };
};
const writePolicies = (keys: string[], org = ORG_YAML) => {
  fs.mkdirSync(path.join(ws, 'policies/teams'), { recursive: true });
  fs.writeFileSync(path.join(ws, 'policies/org.yaml'), org);
  fs.writeFileSync(path.join(ws, 'policies/teams/chatbot.yaml'), teamYaml(keys));
};
/** The merged pull request #42 and its reviews, as GitHub would list them after the merge. */
const merged = (reviews: { login: string; state: string; commit_id?: string; author_association?: string }[]) => {
  github.state.pullsOfCommit.set(MERGE, [
    {
      number: 42,
      user: { login: 'alice' },
      merged_at: '2026-05-04T09:02:17Z',
      merge_commit_sha: MERGE,
      base: { ref: 'main' },
      head: { sha: HEAD, ref: 'alice/chatbot', repo: { full_name: 'acme/groq-policies' } },
      html_url: 'https://github.com/acme/groq-policies/pull/42',
    },
  ]);
  github.state.codeowners = renderCodeownersBlock(readPolicies(path.join(ws, 'policies')).desired!, 'policies');
  github.state.reviews.set(
    42,
    reviews.map((r, i) => ({
      id: i + 1,
      user: { login: r.login },
      state: r.state,
      commit_id: r.commit_id ?? HEAD,
      author_association: r.author_association ?? 'MEMBER',
    })),
  );
};
const projects = async () => {
  const res = await fetch(`${sandbox.url}/openai/v1/organization/projects`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  return ((await res.json()) as { data: { name: string }[] }).data.map((p) => p.name);
};

beforeAll(() => {
  if (!fs.existsSync(BUNDLE))
    throw new Error('dist/action.js is missing: the global setup builds it (node scripts/build.mjs); see its output');
});

beforeEach(async () => {
  sandbox = await startSandbox({ host: '127.0.0.1', port: 0, orgId: 'org_sandbox', adminKey: ADMIN_KEY });
  github = await startFakeGitHub();
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-action-ws-'));
  writePolicies(['chatbot-prod-web']);
  runs = [];
});

afterEach(async () => {
  // No secret and no key value in any output, summary, log line, annotation, comment or issue.
  const delivered = fs.existsSync(path.join(ws, '.secrets/chatbot'))
    ? fs.readdirSync(path.join(ws, '.secrets/chatbot')).map((f) => fs.readFileSync(path.join(ws, '.secrets/chatbot', f), 'utf8').trim())
    : [];
  // `::add-mask::` carries the secret to the runner, which consumes the line and masks the value
  // everywhere after it: the admin key's and token's come before any other line, a new key's as
  // soon as it exists; it is the only place a secret may appear.
  const masked = (stdout: string) =>
    stdout
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n');
  const maskLines = runs.flatMap((r) => r.stdout.split('\n').filter((l) => l.startsWith('::add-mask::')));
  for (const value of delivered) expect(maskLines).toContain(`::add-mask::${value}`);
  for (const r of runs)
    expect(r.stdout.startsWith(`::add-mask::${ADMIN_KEY}\n`) || r.stdout.startsWith(`::add-mask::${GITHUB_TOKEN}\n`)).toBe(true);
  for (const r of runs) expect(r.stdout.split('\n')).toContain(`::add-mask::${SIGNING_KEY}`);
  const texts = [
    ...runs.flatMap((r) => [
      masked(r.stdout),
      r.stderr,
      r.summary,
      ...Object.values(r.outputs),
      ...(r.outputs['plan-json'] && fs.existsSync(r.outputs['plan-json']) ? [fs.readFileSync(r.outputs['plan-json'], 'utf8')] : []),
    ]),
    ...github.state.requests.map((r) => JSON.stringify(r.body ?? '')),
  ];
  for (const text of texts) {
    expect(text).not.toContain(ADMIN_KEY);
    expect(text).not.toContain(GITHUB_TOKEN);
    expect(text).not.toContain(MEMBERS_TOKEN);
    expect(text).not.toContain(SIGNING_KEY);
    expect(containsKeyValue(text)).toBe(false);
    for (const value of delivered) expect(text).not.toContain(value);
  }
  await github.close();
  await sandbox.close();
});

describe('the Action bundle, run as Actions runs it', () => {
  it('plan posts one comment with the plan, sets the outputs, and updates the same comment on the next run', async () => {
    const first = await runAction('pull_request', { mode: 'plan' });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(prComments()).toHaveLength(1);
    const comment = prComments()[0]!;
    expect(comment.body.startsWith('<!-- groq-rbac:plan -->')).toBe(true);
    expect(state(comment.body)).toEqual({ state: 'planned', fingerprint: first.outputs.fingerprint, head_sha: HEAD });
    expect(comment.body).toContain('+ project "chatbot-prod"');
    expect(first.outputs).toMatchObject({ 'has-changes': 'true', summary: expect.stringMatching(/^Plan: \d+ to create/) });
    expect(first.outputs.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(fs.readFileSync(first.outputs['plan-json']!, 'utf8'))).toMatchObject({
      format_version: 3,
      org: 'org_sandbox',
      fingerprint: first.outputs.fingerprint,
    });
    expect(first.summary).toContain('### groq-rbac plan for `org_sandbox`');

    // The same plan again: the comment already says it, nothing is written.
    const before = writes().length;
    expect((await runAction('pull_request', { mode: 'plan' })).code).toBe(0);
    expect(writes().length).toBe(before);

    // A new push changes the plan: the one comment is updated in place.
    writePolicies(['chatbot-prod-web', 'chatbot-prod-batch']);
    const third = await runAction('pull_request', { mode: 'plan' });
    expect(third.code).toBe(0);
    expect(prComments()).toHaveLength(1);
    expect(prComments()[0]!.id).toBe(comment.id);
    expect(prComments()[0]!.body).toContain('key "chatbot-prod-batch"');
    expect(third.outputs.fingerprint).not.toBe(first.outputs.fingerprint);
    expect(writes().map((w) => `${w.method} ${w.path}`)).toEqual([
      `POST ${REPO}/issues/42/comments`,
      `PATCH ${REPO}/issues/comments/${comment.id}`,
    ]);
  });

  it('plan marks invalid policies on their lines and says so in the comment', async () => {
    fs.writeFileSync(
      path.join(ws, 'policies/teams/chatbot.yaml'),
      teamYaml(['chatbot-prod-web']).replace('openai/gpt-oss-120b]', 'openai/gpt-oss-120b, no-such/model]'),
    );
    const run = await runAction('pull_request', { mode: 'plan' });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /::error title=groq-rbac%3A invalid policy,file=policies\/teams\/chatbot.yaml,line=5,col=35::projects\[0\].models\[1\]: unknown model "no-such\/model"/,
    );
    expect(state(prComments()[0]!.body)).toMatchObject({ state: 'invalid', fingerprint: null });
    expect(run.outputs['has-changes']).toBe('false');
  });

  it('apply with an approved pull request and a matching fingerprint applies, and reports on the pull request', async () => {
    const plan = await runAction('pull_request', { mode: 'plan' });
    merged([
      { login: 'alice', state: 'APPROVED' },
      { login: 'bob', state: 'APPROVED' },
    ]);
    const apply = await runAction('push', { mode: 'apply' });
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(apply.outputs).toMatchObject({
      fingerprint: plan.outputs.fingerprint,
      'has-changes': 'true',
      summary: expect.stringMatching(/^Applied \d+ changes\.$/),
    });
    expect(await projects()).toEqual(['chatbot-prod']);
    expect(fs.readFileSync(path.join(ws, '.secrets/chatbot/chatbot-prod-web.key'), 'utf8')).toMatch(/^gsk_/);
    expect(prComments()).toHaveLength(1);
    expect(state(prComments()[0]!.body).state).toBe('applied');
    expect(prComments()[0]!.body).toContain('**Applied:**');
    expect(apply.summary).toContain('**Applied:**');
    // Applied means converged: a plan now has nothing to do.
    const again = await runAction('pull_request', { mode: 'plan' });
    expect(again.outputs['has-changes']).toBe('false');
  });

  it('apply refuses when the plan changed since approval, posts the new plan and says how to proceed', async () => {
    await runAction('pull_request', { mode: 'plan' });
    merged([{ login: 'bob', state: 'APPROVED' }]);
    writePolicies(['chatbot-prod-web'], ORG_YAML.replace('monthly_cap_usd: 500', 'monthly_cap_usd: 900'));
    const apply = await runAction('push', { mode: 'apply' });
    expect(apply.code).toBe(1);
    expect(apply.stdout).toContain('::error::the plan changed since it was approved');
    expect(apply.stdout).toContain(`\`expect-fingerprint: ${apply.outputs.fingerprint}\``);
    expect(await projects()).toEqual([]);
    const body = prComments()[0]!.body;
    expect(state(body)).toEqual({ state: 'stale', fingerprint: apply.outputs.fingerprint, head_sha: null });
    expect(body).toContain('What changed since approval');
    expect(body).toContain('`.github/workflows/groq-rbac-apply.yml`');
    // Re-running the failed job does not apply the posted plan: it was never approved.
    const rerun = await runAction('push', { mode: 'apply' });
    expect(rerun.code).toBe(1);
    expect(rerun.stdout).toContain('has no approved plan');
    expect(await projects()).toEqual([]);
    // A maintainer who reviewed the new plan applies it by hand.
    const dispatched = await runAction('workflow_dispatch', { mode: 'apply', 'expect-fingerprint': apply.outputs.fingerprint! });
    expect(dispatched.code, dispatched.stdout).toBe(0);
    expect(await projects()).toEqual(['chatbot-prod']);
  });

  it('apply refuses a pull request nobody else approved (unless require-approval is off), and a push from no pull request', async () => {
    await runAction('pull_request', { mode: 'plan' });
    const commentWrites = writes().length;
    merged([
      { login: 'alice', state: 'APPROVED' },
      { login: 'bob', state: 'APPROVED', commit_id: '1111111111111111111111111111111111111111' },
    ]);
    const apply = await runAction('push', { mode: 'apply' });
    expect(apply.code).toBe(1);
    expect(apply.stdout).toContain(
      '::error::pull request #42 was merged without the approval apply needs: no approval counts: @alice opened the pull request, so their approval does not count; @bob approved an earlier commit',
    );
    expect(apply.outputs).toEqual({});
    expect(await projects()).toEqual([]);
    expect(writes().length).toBe(commentWrites);

    // Where branch protection already enforces reviews, the check can be turned off.
    const trusting = await runAction('push', { mode: 'apply', 'require-approval': 'false' });
    expect(trusting.code, trusting.stdout).toBe(0);
    expect(await projects()).toEqual(['chatbot-prod']);

    github.state.pullsOfCommit.clear();
    const direct = await runAction('push', { mode: 'apply' });
    expect(direct.code).toBe(1);
    expect(direct.stdout).toContain('came from no merged pull request');
    expect(direct.outputs).toEqual({});
  });

  it('drift opens one issue while the organization differs, and closes it when it matches', async () => {
    const drift = await runAction('schedule', { mode: 'drift' });
    expect(drift.code, drift.stdout + drift.stderr).toBe(0);
    expect(drift.outputs['has-changes']).toBe('true');
    expect(github.state.issues).toHaveLength(1);
    const issue = github.state.issues[0]!;
    expect(issue).toMatchObject({ state: 'open', labels: [{ name: 'groq-rbac-drift' }] });
    expect(issue.body).toContain('+ project "chatbot-prod"');

    // Still drifted: the same issue, not a second one.
    expect((await runAction('schedule', { mode: 'drift' })).code).toBe(0);
    expect(github.state.issues).toHaveLength(1);

    const apply = await runAction('workflow_dispatch', { mode: 'apply', 'expect-fingerprint': drift.outputs.fingerprint! });
    expect(apply.code, apply.stdout).toBe(0);
    const after = await runAction('schedule', { mode: 'drift' });
    expect(after.code).toBe(0);
    expect(after.outputs['has-changes']).toBe('false');
    expect(issue.state).toBe('closed');
    expect(issue.comments).toEqual([expect.stringContaining('The organization matches the policies again')]);
  });

  it('reconcile rotates a key that is due and changes nothing else', async () => {
    const idle = await runAction('schedule', { mode: 'reconcile' });
    expect(idle.code, idle.stdout + idle.stderr).toBe(0);
    expect(idle.outputs).toMatchObject({
      'has-changes': 'false',
      summary: expect.stringMatching(/^Nothing to reconcile: no key rotation is due/),
    });
    expect(await projects()).toEqual([]);

    const plan = await runAction('pull_request', { mode: 'plan' });
    expect((await runAction('workflow_dispatch', { mode: 'apply', 'expect-fingerprint': plan.outputs.fingerprint! })).code).toBe(0);
    const first = fs.readFileSync(path.join(ws, '.secrets/chatbot/chatbot-prod-web.key'), 'utf8');
    // 91 days on (the default rotation is every 90 days), with a policy change waiting for review.
    const clock = await fetch(`${sandbox.url}/_sandbox/clock`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ advance_seconds: 91 * 86_400 }),
    });
    expect(clock.status).toBe(200);
    writePolicies(['chatbot-prod-web'], ORG_YAML.replace('monthly_cap_usd: 500', 'monthly_cap_usd: 900'));
    const run = await runAction('schedule', { mode: 'reconcile' });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.summary).toMatch(/^Reconciled [1-9]\d* rotation steps?\.$/);
    // The audit log has one line per change, never a value.
    const audit = fs
      .readFileSync(path.join(ws, '.groq-rbac/audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(audit.some((e) => e.action === 'rotate' && e.status === 'applied' && e.key === 'chatbot-prod-web')).toBe(true);
    expect(run.summary).toMatch(/Audit log: \d+ lines? appended to `\.groq-rbac\/audit\.jsonl`/);
    expect(fs.readFileSync(path.join(ws, '.secrets/chatbot/chatbot-prod-web.key'), 'utf8')).not.toBe(first);
    // The spend cap change was not made: it still shows in the plan.
    const after = await runAction('pull_request', { mode: 'plan' });
    expect(prComments()[0]!.body).toContain('monthly_cap_usd = 500 -> 900');
    expect(after.outputs['has-changes']).toBe('true');
  });

  it('usage writes the usage report with its Mermaid chart to the job summary and changes nothing', async () => {
    const plan = await runAction('pull_request', { mode: 'plan' });
    expect((await runAction('workflow_dispatch', { mode: 'apply', 'expect-fingerprint': plan.outputs.fingerprint! })).code).toBe(0);
    const before = await projects();
    const run = await runAction('schedule', { mode: 'usage' });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.summary).toMatch(/^## Groq usage: org\\_\w+$/m);
    expect(run.summary).toContain('chatbot');
    expect(run.outputs.summary).toMatch(/^Usage report for org_\w+: \d+ findings?\.$/);
    expect(await projects()).toEqual(before);
  });

  it("explains a fork's pull request, which gets no secrets", async () => {
    const run = await runAction('pull_request_fork', { mode: 'plan', 'groq-admin-key': '' }, { eventName: 'pull_request' });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('the plan needs the Groq admin key');
    expect(run.stdout).toContain('pull_request_target');
    expect(github.state.requests).toEqual([]);
  });
});
