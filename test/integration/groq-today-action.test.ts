/**
 * The Action with `provider: groq-console`: verify mode probes the real sandbox, ticks off the Console
 * steps Groq's answers show done (and only those) in the steps issue, and keeps the drift issue.
 * The sandbox's inference API is real; GitHub is a recording stand-in (nock, loaded in this process,
 * would also catch the transport's requests to the sandbox).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signSection, STEPS_LABEL, sectionChecks, splitSections, stepsIssueBody, stepsSection } from '../../src/action/console-issue.js';
import type { EventContext } from '../../src/action/context.js';
import { DRIFT_LABEL } from '../../src/action/drift-issue.js';
import { readInputs } from '../../src/action/inputs.js';
import { verifyMode } from '../../src/action/modes/console.js';
import type { ModeContext } from '../../src/action/modes/mode.js';
import { tickedSteps } from '../../src/plan/render-runbook.js';
import { planRunbook } from '../../src/plan/runbook.js';
import { silentLogger } from '../../src/core/log.js';
import type { GitHubClient } from '../../src/github/client.js';
import { readPolicies } from '../../src/policy/read-policies.js';
import { createKey, startTestOrg, type TestOrg } from '../helpers/sandbox.js';

const API = 'https://api.github.com';

/** The issue calls the modes make, answered from `open` (label → issues) and recorded. */
function fakeGitHub(open: Record<string, { number: number; body: string; html_url: string; user?: { login: string; id: number } }[]>) {
  const calls: { method: string; args: Record<string, unknown> }[] = [];
  const record = (method: string) => async (args: Record<string, unknown>) => (
    calls.push({ method, args }),
    { data: { number: 1, html_url: 'x' } }
  );
  const listForRepo = async () => ({ data: [] });
  const github = {
    paginate: async (fn: unknown, args: { labels: string }) => (fn === listForRepo ? (open[args.labels] ?? []) : []),
    rest: { issues: { listForRepo, update: record('update'), create: record('create'), createComment: record('createComment') } },
  };
  return { github: github as unknown as GitHubClient, calls };
}

const ORG = `version: 2
org: org_sandbox
admins: ["@acme/platform"]
provider: groq-console
models: [openai/gpt-oss-120b, openai/gpt-oss-20b]
`;
const team = (tpm: number) => `team: app
owners: ["@acme/app"]
projects:
  - name: app-prod
    models: [openai/gpt-oss-120b]
    limits:
      default: {requests_per_day: 1000, tokens_per_minute: ${tpm}}
    keys:
      - name: app-prod-web
`;

function policies(tpm: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-today-action-'));
  fs.mkdirSync(path.join(dir, 'policies', 'teams'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'policies', 'org.yaml'), ORG);
  fs.writeFileSync(path.join(dir, 'policies', 'teams', 'app.yaml'), team(tpm));
  fs.writeFileSync(path.join(dir, 'keys.yaml'), 'app-prod: KEY_PROD\n');
  return dir;
}

