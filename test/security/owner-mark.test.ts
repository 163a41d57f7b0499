import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { evaluateApproval, membershipKey, type ApprovalFacts } from '../../src/action/approval.js';
import { parseGeneratedBlock } from '../../src/action/codeowners-rules.js';
import type { ProviderAdmin } from '../../src/core/provider.js';
import { renderCodeownersBlock } from '../../src/policy/codeowners.js';
import { readPolicies } from '../../src/policy/read-policies.js';
import { GroqClient } from '../../src/providers/groq/client.js';
import { GroqProvider } from '../../src/providers/groq/write.js';
import { OpenAiProvider } from '../../src/providers/openai/provider.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { commitAll, runCli, type RunResult } from '../helpers/cli.js';

// Issue 17, the security review's "merged-anyway takeover": ownership measured only against the base
// revision holds for one push. Once a move from finance to chatbot is merged anyway (an admin merge,
// branch protection off, or two pull requests: one removing finance-prod from finance's file, approved
// by finance's owners, a later one adding it to chatbot's, approved by chatbot's alone), every later
// base already has chatbot's file naming it, and the next apply (or the scheduled reconcile, which
// measures against the pushed commit itself) gave chatbot finance's keys and their deliveries. The
// live owner mark each managed key carries, written only by an approved apply, refuses it: for both
// providers, since each stores the mark its own way (Groq: key metadata; OpenAI: the service account's name).

interface Org {
  sandbox: Sandbox;
  admin: ProviderAdmin;
  env: NodeJS.ProcessEnv;
  orgYaml: string;
  /** How the provider stores the mark on the wire, for the key's raw record. */
  rawMarks(projectId: string): Promise<string[]>;
  close(): Promise<void>;
}

// Built at run time: no tracked line looks like a credential.
const groqAdmin = ['gsk', 'ownermarkadmin'].join('_') + '0'.repeat(36);
const openaiAdmin = ['sk', 'admin', 'ownermark'].join('-') + 'x'.repeat(24);

const PROVIDERS: { name: string; start(): Promise<Org> }[] = [
  {
    name: 'groq',
    async start() {
      const sandbox = await startSandbox({ host: '127.0.0.1', port: 0, adminKey: groqAdmin, orgId: 'org_acme' });
      const client = new GroqClient({ baseUrl: sandbox.url, adminKey: groqAdmin });
      return {
        sandbox,
        admin: new GroqProvider(client),
        env: { GROQ_ADMIN_KEY: groqAdmin, GROQ_BASE_URL: sandbox.url },
        orgYaml: 'version: 2\norg: org_acme\nadmins: ["@acme/platform"]\n',
        rawMarks: async (projectId) => (await client.listProjectKeys(projectId)).map((k) => k.metadata['groq-rbac/team'] ?? '(none)'),
        close: async () => {
          await client.close();
          await sandbox.close();
        },
      };
    },
  },
  {
    name: 'openai',
    async start() {
      const sandbox = await startSandbox({ provider: 'openai', host: '127.0.0.1', port: 0, adminKey: openaiAdmin });
      const admin = new OpenAiProvider({ baseUrl: `${sandbox.url}/v1`, adminKey: openaiAdmin, organization: 'org-sandbox' });
      const list = async (projectId: string) => {
        const res = await fetch(`${sandbox.url}/v1/organization/projects/${projectId}/api_keys?owner_project_access=any&limit=100`, {
          headers: { authorization: `Bearer ${openaiAdmin}`, 'openai-organization': 'org-sandbox' },
        });
        return ((await res.json()) as { data: { owner: { service_account?: { name: string } } }[] }).data.map(
          (k) => k.owner.service_account?.name ?? '',
        );
      };
      return {
        sandbox,
        admin,
        env: { OPENAI_ADMIN_KEY: openaiAdmin, OPENAI_BASE_URL: `${sandbox.url}/v1` },
        orgYaml: 'version: 2\nprovider: openai\norg: org-sandbox\nadmins: ["@acme/platform"]\n',
        rawMarks: async (projectId) => (await list(projectId)).map((name) => / o(\S+) /.exec(name)?.[1] ?? '(none)'),
        close: async () => {
          await admin.close();
          await sandbox.close();
        },
      };
    },
  },
];

const team = (name: string, projects: string) => `team: ${name}\nowners: ["@acme/${name}"]\nprojects:\n${projects}`;
const project = (name: string, key: string, target: string, trigger = '') =>
  `  - name: ${name}\n    keys:\n      - name: ${key}\n        rotation: {${trigger ? `trigger: ${trigger}, ` : ''}quiet_period: 0s, min_overlap: 0s, deliver: [${target}]}\n`;

