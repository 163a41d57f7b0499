import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readEventContext } from '../../src/action/context.js';
import { readInputs } from '../../src/action/inputs.js';
import { applyMode } from '../../src/action/modes/apply.js';
import type { ModeContext } from '../../src/action/modes/mode.js';
import { planMode } from '../../src/action/modes/plan.js';
import { fetch as undiciFetch } from 'undici';
import type { OrgSession } from '../../src/app/session.js';
import { silentLogger } from '../../src/core/log.js';
import { redactKeyValue, registerSecret } from '../../src/core/redact.js';
import { GroqClient } from '../../src/providers/groq/client.js';
import { GroqProvider } from '../../src/providers/groq/write.js';
import { createGitHubClient } from '../../src/github/client.js';
import { renderCodeownersBlock } from '../../src/policy/codeowners.js';
import { readPolicies } from '../../src/policy/read-policies.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';

// Issue 17, items 4, 5 and 6 (workflow_dispatch), as an attacker who can write to the repository
// tries them: each is refused, the organization hears nothing (the sandbox's own request count),
// and GitHub gets no write. The Action's plan and apply modes run in process; GitHub is nock.

const API = 'https://api.github.com';
const REPO = '/repos/acme/groq-policies';
const EVENTS = path.resolve('test/fixtures/events');
const HEAD = '6dcb09b5b57875f334f61aebed695e2e4193db5e';
const BEFORE = '9049f1265b7d61be4a8904a9a27120d2064dab3b';
const MERGE = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
// Built at run time: no tracked line looks like a key.
const ADMIN_KEY = ['gsk', 'SecurityTestAdminKey0123456789abcdefghijklmn'].join('_');
const SIGNING_KEY = ['plan', 'signing', 'key', 'for', 'the', 'security', 'suite', '0123456789'].join('-');
const BOT = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' };

const ORG_YAML = `version: 2
org: org_sandbox
admins: ["@acme/platform"]
models: [openai/gpt-oss-120b, openai/gpt-oss-20b]
`;
const TEAM_YAML = `team: chatbot
owners: ["@acme/chatbot"]
projects:
  - name: chatbot-prod
    models: [openai/gpt-oss-120b]
`;

interface Comment {
  id: number;
  body: string;
  user: { login: string; id: number; type: string };
}
interface GitHubState {
  comments: Comment[];
  reviews: { login: string; state: string; commit_id?: string; association?: string }[];
  permissions: Record<string, string>;
  commits: { author: string | null; committer: string | null }[];
  pushers: string[];
  files: string[];
  /** `team:login` of active memberships. */
  members: string[];
  /** workflow_dispatch: the run's deployment reviews and the environments' rules. */
  deploymentReviews: { state: string; user: { login: string }; environments: { name: string }[] }[];
  environments: Record<string, unknown>;
}

let sandbox: Sandbox;
let ws: string;
let gh: GitHubState;
let writes: string[];
let sent: string[];

// nock 15 (fetch) hands reply functions the Request.
const pathOf = (req: unknown) => decodeURIComponent(new URL((req as Request).url).pathname);
const json = (body: unknown) => (typeof body === 'string' ? (body === '' ? {} : JSON.parse(body)) : (body ?? {})) as { body: string };