describe('the Action with provider: groq-console', () => {
  let org: TestOrg;
  let key: string;
  beforeAll(async () => {
    org = await startTestOrg({ orgId: 'org_sandbox' });
    await org.client.setOrgModelPermissions({ mode: 'allow_list', model_ids: ['openai/gpt-oss-120b', 'openai/gpt-oss-20b'] });
    const project = await org.request('POST', '/openai/v1/organization/projects', { body: { name: 'app-prod' } });
    await org.client.setProjectModelPermissions(project.body.id, { mode: 'allow_list', model_ids: ['openai/gpt-oss-120b'] });
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

  it('verify ticks off the steps Groq shows done, leaves the hand-made ones, and closes no drift that is not there', async () => {
    // The merged change: tokens per minute 50000 -> 40000 (verify can see it) and a new key (it cannot).
    const dir = policies(40000);
    const before = readPolicies(path.join(policies(50000), 'policies')).desired!;
    const after = readPolicies(path.join(dir, 'policies'), { cwd: dir }).desired!;
    const base = { ...before, keys: [] };
    const runbook = planRunbook(base, after);
    const limitStep = runbook.steps.find((s) => s.action === 'set_limits')!;
    const keyStep = runbook.steps.find((s) => s.action === 'create_key')!;
    expect(limitStep.checks).toEqual([
      { kind: 'limit', project: 'app-prod', model: 'openai/gpt-oss-120b', field: 'tokens_per_minute', value: 40000 },
    ]);
    expect(keyStep.checks).toEqual([]);
    const section = stepsSection(runbook, { ref: 'abc', commit: 'abc' }, 'Pull request #7: 2 steps');
    expect(sectionChecks(section)).toEqual({ [limitStep.id]: limitStep.checks });
    // As apply wrote it: signed with plan-signing-key, in an issue by github-actions[bot]. A section
    // someone else added is dropped, never ticked.
    const signingKey = ['verify', 'signing', 'key', '0123456789abcdef0123456789'].join('-');
    const forged = section.replace('Pull request #7', 'Pull request #8');
    const body = stepsIssueBody('org_sandbox', [signSection(section, 'org_sandbox', signingKey), forged]);

    const { github, calls } = fakeGitHub({
      [DRIFT_LABEL]: [],
      [STEPS_LABEL]: [
        {
          number: 9,
          body,
          html_url: 'https://github.com/acme/groq-policies/issues/9',
          user: { login: 'github-actions[bot]', id: 41898282 },
        },
      ],
    });
    const ctx: ModeContext = {
      inputs: {
        mode: 'verify',
        policies: 'policies',
        adminKey: '',
        baseUrl: org.sandbox.url,
        githubToken: 'ghs_workflowtoken0000',
        comment: true,
        requireApproval: true,
        expectFingerprint: null,
        keysFile: 'keys.yaml',
        planSigningKey: signingKey,
        commentAuthor: { login: 'github-actions[bot]', id: 41898282 },
        membersToken: null,
      },
      event: {
        eventName: 'schedule',
        owner: 'acme',
        repo: 'groq-policies',
        sha: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
        ref: 'refs/heads/main',
        defaultBranch: 'main',
        pullRequest: null,
        runUrl: null,
        serverUrl: 'https://github.com',
        apiUrl: API,
        workspace: dir,
        runId: null,
        actors: [],
        before: null,
      },
      github,
      cwd: dir,
      env: { KEY_PROD: key },
      logger: silentLogger,
      annotator: { error: () => {}, warning: () => {} },
      readPolicies: () => readPolicies(path.join(dir, 'policies'), { cwd: dir }),
      openSession: () => {
        throw new Error('verify must not open an admin session');
      },
      summary: [],
      workflowFile: null,
    };
    const result = await verifyMode(ctx);
    expect(result.failure).toBeNull();
    expect(result.hasChanges).toBe(false);
    // No drift: no drift issue opened; the steps issue updated once, not closed (a step is left).
    expect(calls.map((c) => c.method)).toEqual(['update']);
    expect(calls[0]!.args).toMatchObject({ issue_number: 9 });
    expect(calls[0]!.args.state).toBeUndefined();
    const patched = String(calls[0]!.args.body);
    expect(splitSections(patched)).toHaveLength(1);
    expect(patched).not.toContain('Pull request #8');
    const ticked = tickedSteps(splitSections(patched)[0]!);
    expect([...ticked]).toEqual([limitStep.id]);
    expect(patched).toContain(`- [ ] ${keyStep.n}. **Create API key`);
    expect(ctx.summary.join('\n')).toContain('= openai/gpt-oss-120b: tokens per minute 40000');
    expect(patched + ctx.summary.join('\n')).not.toContain(key);

    // A person ticks the key step by hand; the next verify finds every box ticked and closes the issue.
    const byHand = patched.replace(`- [ ] ${keyStep.n}. **Create API key`, `- [x] ${keyStep.n}. **Create API key`);
    expect(byHand).not.toBe(patched);
    const next = fakeGitHub({
      [DRIFT_LABEL]: [],
      [STEPS_LABEL]: [
        {
          number: 9,
          body: byHand,
          html_url: 'https://github.com/acme/groq-policies/issues/9',
          user: { login: 'github-actions[bot]', id: 41898282 },
        },
      ],
    });
    const again = await verifyMode({ ...ctx, github: next.github, summary: [] });
    expect(again.failure).toBeNull();
    expect(next.calls.map((c) => c.method)).toEqual(['createComment', 'update']);
    expect(next.calls[0]!.args).toMatchObject({ issue_number: 9, body: expect.stringMatching(/^Every listed Console step is done/) });
    expect(next.calls[1]!.args).toEqual({
      owner: 'acme',
      repo: 'groq-policies',
      issue_number: 9,
      state: 'closed',
      state_reason: 'completed',
    });
  });

  it('needs no admin key for verify, nor for plan and apply of a Console organization; refuses admin-API modes there', () => {
    const event = { eventName: 'schedule', pullRequest: null } as unknown as EventContext;
    const get = (values: Record<string, string>) => (name: string) => values[name] ?? '';
    expect(readInputs(get({ mode: 'verify', keys: 'groq-keys.yaml', 'github-token': 't' }), event)).toMatchObject({
      mode: 'verify',
      adminKey: '',
      keysFile: 'groq-keys.yaml',
    });
    expect(() => readInputs(get({ mode: 'verify', 'github-token': 't' }), event)).toThrow('`mode: verify` needs `keys:`');
    // verify keeps two issues: without a token it would fail only after the probes.
    expect(() => readInputs(get({ mode: 'verify', keys: 'groq-keys.yaml' }), event)).toThrow(
      'mode verify needs it to tick off the Console steps issue',
    );
    expect(readInputs(get({ mode: 'verify', keys: 'groq-keys.yaml', comment: 'false' }), event)).toMatchObject({
      githubToken: '',
      comment: false,
    });
    expect(readInputs(get({ mode: 'plan', 'github-token': 't' }), event, { consoleProvider: true })).toMatchObject({
      mode: 'plan',
      adminKey: '',
    });
    expect(() => readInputs(get({ mode: 'plan', 'github-token': 't' }), event)).toThrow('input `groq-admin-key` is empty');
    expect(() => readInputs(get({ mode: 'drift', 'github-token': 't' }), event, { consoleProvider: true })).toThrow(
      'use `mode: verify` on a schedule instead',
    );
  });
});
