import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { evaluateApproval, membershipKey, type ApprovalFacts, type Review } from '../../src/action/approval.js';
import { findMergedPullRequest, requireApproval } from '../../src/action/approval-facts.js';
import { ownersOf, parseGeneratedBlock } from '../../src/action/codeowners-rules.js';
import { evaluateDispatchApproval } from '../../src/action/dispatch-approval.js';
import { createGitHubClient } from '../../src/github/client.js';
import { renderCodeownersBlock } from '../../src/policy/codeowners.js';
import type { DesiredState } from '../../src/policy/types.js';

const API = 'https://api.github.com';
const REPO = '/repos/acme/groq-policies';
const HEAD = '6dcb09b5b57875f334f61aebed695e2e4193db5e';
const OLD = '1111111111111111111111111111111111111111';
const BASE = '9049f1265b7d61be4a8904a9a27120d2064dab3b';
const MERGE = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const review = (login: string, state: string, commit = HEAD, association = 'MEMBER'): Review => ({
  user: { login },
  state,
  commit_id: commit,
  author_association: association,
});
const github = () => createGitHubClient({ token: 'ghs_workflowtoken0000', baseUrl: API, retries: 0, retryAfterBaseMs: 1 });

// The block as `groq-rbac codeowners --write` renders it, so the parser reads what the generator writes.
const BLOCK = renderCodeownersBlock(
  {
    org: { admins: ['@acme/platform'], file: 'policies/org.yaml' },
    teams: [{ file: 'policies/teams/chatbot.yaml', owners: ['@acme/chatbot', '@carol'] }],
  } as unknown as DesiredState,
  'policies',
);
const RULES = parseGeneratedBlock(`* @someone-by-hand\n\n${BLOCK}`)!;

const facts = (over: Partial<ApprovalFacts> = {}): ApprovalFacts => ({
  pr: { number: 42, author: 'alice', headSha: HEAD },
  reviews: [],
  permissions: new Map([
    ['bob', 'write'],
    ['carol', 'admin'],
    ['dave', 'read'],
    ['erin', 'write'],
  ]),
  contributors: [],
  changedFiles: ['policies/teams/chatbot.yaml'],
  rules: RULES,
  memberships: new Map([
    [membershipKey('acme/chatbot', 'bob'), true],
    [membershipKey('acme/platform', 'erin'), true],
  ]),
  ...over,
});

describe('the generated CODEOWNERS block, read back', () => {
  it("finds each file's owners: the last matching line wins, directories cover what is below them", () => {
    expect(RULES.map((r) => r.pattern)).toEqual([
      '/policies/',
      '/policies/org.yaml',
      '/.github/CODEOWNERS',
      '/.github/workflows/',
      '/policies/teams/chatbot.yaml',
    ]);
    expect(ownersOf(RULES, '.github/workflows/groq-rbac-apply.yml')).toEqual(['@acme/platform']);
    expect(ownersOf(RULES, 'policies/teams/chatbot.yaml')).toEqual(['@acme/chatbot', '@carol']);
    expect(ownersOf(RULES, 'policies/teams/new-team.yaml')).toEqual(['@acme/platform']);
    expect(ownersOf(RULES, 'README.md')).toBeNull();
    expect(parseGeneratedBlock('* @x\n')).toBeNull();
  });
});