const chatbot = team('chatbot', project('chatbot-prod', 'chatbot-prod-web', '{file: {path: .secrets/chatbot/web.key}}'));
const finance = team(
  'finance',
  project('finance-prod', 'finance-ledger', '{file: {path: .secrets/finance/ledger.key}}') +
    project('finance-other', 'finance-other-key', '{file: {path: .secrets/finance/other.key}}'),
);
// Pull request 1, approved by finance's owners: finance-prod leaves finance's file (say, "chatbot takes it over").
const financeWithout = team('finance', project('finance-other', 'finance-other-key', '{file: {path: .secrets/finance/other.key}}'));
// Pull request 2, approved by chatbot's owners alone: chatbot's file names finance-prod, with a trigger
// that would rotate finance's key into chatbot's folder.
const chatbotTakesFinance = `${chatbot}${project('finance-prod', 'finance-ledger', '{file: {path: .secrets/chatbot/ledger.key}}', 'moved')}`;
const grant = '\ngrants:\n  chatbot:\n    projects: [finance-prod]\n';

for (const provider of PROVIDERS) {
  describe(`the live owner mark refuses a merged-anyway move (${provider.name})`, () => {
    let org: Org;
    let ws: string;
    let outputs: RunResult[];
    const cli = async (...argv: string[]) => {
      const r = await runCli(argv, { cwd: ws, env: org.env });
      outputs.push(r);
      return r;
    };
    const write = (files: Record<string, string>) => {
      for (const [name, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(ws, 'policies', name)), { recursive: true });
        fs.writeFileSync(path.join(ws, 'policies', name), text);
      }
    };
    const at = (file: string, text: string, projectName: string) =>
      `policies/${file}:${text.split('\n').findIndex((l) => l === `  - name: ${projectName}`) + 1}:5`;
    /** Everything in the organization that could change: projects, and each key's id, name and marks. */
    const snapshot = async () =>
      (await org.admin.readLiveState()).projects.map((p) => ({
        id: p.id,
        name: p.name,
        keys: p.keys.map((k) => ({ id: k.id, name: k.name, marks: k.marks })),
      }));
    const financeProd = async () => (await org.admin.readLiveState()).projects.find((p) => p.name === 'finance-prod')!;
    const file = (f: string) => path.join(ws, '.secrets', f);

    beforeEach(async () => {
      org = await provider.start();
      ws = fs.mkdtempSync(path.join(os.tmpdir(), `groq-rbac-owner-mark-${provider.name}-`));
      outputs = [];
      write({ 'org.yaml': org.orgYaml, 'teams/chatbot.yaml': chatbot, 'teams/finance.yaml': finance });
      commitAll(ws, 'base: finance owns finance-prod');
      expect((await cli('apply', '--yes')).code).toBe(0);
    });

    afterEach(async () => {
      // Whatever happened, no key value and no admin key reached stdout or stderr.
      for (const { stdout, stderr } of outputs) {
        expect(stdout + stderr).not.toMatch(/gsk_[A-Za-z0-9]{20,}|sk-[A-Za-z0-9_-]{20,}/);
        expect((stdout + stderr).includes(provider.name === 'groq' ? groqAdmin : openaiAdmin)).toBe(false);
      }
      await org.close();
      fs.rmSync(ws, { recursive: true, force: true });
    });

    it("an approved apply marks each key with its project's team, as the provider stores it", async () => {
      const live = await org.admin.readLiveState();
      expect(live.projects.map((p) => [p.name, p.keys.map((k) => k.marks?.team)]).sort()).toEqual([
        ['chatbot-prod', ['chatbot']],
        ['finance-other', ['finance']],
        ['finance-prod', ['finance']],
      ]);
      expect(await org.rawMarks((await financeProd()).id)).toEqual(['finance']);
    });

    it("the two-PR takeover: the next plan, whose base already has chatbot's file naming finance-prod, is refused by the keys' mark; nothing changed, no key delivered", async () => {
      const ledger = fs.readFileSync(file('finance/ledger.key'), 'utf8');
      write({ 'teams/finance.yaml': financeWithout });
      commitAll(ws, "PR 1 (finance's owners): finance-prod leaves finance's file");
      write({ 'teams/chatbot.yaml': chatbotTakesFinance });
      commitAll(ws, "PR 2 (chatbot's owners): chatbot's file names finance-prod");
      const before = await snapshot();

      const refusal = `${at('teams/chatbot.yaml', chatbotTakesFinance, 'finance-prod')}: project "finance-prod"'s keys belong to team "finance" (live owner mark): moving it to team "chatbot" needs the org admins: ask them to add it to grants.chatbot.projects in policies/org.yaml (grants: {chatbot: {projects: [finance-prod]}})`;
      // The next push's base (or reconcile's: the pushed commit itself) already holds both pull requests.
      const plan = await cli('plan', '--base', 'HEAD');
      expect(plan.code).toBe(1);
      expect(plan.stdout + plan.stderr).toContain(refusal);
      const apply = await cli('apply', '--yes', '--base', 'HEAD');
      expect(apply.code).toBe(1);
      expect(apply.stderr).toContain('apply refused; nothing was changed');
      expect(apply.stderr).toContain(refusal);
      // Told once, by the mark; the base check, which sees no move, adds nothing.
      expect(apply.stderr.split(refusal)).toHaveLength(2);
      const reconcile = await cli('apply', '--yes', '--rotations-only', '--base', 'HEAD');
      expect(reconcile.code).toBe(1);
      expect(reconcile.stderr).toContain(refusal);
      // Measured from main before PR 2 as well: refused once, by the mark.
      const fromBefore = await cli('plan', '--base', 'HEAD~1');
      expect(fromBefore.code).toBe(1);
      expect(fromBefore.stdout + fromBefore.stderr).toContain(refusal);
      expect(fromBefore.stdout + fromBefore.stderr).not.toContain("no team's file had it");

      expect(await snapshot()).toEqual(before);
      expect(fs.existsSync(file('chatbot/ledger.key'))).toBe(false);
      expect(fs.readFileSync(file('finance/ledger.key'), 'utf8')).toBe(ledger);
      expect(await org.rawMarks((await financeProd()).id)).toEqual(['finance']);
    });

    it('a one-PR move merged anyway (an admin merge) is refused on the next push the same way', async () => {
      write({ 'teams/finance.yaml': financeWithout, 'teams/chatbot.yaml': chatbotTakesFinance });
      commitAll(ws, 'move merged anyway');
      const before = await snapshot();
      const apply = await cli('apply', '--yes', '--base', 'HEAD');
      expect(apply.code).toBe(1);
      expect(apply.stderr).toContain('project "finance-prod"\'s keys belong to team "finance" (live owner mark)');
      expect(await snapshot()).toEqual(before);
      expect(fs.existsSync(file('chatbot/ledger.key'))).toBe(false);
      // The merge's own apply (measured from main before it) sees the move in the base too: one refusal, in the base's words.
      const merge = await cli('apply', '--yes', '--base', 'HEAD~1');
      expect(merge.code).toBe(1);
      expect(merge.stderr).toContain('moving project "finance-prod" from team "finance" (its file at');
      expect(merge.stderr).not.toContain('(live owner mark)');
    });

    it("with the admins' grant in org.yaml the move goes through: the keys now carry chatbot's mark, and the next plan is empty", async () => {
      write({ 'teams/finance.yaml': financeWithout });
      commitAll(ws, 'PR 1');
      write({ 'teams/chatbot.yaml': chatbotTakesFinance, 'org.yaml': `${org.orgYaml}${grant}` });
      commitAll(ws, "PR 2, with the admins' grant");
      const apply = await cli('apply', '--yes', '--base', 'HEAD');
      expect(apply.code).toBe(0);
      const moved = await financeProd();
      expect(moved.keys.length).toBeGreaterThan(0);
      expect(moved.keys.map((k) => k.marks?.team)).toEqual(moved.keys.map(() => 'chatbot'));
      expect(await org.rawMarks(moved.id)).toEqual(moved.keys.map(() => 'chatbot'));
      expect(fs.readFileSync(file('chatbot/ledger.key'), 'utf8')).toMatch(provider.name === 'groq' ? /^gsk_/ : /^sk-/);
      const again = await cli('plan', '--base', 'HEAD', '--detailed-exitcode');
      expect(again.stdout).toContain('No changes.');
      expect(again.code).toBe(0);
      // Once chatbot's, the grant can go: the marks say chatbot now.
      write({ 'org.yaml': org.orgYaml });
      commitAll(ws, 'the admins drop the grant');
      expect((await cli('plan', '--base', 'HEAD', '--detailed-exitcode')).code).toBe(0);
    });

    it('with the grant and no rotation, the apply rewrites the marks of the keys it keeps', async () => {
      // Same targets path kept under a folder the grant also gives chatbot: no rotation, only the mark moves.
      const shared = (owner: string) => team(owner, project('finance-prod', 'finance-ledger', '{file: {path: shared/ledger.key}}'));
      write({
        'org.yaml': `${org.orgYaml}grants:\n  finance:\n    files: [shared]\n`,
        'teams/finance.yaml': `${shared('finance')}${project('finance-other', 'finance-other-key', '{file: {path: .secrets/finance/other.key}}')}`,
      });
      commitAll(ws, 'finance delivers to shared/');
      expect((await cli('apply', '--yes')).code).toBe(0);
      const keyIds = (await financeProd()).keys.map((k) => k.id);
      write({
        'org.yaml': `${org.orgYaml}grants:\n  finance:\n    files: [shared]\n  chatbot:\n    files: [shared]\n    projects: [finance-prod]\n`,
        'teams/finance.yaml': financeWithout,
        'teams/chatbot.yaml': `${chatbot}${project('finance-prod', 'finance-ledger', '{file: {path: shared/ledger.key}}')}`,
      });
      commitAll(ws, 'granted move, same target');
      const plan = await cli('plan', '--base', 'HEAD', '--detailed-exitcode');
      expect(plan.code).toBe(2);
      expect(plan.stdout).toMatch(/team\s+= "finance" -> "chatbot"/);
      expect((await cli('apply', '--yes', '--base', 'HEAD')).code).toBe(0);
      const after = await financeProd();
      expect(after.keys.map((k) => [k.id, k.marks?.team])).toEqual(keyIds.map((id) => [id, 'chatbot']));
    });
  });
}

