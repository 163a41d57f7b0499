import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitAll, runCli, type RunResult } from '../helpers/cli.js';
import { createProjectWithKey, startTestOrg, type TestOrg } from '../helpers/sandbox.js';

// Security review (h13): project ownership is measured against a git revision, and that revision is
// not always "what was approved". These tests are EXPECTED TO FAIL while the boundary is broken:
// each asserts the secure outcome (the takeover is refused, nothing moves).

const ORG = `version: 2
org: org_acme
admins: ["@acme/platform"]
`;
const team = (name: string, projects: string) => `team: ${name}\nowners: ["@acme/${name}"]\nprojects:\n${projects}`;
const project = (name: string, key: string, target: string, extra = '') => `  - name: ${name}\n${extra}    keys:\n      - name: ${key}\n        rotation: {quiet_period: 0s, min_overlap: 0s, deliver: [${target}]}\n`;

const chatbot = (extra = '') => team('chatbot', project('chatbot-prod', 'chatbot-prod-web', '{file: {path: .secrets/chatbot/web.key}}', extra));
const finance = team('finance', project('finance-prod', 'finance-ledger', '{file: {path: .secrets/finance/ledger.key}}'));
const financeWithout = team('finance', project('finance-other', 'finance-other-key', '{file: {path: .secrets/finance/other.key}}'));
// chatbot takes finance-prod, with a trigger that rotates finance's key into chatbot's folder.
const chatbotTakesFinance = `${chatbot()}${project('finance-prod', 'finance-ledger', '{file: {path: .secrets/chatbot/ledger.key}}').replace('rotation: {', 'rotation: {trigger: moved, ')}`;

let org: TestOrg;
let ws: string;
let outputs: RunResult[];
const cli = async (...argv: string[]) => {
  const r = await runCli(argv, { cwd: ws, env: { GROQ_ADMIN_KEY: org.sandbox.adminKey, GROQ_BASE_URL: org.sandbox.url } });
  outputs.push(r);
  return r;
};
const write = (files: Record<string, string>) => {
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(ws, 'policies', name)), { recursive: true });
    fs.writeFileSync(path.join(ws, 'policies', name), text);
  }
};
const stolen = () => fs.existsSync(path.join(ws, '.secrets/chatbot/ledger.key'));

beforeEach(async () => {
  org = await startTestOrg({ orgId: 'org_acme' });
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-review-own-'));
  outputs = [];
  write({ 'org.yaml': ORG, 'teams/chatbot.yaml': chatbot(), 'teams/finance.yaml': finance });
  commitAll(ws, 'base: finance owns finance-prod');
  expect((await cli('apply', '--yes')).code).toBe(0);
  expect(fs.existsSync(path.join(ws, '.secrets/finance/ledger.key'))).toBe(true);
});

afterEach(async () => {
  for (const { stdout, stderr } of outputs) {
    expect(stdout + stderr).not.toMatch(/gsk_[A-Za-z0-9]{8,}/);
    expect((stdout + stderr).includes(org.sandbox.adminKey)).toBe(false);
  }
  await org.close();
});

