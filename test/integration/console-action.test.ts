/**
 * The Action's whole loop for `provider: groq-console`, end to end: a git repository with two pull
 * requests merged into main; plan on each pull request (the runbook as one signed sticky comment),
 * apply on each merge (the steps issue, after the same approval checks as the admin-API apply),
 * verify on a schedule against the real sandbox's inference API (ticks steps off, closes the issue).
 * No admin key anywhere: openSession throws. GitHub is a recording stand-in on 127.0.0.1 (nock, in
 * the same process as the sandbox, would also catch the transport's requests to it). Octokit's
 * throttling spaces GitHub writes a second apart, process-wide, hence the longer timeouts.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { STEPS_LABEL, sectionChecks, splitSections } from '../../src/action/console-issue.js';
import { readEventContext } from '../../src/action/context.js';
import { DRIFT_LABEL } from '../../src/action/drift-issue.js';
import { readInputs } from '../../src/action/inputs.js';
import { applyMode } from '../../src/action/modes/apply.js';
import { verifyMode } from '../../src/action/modes/console.js';
import type { ModeContext } from '../../src/action/modes/mode.js';
import { planMode } from '../../src/action/modes/plan.js';
import { readCommentState } from '../../src/action/plan-comment.js';
import { verifyPlanComment } from '../../src/action/plan-integrity.js';
import { findMarkedComments } from '../../src/action/pull-request-comment.js';
import { runbookSince } from '../../src/app/runbook.js';
import type { Logger } from '../../src/core/log.js';
import { createGitHubClient } from '../../src/github/client.js';
import { tickedSteps } from '../../src/plan/render-runbook.js';
import { renderCodeownersBlock } from '../../src/policy/codeowners.js';
import { readPolicies } from '../../src/policy/read-policies.js';
import { startFakeGitHub, type FakeGitHub, type FakePullRequest } from '../helpers/fake-github.js';
import { createKey, startTestOrg, type TestOrg } from '../helpers/sandbox.js';

const REPO = 'acme/groq-policies';
// Built at run time: no tracked line looks like a secret.
const GITHUB_TOKEN = ['ghs', 'ConsoleActionWorkflowToken0123456789'].join('_');
const MEMBERS_TOKEN = ['ghs', 'ConsoleActionMembersToken01234567890'].join('_');
const SIGNING_KEY = ['console', 'plan', 'signing', 'key', '0123456789abcdef'].join('-');

const ORG_YAML = `version: 2
org: org_sandbox
admins: ["@acme/platform"]
provider: groq-console
models: [openai/gpt-oss-120b, openai/gpt-oss-20b]
`;
const TEAM_YAML = `team: app
owners: ["@acme/app"]
projects:
  - name: app-prod
    models: [openai/gpt-oss-120b]
    limits:
      default: {requests_per_day: 1000, tokens_per_minute: 50000}
    keys:
      - name: app-prod-web
`;

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, '-c', 'user.email=t@example.com', '-c', 'user.name=t', '-c', 'commit.gpgsign=false', ...args], {
    encoding: 'utf8',
  }).trim();
}

interface History {
  ws: string;
  base: string;
  head1: string;
  merge1: string;
  head2: string;
  merge2: string;
}

/**
 * main: base → merge of pull request #1 (tokens per minute 50000 → 40000, a new key) → merge of
 * pull request #2 (a second model for the project). Each merge is a merge commit, as GitHub's
 * "Create a merge commit" makes it, whose first parent is main before it.
 */
