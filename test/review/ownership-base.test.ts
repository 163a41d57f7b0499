import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ownershipRef } from '../../src/action/modes/apply.js';
import type { ModeContext } from '../../src/action/modes/mode.js';
import { RefusalError } from '../../src/core/errors.js';
import { commitAll, runCli, type RunResult } from '../helpers/cli.js';
import { createProjectWithKey, startTestOrg, type TestOrg } from '../helpers/sandbox.js';

// Security review (h13): project ownership is measured against a git revision, and that revision must
// be "what was approved". FIXED (#1, h15): on a push the Action measures against the push's `before`,
// not the pushed commit's first parent, so a rebase merge of a 2-commit pull request is measured
// against main as it was. (The review's "merged-but-refused takeover" cases, #2/#3/#18: FIXED by the
// live owner mark each managed key carries, tested as attacks in test/security/owner-mark.test.ts.)

const ORG = `version: 2
org: org_acme
admins: ["@acme/platform"]
`;
const team = (name: string, projects: string) => `team: ${name}\nowners: ["@acme/${name}"]\nprojects:\n${projects}`;
const project = (name: string, key: string, target: string, extra = '') =>
  `  - name: ${name}\n${extra}    keys:\n      - name: ${key}\n        rotation: {quiet_period: 0s, min_overlap: 0s, deliver: [${target}]}\n`;

const chatbot = (extra = '') =>
  team('chatbot', project('chatbot-prod', 'chatbot-prod-web', '{file: {path: .secrets/chatbot/web.key}}', extra));
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
const rev = (ref: string) => execFileSync('git', ['-C', ws, 'rev-parse', ref]).toString().trim();
/** The Action's apply mode on a push to main: the revision it measures ownership against. */
const actionBase = (sha: string, before: string | null) =>
  ownershipRef({
    event: { eventName: 'push', sha, before } as ModeContext['event'],
    inputs: { expectFingerprint: null } as ModeContext['inputs'],
  });

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

describe('FIXED (#1): the ownership base the Action uses on apply is "what was approved", whatever the merge method', () => {
  it("rebase merge: apply measures ownership against the push's before, which does not hold the move; the PR-time fingerprint (plan refused) is refused again", async () => {
    // The pull request: commit 1 moves finance-prod into chatbot's file (and drops it from finance's),
    // commit 2 is trivial. Rebased onto main, both are pushed; main's head before the push is `before`.
    const before = rev('HEAD');
    write({ 'teams/finance.yaml': financeWithout, 'teams/chatbot.yaml': chatbotTakesFinance });
    commitAll(ws, 'PR commit 1: move finance-prod');
    write({
      'teams/chatbot.yaml': chatbotTakesFinance.replace('  - name: chatbot-prod\n', '  - name: chatbot-prod\n    description: tidy\n'),
    });
    commitAll(ws, 'PR commit 2: trivial');

    // The plan job on the pull request measures from the PR's base (HEAD~2): refused, with fingerprint F.
    const planned = await cli('plan', '--format', 'json', '--base', 'HEAD~2');
    const plan = JSON.parse(planned.stdout) as { fingerprint: string; refusals: { code: string }[] };
    expect(plan.refusals.map((r) => r.code)).toContain('project_ownership');

    // The push's sha is the rebased commit 2; its first parent (commit 1) already holds the move.
    const base = actionBase(rev('HEAD'), before);
    expect(base).toBe(before);
    expect(base).not.toBe(rev('HEAD^1'));
    const apply = await cli('apply', '--expect-fingerprint', plan.fingerprint, '--base', base);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain('moving project "finance-prod" from team "finance"');
    expect(stolen()).toBe(false);
  });

  it('a push without `before` is refused, not measured against a guess', () => {
    expect(() => actionBase(rev('HEAD'), null)).toThrow(RefusalError);
    expect(() => actionBase(rev('HEAD'), null)).toThrow(
      /the push event has no `before` commit, so what the default branch said before this push is unknown/,
    );
  });
});

describe("FIXED (#1): adopting an unmanaged live project with only the team's own approval", () => {
  // chatbot's file alone (approved by @acme/chatbot alone) names the unmanaged live finance-prod.
  const chatbotAdopts = `${chatbot()}${project('payroll-prod', 'payroll-ledger', '{file: {path: .secrets/chatbot/payroll.key}}').replace('rotation: {', 'rotation: {trigger: adopted, ')}`;

  it("rebase merge: a 2-commit PR that changes only chatbot.yaml does not adopt the unmanaged payroll-prod: apply measures from the push's before", async () => {
    await createProjectWithKey(org, 'payroll-prod', 'payroll-ledger');
    const before = rev('HEAD');
    write({ 'teams/chatbot.yaml': chatbotAdopts });
    commitAll(ws, 'PR commit 1: adopt finance-prod');
    write({ 'teams/chatbot.yaml': chatbotAdopts.replace('  - name: chatbot-prod\n', '  - name: chatbot-prod\n    description: tidy\n') });
    commitAll(ws, 'PR commit 2: trivial');
    const planned = await cli('plan', '--format', 'json', '--base', 'HEAD~2');
    const plan = JSON.parse(planned.stdout) as { fingerprint: string; refusals: { code: string }[] };
    expect(plan.refusals.map((r) => r.code)).toContain('project_ownership');
    const apply = await cli('apply', '--expect-fingerprint', plan.fingerprint, '--base', actionBase(rev('HEAD'), before));
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain('project "payroll-prod" exists in the organization and no team\'s file had it');
    expect(fs.existsSync(path.join(ws, '.secrets/chatbot/payroll.key'))).toBe(false);
  });
});
