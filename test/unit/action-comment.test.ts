import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  appliedCommentParts,
  COMMENT_LIMIT,
  invalidCommentParts,
  partOf,
  planCommentParts,
  readCommentState,
  refusedCommentParts,
  staleCommentParts,
} from '../../src/action/plan-comment.js';
import { ACTIONS_BOT, findMarkedComments, joinParts, writeMarkedComments } from '../../src/action/pull-request-comment.js';
import type { ApplyReport } from '../../src/apply/apply-plan.js';
import { registerSecret } from '../../src/core/redact.js';
import { createGitHubClient } from '../../src/github/client.js';
import { PLAN_COMMENT_MARKER } from '../../src/plan/render-markdown.js';
import type { Change } from '../../src/plan/types.js';
import {
  makeKeyChange,
  makePlan,
  makeProjectChange,
  makeProjectPermissionsChange,
  makeRateLimitChange,
  makeRefusal,
  makeSpendLimitChange,
  makeWarning,
} from '../helpers/plan-builders.js';

const API = 'https://ghe.acme.example/api/v3';
const REPO = '/repos/acme/groq-policies';
const target = { owner: 'acme', repo: 'groq-policies', issueNumber: 42 };
const run = { sha: '6dcb09b5b57875f334f61aebed695e2e4193db5e', runUrl: 'https://github.com/acme/groq-policies/actions/runs/77' };
const bot = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' };
const github = () => createGitHubClient({ token: 'ghs_workflowtoken0000', baseUrl: API, retries: 0, retryAfterBaseMs: 1 });

const plan = () =>
  makePlan(
    [
      makeSpendLimitChange(),
      makeProjectChange({ project: 'chatbot-staging' }),
      makeProjectPermissionsChange(),
      makeRateLimitChange(),
      makeKeyChange('create', { key: 'chatbot-staging-web', project: 'chatbot-staging', project_id: null }),
      makeKeyChange('delete', { key: 'chatbot-old' }),
    ],
    { org: 'org_acme', warnings: [makeWarning()] },
  );