function history(): History {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-console-action-'));
  fs.mkdirSync(path.join(ws, 'policies', 'teams'), { recursive: true });
  fs.mkdirSync(path.join(ws, '.github'));
  fs.writeFileSync(path.join(ws, 'policies', 'org.yaml'), ORG_YAML);
  fs.writeFileSync(path.join(ws, 'policies', 'teams', 'app.yaml'), TEAM_YAML);
  fs.writeFileSync(
    path.join(ws, '.github', 'CODEOWNERS'),
    renderCodeownersBlock(readPolicies(path.join(ws, 'policies'), { cwd: ws }).desired!, 'policies'),
  );
  fs.writeFileSync(path.join(ws, 'groq-keys.yaml'), 'app-prod: GROQ_KEY_APP_PROD\n');
  git(ws, 'init', '-q', '-b', 'main');
  git(ws, 'add', '-A');
  git(ws, 'commit', '-q', '-m', 'base');
  const base = git(ws, 'rev-parse', 'HEAD');
  const team = path.join(ws, 'policies', 'teams', 'app.yaml');
  const change = (branch: string, from: (t: string) => string, pr: number) => {
    git(ws, 'checkout', '-q', '-b', branch);
    fs.writeFileSync(team, from(fs.readFileSync(team, 'utf8')));
    git(ws, 'commit', '-q', '-am', branch);
    const head = git(ws, 'rev-parse', 'HEAD');
    git(ws, 'checkout', '-q', 'main');
    git(ws, 'merge', '-q', '--no-ff', '-m', `Merge pull request #${pr}`, branch);
    return { head, merge: git(ws, 'rev-parse', 'HEAD') };
  };
  const one = change(
    'pr-1',
    (t) => t.replace('tokens_per_minute: 50000', 'tokens_per_minute: 40000') + '      - name: app-prod-batch\n',
    1,
  );
  const two = change('pr-2', (t) => t.replace('models: [openai/gpt-oss-120b]', 'models: [openai/gpt-oss-120b, openai/gpt-oss-20b]'), 2);
  return { ws, base, head1: one.head, merge1: one.merge, head2: two.head, merge2: two.merge };
}

let h: History;
let gh: FakeGitHub;
let logged: string[];

const recordingLogger: Logger = { debug: (m) => logged.push(m), info: (m) => logged.push(m), warn: (m) => logged.push(m) };

/** The Action's context for one run, built from the event as main.ts builds it (with the provider peek). */
function context(
  event: 'pull_request_target' | 'push' | 'schedule' | 'workflow_dispatch',
  payload: Record<string, unknown>,
  sha: string,
  inputs: Record<string, string>,
  env: Record<string, string> = {},
): ModeContext {
  const eventPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-console-event-')), 'event.json');
  fs.writeFileSync(
    eventPath,
    JSON.stringify({
      ...payload,
      repository: { full_name: REPO, name: 'groq-policies', owner: { login: 'acme' }, default_branch: 'main' },
    }),
  );
  const runEnv = {
    GITHUB_EVENT_NAME: event,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REPOSITORY: REPO,
    GITHUB_SHA: sha,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_RUN_ID: '4242',
    GITHUB_ACTOR: 'bob',
    GITHUB_TRIGGERING_ACTOR: 'bob',
    GITHUB_API_URL: gh.url,
    GITHUB_WORKSPACE: h.ws,
    ...env,
  };
  const ev = readEventContext(runEnv);
  // As action.yml's defaults arrive: groq-admin-key is not given at all.
  const values: Record<string, string> = {
    'github-token': GITHUB_TOKEN,
    'plan-signing-key': SIGNING_KEY,
    'members-token': MEMBERS_TOKEN,
    comment: 'true',
    'require-approval': 'true',
    ...inputs,
  };
  const peek = readPolicies(path.join(h.ws, 'policies'), { cwd: h.ws });
  const parsed = readInputs((name) => values[name] ?? '', ev, { consoleProvider: peek.desired?.org.provider === 'groq-console' });
  return {
    inputs: parsed,
    event: ev,
    cwd: h.ws,
    env: runEnv,
    logger: recordingLogger,
    summary: [],
    workflowFile: '.github/workflows/groq-rbac-apply.yml',
    github: createGitHubClient({ token: parsed.githubToken, baseUrl: gh.url, retries: 0, retryAfterBaseMs: 1 }),
    members: parsed.membersToken
      ? createGitHubClient({ token: parsed.membersToken, baseUrl: gh.url, retries: 0, retryAfterBaseMs: 1 })
      : null,
    annotator: { error() {}, warning() {} },
    readPolicies: () => readPolicies(path.join(h.ws, parsed.policies), { cwd: h.ws }),
    openSession: () => {
      throw new Error('a Console organization has no admin API: no mode may open an admin session');
    },
  };
}

