import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appendAuditLog, auditLines, readAuditContext, type AuditContext } from '../../src/app/audit-log.js';
import type { ApplyReport } from '../../src/apply/apply-plan.js';
import { containsKeyValue, registerSecret } from '../../src/core/redact.js';
import { runCli, workspaceWith } from '../helpers/cli.js';
import { ORG_YAML, projectYaml, teamYaml, writePolicies } from '../helpers/policies.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-audit-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const CONTEXT: AuditContext = { time: '2026-11-18T11:06:40.000Z', actor: 'octocat', commit: 'a'.repeat(40), pr: 42 };

function applyReport(message = 'created key_1'): ApplyReport {
  return {
    format_version: 2,
    org: 'org_sandbox',
    fingerprint: 'f'.repeat(64),
    outcomes: [
      { resource: 'api_key', action: 'create', project: 'chatbot-prod', key: 'chatbot-web', id: 'key_1', status: 'applied', message },
      {
        resource: 'spend_limit',
        action: 'update',
        project: null,
        key: null,
        id: null,
        status: 'failed',
        message: 'POST /organization/spend_limit → 400',
        error: { name: 'GroqApiError', message: 'x', status: 400, code: null },
      },
    ],
    summary: { applied: 1, failed: 1, skipped: 0 },
  };
}

describe('auditLines', () => {
  it('writes one JSON line per change with who, from what commit and PR, and the outcome', () => {
    const lines = auditLines(applyReport(), CONTEXT);
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]!)).toEqual({
      time: '2026-11-18T11:06:40.000Z',
      actor: 'octocat',
      commit: 'a'.repeat(40),
      pr: 42,
      org: 'org_sandbox',
      resource: 'api_key',
      action: 'create',
      project: 'chatbot-prod',
      key: 'chatbot-web',
      id: 'key_1',
      status: 'applied',
      message: 'created key_1',
    });
    expect(JSON.parse(lines[1]!)).toMatchObject({ resource: 'spend_limit', status: 'failed', project: null, id: null });
    // The error detail is in the apply report; the audit line keeps the documented fields only.
    expect(Object.keys(JSON.parse(lines[1]!))).not.toContain('error');
  });

  it('redacts key values and registered secrets as a last line of defence', () => {
    registerSecret('admin-secret-value-123');
    const lines = auditLines(applyReport('made gsk_' + 'AbCdEfGhIjKlMnOpQrStUvWx0123456789 with admin-secret-value-123'), CONTEXT);
    expect(containsKeyValue(lines.join('\n'))).toBe(false);
    expect(lines[0]).not.toContain('admin-secret-value-123');
    expect(JSON.parse(lines[0]!).message).toBe('made gsk_[REDACTED] with [REDACTED]');
  });
});

describe('appendAuditLog', () => {
  it('creates the file and its directory, then appends', () => {
    const file = path.join(tempDir(), '.groq-rbac', 'audit.jsonl');
    expect(appendAuditLog(file, applyReport(), CONTEXT)).toBe(2);
    expect(appendAuditLog(file, applyReport(), { ...CONTEXT, pr: null })).toBe(2);
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines.map((l) => JSON.parse(l).pr)).toEqual([42, 42, null, null]);
  });

  it('writes nothing for an apply without outcomes', () => {
    const file = path.join(tempDir(), 'audit.jsonl');
    expect(appendAuditLog(file, { ...applyReport(), outcomes: [] }, CONTEXT)).toBe(0);
    expect(fs.existsSync(file)).toBe(false);
  });
});

describe('readAuditContext', () => {
  const now = new Date('2026-11-18T11:06:40Z');

  it('in Actions: GITHUB_ACTOR, GITHUB_SHA and the pull request of the event', () => {
    const dir = tempDir();
    const event = path.join(dir, 'event.json');
    fs.writeFileSync(event, JSON.stringify({ action: 'closed', number: 7, pull_request: { number: 7 } }));
    const ctx = readAuditContext({ GITHUB_ACTOR: 'octocat', GITHUB_SHA: 'b'.repeat(40), GITHUB_EVENT_PATH: event }, dir, now);
    expect(ctx).toEqual({ time: '2026-11-18T11:06:40.000Z', actor: 'octocat', commit: 'b'.repeat(40), pr: 7 });
  });

  it('takes the PR from a refs/pull ref when the event has none', () => {
    const ctx = readAuditContext({ GITHUB_ACTOR: 'x', GITHUB_SHA: 'c'.repeat(40), GITHUB_REF: 'refs/pull/19/merge' }, tempDir(), now);
    expect(ctx.pr).toBe(19);
  });

  it('outside Actions: the OS user, and git HEAD when in a repository', () => {
    const repo = tempDir();
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8' });
    git('init', '-q');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '--allow-empty', '-m', 'x');
    const head = git('rev-parse', 'HEAD').trim();
    const ctx = readAuditContext({}, repo, now);
    expect(ctx.commit).toBe(head);
    expect(ctx.actor).toBe(os.userInfo().username);
    expect(ctx.pr).toBeNull();
  });

  it('does not fail outside a repository', () => {
    const ctx = readAuditContext({ GITHUB_ACTOR: 'x' }, tempDir(), now);
    expect(ctx.commit).toBeNull();
  });
});

describe('apply --audit-log', () => {
  it('appends one line per applied change, with no key value, to the default path', async () => {
    const cwd = workspaceWith(
      writePolicies({
        'org.yaml': ORG_YAML,
        'teams/chatbot.yaml': teamYaml('chatbot', projectYaml('chatbot-prod', { keys: ['chatbot-web'] })),
      }),
    );
    const result = await runCli(['apply', '--sandbox', '--yes'], {
      cwd,
      env: { GITHUB_ACTOR: 'octocat', GITHUB_SHA: 'd'.repeat(40), GITHUB_REF: 'refs/pull/5/merge' },
    });
    expect(result.code, result.stderr).toBe(0);
    const text = fs.readFileSync(path.join(cwd, '.groq-rbac', 'audit.jsonl'), 'utf8');
    const lines = text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    const applied = (result.stdout.match(/^✓ /gm) ?? []).length;
    expect(lines).toHaveLength(applied);
    expect(
      lines.every(
        (l) => l.actor === 'octocat' && l.commit === 'd'.repeat(40) && l.pr === 5 && l.org === 'org_sandbox' && l.status === 'applied',
      ),
    ).toBe(true);
    const key = lines.find((l) => l.resource === 'api_key')!;
    expect(key).toMatchObject({ action: 'create', project: 'chatbot-prod', key: 'chatbot-web', id: expect.stringMatching(/^key_/) });
    expect(containsKeyValue(text)).toBe(false);
  });

  it('checks the path before the first request', async () => {
    const cwd = workspaceWith(
      writePolicies({ 'org.yaml': ORG_YAML, 'teams/chatbot.yaml': teamYaml('chatbot', projectYaml('chatbot-prod')) }),
    );
    fs.mkdirSync(path.join(cwd, 'logs'));
    const result = await runCli(['apply', '--sandbox', '--yes', '--audit-log', 'logs'], { cwd });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--audit-log logs is a directory');
    // The embedded sandbox was never started: nothing was read or changed.
    expect(fs.existsSync(path.join(cwd, '.groq-rbac', 'sandbox.json'))).toBe(false);
  });
});