describe('evaluateApproval', () => {
  it('approves a team owner with write permission on the last head commit', () => {
    expect(evaluateApproval(facts({ reviews: [review('bob', 'COMMENTED'), review('bob', 'APPROVED')] }))).toEqual({
      approved: true,
      approvers: ['bob'],
    });
  });

  it('does not count the author, nor an approval of an earlier commit', () => {
    expect(evaluateApproval(facts({ reviews: [review('alice', 'APPROVED')], permissions: new Map([['alice', 'admin']]) }))).toEqual({
      approved: false,
      reason: 'no approval counts: @alice opened the pull request, so their approval does not count',
    });
    expect(evaluateApproval(facts())).toEqual({ approved: false, reason: 'nobody approved it' });
    expect(evaluateApproval(facts({ reviews: [review('bob', 'APPROVED', OLD)] }))).toEqual({
      approved: false,
      reason: 'no approval counts: @bob approved an earlier commit, not the last commit 6dcb09b: approve again after the last push',
    });
  });

  it("takes each reviewer's latest verdict; a request for changes by a writer holds it up, a drive-by's does not", () => {
    expect(evaluateApproval(facts({ reviews: [review('bob', 'APPROVED'), review('bob', 'DISMISSED')] })).approved).toBe(false);
    expect(evaluateApproval(facts({ reviews: [review('bob', 'APPROVED'), review('erin', 'CHANGES_REQUESTED')] }))).toEqual({
      approved: false,
      reason: 'changes were requested by @erin',
    });
    expect(
      evaluateApproval(facts({ reviews: [review('bob', 'APPROVED'), review('drive-by', 'CHANGES_REQUESTED', HEAD, 'NONE')] })).approved,
    ).toBe(true);
    expect(evaluateApproval(facts({ reviews: [review('bob', 'APPROVED'), review('bob', 'COMMENTED', OLD)] }))).toEqual({
      approved: true,
      approvers: ['bob'],
    });
  });

  it('counts write permission, never the association: a MEMBER with read does not count, an OWNER association without a permission neither', () => {
    expect(evaluateApproval(facts({ reviews: [review('dave', 'APPROVED', HEAD, 'MEMBER')] }))).toEqual({
      approved: false,
      reason: 'no approval counts: @dave has no write permission on the repository (read)',
    });
    expect(evaluateApproval(facts({ reviews: [review('mallory', 'APPROVED', HEAD, 'OWNER')] })).approved).toBe(false);
  });

  it('does not count anyone who authored, committed or pushed a commit of the pull request', () => {
    const r = evaluateApproval(
      facts({ reviews: [review('bob', 'APPROVED')], contributors: [{ login: 'Bob', how: 'pushed to the branch' }] }),
    );
    expect(r).toEqual({ approved: false, reason: 'no approval counts: @bob pushed to the branch, so their approval does not count' });
  });

  it('needs an owner of every changed file, and names the file and its owners', () => {
    const r = evaluateApproval(
      facts({ reviews: [review('bob', 'APPROVED')], changedFiles: ['policies/teams/chatbot.yaml', 'policies/org.yaml', 'README.md'] }),
    );
    expect(r).toEqual({
      approved: false,
      reason: "the approvals (@bob) do not cover every changed file's code owners: policies/org.yaml needs an approval from @acme/platform",
    });
    expect(
      evaluateApproval(
        facts({
          reviews: [review('bob', 'APPROVED'), review('erin', 'APPROVED')],
          changedFiles: ['policies/teams/chatbot.yaml', 'policies/org.yaml'],
        }),
      ),
    ).toEqual({ approved: true, approvers: ['bob', 'erin'] });
    // A user owner needs no team: @carol is named on the team file.
    expect(evaluateApproval(facts({ reviews: [review('carol', 'APPROVED')] }))).toEqual({ approved: true, approvers: ['carol'] });
  });
});

describe('workflow_dispatch approval', () => {
  const env = { name: 'groq-rbac-dispatch', reviewers: ['carol'], branchesLimited: true };
  const approved = (login: string, name = env.name) => ({ state: 'approved', user: { login }, environments: [{ name }] });

  it('approves a run a required reviewer other than its starter approved in a branch-limited environment', () => {
    expect(evaluateDispatchApproval({ reviews: [approved('carol')], environments: [env], actors: ['bob'] })).toEqual({
      approved: true,
      reviewer: 'carol',
      environment: env.name,
    });
  });

  it('refuses no review, self-approval, an environment without reviewers or open to every branch', () => {
    expect(evaluateDispatchApproval({ reviews: [], environments: [], actors: ['bob'] }).approved).toBe(false);
    expect(evaluateDispatchApproval({ reviews: [approved('bob')], environments: [env], actors: ['bob'] })).toMatchObject({
      approved: false,
      reason: expect.stringContaining('@bob approved the deployment they started themselves'),
    });
    expect(
      evaluateDispatchApproval({ reviews: [approved('carol')], environments: [{ ...env, reviewers: [] }], actors: ['bob'] }),
    ).toMatchObject({ reason: expect.stringContaining('has no required reviewers') });
    expect(
      evaluateDispatchApproval({ reviews: [approved('carol')], environments: [{ ...env, branchesLimited: false }], actors: ['bob'] }),
    ).toMatchObject({ reason: expect.stringContaining('deploys from any branch') });
  });
});

