import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEventContext, type EventContext } from '../../src/action/context.js';
import { readInputs } from '../../src/action/inputs.js';

const EVENTS = path.resolve('test/fixtures/events');
const env = (event: string, name = event) => ({
  GITHUB_EVENT_NAME: name,
  GITHUB_EVENT_PATH: path.join(EVENTS, `${event}.json`),
  GITHUB_REPOSITORY: 'acme/groq-policies',
  GITHUB_SHA: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
  GITHUB_REF: 'refs/heads/main',
  GITHUB_RUN_ID: '77',
  GITHUB_API_URL: 'https://ghe.acme.example/api/v3',
});
const context = (event: string, name?: string): EventContext => readEventContext(env(event, name));
const inputs = (values: Record<string, string>) => (name: string) => values[name] ?? '';
const ok = { mode: 'plan', 'groq-admin-key': 'sandbox-admin-key-123', 'github-token': 'ghs_workflowtoken' };

describe('readEventContext', () => {
  it('reads a pull_request event: number, head commit, not a fork', () => {
    const c = context('pull_request');
    expect(c).toMatchObject({
      eventName: 'pull_request',
      owner: 'acme',
      repo: 'groq-policies',
      defaultBranch: 'main',
      apiUrl: 'https://ghe.acme.example/api/v3',
      runUrl: 'https://github.com/acme/groq-policies/actions/runs/77',
    });
    expect(c.pullRequest).toEqual({
      number: 42,
      headSha: '6dcb09b5b57875f334f61aebed695e2e4193db5e',
      baseSha: '9049f1265b7d61be4a8904a9a27120d2064dab3b',
      fromFork: false,
    });
  });

  it('knows a pull request from a fork', () => {
    expect(context('pull_request_fork', 'pull_request').pullRequest).toEqual({
      number: 43,
      headSha: 'c2a7e1f0b3d4a5968778695a4b3c2d1e0f9a8b7c',
      baseSha: '9049f1265b7d61be4a8904a9a27120d2064dab3b',
      fromFork: true,
    });
  });

  it('reads push, schedule and workflow_dispatch events', () => {
    expect(context('push')).toMatchObject({ pullRequest: null, defaultBranch: 'main', ref: 'refs/heads/main' });
    expect(context('schedule')).toMatchObject({ pullRequest: null, defaultBranch: null });
    expect(context('workflow_dispatch')).toMatchObject({ pullRequest: null, defaultBranch: 'main' });
  });

  it('says what is wrong outside a workflow run', () => {
    expect(() => readEventContext({})).toThrow('GITHUB_REPOSITORY is not set');
    expect(() => readEventContext({ GITHUB_REPOSITORY: 'a/b', GITHUB_EVENT_PATH: '/nonexistent/event.json' })).toThrow(
      'cannot read the event payload',
    );
  });
});