/** GitHub as nock, from `gh`: every read the Action makes, and every write recorded. */
function fakeGitHub(): void {
  const codeowners = renderCodeownersBlock(readPolicies(path.join(ws, 'policies')).desired!, 'policies');
  const api = nock(API).persist().defaultReplyHeaders({ 'content-type': 'application/json' });
  // A reply function's array is sent as JSON text: nock sends an empty array as an empty body.
  const list = (f: () => unknown[]) => () => JSON.stringify(f());
  api.on('request', (req, _i, body) => sent.push(`${req.method} ${(req as { url?: string }).url ?? req.path} ${body ?? ''}`));
  api
    .get(`${REPO}/commits/${MERGE}/pulls`)
    .query(true)
    .reply(
      200,
      list(() => [
        {
          number: 42,
          user: { login: 'alice' },
          merged_at: '2026-05-04T09:02:17Z',
          merge_commit_sha: MERGE,
          base: { ref: 'main' },
          head: { sha: HEAD, ref: 'alice/chatbot', repo: { full_name: 'acme/groq-policies' } },
          html_url: 'https://github.com/acme/groq-policies/pull/42',
        },
      ]),
    );
  api
    .get(`${REPO}/pulls/42/reviews`)
    .query(true)
    .reply(
      200,
      list(() =>
        gh.reviews.map((r, i) => ({
          id: i + 1,
          user: { login: r.login },
          state: r.state,
          commit_id: r.commit_id ?? HEAD,
          author_association: r.association ?? 'MEMBER',
        })),
      ),
    );
  api
    .get(`${REPO}/contents/.github%2FCODEOWNERS`)
    .query({ ref: BEFORE })
    .reply(200, { type: 'file', encoding: 'base64', content: Buffer.from(codeowners).toString('base64') });
  api
    .get(`${REPO}/pulls/42/commits`)
    .query(true)
    .reply(
      200,
      list(() =>
        gh.commits.map((c, i) => ({
          sha: `${i}`.repeat(40).slice(0, 40),
          author: c.author ? { login: c.author } : null,
          committer: c.committer ? { login: c.committer } : null,
        })),
      ),
    );
  api
    .get(`${REPO}/activity`)
    .query({ ref: 'refs/heads/alice/chatbot', per_page: 100 })
    .reply(
      200,
      list(() => gh.pushers.map((login, i) => ({ id: i, activity_type: 'push', actor: { login } }))),
    );
  api
    .get(`${REPO}/pulls/42/files`)
    .query(true)
    .reply(
      200,
      list(() => gh.files.map((filename) => ({ filename }))),
    );
  api.get(/\/repos\/acme\/groq-policies\/collaborators\/[^/]+\/permission$/).reply(200, (req) => {
    const login = pathOf(req).split('/').at(-2)!;
    return JSON.stringify({ permission: gh.permissions[login] ?? 'none', role_name: gh.permissions[login] ?? '', user: { login } });
  });
  api.get(/\/orgs\/acme\/teams\/[^/]+\/memberships\/[^/]+$/).reply((req) => {
    const [, , , team, , login] = pathOf(req).split('/').slice(1);
    return gh.members.includes(`${team}:${login}`)
      ? [200, JSON.stringify({ state: 'active', role: 'member' })]
      : [404, JSON.stringify({ message: 'Not Found' })];
  });
  api.get(/\/repos\/acme\/groq-policies\/issues\/42\/comments/).reply(
    200,
    list(() => gh.comments),
  );
  // nock hands a reply function no request body for fetch; the body matcher sees it.
  let posted = '';
  api
    .post(`${REPO}/issues/42/comments`, (b) => ((posted = json(b).body), true))
    .reply(201, () => {
      writes.push('POST comment');
      const c = { id: 1000 + gh.comments.length, body: posted, user: BOT };
      gh.comments.push(c);
      return JSON.stringify(c);
    });
  api
    .patch(/\/repos\/acme\/groq-policies\/issues\/comments\/\d+$/, (b) => ((posted = json(b).body), true))
    .reply(200, (req) => {
      writes.push('PATCH comment');
      const c = gh.comments.find((x) => x.id === Number(pathOf(req).split('/').at(-1)))!;
      c.body = posted;
      return JSON.stringify(c);
    });
  api.get('/repos/acme/groq-policies/actions/runs/4242/approvals').reply(() => [200, JSON.stringify(gh.deploymentReviews)]);
  api.get(/\/repos\/acme\/groq-policies\/environments\/[^/]+\/deployment-branch-policies$/).reply((req) => {
    const policies =
      (gh.environments[pathOf(req).split('/').at(-2)!] as { branch_policies?: unknown[] } | undefined)?.branch_policies ?? [];
    return [200, JSON.stringify({ total_count: policies.length, branch_policies: policies })];
  });
  api.get(/\/repos\/acme\/groq-policies\/environments\/[^/]+$/).reply((req) => {
    const env = gh.environments[pathOf(req).split('/').at(-1)!];
    return env ? [200, JSON.stringify(env)] : [404, JSON.stringify({ message: 'Not Found' })];
  });
}