const bigPlan = (projects: number) => {
  const changes: Change[] = [];
  for (let p = 0; p < projects; p++) {
    const project = `project-${p}`;
    const team = `team-${p % 7}`;
    changes.push(
      makeProjectChange({ project, team }),
      makeProjectPermissionsChange({ project, team, project_id: null, reason: 'new', before: null }),
    );
    for (let k = 0; k < 4; k++) changes.push(makeKeyChange('create', { key: `${project}-key-${k}`, project, team, project_id: null }));
  }
  return makePlan(changes, { org: 'org_acme' });
};

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('comment bodies', () => {
  it('the plan comment: marker, state, the plan, and how merging applies it', async () => {
    const p = plan();
    const { parts, full } = planCommentParts(p, run, {
      requireApproval: true,
      signing: { key: 'test-signing-key-'.padEnd(40, 'x'), pr: 42 },
    });
    expect(parts).toHaveLength(1);
    expect(parts[0]!.startsWith(`${PLAN_COMMENT_MARKER}\n<!-- groq-rbac:state `)).toBe(true);
    expect(readCommentState(parts[0]!)).toEqual({
      state: 'planned',
      fingerprint: p.fingerprint,
      head_sha: run.sha,
      pr: 42,
      parts: 1,
      body_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      sig: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    // The summary shows the same text; only the comment carries the signature.
    expect(full.replace(/<!-- groq-rbac:state .* -->/, '')).toBe(parts[0]!.replace(/<!-- groq-rbac:state .* -->/, ''));
    // Unsigned, it says so where reviewers read it.
    expect(planCommentParts(p, run, { requireApproval: true }).parts[0]).toContain('**This plan is not signed**');
    await expect(parts[0]).toMatchFileSnapshot('__snapshots__/action-plan-comment.md');
  });

  it('the other states', async () => {
    const p = plan();
    const report: ApplyReport = {
      format_version: 2,
      org: p.org,
      fingerprint: p.fingerprint,
      outcomes: [
        {
          resource: 'project',
          action: 'create',
          project: 'chatbot-staging',
          key: null,
          id: 'proj_9',
          status: 'applied',
          message: 'created project chatbot-staging (proj_9)',
        },
        {
          resource: 'api_key',
          action: 'delete',
          project: 'chatbot-prod',
          key: 'chatbot-old',
          id: null,
          status: 'failed',
          message: 'Groq answered 500 internal_error',
        },
      ],
      summary: { applied: 1, failed: 1, skipped: 0 },
    };
    const approved = planCommentParts(makePlan([makeSpendLimitChange()], { org: 'org_acme' }), run, { requireApproval: true }).parts[0]!;
    const stale = staleCommentParts({
      plan: p,
      approved: 'f'.repeat(64),
      approvedBody: approved,
      run,
      workflowFile: '.github/workflows/groq-rbac-apply.yml',
    }).parts[0]!;
    expect(stale).toContain('How to proceed:');
    expect(stale).toContain(`\`expect-fingerprint\` set to \`${p.fingerprint}\``);
    expect(stale).toContain('What changed since approval');
    expect(readCommentState(stale)).toEqual({ state: 'stale', fingerprint: p.fingerprint, head_sha: null });
    await expect(stale).toMatchFileSnapshot('__snapshots__/action-stale-comment.md');
    const applied = appliedCommentParts(p, report, run).parts[0]!;
    expect(readCommentState(applied)?.state).toBe('failed');
    await expect(applied).toMatchFileSnapshot('__snapshots__/action-applied-comment.md');
    expect(readCommentState(appliedCommentParts(p, null, run).parts[0]!)?.state).toBe('applied');
    // A server's message in an outcome reaches the comment without control characters or markup.
    const hostile = {
      ...report,
      outcomes: [{ ...report.outcomes[1]!, message: 'boom\u001b[2J\u001b]8;;http://evil.example\u001b\\x <!-- hidden --> @acme/admins' }],
    };
    const cleaned = appliedCommentParts(p, hostile, run).parts[0]!;
    // eslint-disable-next-line no-control-regex -- the assertion is about control characters
    expect(cleaned).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(cleaned).toContain('boom\\\\u001b\\[2J');
    expect(cleaned).not.toContain('<!-- hidden -->');
    expect(cleaned).not.toMatch(/(^|[^\\])@acme\/admins/);
    const refused = refusedCommentParts(p, [makeRefusal({ forceable: false, message: 'key "chatbot-old" is protected' })], run).parts[0]!;
    expect(refused).toContain('> - key "chatbot-old" is protected');
    const invalid = invalidCommentParts(
      [
        {
          severity: 'error',
          file: 'policies/teams/chatbot.yaml',
          line: 7,
          column: 5,
          path: 'projects[0].models[0]',
          message: 'unknown model "gpt-5"',
          hint: 'use one of the catalogue',
        },
      ],
      run,
    ).parts[0]!;
    expect(readCommentState(invalid)).toEqual({ state: 'invalid', fingerprint: null, head_sha: run.sha });
    await expect(invalid).toMatchFileSnapshot('__snapshots__/action-invalid-comment.md');
  });

  it("splits a 300-project plan into comments under GitHub's limit, each marked, losing nothing", () => {
    const p = bigPlan(300);
    const { parts, full } = planCommentParts(p, run, { requireApproval: true });
    expect(parts.length).toBeGreaterThan(1);
    parts.forEach((part, i) => {
      expect(part.length).toBeLessThanOrEqual(COMMENT_LIMIT);
      expect(partOf(part)).toBe(i + 1);
      // Every part renders on its own: fences and <details> balanced.
      expect(part.match(/^```/gm)?.length ?? 0).toSatisfy((n: number) => n % 2 === 0);
      expect(part.split('<details>').length).toBe(part.split('</details>').length);
    });
    expect(parts[1]!.startsWith('<!-- groq-rbac:plan part 2 -->\n')).toBe(true);
    for (let k = 0; k < 300; k += 37) expect(parts.some((part) => part.includes(`project-${k}-key-3`))).toBe(true);
    expect(full).toContain('project-299-key-3');
    expect(parts.at(-1)).toContain(`Fingerprint \`${p.fingerprint}\``);
  });

  it('falls back to one short comment when the plan would take too many', () => {
    const { parts } = planCommentParts(bigPlan(3000), run, { requireApproval: true });
    expect(parts).toHaveLength(1);
    expect(parts[0]!.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(parts[0]).toContain('too long for one comment');
  });

  it('never shows a key value or a registered secret', () => {
    registerSecret('admin-secret-value-xyz');
    const leaky = makePlan([makeKeyChange('create')], {
      warnings: [makeWarning({ message: 'saw gsk_' + 'LEAKEDvalue1234567890abcdef and admin-secret-value-xyz' })],
    });
    const body = planCommentParts(leaky, run, { requireApproval: true }).parts.join('\n');
    expect(body).not.toContain('gsk_' + 'LEAKEDvalue1234567890abcdef');
    expect(body).not.toContain('admin-secret-value-xyz');
  });
});

describe('the sticky pull-request comment', () => {
  const comment = (id: number, body: string, user: { login: string; id?: number; type: string } = bot) => ({
    id,
    body,
    user,
    html_url: `https://github.com/acme/groq-policies/pull/42#issuecomment-${id}`,
  });

  it('creates the comment when there is none', async () => {
    const body = planCommentParts(plan(), run, { requireApproval: true }).parts;
    const scope = nock(API)
      .get(`${REPO}/issues/42/comments`)
      .query({ per_page: 100 })
      .reply(200, [comment(1, 'Looks good!', { login: 'bob', type: 'User' })])
      .post(`${REPO}/issues/42/comments`, (b) => b.body === body[0])
      .reply(201, comment(2, body[0]!));
    const gh = github();
    const result = await writeMarkedComments(gh, target, ACTIONS_BOT, body);
    expect(result).toEqual({ ids: [2], created: 1, updated: 0, deleted: 0, writtenAs: 'github-actions[bot]' });
    expect(scope.isDone()).toBe(true);
  });

  it('finds its comment by the marker across pages and updates it, ignoring a marker someone else wrote', async () => {
    const body = planCommentParts(plan(), run, { requireApproval: true }).parts;
    const page2 = `${API}${REPO}/issues/42/comments?per_page=100&page=2`;
    const scope = nock(API)
      .get(`${REPO}/issues/42/comments`)
      .query({ per_page: 100 })
      .reply(
        200,
        [
          comment(1, `${PLAN_COMMENT_MARKER}\nforged by a user`, { login: 'mallory', type: 'User' }),
          comment(3, 'lgtm', { login: 'bob', type: 'User' }),
        ],
        { link: `<${page2}>; rel="next"` },
      )
      .get(`${REPO}/issues/42/comments`)
      .query({ per_page: 100, page: 2 })
      .reply(200, [comment(7, `${PLAN_COMMENT_MARKER}\nold plan`)])
      .patch(`${REPO}/issues/comments/7`, (b) => b.body === body[0])
      .reply(200, comment(7, body[0]!));
    const gh = github();
    const result = await writeMarkedComments(gh, target, ACTIONS_BOT, body);
    expect(result).toEqual({ ids: [7], created: 0, updated: 1, deleted: 0, writtenAs: 'github-actions[bot]' });
    expect(scope.isDone()).toBe(true);
  });

  it('trusts exactly one identity: the configured login and id, no other bot, no impostor with the same login', async () => {
    nock(API)
      .get(`${REPO}/issues/42/comments`)
      .query({ per_page: 100 })
      .reply(200, [
        comment(4, `${PLAN_COMMENT_MARKER}\nmine`, { login: 'groq-rbac-bot-user', id: 77, type: 'User' }),
        comment(5, `${PLAN_COMMENT_MARKER}\nanother app`, { login: 'evil-app[bot]', id: 99, type: 'Bot' }),
        comment(6, `${PLAN_COMMENT_MARKER}\nsame login, other id`, { login: 'groq-rbac-bot-user', id: 78, type: 'User' }),
      ]);
    const { mine, others } = await findMarkedComments(github(), target, { login: 'groq-rbac-bot-user', id: 77 });
    expect([...mine.values()].map((c) => c.id)).toEqual([4]);
    expect(others).toEqual(['evil-app[bot]', 'groq-rbac-bot-user']);
  });

  it('takes the newest comment of each part and leaves older copies to delete', async () => {
    nock(API)
      .get(`${REPO}/issues/42/comments`)
      .query({ per_page: 100 })
      .reply(200, [comment(3, `${PLAN_COMMENT_MARKER}\nolder`), comment(9, `${PLAN_COMMENT_MARKER}\nnewer`)]);
    const { mine, duplicates } = await findMarkedComments(github(), target, ACTIONS_BOT);
    expect(mine.get(1)?.id).toBe(9);
    expect(duplicates.map((d) => d.id)).toEqual([3]);
  });

  it('updates the parts of a split plan, creates the missing ones and deletes parts left from a longer plan', async () => {
    const parts = planCommentParts(bigPlan(300), run, { requireApproval: true }).parts;
    const n = parts.length;
    const existing = [
      comment(10, `${PLAN_COMMENT_MARKER}\nold`),
      comment(11, '<!-- groq-rbac:plan part 2 -->\nold'),
      ...Array.from({ length: n }, (_, i) => comment(20 + i, `<!-- groq-rbac:plan part ${i + 3} -->\nold`)),
    ];
    const scope = nock(API)
      .get(`${REPO}/issues/42/comments`)
      .query({ per_page: 100 })
      .reply(200, existing)
      .patch(`${REPO}/issues/comments/10`, (b) => b.body === parts[0])
      .reply(200, {})
      .patch(`${REPO}/issues/comments/11`, (b) => b.body === parts[1])
      .reply(200, {});
    for (let i = 2; i < n; i++) scope.patch(`${REPO}/issues/comments/${18 + i}`, (b) => b.body === parts[i]).reply(200, {});
    for (let i = n; i < n + 2; i++) scope.delete(`${REPO}/issues/comments/${18 + i}`).reply(204);
    const gh = github();
    const result = await writeMarkedComments(gh, target, ACTIONS_BOT, parts);
    expect(result).toMatchObject({ created: 0, updated: n, deleted: 2 });
    expect(scope.isDone()).toBe(true);
  });

  it('reads the approved plan back from its parts', () => {
    const { parts } = planCommentParts(bigPlan(300), run, { requireApproval: true });
    const mine = new Map(parts.map((body, i) => [i + 1, { id: i, part: i + 1, body }]));
    const joined = joinParts(mine)!;
    expect(readCommentState(joined)?.state).toBe('planned');
    expect(joined).toContain('project-299-key-3');
    expect(joined).not.toContain('<!-- groq-rbac:plan part 2 -->');
  });
});