describe('readInputs', () => {
  it('reads the inputs with their defaults', () => {
    expect(readInputs(inputs(ok), context('pull_request'))).toEqual({
      mode: 'plan',
      policies: 'policies',
      provider: 'groq',
      adminKey: 'sandbox-admin-key-123',
      baseUrl: 'https://api.groq.com',
      githubToken: 'ghs_workflowtoken',
      comment: true,
      requireApproval: true,
      expectFingerprint: null,
      planSigningKey: null,
      commentAuthor: { login: 'github-actions[bot]', id: 41898282 },
      membersToken: null,
    });
    const fp = 'AB'.repeat(32);
    expect(
      readInputs(
        inputs({
          ...ok,
          mode: 'apply',
          policies: 'org/policies',
          'groq-base-url': 'http://127.0.0.1:9',
          comment: 'false',
          'require-approval': 'False',
          'expect-fingerprint': fp,
        }),
        context('workflow_dispatch'),
      ),
    ).toMatchObject({
      mode: 'apply',
      policies: 'org/policies',
      baseUrl: 'http://127.0.0.1:9',
      comment: false,
      requireApproval: false,
      expectFingerprint: fp.toLowerCase(),
    });
  });

  it('says what to change in the workflow file', () => {
    const c = context('pull_request');
    expect(() => readInputs(inputs({ ...ok, mode: 'destroy' }), c)).toThrow(
      'input `mode` must be one of plan, apply, drift, reconcile, usage, verify, not "destroy": correct it under the step\'s `with:`',
    );
    expect(() => readInputs(inputs({ ...ok, mode: '' }), c)).toThrow('input `mode` is missing: add `mode: plan`');
    expect(readInputs(inputs({ ...ok, mode: 'usage' }), c).mode).toBe('usage');
    expect(() => readInputs(inputs({ ...ok, 'groq-admin-key': '' }), c)).toThrow(
      "input `groq-admin-key` is empty: add `groq-admin-key: ${{ secrets.GROQ_ADMIN_KEY }}` under the step's `with:`",
    );
    expect(() => readInputs(inputs({ ...ok, 'groq-base-url': 'api.groq.com' }), c)).toThrow(
      'input `groq-base-url` "api.groq.com" is not a URL: write an https:// URL such as https://api.groq.com under the step\'s `with:`',
    );
    // http:// only to the runner itself: the admin key never crosses a network in clear text.
    expect(() => readInputs(inputs({ ...ok, 'groq-base-url': 'http://groq-proxy.internal:8080' }), c)).toThrow(
      'input `groq-base-url` "http://groq-proxy.internal:8080" uses http:// to groq-proxy.internal, which would send credentials in clear text',
    );
    expect(() => readInputs(inputs({ ...ok, comment: 'yes' }), c)).toThrow('input `comment` must be true or false, not "yes"');
    expect(() => readInputs(inputs({ ...ok, 'github-token': '' }), c)).toThrow(
      'input `github-token` is empty, and mode plan needs it to comment on the pull request',
    );
    expect(() => readInputs(inputs({ ...ok, command: 'plan' }), c)).toThrow('input `command` was replaced by `mode`');
    expect(() => readInputs(inputs({ ...ok, 'admin-key': 'x' }), c)).toThrow('input `admin-key` was renamed to `groq-admin-key`');
    expect(() => readInputs(inputs({ ...ok, 'expect-fingerprint': 'abc' }), c)).toThrow(
      "input `expect-fingerprint` must be a plan's fingerprint (64 hex digits",
    );
    expect(() => readInputs(inputs({ ...ok, 'expect-fingerprint': 'a'.repeat(64) }), c)).toThrow(
      'input `expect-fingerprint` only applies to `mode: apply`',
    );
  });

  it('needs no GitHub token to plan without commenting, or to reconcile', () => {
    expect(readInputs(inputs({ ...ok, 'github-token': '', comment: 'false' }), context('pull_request')).githubToken).toBe('');
    expect(readInputs(inputs({ ...ok, mode: 'reconcile', 'github-token': '' }), context('schedule')).mode).toBe('reconcile');
    expect(() => readInputs(inputs({ ...ok, mode: 'drift', 'github-token': '' }), context('schedule'))).toThrow(
      'needs it to open the drift issue',
    );
  });

  it('explains a fork pull request without secrets, and warns off pull_request_target', () => {
    const message = (() => {
      try {
        readInputs(inputs({ ...ok, 'groq-admin-key': '' }), context('pull_request_fork', 'pull_request'));
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    expect(message).toContain('the plan needs the Groq admin key to read the organization');
    expect(message).toContain('GitHub gives workflows no secrets on a pull request from a fork');
    expect(message).toContain(
      "Do not switch the workflow to `pull_request_target`: it runs with the secrets on the fork's untrusted content",
    );
  });

  it('keeps apply to pushes and workflow_dispatch with a fingerprint', () => {
    const apply = { ...ok, mode: 'apply' };
    expect(() => readInputs(inputs(apply), context('pull_request'))).toThrow(
      '`mode: apply` must not run on pull_request: it would apply changes nobody merged',
    );
    expect(() => readInputs(inputs(apply), context('workflow_dispatch'))).toThrow(
      '`mode: apply` on workflow_dispatch needs the fingerprint of the plan you approved',
    );
    expect(() => readInputs(inputs(apply), context('schedule'))).toThrow('`mode: apply` runs on push to the default branch');
    expect(readInputs(inputs({ ...apply, 'plan-signing-key': 'k'.repeat(32) }), context('push')).mode).toBe('apply');
  });

  it('needs a plan-signing-key of at least 32 characters for apply on push, and reads the trusted comment author', () => {
    const apply = { ...ok, mode: 'apply' };
    expect(() => readInputs(inputs(apply), context('push'))).toThrow(
      /input `plan-signing-key` is empty.*cannot tell the plan job's comment from a forged or edited one/,
    );
    expect(() => readInputs(inputs({ ...apply, 'plan-signing-key': 'short' }), context('push'))).toThrow(
      'shorter than the 32 a signing key needs',
    );
    expect(
      readInputs(inputs({ ...ok, 'comment-author': 'groq-rbac-app[bot]', 'comment-author-id': '123456' }), context('pull_request'))
        .commentAuthor,
    ).toEqual({ login: 'groq-rbac-app[bot]', id: 123456 });
    expect(readInputs(inputs({ ...ok, 'comment-author': 'groq-rbac-app[bot]' }), context('pull_request')).commentAuthor).toEqual({
      login: 'groq-rbac-app[bot]',
      id: null,
    });
    expect(() => readInputs(inputs({ ...ok, 'comment-author-id': 'x' }), context('pull_request'))).toThrow(
      'input `comment-author-id` must be the numeric user id',
    );
  });

  it("reads the admin key and base URL of org.yaml's provider, and names the right input when the other provider's is given", () => {
    const c = context('pull_request');
    const openai = { mode: 'plan', 'openai-admin-key': 'sandbox-admin-openai-1', 'github-token': 'ghs_workflowtoken' };
    expect(readInputs(inputs(openai), c, { provider: 'openai' })).toMatchObject({
      provider: 'openai',
      adminKey: 'sandbox-admin-openai-1',
      baseUrl: 'https://api.openai.com/v1',
    });
    expect(readInputs(inputs({ ...openai, 'openai-base-url': 'http://127.0.0.1:9/v1' }), c, { provider: 'openai' }).baseUrl).toBe(
      'http://127.0.0.1:9/v1',
    );
    expect(() => readInputs(inputs({ ...openai, 'openai-admin-key': '' }), c, { provider: 'openai' })).toThrow(
      "input `openai-admin-key` is empty: add `openai-admin-key: ${{ secrets.OPENAI_ADMIN_KEY }}` under the step's `with:` and store an admin key of your organization as the environment secret OPENAI_ADMIN_KEY",
    );
    expect(() => readInputs(inputs(ok), c, { provider: 'openai' })).toThrow(
      'input `groq-admin-key` is for Groq, and org.yaml says `provider: openai`: give the admin key as `openai-admin-key` instead, or correct `provider:` in org.yaml',
    );
    expect(() => readInputs(inputs({ ...ok, 'openai-base-url': 'https://api.openai.com/v1' }), c, { provider: 'groq' })).toThrow(
      'input `openai-base-url` is for OpenAI, and org.yaml says `provider: groq`: give the base URL as `groq-base-url` instead',
    );
    expect(() =>
      readInputs(inputs({ ...openai, 'openai-base-url': 'http://openai-proxy.internal/v1' }), c, { provider: 'openai' }),
    ).toThrow('input `openai-base-url` "http://openai-proxy.internal/v1" uses http:// to openai-proxy.internal');
    // Policies that could not be read name no provider: the admin key given decides, and nothing is cross-checked.
    expect(readInputs(inputs(openai), c).provider).toBe('openai');
    let forked = '';
    try {
      readInputs(inputs({ ...openai, 'openai-admin-key': '' }), context('pull_request_fork', 'pull_request'), { provider: 'openai' });
    } catch (e) {
      forked = (e as Error).message;
    }
    expect(forked).toContain('the plan needs the OpenAI admin key to read the organization');
  });

  it("does not plan a fork's pull request on pull_request_target, where the job holds the secrets", () => {
    expect(() => readInputs(inputs(ok), context('pull_request_fork', 'pull_request_target'))).toThrow(
      '`mode: plan` on pull_request_target does not plan a pull request from a fork',
    );
    expect(readInputs(inputs(ok), context('pull_request', 'pull_request_target')).mode).toBe('plan');
  });

  it("reads the run, its starter and a push's before commit from the runner", () => {
    const c = readEventContext({ ...env('push'), GITHUB_ACTOR: 'bob', GITHUB_TRIGGERING_ACTOR: 'carol' });
    expect(c).toMatchObject({ runId: '77', actors: ['carol', 'bob'], before: '9049f1265b7d61be4a8904a9a27120d2064dab3b' });
  });
});