describe('approval facts read from GitHub', () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.enableNetConnect());

  const listed = (overrides: Record<string, unknown> = {}) => ({
    number: 42,
    user: { login: 'alice' },
    merged_at: '2026-05-04T09:02:17Z',
    merge_commit_sha: MERGE,
    base: { ref: 'main' },
    head: { sha: HEAD, ref: 'alice/chatbot', repo: { full_name: 'acme/groq-policies' } },
    html_url: 'https://github.com/acme/groq-policies/pull/42',
    ...overrides,
  });
  const pr = { number: 42, author: 'alice', headSha: HEAD, headRef: 'alice/chatbot', headRepo: 'acme/groq-policies', htmlUrl: '' };

  it('finds the pull request whose merge commit was pushed, and none for a direct push', async () => {
    nock(API)
      .get(`${REPO}/commits/${MERGE}/pulls`)
      .query({ per_page: 100 })
      .reply(200, [
        listed({ number: 7, merged_at: null, merge_commit_sha: 'x' }),
        listed({ number: 9, base: { ref: 'release' } }),
        listed(),
      ]);
    expect(await findMergedPullRequest(github(), { owner: 'acme', repo: 'groq-policies', sha: MERGE, defaultBranch: 'main' })).toEqual({
      number: 42,
      author: 'alice',
      headSha: HEAD,
      headRef: 'alice/chatbot',
      headRepo: 'acme/groq-policies',
      htmlUrl: 'https://github.com/acme/groq-policies/pull/42',
    });
    nock(API)
      .get(`${REPO}/commits/${MERGE}/pulls`)
      .query({ per_page: 100 })
      .reply(200, [listed({ merged_at: null })]);
    expect(await findMergedPullRequest(github(), { owner: 'acme', repo: 'groq-policies', sha: MERGE, defaultBranch: 'main' })).toBeNull();
  });

  it('reads reviews, CODEOWNERS at the base, commits, pushes, files and permissions, and approves an owner', async () => {
    const scope = nock(API)
      .get(`${REPO}/pulls/42/reviews`)
      .query({ per_page: 100 })
      .reply(200, [{ id: 1, user: { login: 'carol' }, state: 'APPROVED', commit_id: HEAD, author_association: 'COLLABORATOR' }])
      .get(`${REPO}/contents/.github%2FCODEOWNERS`)
      .query({ ref: BASE })
      .reply(200, { type: 'file', encoding: 'base64', content: Buffer.from(BLOCK).toString('base64') })
      .get(`${REPO}/pulls/42/commits`)
      .query({ per_page: 100 })
      .reply(200, [{ sha: HEAD, author: { login: 'alice' }, committer: { login: 'web-flow' } }])
      .get(`${REPO}/activity`)
      .query({ ref: 'refs/heads/alice/chatbot', per_page: 100 })
      .reply(200, [{ activity_type: 'push', actor: { login: 'alice' } }])
      .get(`${REPO}/pulls/42/files`)
      .query({ per_page: 100 })
      .reply(200, [{ filename: 'policies/teams/chatbot.yaml' }])
      .get(`${REPO}/collaborators/carol/permission`)
      .reply(200, { permission: 'admin', role_name: 'admin', user: { login: 'carol' } });
    expect(await requireApproval(github(), null, { owner: 'acme', repo: 'groq-policies', pr, baseSha: BASE })).toEqual(['carol']);
    expect(scope.isDone()).toBe(true);
  });

  it('refuses when the base has no generated CODEOWNERS block, saying how to add one', async () => {
    nock(API)
      .get(`${REPO}/pulls/42/reviews`)
      .query({ per_page: 100 })
      .reply(200, [])
      .get(/\/contents\//)
      .times(3)
      .query(true)
      .reply(404, { message: 'Not Found' });
    await expect(requireApproval(github(), null, { owner: 'acme', repo: 'groq-policies', pr, baseSha: BASE })).rejects.toThrow(
      /no CODEOWNERS with the block `groq-rbac codeowners --write` generates.*Nothing was changed|nothing was changed/,
    );
  });
});
