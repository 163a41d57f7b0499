import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { consolePlanMode } from '../../src/action/modes/console.js';
import type { ModeContext } from '../../src/action/modes/mode.js';
import { runbookSince } from '../../src/app/runbook.js';
import { RefusalError } from '../../src/core/errors.js';
import { readPolicies } from '../../src/policy/read-policies.js';
import { commitAll, runCli } from '../helpers/cli.js';

// Issue 17, Console mode (`provider: groq-console`): a runbook is a plan a person carries out by hand,
// and its key steps deliver values to the targets in the policies. Moving a project from one team's
// file to another's needs the org admins' grant there as well: runbookSince runs the same base-revision
// check as plan (there are no live owner marks without an organization to read).

const ORG = `version: 2
org: org_acme
admins: ["@acme/platform"]
provider: groq-console
models: [openai/gpt-oss-120b, openai/gpt-oss-20b]
`;
const team = (name: string, projects: string) => `team: ${name}\nowners: ["@acme/${name}"]\nprojects:\n${projects}`;
const project = (name: string, key: string, target: string) =>
  `  - name: ${name}\n    keys:\n      - name: ${key}\n        rotation: {deliver: [${target}]}\n`;
const chatbot = team('chatbot', project('chatbot-prod', 'chatbot-prod-web', '{file: {path: .secrets/chatbot/web.key}}'));
const finance = team(
  'finance',
  project('finance-prod', 'finance-ledger', '{file: {path: .secrets/finance/ledger.key}}') +
    project('finance-other', 'finance-other-key', '{file: {path: .secrets/finance/other.key}}'),
);
const financeWithout = team('finance', project('finance-other', 'finance-other-key', '{file: {path: .secrets/finance/other.key}}'));
const chatbotTakesFinance = `${chatbot}${project('finance-prod', 'finance-ledger', '{file: {path: .secrets/chatbot/ledger.key}}')}`;

let ws: string;
const write = (files: Record<string, string>) => {
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(ws, 'policies', name)), { recursive: true });
    fs.writeFileSync(path.join(ws, 'policies', name), text);
  }
};
const desired = () => readPolicies(path.join(ws, 'policies'), { cwd: ws }).desired!;
const line = chatbotTakesFinance.split('\n').indexOf('  - name: finance-prod') + 1;

beforeEach(() => {
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-console-own-'));
  write({ 'org.yaml': ORG, 'teams/chatbot.yaml': chatbot, 'teams/finance.yaml': finance });
  commitAll(ws, 'base: finance owns finance-prod');
});
afterEach(() => fs.rmSync(ws, { recursive: true, force: true }));

describe("Console mode: the runbook refuses a move between teams' files without the admins' grant", () => {
  it("groq-rbac runbook: refused at the project's file:line:column, no steps", async () => {
    write({ 'teams/finance.yaml': financeWithout, 'teams/chatbot.yaml': chatbotTakesFinance });
    expect(readPolicies(path.join(ws, 'policies'), { cwd: ws }).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const r = await runCli(['runbook', '--since', 'main'], { cwd: ws });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the runbook is refused, so no Console steps are listed:');
    expect(r.stderr).toMatch(
      new RegExp(
        `policies/teams/chatbot\\.yaml:${line}:5: moving project "finance-prod" from team "finance" \\(its file at main \\([0-9a-f]{12}\\)\\) to team "chatbot" needs the org admins: ask them to add it to grants\\.chatbot\\.projects in policies/org\\.yaml`,
      ),
    );
    expect(r.stdout).not.toContain('Step');
    expect(r.stdout).not.toContain('ledger');
  });

  it("the Action's Console plan refuses it the same way, without the shallow-checkout hint", async () => {
    write({ 'teams/finance.yaml': financeWithout, 'teams/chatbot.yaml': chatbotTakesFinance });
    commitAll(ws, 'the pull request');
    const base = (await import('node:child_process')).execFileSync('git', ['-C', ws, 'rev-parse', 'HEAD~1']).toString().trim();
    const ctx = {
      inputs: { policies: 'policies' },
      cwd: ws,
      event: { pullRequest: { baseSha: base, headSha: 'x', number: 1 }, sha: 'x' },
    } as unknown as ModeContext;
    const error = await consolePlanMode(ctx, desired()).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RefusalError);
    expect((error as Error).message).toContain(`policies/teams/chatbot.yaml:${line}:5: moving project "finance-prod" from team "finance"`);
    expect((error as Error).message).not.toContain('fetch-depth');
  });

  it("with the grant in org.yaml (the admins' file), the runbook lists the move's steps", async () => {
    write({
      'org.yaml': `${ORG}grants:\n  chatbot:\n    projects: [finance-prod]\n`,
      'teams/finance.yaml': financeWithout,
      'teams/chatbot.yaml': chatbotTakesFinance,
    });
    const { runbook } = await runbookSince('policies', desired(), { since: 'main', cwd: ws });
    expect(runbook.steps.length).toBeGreaterThan(0);
    expect((await runCli(['runbook', '--since', 'main'], { cwd: ws })).code).toBe(2);
  });

  it('a change that moves nothing is not affected', async () => {
    write({ 'teams/chatbot.yaml': `${chatbot}${project('chatbot-new', 'chatbot-new-web', '{file: {path: .secrets/chatbot/new.key}}')}` });
    const { runbook } = await runbookSince('policies', desired(), { since: 'main', cwd: ws });
    expect(runbook.steps.map((s) => s.action)).toContain('create_project');
  });
});
