import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateApproval } from '../../src/action/approval.js';
import { parseGeneratedBlock } from '../../src/action/codeowners-rules.js';
import nock from 'nock';
import { evaluateDispatchApproval, requireDispatchApproval } from '../../src/action/dispatch-approval.js';
import { createGitHubClient } from '../../src/github/client.js';
import { commentParts } from '../../src/action/plan-comment.js';
import { verifyPlanComment } from '../../src/action/plan-integrity.js';
import { ACTIONS_BOT, type MarkedComment } from '../../src/action/pull-request-comment.js';
import { renderCodeownersBlock } from '../../src/policy/codeowners.js';
import { readPolicies } from '../../src/policy/read-policies.js';
import { PLAN_COMMENT_MARKER } from '../../src/plan/render-markdown.js';

// Security review (h13): a repository writer against approval and plan integrity. FIXED: refused
// since h15 (was BROKEN or WEAK); HOLDS: held at review time.

const HEAD = 'a'.repeat(40);
const KEY = ['review', 'signing', 'key', '0123456789abcdef0123456789abcdef'].join('-');
const FINGERPRINT = 'f'.repeat(64);

describe('approval', () => {
  const desired = readPolicies(path.resolve('policies'), { cwd: path.resolve('.') }).desired!;
  const rules = parseGeneratedBlock(renderCodeownersBlock(desired, 'policies'))!;
  const facts = (changedFiles: string[]) => ({
    pr: { number: 5, author: 'mallory', headSha: HEAD },
    reviews: [{ user: { login: 'carol' }, state: 'APPROVED', commit_id: HEAD, author_association: 'MEMBER' }],
    permissions: new Map([['carol', 'write']]),
    contributors: [{ login: 'mallory', how: 'authored a commit' as const }],
    changedFiles,
    rules,
    memberships: new Map([['acme/chatbot:carol', true]]),
  });

  it("HOLDS: a chatbot owner's approval does not cover org.yaml or another team's file", () => {
    expect(evaluateApproval(facts(['policies/teams/chatbot.yaml', 'policies/org.yaml'])).approved).toBe(false);
    expect(evaluateApproval(facts(['policies/teams/chatbot.yaml', 'policies/teams/research.yaml'])).approved).toBe(false);
    // A new file under policies/ (a new team) is the admins'.
    expect(evaluateApproval(facts(['policies/teams/chatbot.yaml', 'policies/teams/newteam.yaml'])).approved).toBe(false);
  });

  it("FIXED (#17): the generated CODEOWNERS block gives the workflows that hold the admin and signing keys to the org admins: a team owner's approval does not cover a PR that rewrites the apply workflow", () => {
    // Merged, the push runs the PR's own groq-rbac-apply.yml in the groq-rbac environment: it could drop
    // require-approval, or print GROQ_ADMIN_KEY and GROQ_RBAC_PLAN_SIGNING_KEY.
    const verdict = evaluateApproval(facts(['policies/teams/chatbot.yaml', '.github/workflows/groq-rbac-apply.yml']));
    expect(verdict.approved).toBe(false);
    expect(verdict.approved ? '' : verdict.reason).toContain('.github/workflows/groq-rbac-apply.yml needs an approval from @acme/platform');
    // The repository's own CODEOWNERS says the same (`codeowners --check` in .ci/run keeps it so).
    expect(fs.readFileSync('.github/CODEOWNERS', 'utf8')).toContain('\n/.github/workflows/ @acme/platform\n');
  });

  it('HOLDS: co-authored-by / committer spoofing only ever excludes more people; the pusher is excluded', () => {
    const f = facts(['policies/teams/chatbot.yaml']);
    expect(evaluateApproval({ ...f, contributors: [...f.contributors, { login: 'carol', how: 'pushed to the branch' }] }).approved).toBe(
      false,
    );
    expect(evaluateApproval({ ...f, pr: { ...f.pr, author: 'carol' } }).approved).toBe(false);
    expect(evaluateApproval({ ...f, reviews: [{ ...f.reviews[0]!, commit_id: 'b'.repeat(40) }] }).approved).toBe(false);
    expect(evaluateApproval(f).approved).toBe(true);
  });
});