function context(event: 'pull_request' | 'push' | 'workflow_dispatch', inputs: Record<string, string>): ModeContext {
  const env = {
    GITHUB_EVENT_NAME: event,
    GITHUB_EVENT_PATH: path.join(EVENTS, `${event}.json`),
    GITHUB_REPOSITORY: 'acme/groq-policies',
    GITHUB_SHA: event === 'pull_request' ? 'f'.repeat(40) : MERGE,
    GITHUB_REF: event === 'pull_request' ? 'refs/pull/42/merge' : 'refs/heads/main',
    GITHUB_RUN_ID: '4242',
    GITHUB_ACTOR: 'bob',
    GITHUB_TRIGGERING_ACTOR: 'bob',
    GITHUB_API_URL: API,
    GITHUB_WORKSPACE: ws,
  };
  const values: Record<string, string> = {
    mode: event === 'pull_request' ? 'plan' : 'apply',
    'groq-admin-key': ADMIN_KEY,
    'github-token': 'ghs_SecuritySuiteWorkflowToken0',
    'groq-base-url': sandbox.url,
    'plan-signing-key': SIGNING_KEY,
    'members-token': 'ghs_SecuritySuiteMembersToken00',
    ...inputs,
  };
  const ev = readEventContext(env);
  const parsed = readInputs((name) => values[name] ?? '', ev);
  return {
    inputs: parsed,
    event: ev,
    cwd: ws,
    env,
    logger: silentLogger,
    summary: [],
    workflowFile: '.github/workflows/groq-rbac-apply.yml',
    github: createGitHubClient({ token: parsed.githubToken, baseUrl: API, retries: 0, retryAfterBaseMs: 1 }),
    members: createGitHubClient({ token: parsed.membersToken!, baseUrl: API, retries: 0, retryAfterBaseMs: 1 }),
    annotator: { error() {}, warning() {} },
    readPolicies: () => readPolicies(path.join(ws, parsed.policies), { cwd: ws }),
    openSession: () => session(parsed.baseUrl),
  };
}

/**
 * openSession's session, with undici's own fetch: nock 15 replaces the global fetch, and its
 * pass-through to 127.0.0.1 loses request bodies. The sandbox is real all the same.
 */
function session(baseUrl: string): OrgSession {
  registerSecret(ADMIN_KEY);
  const client = new GroqClient({ baseUrl, adminKey: ADMIN_KEY, fetch: undiciFetch as unknown as typeof fetch });
  return {
    admin: new GroqProvider(client),
    adminKeyRedacted: redactKeyValue(ADMIN_KEY),
    target: new URL(baseUrl).host,
    concurrency: 4,
    close: () => client.close(),
  };
}

/** The sandbox's count of organization requests (its own /_sandbox routes are not counted). */
async function orgRequests(): Promise<number> {
  const res = await fetch(`${sandbox.url}/_sandbox/stats`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  return ((await res.json()) as { requests_total: number }).requests_total;
}

/** The plan job's genuine comment for pull request #42, as the plan mode writes it. */
async function plan(inputs: Record<string, string> = {}): Promise<{ body: string; fingerprint: string }> {
  const result = await planMode(context('pull_request', inputs));
  const body = gh.comments.at(-1)!.body;
  return { body, fingerprint: result.plan!.fingerprint };
}

/** Runs apply and expects a refusal matching `message`, with nothing sent to the organization and nothing written to GitHub. */
async function expectRefusedApply(ctx: ModeContext, message: RegExp): Promise<void> {
  const orgBefore = await orgRequests();
  const writesBefore = writes.length;
  await expect(applyMode(ctx)).rejects.toThrow(message);
  expect(await orgRequests()).toBe(orgBefore);
  expect(writes.length).toBe(writesBefore);
  const projects = await fetch(`${sandbox.url}/openai/v1/organization/projects`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  expect(((await projects.json()) as { data: unknown[] }).data).toEqual([]);
}

/** An approved, otherwise unremarkable pull request #42 by alice, reviewed by bob of @acme/chatbot. */
function approvedBy(login = 'bob'): void {
  gh.reviews = [{ login, state: 'APPROVED' }];
  gh.permissions = { bob: 'write', carol: 'admin', dave: 'read' };
  gh.commits = [{ author: 'alice', committer: 'alice' }];
  gh.pushers = ['alice'];
  gh.files = ['policies/teams/chatbot.yaml'];
  gh.members = ['chatbot:bob', 'platform:carol'];
}

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});
afterAll(() => nock.enableNetConnect());