const prPayload = (n: number, base: string, head: string) => ({
  number: n,
  pull_request: {
    number: n,
    head: { sha: head, ref: `pr-${n}`, repo: { full_name: REPO } },
    base: { sha: base, ref: 'main', repo: { full_name: REPO } },
  },
});

/** The plan job on pull request `n`, with the pull request's head checked out (as the example workflow does). */
async function plan(n: 1 | 2, inputs: Record<string, string> = {}, baseOverride?: string) {
  const [prBase, head] = n === 1 ? [h.base, h.head1] : [h.merge1, h.head2];
  const base = baseOverride ?? prBase;
  git(h.ws, 'checkout', '-q', '--detach', head);
  const ctx = context('pull_request_target', prPayload(n, base, head), base, { mode: 'plan', ...inputs });
  expect(ctx.inputs.adminKey).toBe('');
  const result = await planMode(ctx);
  return { result, ctx };
}

/** The apply job on the push of pull request `n`'s merge, with the merge checked out. */
function applyContext(n: 1 | 2, inputs: Record<string, string> = {}): ModeContext {
  const [before, merge] = n === 1 ? [h.base, h.merge1] : [h.merge1, h.merge2];
  git(h.ws, 'checkout', '-q', '--detach', merge);
  const ctx = context('push', { ref: 'refs/heads/main', before, after: merge }, merge, { mode: 'apply', ...inputs });
  expect(ctx.inputs.adminKey).toBe('');
  return ctx;
}

/** Pull request `n` by alice, approved on its last commit by bob (write permission, in @acme/app, who wrote and pushed none of it). */
function approvedPullRequest(n: 1 | 2): FakePullRequest {
  const [head, merge] = n === 1 ? [h.head1, h.merge1] : [h.head2, h.merge2];
  const pr: FakePullRequest = {
    number: n,
    author: 'alice',
    headSha: head,
    headRef: `pr-${n}`,
    mergeCommitSha: merge,
    reviews: [{ login: 'bob', state: 'APPROVED', commit_id: head }],
    commits: [{ author: 'alice', committer: 'alice' }],
    pushers: ['alice'],
    files: ['policies/teams/app.yaml'],
  };
  gh.state.pulls.push(pr);
  return pr;
}

const issueWrites = () => gh.writes().filter((r) => /\/issues(\/\d+)?$/.test(r.path.split('?')[0]!));

/** Runs apply and expects a refusal, with no issue opened or changed. */
async function expectRefused(ctx: ModeContext, message: RegExp): Promise<void> {
  const before = issueWrites().length;
  await expect(applyMode(ctx)).rejects.toThrow(message);
  expect(issueWrites().length).toBe(before);
  expect(gh.state.issues).toEqual([]);
}

beforeEach(async () => {
  h = history();
  gh = await startFakeGitHub(REPO);
  gh.state.permissions = { alice: 'write', bob: 'write', dave: 'read' };
  gh.state.members = ['app:bob', 'platform:carol'];
  // The default branch's CODEOWNERS before each merge: the generated block, committed with the base.
  const codeowners = fs.readFileSync(path.join(h.ws, '.github', 'CODEOWNERS'), 'utf8');
  for (const sha of [h.base, h.merge1]) gh.state.codeowners.set(sha, codeowners);
  logged = [];
});

afterEach(async () => {
  // The signing key and the tokens never went into a body GitHub received, nor into the log.
  for (const r of gh.state.requests) {
    const body = JSON.stringify(r.body ?? '');
    for (const secret of [SIGNING_KEY, MEMBERS_TOKEN, GITHUB_TOKEN]) expect(body).not.toContain(secret);
  }
  for (const line of logged) expect(line).not.toContain(SIGNING_KEY);
  await gh.close();
  fs.rmSync(h.ws, { recursive: true, force: true });
});

