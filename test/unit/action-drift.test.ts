import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DRIFT_LABEL, syncDriftIssue } from '../../src/action/drift-issue.js';
import { driftIssueBody } from '../../src/action/modes/drift.js';
import type { EventContext } from '../../src/action/context.js';
import { createGitHubClient } from '../../src/github/client.js';
import { makePlan, makeSpendLimitChange } from '../helpers/plan-builders.js';

const API = 'https://api.github.com';
const ISSUES = '/repos/acme/groq-policies/issues';
const target = { owner: 'acme', repo: 'groq-policies' };
const github = () => createGitHubClient({ token: 'ghs_workflowtoken0000', baseUrl: API, retries: 0, retryAfterBaseMs: 1 });
const list = () => nock(API).get(ISSUES).query({ labels: DRIFT_LABEL, state: 'open', sort: 'created', direction: 'asc', per_page: 100 });
const issue = (number: number, body: string, extra: Record<string, unknown> = {}) => ({
  number,
  body,
  html_url: `https://github.com/acme/groq-policies/issues/${number}`,
  labels: [{ name: DRIFT_LABEL }],
  ...extra,
});
const input = { drifted: true, body: 'the plan', closingComment: 'matches again' };

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('the drift issue', () => {
  it('opens one labelled issue when the organization drifts', async () => {
    const scope = list()
      .reply(200, [])
      .post(
        ISSUES,
        (b) => b.body === 'the plan' && b.labels.length === 1 && b.labels[0] === DRIFT_LABEL && /differs from the policies/.test(b.title),
      )
      .reply(201, issue(5, 'the plan'));
    expect(await syncDriftIssue(github(), target, input)).toEqual({
      action: 'opened',
      number: 5,
      url: 'https://github.com/acme/groq-policies/issues/5',
    });
    expect(scope.isDone()).toBe(true);
  });

  it('updates the open issue instead of opening another, skipping pull requests that carry the label', async () => {
    const scope = list()
      .reply(200, [issue(3, 'a PR', { pull_request: { url: 'x' } }), issue(5, 'the old plan')])
      .patch(`${ISSUES}/5`, (b) => b.body === 'the plan' && b.state === undefined)
      .reply(200, issue(5, 'the plan'));
    expect(await syncDriftIssue(github(), target, input)).toMatchObject({ action: 'updated', number: 5 });
    expect(scope.isDone()).toBe(true);
  });

  it('leaves an issue that already says it alone', async () => {
    const scope = list().reply(200, [issue(5, 'the plan')]);
    expect(await syncDriftIssue(github(), target, input)).toMatchObject({ action: 'unchanged', number: 5 });
    expect(scope.isDone()).toBe(true);
  });

  it('comments and closes the issue when the drift is gone', async () => {
    const scope = list()
      .reply(200, [issue(5, 'the plan')])
      .post(`${ISSUES}/5/comments`, (b) => b.body === 'matches again')
      .reply(201, { id: 1 })
      .patch(`${ISSUES}/5`, (b) => b.state === 'closed' && b.state_reason === 'completed')
      .reply(200, issue(5, 'the plan', { state: 'closed' }));
    expect(await syncDriftIssue(github(), target, { ...input, drifted: false })).toMatchObject({ action: 'closed', number: 5 });
    expect(scope.isDone()).toBe(true);
  });

  it('does nothing without drift and without an issue', async () => {
    const scope = list().reply(200, []);
    expect(await syncDriftIssue(github(), target, { ...input, drifted: false })).toEqual({ action: 'none' });
    expect(scope.isDone()).toBe(true);
  });

  it('writes a body that says how to resolve the drift, with the plan', async () => {
    const event = { sha: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678' } as EventContext;
    const body = driftIssueBody(makePlan([makeSpendLimitChange()], { org: 'org_acme' }), { event });
    expect(body).toContain('differs from the policies on the default branch (commit a1b2c3d)');
    expect(body).toContain('<!-- groq-rbac:plan -->');
    await expect(body).toMatchFileSnapshot('__snapshots__/action-drift-issue.md');
  });
});