describe('workflow_dispatch', () => {
  // GitHub: GET /repos/{o}/{r}/environments/{env} says only custom_branch_policies: true; which
  // branches is in GET …/environments/{env}/deployment-branch-policies.
  const dispatchWith = async (policies: { name: string; type: string }[], defaultBranch: string | null = 'main') => {
    nock.disableNetConnect();
    const api = nock('https://api.github.com')
      .get('/repos/acme/p/actions/runs/9/approvals')
      .reply(200, [{ state: 'approved', user: { login: 'carol' }, environments: [{ name: 'groq-rbac-dispatch' }] }])
      .get('/repos/acme/p/environments/groq-rbac-dispatch')
      .reply(200, {
        name: 'groq-rbac-dispatch',
        protection_rules: [{ type: 'required_reviewers', reviewers: [{ type: 'User', reviewer: { login: 'carol' } }] }],
        deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
      })
      .get('/repos/acme/p/environments/groq-rbac-dispatch/deployment-branch-policies')
      .reply(200, { total_count: policies.length, branch_policies: policies.map((p, i) => ({ id: i + 1, node_id: `n${i}`, ...p })) });
    try {
      const github = createGitHubClient({ token: 'x'.repeat(20), baseUrl: 'https://api.github.com', retries: 0, retryAfterBaseMs: 1 });
      return await requireDispatchApproval(github, { owner: 'acme', repo: 'p', runId: '9', actors: ['mallory'], defaultBranch }).then(
        (ok) => ok,
        (e: Error) => e,
      );
    } finally {
      expect(api.pendingMocks()).toEqual([]);
      nock.cleanAll();
      nock.enableNetConnect();
    }
  };

  it('FIXED (#19): an environment whose custom deployment-branch policy is `*` (every branch) does not count as limited to the default branch', async () => {
    const refused = await dispatchWith([{ name: '*', type: 'branch' }]);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(
      /environment groq-rbac-dispatch deploys from branch pattern "\*", not only the default branch main: any branch/,
    );
    expect((refused as Error).message).toContain('"Selected branches and tags" with only the branch main');
    // A pattern beside the default branch, a tag named like it, or an unknown default branch: refused too.
    expect(
      await dispatchWith([
        { name: 'main', type: 'branch' },
        { name: 'release/*', type: 'branch' },
      ]),
    ).toBeInstanceOf(Error);
    expect(await dispatchWith([{ name: 'main', type: 'tag' }])).toBeInstanceOf(Error);
    expect(await dispatchWith([{ name: 'main', type: 'branch' }], null)).toBeInstanceOf(Error);
    // Exactly the default branch: the gate holds.
    expect(await dispatchWith([{ name: 'main', type: 'branch' }])).toEqual({ reviewer: 'carol', environment: 'groq-rbac-dispatch' });
  });

  it('HOLDS: the person who started the run cannot approve it', () => {
    const verdict = evaluateDispatchApproval({
      reviews: [{ state: 'approved', user: { login: 'Mallory' }, environments: [{ name: 'd' }] }],
      environments: [{ name: 'd', reviewers: ['mallory'], branchesLimited: true }],
      actors: ['mallory'],
    });
    expect(verdict.approved).toBe(false);
  });
});

describe('plan integrity', () => {
  const signed = () => {
    const { parts } = commentParts(
      [],
      () => `${PLAN_COMMENT_MARKER}\n### Plan\n- project "finance-prod" will be **archived**\n`,
      { state: 'planned', fingerprint: FINGERPRINT, head_sha: HEAD },
      ['<sub>Planned.</sub>'],
      { key: KEY, pr: 5 },
    );
    return parts;
  };
  const verify = (bodies: string[]) => {
    const mine = new Map<number, MarkedComment>(bodies.map((body, i) => [i + 1, { id: i + 1, part: i + 1, body }]));
    return verifyPlanComment({ mine, others: [], author: ACTIONS_BOT, key: KEY, pr: 5 });
  };

  it('the untouched signed comment verifies (control)', () => {
    expect(verify(signed()).ok).toBe(true);
  });

  it('FIXED (#14): an edit inside the state line (extra JSON fields, a `-->` that ends the HTML comment, reordered fields, spaces) is refused', () => {
    const [body] = signed();
    const edited = body!.replace(
      /("sig":"[0-9a-f]{64}")\}/,
      '$1,"x":"--> **Plan: no changes. Safe to approve.** <details><summary></summary>"}',
    );
    expect(edited).not.toBe(body);
    expect(edited).toContain('--> **Plan: no changes.');
    const verdict = verify([edited]);
    expect(verdict.ok).toBe(false);
    expect(verdict.ok ? '' : verdict.reason).toContain('its state line is not the line the plan job wrote');
    // The same fields, reordered or spaced: still not the line the plan job wrote.
    const line = body!.split('\n')[1]!;
    const json = JSON.parse(line.slice('<!-- groq-rbac:state '.length, -' -->'.length)) as Record<string, unknown>;
    const { sig, ...rest } = json;
    expect(verify([body!.replace(line, `<!-- groq-rbac:state ${JSON.stringify({ sig, ...rest })} -->`)]).ok).toBe(false);
    expect(verify([body!.replace(line, `<!-- groq-rbac:state ${JSON.stringify(json, null, 0).replace('","', '", "')} -->`)]).ok).toBe(
      false,
    );
    expect(verify([body!]).ok).toBe(true);
  });

  it('HOLDS: duplicate state lines, an HTML comment, a zero-width character or an extra part are refused', () => {
    const [body] = signed();
    const line = body!.split('\n')[1]!;
    const forged = line.replace(FINGERPRINT, 'e'.repeat(64));
    expect(verify([`${body}${forged}\n`]).ok).toBe(false); // appended second state line
    expect(verify([body!.replace(line, `${forged}\n${line}`)]).ok).toBe(false); // forged line first
    expect(verify([`${body}<!-- hidden -->\n`]).ok).toBe(false);
    expect(verify([body!.replace('archived', 'arch\u200bived')]).ok).toBe(false);
    expect(verify([body!, '<!-- groq-rbac:plan part 2 -->\nmore']).ok).toBe(false);
    expect(verify([body!.replace('"parts":1', '"parts":2'), '<!-- groq-rbac:plan part 2 -->\nmore']).ok).toBe(false);
  });
});