describe('BROKEN: the ownership base the Action uses on apply is not "what was approved"', () => {
  it('BROKEN rebase-merge: apply measures ownership against `${sha}^1`, which for a rebased 2-commit PR already holds the move; the PR-time fingerprint (plan refused) applies unchanged', async () => {
    // The pull request: commit 1 moves finance-prod into chatbot's file (and drops it from finance's:
    // finance owners are not needed for the takeover if commit 1 only touches chatbot.yaml — here both
    // files change so that the live project is no longer in finance's file), commit 2 is trivial.
    write({ 'teams/finance.yaml': financeWithout, 'teams/chatbot.yaml': chatbotTakesFinance });
    commitAll(ws, 'PR commit 1: move finance-prod');
    write({ 'teams/chatbot.yaml': chatbotTakesFinance.replace('  - name: chatbot-prod\n', '  - name: chatbot-prod\n    description: tidy\n') });
    commitAll(ws, 'PR commit 2: trivial');

    // The plan job on the pull request measures from the PR's base (HEAD~2): refused, with fingerprint F.
    const planned = await cli('plan', '--format', 'json', '--base', 'HEAD~2');
    const plan = JSON.parse(planned.stdout) as { fingerprint: string; refusals: { code: string }[] };
    expect(plan.refusals.map((r) => r.code)).toContain('project_ownership');

    // After a rebase merge, the push's sha is the rebased commit 2; src/action/modes/apply.ts:50 uses `${sha}^1`.
    const apply = await cli('apply', '--expect-fingerprint', plan.fingerprint, '--base', 'HEAD^1');
    // Secure outcome: refused, finance's key never reaches chatbot's folder.
    expect(apply.code).toBe(1);
    expect(stolen()).toBe(false);
  });

  it('BROKEN residual: a merged-but-refused takeover is accepted by the next apply, whose base already holds it', async () => {
    write({ 'teams/finance.yaml': financeWithout, 'teams/chatbot.yaml': chatbotTakesFinance });
    commitAll(ws, 'PR #1 merged (its apply was refused)');
    const first = await cli('apply', '--yes', '--base', 'HEAD~1');
    expect(first.code).toBe(1);
    expect(stolen()).toBe(false);

    // PR #2, by anyone, about anything else: its base (and its merge's first parent) is PR #1's merge.
    write({ 'teams/finance.yaml': financeWithout.replace('  - name: finance-other\n', '  - name: finance-other\n    description: unrelated\n') });
    commitAll(ws, 'PR #2 merged');
    const second = await cli('apply', '--yes', '--base', 'HEAD~1');
    // Secure outcome: still refused (nobody with authority approved the move).
    expect(second.code).toBe(1);
    expect(stolen()).toBe(false);
  });

  it('BROKEN on the CLI: run on main after the merge, the default base is HEAD itself, so a committed takeover is never a move', async () => {
    write({ 'teams/finance.yaml': financeWithout, 'teams/chatbot.yaml': chatbotTakesFinance });
    commitAll(ws, 'takeover committed to main');
    const head = execFileSync('git', ['-C', ws, 'rev-parse', 'HEAD']).toString().trim();
    expect(head).toMatch(/^[0-9a-f]{40}$/);
    const apply = await cli('apply', '--yes');
    expect(apply.code).toBe(1);
    expect(fs.existsSync(path.join(ws, '.secrets/chatbot/payroll.key'))).toBe(false);
  });
});

describe('BROKEN: adopting an unmanaged live project with only the team\'s own approval', () => {
  // chatbot's file alone (approved by @acme/chatbot alone) names the unmanaged live finance-prod.
  const chatbotAdopts = `${chatbot()}${project('payroll-prod', 'payroll-ledger', '{file: {path: .secrets/chatbot/payroll.key}}').replace('rotation: {', 'rotation: {trigger: adopted, ')}`;

  it('BROKEN rebase-merge: a 2-commit PR that changes only chatbot.yaml adopts the unmanaged payroll-prod and rotates its key into chatbot\'s folder', async () => {
    await createProjectWithKey(org, 'payroll-prod', 'payroll-ledger');
    write({ 'teams/chatbot.yaml': chatbotAdopts });
    commitAll(ws, 'PR commit 1: adopt finance-prod');
    write({ 'teams/chatbot.yaml': chatbotAdopts.replace('  - name: chatbot-prod\n', '  - name: chatbot-prod\n    description: tidy\n') });
    commitAll(ws, 'PR commit 2: trivial');
    const planned = await cli('plan', '--format', 'json', '--base', 'HEAD~2');
    const plan = JSON.parse(planned.stdout) as { fingerprint: string; refusals: { code: string }[] };
    expect(plan.refusals.map((r) => r.code)).toContain('project_ownership');
    const apply = await cli('apply', '--expect-fingerprint', plan.fingerprint, '--base', 'HEAD^1');
    expect(apply.code).toBe(1);
    expect(fs.existsSync(path.join(ws, '.secrets/chatbot/payroll.key'))).toBe(false);
  });
});