describe('plan on a pull request: the runbook as one signed sticky comment', () => {
  it('posts one comment whose state line verifies with plan-signing-key, with no admin key given or used', async () => {
    const { result, ctx } = await plan(1);
    expect(result.failure).toBeNull();
    expect(result.hasChanges).toBe(true);
    expect(result.line).toBe('2 Console steps to do.');
    const comments = gh.state.comments.get(1)!;
    expect(comments).toHaveLength(1);
    const body = comments[0]!.body;
    expect(body).toContain('<!-- groq-rbac:runbook -->');
    expect(body).toContain('1. **Rate limits of openai/gpt-oss-120b: Tokens per minute (TPM) 40000**');
    expect(body).toContain('2. **Create API key "app-prod-batch" in project "app-prod"** <sub>(tick off by hand)</sub>');
    // The fingerprint is the runbook's, from the pull request's base to its head.
    const { runbook } = await runbookSince('policies', ctx.readPolicies().desired!, { since: h.base, cwd: h.ws });
    expect(readCommentState(body)).toMatchObject({
      state: 'planned',
      fingerprint: runbook.fingerprint,
      head_sha: h.head1,
      pr: 1,
      parts: 1,
    });
    // The signature verifies with the plan job's key, and only with it.
    const found = await findMarkedComments(ctx.github!, { owner: 'acme', repo: 'groq-policies', issueNumber: 1 }, ctx.inputs.commentAuthor);
    expect(
      verifyPlanComment({ mine: found.mine, others: found.others, author: ctx.inputs.commentAuthor, key: SIGNING_KEY, pr: 1 }),
    ).toMatchObject({ ok: true });
    expect(
      verifyPlanComment({ mine: found.mine, others: found.others, author: ctx.inputs.commentAuthor, key: `${SIGNING_KEY}-other`, pr: 1 }),
    ).toMatchObject({ ok: false, reason: expect.stringContaining('does not verify') });
    expect(ctx.summary.join('\n')).toContain(runbook.fingerprint);
    // A second push re-plans in place: still one comment, never a second one.
    await plan(1);
    expect(gh.state.comments.get(1)).toHaveLength(1);
    expect(gh.writes().map((r) => `${r.method} ${r.path}`)).toEqual(['POST /repos/acme/groq-policies/issues/1/comments']);
    // Only the workflow token went to GitHub; nothing else was asked of it than the comments.
    expect(new Set(gh.state.requests.map((r) => r.authorization))).toEqual(new Set([`token ${GITHUB_TOKEN}`]));
    expect(gh.state.requests.every((r) => r.path.startsWith('/repos/acme/groq-policies/issues/1/comments'))).toBe(true);
  });
});

