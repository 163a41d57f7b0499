import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { evaluateApproval, findMergedPullRequest, requireApproval, type Review } from '../../src/action/approval.js';
import { createGitHubClient } from '../../src/github/client.js';

const API = 'https://api.github.com';
const HEAD = '6dcb09b5b57875f334f61aebed695e2e4193db5e';
const OLD = '1111111111111111111111111111111111111111';
const MERGE = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const pr = { author: 'alice', headSha: HEAD };
const review = (login: string, state: string, commit = HEAD, association = 'MEMBER'): Review => ({ user: { login }, state, commit_id: commit, author_association: association });
const github = () => createGitHubClient({ token: 'ghs_workflowtoken0000', baseUrl: API, retries: 0, retryAfterBaseMs: 1 });

describe('evaluateApproval', () => {
  it('approves with a review by someone else on the last head commit', () => {
    expect(evaluateApproval(pr, [review('bob', 'COMMENTED'), review('bob', 'APPROVED')])).toEqual({ approved: true, approvers: ['bob'] });
  });

  it('does not count the author approving their own pull request', () => {
    expect(evaluateApproval(pr, [review('alice', 'APPROVED')])).toEqual({ approved: false, reason: 'only its author approved it; someone else must' });
    expect(evaluateApproval(pr, [])).toEqual({ approved: false, reason: 'nobody other than its author approved it' });
  });

  it('does not count an approval of an earlier commit', () => {
    const result = evaluateApproval(pr, [review('bob', 'APPROVED', OLD)]);
    expect(result).toEqual({ approved: false, reason: 'it was approved on an earlier commit, not on its last commit 6dcb09b: a reviewer must approve again after the last push' });
  });

  it('takes each reviewer\'s latest verdict: a dismissal or a request for changes cancels an approval', () => {
    expect(evaluateApproval(pr, [review('bob', 'APPROVED'), review('bob', 'DISMISSED')]).approved).toBe(false);
    expect(evaluateApproval(pr, [review('bob', 'APPROVED'), review('carol', 'CHANGES_REQUESTED')])).toEqual({ approved: false, reason: 'changes were requested by @carol' });
    expect(evaluateApproval(pr, [review('carol', 'CHANGES_REQUESTED'), review('carol', 'APPROVED')])).toEqual({ approved: true, approvers: ['carol'] });
    // A later comment does not take an approval back.
    expect(evaluateApproval(pr, [review('bob', 'APPROVED'), review('bob', 'COMMENTED', OLD)])).toEqual({ approved: true, approvers: ['bob'] });
  });

  it('does not count people without write access (anyone may review a public repository)', () => {
    expect(evaluateApproval(pr, [review('drive-by', 'APPROVED', HEAD, 'NONE')])).toEqual({ approved: false, reason: 'its approvals come from people without write access (@drive-by)' });
    expect(evaluateApproval(pr, [review('drive-by', 'APPROVED', HEAD, 'CONTRIBUTOR'), review('owner', 'APPROVED', HEAD, 'OWNER')])).toEqual({ approved: true, approvers: ['owner'] });
  });
});

describe('the merged pull request of a push', () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.enableNetConnect());

  const listed = (overrides: Record<string, unknown> = {}) => ({
    number: 42, user: { login: 'alice' }, merged_at: '2026-05-04T09:02:17Z', merge_commit_sha: MERGE,
    base: { ref: 'main' }, head: { sha: HEAD }, html_url: 'https://github.com/acme/groq-policies/pull/42', ...overrides,
  });

  it('finds the pull request whose merge commit was pushed', async () => {
    const scope = nock(API).get(`/repos/acme/groq-policies/commits/${MERGE}/pulls`).query({ per_page: 100 })
      .reply(200, [listed({ number: 7, merged_at: null, merge_commit_sha: 'x' }), listed({ number: 9, base: { ref: 'release' } }), listed()]);
    const found = await findMergedPullRequest(github(), { owner: 'acme', repo: 'groq-policies', sha: MERGE, defaultBranch: 'main' });
    expect(found).toEqual({ number: 42, author: 'alice', headSha: HEAD, htmlUrl: 'https://github.com/acme/groq-policies/pull/42' });
    expect(scope.isDone()).toBe(true);
  });

  it('finds none for a direct push', async () => {
    nock(API).get(`/repos/acme/groq-policies/commits/${MERGE}/pulls`).query({ per_page: 100 }).reply(200, [listed({ merged_at: null })]);
    expect(await findMergedPullRequest(github(), { owner: 'acme', repo: 'groq-policies', sha: MERGE, defaultBranch: 'main' })).toBeNull();
  });

  it('refuses an unapproved pull request, saying how to proceed', async () => {
    const scope = nock(API).get('/repos/acme/groq-policies/pulls/42/reviews').query({ per_page: 100 })
      .reply(200, [{ id: 1, user: { login: 'bob' }, state: 'APPROVED', commit_id: OLD, author_association: 'MEMBER' }]);
    await expect(requireApproval(github(), { owner: 'acme', repo: 'groq-policies', pr: { number: 42, author: 'alice', headSha: HEAD, htmlUrl: '' } }))
      .rejects.toThrow(/pull request #42 was merged without the approval apply needs: it was approved on an earlier commit.*Nothing was changed.*`expect-fingerprint`/);
    expect(scope.isDone()).toBe(true);
  });

  it('returns the approvers of an approved pull request', async () => {
    nock(API).get('/repos/acme/groq-policies/pulls/42/reviews').query({ per_page: 100 })
      .reply(200, [{ id: 1, user: { login: 'bob' }, state: 'APPROVED', commit_id: HEAD, author_association: 'COLLABORATOR' }]);
    expect(await requireApproval(github(), { owner: 'acme', repo: 'groq-policies', pr: { number: 42, author: 'alice', headSha: HEAD, htmlUrl: '' } })).toEqual(['bob']);
  });
});