beforeEach(async () => {
  sandbox = await startSandbox({ host: '127.0.0.1', port: 0, orgId: 'org_sandbox', adminKey: ADMIN_KEY });
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-security-action-'));
  fs.mkdirSync(path.join(ws, 'policies/teams'), { recursive: true });
  fs.writeFileSync(path.join(ws, 'policies/org.yaml'), ORG_YAML);
  fs.writeFileSync(path.join(ws, 'policies/teams/chatbot.yaml'), TEAM_YAML);
  gh = {
    comments: [],
    reviews: [],
    permissions: {},
    commits: [],
    pushers: [],
    files: [],
    members: [],
    deploymentReviews: [],
    environments: {},
  };
  writes = [];
  sent = [];
  fakeGitHub();
});

afterEach(async () => {
  // No secret went to GitHub in any request (the signing key included).
  for (const line of sent) {
    expect(line).not.toContain(ADMIN_KEY);
    expect(line).not.toContain(SIGNING_KEY);
  }
  nock.cleanAll();
  await sandbox.close();
  fs.rmSync(ws, { recursive: true, force: true });
});

describe('plan integrity: apply trusts only a state line the plan job signed', () => {
  it('refuses a comment by another bot that forges the state line', async () => {
    const genuine = await plan();
    // Only the forger's comment is left: another App's bot, state line and all (its "signature" made with some other key).
    const forged = genuine.body.replace(/"sig":"[0-9a-f]{64}"/, `"sig":"${'ab'.repeat(32)}"`);
    gh.comments = [{ id: 5, body: forged, user: { login: 'evil-app[bot]', id: 31337, type: 'Bot' } }];
    approvedBy();
    await expectRefusedApply(
      context('push', {}),
      /no plan comment by @github-actions\[bot\]; the marked comment by @evil-app\[bot\] is not the plan job's .* ignored; nothing was changed/,
    );
  });

  it("refuses the bot's comment edited after the plan job wrote it", async () => {
    const genuine = await plan();
    // A writer edits github-actions[bot]'s comment in the UI: the plan's create line is gone, the state line kept.
    const edited = genuine.body
      .split('\n')
      .filter((l) => !l.includes('chatbot-prod'))
      .join('\n');
    expect(edited).not.toBe(genuine.body);
    gh.comments[0]!.body = edited;
    approvedBy();
    await expectRefusedApply(
      context('push', {}),
      /the plan comment was edited after the plan job wrote it: its text is not the text the plan job signed/,
    );
  });

  it("refuses an unsigned state line, as a writer's own workflow posts it as github-actions[bot]", async () => {
    const { body } = await plan({ 'plan-signing-key': '' });
    expect(body).not.toContain('"sig"');
    approvedBy();
    await expectRefusedApply(context('push', {}), /the state line is not signed by the plan job \(no signature/);
    // A signature made with a key the writer guessed is no better.
    const signed = (await plan({ 'plan-signing-key': 'a-key-the-writer-made-up-0123456789abcdef' })).body;
    gh.comments = [{ id: 9, body: signed, user: BOT }];
    await expectRefusedApply(context('push', {}), /the state line is not signed by the plan job \(its signature does not verify/);
  });
});

describe('approval: what counts', () => {
  it('refuses an approval by a MEMBER without write permission', async () => {
    await plan();
    approvedBy('dave');
    gh.members.push('chatbot:dave');
    await expectRefusedApply(context('push', {}), /no approval counts: @dave has no write permission on the repository \(read\)/);
  });

  it("refuses an approval by a reviewer who pushed a commit to someone else's pull request", async () => {
    await plan();
    approvedBy('bob');
    // bob pushed a commit to alice's branch, authored and committed in git as alice: only the push record shows him.
    gh.commits.push({ author: 'alice', committer: 'alice' });
    gh.pushers.push('bob');
    await expectRefusedApply(context('push', {}), /no approval counts: @bob pushed to the branch, so their approval does not count/);
  });

  it("refuses an approval that misses one changed file's owners, naming the file and the owner", async () => {
    await plan();
    approvedBy('bob');
    gh.files.push('policies/org.yaml');
    await expectRefusedApply(
      context('push', {}),
      /do not cover every changed file's code owners: policies\/org\.yaml needs an approval from @acme\/platform/,
    );
  });

  it('applies when a team owner approves through their team membership', async () => {
    const { fingerprint } = await plan();
    approvedBy('bob');
    const ctx = context('push', {});
    const result = await applyMode(ctx);
    expect(result.failure).toBeNull();
    expect(result.plan?.fingerprint).toBe(fingerprint);
    const projects = await fetch(`${sandbox.url}/openai/v1/organization/projects`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(((await projects.json()) as { data: { name: string }[] }).data.map((p) => p.name)).toEqual(['chatbot-prod']);
    expect(sent.some((s) => s.startsWith('GET ') && s.includes('/orgs/acme/teams/chatbot/memberships/bob'))).toBe(true);
  });
});

describe("ownership is measured against the push's before (review #1)", () => {
  it('refuses a push event without `before`, even with require-approval off: nothing is measured against a guess', async () => {
    await plan();
    approvedBy();
    const ctx = context('push', { 'require-approval': 'false' });
    await expectRefusedApply(
      { ...ctx, event: { ...ctx.event, before: null } },
      /the push event has no `before` commit, so what the default branch said before this push is unknown/,
    );
  });
});

describe('workflow_dispatch applies only from a protected environment', () => {
  it('refuses a dispatched fingerprint when no required reviewer approved the run', async () => {
    const { fingerprint } = await plan();
    await expectRefusedApply(
      context('workflow_dispatch', { 'expect-fingerprint': fingerprint }),
      /applies only from a protected environment, and this run is not approved in one: no required reviewer approved this run/,
    );
    // An environment without required reviewers, or the dispatcher approving their own run, is no gate either.
    gh.deploymentReviews = [{ state: 'approved', user: { login: 'carol' }, environments: [{ name: 'open' }] }];
    gh.environments = { open: { name: 'open', protection_rules: [], deployment_branch_policy: null } };
    await expectRefusedApply(
      context('workflow_dispatch', { 'expect-fingerprint': fingerprint }),
      /environment open has no required reviewers/,
    );
    gh.deploymentReviews = [{ state: 'approved', user: { login: 'bob' }, environments: [{ name: 'groq-rbac-dispatch' }] }];
    gh.environments = {
      'groq-rbac-dispatch': {
        name: 'groq-rbac-dispatch',
        protection_rules: [{ type: 'required_reviewers', reviewers: [{ type: 'User', reviewer: { login: 'bob' } }] }],
        deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
        branch_policies: [{ id: 1, name: 'main', type: 'branch' }],
      },
    };
    await expectRefusedApply(
      context('workflow_dispatch', { 'expect-fingerprint': fingerprint }),
      /@bob approved the deployment they started themselves/,
    );
    // A required reviewer other than the dispatcher: applied.
    gh.deploymentReviews = [{ state: 'approved', user: { login: 'carol' }, environments: [{ name: 'groq-rbac-dispatch' }] }];
    const result = await applyMode(context('workflow_dispatch', { 'expect-fingerprint': fingerprint }));
    expect(result.failure).toBeNull();
    expect(await orgRequests()).toBeGreaterThan(0);
  });
});