describe("the Action's approval: a move needs the old team's owners or the admins", () => {
  const desired = (files: Record<string, string>) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-owner-mark-approval-'));
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, 'policies', name)), { recursive: true });
      fs.writeFileSync(path.join(dir, 'policies', name), text);
    }
    const read = readPolicies(path.join(dir, 'policies'), { cwd: dir });
    fs.rmSync(dir, { recursive: true, force: true });
    return read.desired!;
  };
  const base = desired({
    'org.yaml': 'version: 2\norg: org_acme\nadmins: ["@acme/platform"]\n',
    'teams/chatbot.yaml': chatbot,
    'teams/finance.yaml': finance,
  });
  const rules = parseGeneratedBlock(renderCodeownersBlock(base, 'policies'))!;
  const HEAD = '6dcb09b5b57875f334f61aebed695e2e4193db5e';
  const facts = (changedFiles: string[], approvers: string[]): ApprovalFacts => ({
    pr: { number: 7, author: 'mallory', headSha: HEAD },
    reviews: approvers.map((login) => ({ user: { login }, state: 'APPROVED', commit_id: HEAD, author_association: 'MEMBER' })),
    permissions: new Map([
      ['chad', 'write'],
      ['fiona', 'write'],
      ['pat', 'write'],
    ]),
    contributors: [],
    changedFiles,
    rules,
    memberships: new Map([
      [membershipKey('acme/chatbot', 'chad'), true],
      [membershipKey('acme/finance', 'fiona'), true],
      [membershipKey('acme/platform', 'pat'), true],
    ]),
  });

  it("PR 2 alone (chatbot's file) needs only chatbot's owners: approval cannot stop it, which is why the plan refusal does", () => {
    expect(evaluateApproval(facts(['policies/teams/chatbot.yaml'], ['chad']))).toEqual({ approved: true, approvers: ['chad'] });
  });

  it("the grant lives in org.yaml, which only the admins own: chatbot's owners alone cannot approve it", () => {
    const verdict = evaluateApproval(facts(['policies/org.yaml', 'policies/teams/chatbot.yaml'], ['chad']));
    expect(verdict).toEqual({
      approved: false,
      reason: expect.stringContaining('policies/org.yaml needs an approval from @acme/platform'),
    });
    expect(evaluateApproval(facts(['policies/org.yaml', 'policies/teams/chatbot.yaml'], ['chad', 'pat'])).approved).toBe(true);
  });

  it("a one-PR move changes both teams' files: it needs the old team's owners too", () => {
    const verdict = evaluateApproval(facts(['policies/teams/chatbot.yaml', 'policies/teams/finance.yaml'], ['chad']));
    expect(verdict).toEqual({
      approved: false,
      reason: expect.stringContaining('policies/teams/finance.yaml needs an approval from @acme/finance'),
    });
  });
});