describe("apply on the merge: the steps issue, after the admin-API apply's approval rules", { timeout: 60_000 }, () => {
  it("opens one issue with the reviewed runbook's steps as a task list, and a re-run changes nothing", async () => {
    const { ctx: planned } = await plan(1);
    approvedPullRequest(1);
    const ctx = applyContext(1);
    const result = await applyMode(ctx);
    expect(result.failure).toBeNull();
    expect(gh.state.issues).toHaveLength(1);
    const issue = gh.state.issues[0]!;
    expect(result.line).toBe(`2 Console steps listed in issue #${issue.number}.`);
    expect(issue.labels.map((l) => l.name)).toEqual([STEPS_LABEL]);
    const { runbook } = await runbookSince('policies', planned.readPolicies().desired!, { since: h.base, cwd: h.ws });
    expect(issue.body).toContain(`### Pull request #1: 2 steps (runbook ${runbook.fingerprint.slice(0, 12)})`);
    for (const s of runbook.steps) expect(issue.body).toMatch(new RegExp(`^- \\[ \\] ${s.n}\\. \\*\\*.*<!-- step .* -->$`, 'm'));
    expect(issue.body).toContain('- [ ] 1. **Rate limits of openai/gpt-oss-120b: Tokens per minute (TPM) 40000**');
    expect(issue.body).toContain('- [ ] 2. **Create API key "app-prod-batch" in project "app-prod"** <sub>(tick off by hand)</sub>');
    // What verify will look for: the limit step only (a key cannot be seen from inference answers).
    const [section] = splitSections(issue.body);
    expect(sectionChecks(section!)).toEqual({
      [runbook.steps[0]!.id]: [
        { kind: 'limit', project: 'app-prod', model: 'openai/gpt-oss-120b', field: 'tokens_per_minute', value: 40000 },
      ],
    });
    // The approval was checked as for the admin API: write permission, team membership, CODEOWNERS before the merge.
    const asked = gh.state.requests.map((r) => `${r.method} ${r.path}`);
    expect(asked).toContain('GET /repos/acme/groq-policies/collaborators/bob/permission');
    expect(asked).toContain('GET /orgs/acme/teams/app/memberships/bob');
    expect(asked).toContain(`GET /repos/acme/groq-policies/contents/.github%2FCODEOWNERS?ref=${h.base}`);
    expect(gh.state.requests.find((r) => r.path.startsWith('/orgs/'))!.authorization).toBe(`token ${MEMBERS_TOKEN}`);
    // The same merge applied again (a re-run): the issue is left as it is.
    const again = await applyMode(applyContext(1));
    expect(again.failure).toBeNull();
    expect(gh.state.issues).toHaveLength(1);
    expect(issueWrites().map((r) => r.method)).toEqual(['POST']);
  });

  it('refuses a runbook comment forged by another identity, one re-signed with another key, an edited one and an unsigned one; no issue is written', async () => {
    approvedPullRequest(1);
    const genuine = (await plan(1), gh.state.comments.get(1)![0]!);
    const original = genuine.body;
    // Another App's bot posts the same text, and the plan job's comment is gone.
    gh.state.comments.set(1, [{ id: 7, body: original, user: { login: 'evil-app[bot]', id: 31337, type: 'Bot' } }]);
    await expectRefused(
      applyContext(1),
      /pull request #1 has no runbook comment apply can trust: it has no plan comment by @github-actions\[bot\]; the marked comment by @evil-app\[bot\] is not the plan job's .*no steps were listed/,
    );
    // A writer's workflow comments as github-actions[bot], signing with a key it made up.
    gh.state.comments.set(1, []);
    await plan(1, { 'plan-signing-key': 'a-key-the-writer-made-up-0123456789abcdef' });
    await expectRefused(applyContext(1), /its signature does not verify with `plan-signing-key`.*no steps were listed/);
    // The plan job's comment, edited in the UI: a step removed, the state line kept.
    gh.state.comments.set(1, [
      {
        ...genuine,
        body: original
          .split('\n')
          .filter((l) => !l.includes('app-prod-batch'))
          .join('\n'),
      },
    ]);
    await expectRefused(
      applyContext(1),
      /the plan comment was edited after the plan job wrote it: its text is not the text the plan job signed/,
    );
    // The plan job ran without the key: the comment is unsigned.
    gh.state.comments.set(1, []);
    await plan(1, { 'plan-signing-key': '' });
    expect(logged.some((l) => l.includes('plan-signing-key is not set'))).toBe(true);
    await expectRefused(applyContext(1), /the state line is not signed by the plan job \(no signature/);
    // Apply on push without the key at all lists nothing either.
    expect(() => applyContext(1, { 'plan-signing-key': '' })).toThrow(/input `plan-signing-key` is empty/);
  });

  it('refuses a merge whose approval would not count for the admin API either; no issue is written', async () => {
    await plan(1);
    const pr = approvedPullRequest(1);
    pr.reviews = [];
    await expectRefused(applyContext(1), /pull request #1 was merged without the approval apply needs: nobody approved it/);
    // An approval by a reader.
    pr.reviews = [{ login: 'dave', state: 'APPROVED', commit_id: h.head1 }];
    gh.state.members.push('app:dave');
    await expectRefused(applyContext(1), /@dave has no write permission on the repository \(read\)/);
    // By someone who pushed to the branch.
    pr.reviews = [{ login: 'bob', state: 'APPROVED', commit_id: h.head1 }];
    pr.pushers = ['alice', 'bob'];
    await expectRefused(applyContext(1), /@bob pushed to the branch, so their approval does not count/);
    // Of an earlier commit, not the head.
    pr.pushers = ['alice'];
    pr.reviews = [{ login: 'bob', state: 'APPROVED', commit_id: h.base }];
    await expectRefused(applyContext(1), /merged without the approval apply needs/);
    // Missing a changed file's code owners.
    pr.reviews = [{ login: 'bob', state: 'APPROVED', commit_id: h.head1 }];
    pr.files = ['policies/teams/app.yaml', 'policies/org.yaml'];
    await expectRefused(applyContext(1), /policies\/org\.yaml needs an approval from @acme\/platform/);
    // A push that came from no pull request.
    gh.state.pulls = [];
    await expectRefused(applyContext(1), /came from no merged pull request, so nobody reviewed its runbook; no steps were listed/);
  });

  it('refuses the runbook of a comment for an older commit of the pull request', async () => {
    await plan(1);
    const pr = approvedPullRequest(1);
    // A commit pushed after the plan ran (and approved): the comment is not for it.
    pr.headSha = 'e'.repeat(40);
    pr.reviews = [{ login: 'bob', state: 'APPROVED', commit_id: pr.headSha }];
    await expectRefused(applyContext(1), /has no runbook comment for its last commit eeeeeee/);
  });

  it("refuses a merge whose runbook is not the reviewed one (the base moved), showing the merge's runbook in the summary", async () => {
    // Pull request #2 planned against the base before #1 merged: its reviewed runbook holds #1's steps too.
    await plan(2, {}, h.base);
    approvedPullRequest(2);
    const ctx = applyContext(2);
    await expectRefused(
      ctx,
      new RegExp(
        `the runbook of the merge .* is not the one reviewed on pull request #2 .*the base moved after the review.*groq-rbac runbook --since ${h.merge1.slice(0, 12)}`,
      ),
    );
    expect(ctx.summary.join('\n')).toContain("### The merge's runbook: not the one reviewed on pull request #2, so not listed");
  });

  it('lists nothing on workflow_dispatch: a Console apply changes nothing a reviewer could approve by hand', async () => {
    await plan(1);
    approvedPullRequest(1);
    git(h.ws, 'checkout', '-q', '--detach', h.merge1);
    const { runbook } = await runbookSince('policies', readPolicies(path.join(h.ws, 'policies'), { cwd: h.ws }).desired!, {
      since: h.base,
      cwd: h.ws,
    });
    const ctx = context('workflow_dispatch', { inputs: { 'expect-fingerprint': runbook.fingerprint } }, h.merge1, {
      mode: 'apply',
      'expect-fingerprint': runbook.fingerprint,
    });
    await expectRefused(ctx, /`mode: apply` on workflow_dispatch lists no Console steps.*groq-rbac runbook --since/);
  });
});

describe('the loop: a second merge, then verify ticks the steps off and closes the issue', { timeout: 60_000 }, () => {
  let org: TestOrg;
  let key: string;
  beforeAll(async () => {
    // The organization as it is once the person did both runbooks' steps in the Console.
    org = await startTestOrg({ orgId: 'org_sandbox' });
    await org.client.setOrgModelPermissions({ mode: 'allow_list', model_ids: ['openai/gpt-oss-120b', 'openai/gpt-oss-20b'] });
    const project = await org.request('POST', '/openai/v1/organization/projects', { body: { name: 'app-prod' } });
    await org.client.setProjectModelPermissions(project.body.id, {
      mode: 'allow_list',
      model_ids: ['openai/gpt-oss-120b', 'openai/gpt-oss-20b'],
    });
    for (const model of ['openai/gpt-oss-120b', 'openai/gpt-oss-20b']) {
      await org.client.updateProjectRateLimit(project.body.id, `rl-${model}`, {
        max_requests_per_1_day: 1000,
        max_tokens_per_1_minute: 40000,
      });
    }
    key = (await createKey(org, project.body.id, 'app-prod-web')).value;
  });
  afterAll(async () => {
    await org.close();
  });

  it('adds the second merge to the same issue, keeps the ticks, ticks what Groq shows done and closes the issue when every box is ticked', async () => {
    await plan(1);
    approvedPullRequest(1);
    await applyMode(applyContext(1));
    const number = gh.state.issues[0]!.number;
    // A person ticked the key step of the first section by hand before the second merge.
    const keyStep = /^- \[ \] (2\. \*\*Create API key .*)$/m;
    gh.state.issues[0]!.body = gh.state.issues[0]!.body.replace(keyStep, '- [x] $1');

    await plan(2);
    approvedPullRequest(2);
    const second = await applyMode(applyContext(2));
    expect(second.line).toBe(`1 Console step listed in issue #${number}.`);
    expect(gh.state.issues).toHaveLength(1);
    const body = gh.state.issues[0]!.body;
    const sections = splitSections(body);
    expect(sections.map((s) => /^### (.*)$/m.exec(s)![1])).toEqual([
      expect.stringMatching(/^Pull request #1: 2 steps/),
      expect.stringMatching(/^Pull request #2: 1 step /),
    ]);
    expect(sections[1]).toContain(
      '- [ ] 1. **Model permissions of project "app-prod": choose "Only Allow" with exactly openai/gpt-oss-120b, openai/gpt-oss-20b**',
    );
    expect(tickedSteps(sections[0]!).size).toBe(1);
    expect(issueWrites().map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /repos/acme/groq-policies/issues',
      `PATCH /repos/acme/groq-policies/issues/${number}`,
    ]);

    // The scheduled verify, on main's head, with the project's key as an environment secret.
    const verify = () => {
      const ctx = context(
        'schedule',
        { schedule: '17 6 * * *' },
        h.merge2,
        { mode: 'verify', keys: 'groq-keys.yaml', 'groq-base-url': org.sandbox.url, 'members-token': '' },
        { GROQ_KEY_APP_PROD: key },
      );
      return verifyMode(ctx).then((result) => ({ result, ctx }));
    };
    git(h.ws, 'checkout', '-q', '--detach', h.merge2);
    const { result, ctx } = await verify();
    expect(result.failure).toBeNull();
    expect(result.line).toBe("Verified: Groq's answers match the policies.");
    expect(ctx.summary.join('\n')).toContain('= openai/gpt-oss-120b: tokens per minute 40000');
    // Every step Groq's answers show done is ticked; the issue stays open for none: the hand-made one was ticked by a person.
    expect(gh.state.issues[0]!.state).toBe('closed');
    expect(gh.state.issues[0]!.state_reason).toBe('completed');
    expect(gh.state.issues[0]!.comments).toEqual([expect.stringMatching(/^Every listed Console step is done .*Closing\.$/)]);
    // No drift, so no drift issue; and the key reached GitHub nowhere.
    expect(gh.state.issues.filter((i) => i.labels.some((l) => l.name === DRIFT_LABEL))).toEqual([]);
    for (const r of gh.state.requests) expect(JSON.stringify(r.body ?? '')).not.toContain(key);
    for (const line of logged) expect(line).not.toContain(key);
  });

  it('leaves the issue open with the verifiable steps ticked while a hand-made one is not', async () => {
    await plan(1);
    approvedPullRequest(1);
    await applyMode(applyContext(1));
    git(h.ws, 'checkout', '-q', '--detach', h.merge1);
    const ctx = context(
      'schedule',
      {},
      h.merge1,
      { mode: 'verify', keys: 'groq-keys.yaml', 'groq-base-url': org.sandbox.url, 'members-token': '' },
      { GROQ_KEY_APP_PROD: key },
    );
    const result = await verifyMode(ctx);
    // The policies at the first merge allow one model; the organization already allows both: drift.
    expect(result.hasChanges).toBe(true);
    const issue = gh.state.issues.find((i) => i.labels.some((l) => l.name === STEPS_LABEL))!;
    expect(issue.state).toBe('open');
    expect(issue.body).toMatch(/^- \[x\] 1\. \*\*Rate limits of openai\/gpt-oss-120b/m);
    expect(issue.body).toMatch(/^- \[ \] 2\. \*\*Create API key/m);
    const drift = gh.state.issues.find((i) => i.labels.some((l) => l.name === DRIFT_LABEL))!;
    expect(drift.body).toContain('openai/gpt-oss-20b');
  });
});
