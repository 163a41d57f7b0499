import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ApplyReport, ChangeOutcome } from '../apply/apply-plan.js';
import { makeDirs } from '../core/make-dirs.js';
import { redactSecrets } from '../core/redact.js';

/** Who applied, from what: the same for every line of one apply. */
export interface AuditContext {
  /** ISO 8601, UTC. */
  time: string;
  actor: string | null;
  commit: string | null;
  /** The pull request number, when the run belongs to one. */
  pr: number | null;
}

/** One line of the audit log (JSON Lines). Never a key value. */
export interface AuditEntry {
  time: string;
  actor: string | null;
  commit: string | null;
  pr: number | null;
  org: string;
  resource: ChangeOutcome['resource'];
  action: ChangeOutcome['action'];
  project: string | null;
  key: string | null;
  id: string | null;
  status: ChangeOutcome['status'];
  message: string;
}

export const DEFAULT_AUDIT_LOG = path.join('.groq-rbac', 'audit.jsonl');

/**
 * The actor is `GITHUB_ACTOR` or the OS user; the commit `GITHUB_SHA` or `git rev-parse HEAD` in
 * `cwd` (none outside a repository); the PR from the Actions event file or a `refs/pull/N/…` ref.
 */
export function readAuditContext(env: NodeJS.ProcessEnv, cwd: string, now: Date = new Date()): AuditContext {
  return {
    time: now.toISOString(),
    actor: env.GITHUB_ACTOR || osUser(),
    commit: env.GITHUB_SHA || gitHead(cwd),
    pr: pullRequestNumber(env),
  };
}

/** The lines for one apply, one per change outcome, each redacted as a last line of defence. */
export function auditLines(report: ApplyReport, context: AuditContext): string[] {
  return report.outcomes.map((o) => {
    const entry: AuditEntry = {
      time: context.time,
      actor: context.actor,
      commit: context.commit,
      pr: context.pr,
      org: report.org,
      resource: o.resource,
      action: o.action,
      project: o.project,
      key: o.key,
      id: o.id,
      status: o.status,
      message: o.message,
    };
    return redactSecrets(JSON.stringify(entry));
  });
}

/** Appends the apply's lines to `file` (created with its directory when missing). */
export function appendAuditLog(file: string, report: ApplyReport, context: AuditContext): number {
  const lines = auditLines(report, context);
  if (lines.length === 0) return 0;
  makeDirs(path.dirname(file));
  fs.appendFileSync(file, `${lines.join('\n')}\n`);
  return lines.length;
}

function osUser(): string | null {
  try {
    return os.userInfo().username || null;
  } catch {
    // No passwd entry for the uid (some containers).
    return null;
  }
}

function gitHead(cwd: string): string | null {
  try {
    const sha = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    }).trim();
    return /^[0-9a-f]{40,64}$/.test(sha) ? sha : null;
  } catch {
    // Not a repository, no commit yet, or no git: the log says so with null.
    return null;
  }
}

function pullRequestNumber(env: NodeJS.ProcessEnv): number | null {
  if (env.GITHUB_EVENT_PATH) {
    try {
      const event = JSON.parse(fs.readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as { pull_request?: { number?: unknown }; number?: unknown };
      const n = event.pull_request?.number ?? (event.pull_request ? event.number : undefined);
      if (typeof n === 'number' && Number.isInteger(n)) return n;
    } catch {
      // An unreadable event file leaves the ref to tell.
    }
  }
  const ref = /^refs\/pull\/(\d+)\//.exec(env.GITHUB_REF ?? '');
  return ref ? Number(ref[1]) : null;
}
