/**
 * `provider: groq-console`: one issue lists the Console steps still to do, a section per merged
 * pull request. verify ticks off the steps Groq's answers show done; people tick the others.
 *
 * The issue is read back from GitHub, and a Console admin follows what it says, so only what the
 * Action wrote counts: the issue must be by `comment-author`, and each section carries an HMAC
 * (keyed by `plan-signing-key`, which only the plan and apply jobs hold) over its text. A section a
 * writer added or edited (in the UI, or from their own workflow, which also writes as
 * `github-actions[bot]`) fails the check and is dropped when the body is rebuilt, and the log says so.
 * Ticking a box is the one edit people make, so the signature covers the text with every box unticked.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Logger } from '../core/log.js';
import { oneLine } from '../core/sanitize.js';
import type { GitHubClient } from '../github/client.js';
import { RUNBOOK_MARKER, renderRunbookMarkdown, tickedSteps, type RunbookSource } from '../plan/render-runbook.js';
import type { Runbook, StepCheck } from '../plan/runbook.js';
import { isAuthor, type CommentAuthor } from './pull-request-comment.js';

export const STEPS_LABEL = 'groq-rbac-console-steps';
const STEPS_TITLE = 'groq-rbac: Groq Console steps to do';
const HEAD_MARKER = '<!-- groq-rbac:console-steps -->';
// The checks verify evaluates, per step id, carried with each section (base64 JSON, so no text of
// the body can close the comment early). Editing them can only tick a box, never change the org.
const CHECKS = /^<!-- groq-rbac:checks ([A-Za-z0-9+/=]*) -->$/m;
// An issue body takes 65,536 characters; finished sections go first when space runs out.
const BODY_LIMIT = 60_000;

// The section's signature, its last line: an HMAC-SHA256 in hex.
const SIGNATURE = /^<!-- groq-rbac:section-sig ([0-9a-f]{64}) -->[ \t]*\r?\n?/m;
const DOMAIN = 'groq-rbac console steps section v1';

export interface StepsIssue {
  number: number;
  body: string;
  url: string;
}

/** Whose steps issue and sections count: the one trusted identity, and the key its sections are signed with. */
export interface StepsTrust {
  author: CommentAuthor;
  key: string;
  logger: Logger;
}

/** The open steps issue by the trusted author; labelled issues by anyone else are ignored (and named in the log). */
export async function findStepsIssue(
  github: GitHubClient,
  target: { owner: string; repo: string },
  trust: Pick<StepsTrust, 'author' | 'logger'>,
): Promise<StepsIssue | null> {
  const issues = await github.paginate(github.rest.issues.listForRepo, {
    owner: target.owner,
    repo: target.repo,
    labels: STEPS_LABEL,
    state: 'open',
    sort: 'created',
    direction: 'asc',
    per_page: 100,
  });
  const candidates = issues.filter((i) => !i.pull_request);
  const issue = candidates.find((i) => isAuthor(trust.author, i.user));
  for (const other of candidates.filter((i) => !isAuthor(trust.author, i.user))) {
    trust.logger.warn(
      `Console steps: issue #${other.number} by @${oneLine(other.user?.login ?? 'a deleted account')} has the ${STEPS_LABEL} label but is not by @${trust.author.login}: ignored`,
    );
  }
  return issue ? { number: issue.number, body: issue.body ?? '', url: issue.html_url } : null;
}

/** What a section's signature covers: its text without the signature line, line endings as LF (GitHub's editor writes CRLF), every box unticked. */
function signedText(section: string): string {
  // Trailing blank lines differ with the section's place in the body (sections are joined by one).
  return `${section
    .replace(SIGNATURE, '')
    .replace(/\r\n/g, '\n')
    .replace(/^- \[[xX]\] /gm, '- [ ] ')
    .trimEnd()}\n`;
}

function sectionHmac(key: string, org: string, section: string): string {
  return createHmac('sha256', key)
    .update(`${DOMAIN}\n${org}\n${signedText(section)}`, 'utf8')
    .digest('hex');
}

/** The section with its signature as its last line (an earlier signature replaced). */
export function signSection(section: string, org: string, key: string): string {
  const text = `${section.replace(SIGNATURE, '').trimEnd()}\n`;
  return `${text}<!-- groq-rbac:section-sig ${sectionHmac(key, org, text)} -->\n`;
}

/** Whether the section is one the Action wrote, boxes ticked or not. */
export function isSignedSection(section: string, org: string, key: string): boolean {
  const sig = SIGNATURE.exec(section)?.[1];
  if (!sig || !key) return false;
  return timingSafeEqual(Buffer.from(sectionHmac(key, org, section), 'hex'), Buffer.from(sig, 'hex'));
}

/** The issue's sections the Action wrote; every other one is dropped, and the log names it. */
export function trustedSections(issue: StepsIssue, org: string, trust: StepsTrust): string[] {
  const kept: string[] = [];
  for (const section of splitSections(issue.body)) {
    if (isSignedSection(section, org, trust.key)) {
      kept.push(section);
      continue;
    }
    const title = /^### (.*)$/m.exec(section)?.[1] ?? 'untitled';
    trust.logger.warn(
      `Console steps: dropped section "${oneLine(title).slice(0, 120)}" of issue #${issue.number}: it is not signed with plan-signing-key, so the Action did not write it (or someone edited it since)`,
    );
  }
  return kept;
}

/** One section: the runbook of one merged pull request as a task list, with its checks. */
export function stepsSection(runbook: Runbook, source: RunbookSource, title: string, done: ReadonlySet<string> = new Set()): string {
  const checks: Record<string, StepCheck[]> = {};
  for (const s of runbook.steps) if (s.checks.length > 0) checks[s.id] = s.checks;
  return `${renderRunbookMarkdown(runbook, source, { done, title }).trimEnd()}\n<!-- groq-rbac:checks ${Buffer.from(JSON.stringify(checks)).toString('base64')} -->\n`;
}

export function splitSections(body: string): string[] {
  const at = body.indexOf(RUNBOOK_MARKER);
  if (at < 0) return [];
  return body
    .slice(at)
    .split(new RegExp(`(?=^${RUNBOOK_MARKER})`, 'm'))
    .filter((s) => s.startsWith(RUNBOOK_MARKER));
}

export function sectionChecks(section: string): Record<string, StepCheck[]> {
  const m = CHECKS.exec(section);
  if (!m) return {};
  try {
    const data = JSON.parse(Buffer.from(m[1]!, 'base64').toString('utf8')) as unknown;
    return data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, StepCheck[]>) : {};
  } catch {
    return {};
  }
}

/** Ticks `done` in a section's task list; boxes ticked before (by people) stay ticked. */
export function tickSection(section: string, done: ReadonlySet<string>): string {
  return section.replace(/^- \[ \] (.*<!-- step ([^\n]*?) -->)\s*$/gm, (line, rest: string, id: string) =>
    done.has(id.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))) ? `- [x] ${rest}` : line,
  );
}

export function isSectionDone(section: string): boolean {
  return !/^- \[ \] /m.test(section);
}

export function stepsIssueBody(org: string, sections: readonly string[]): string {
  const head = [
    HEAD_MARKER,
    `The Groq organization \`${org}\` is changed by hand in the [Groq Console](https://console.groq.com) (\`provider: groq-console\` in org.yaml). These merged changes still have steps to do.`,
    '',
    "The scheduled `verify` run ticks off each step Groq's own answers show done (model permissions, requests per day, tokens per minute); tick the others yourself when they are done. The issue closes when every box is ticked.",
    '',
  ].join('\n');
  const kept = [...sections];
  while (kept.length > 1 && head.length + kept.join('\n').length > BODY_LIMIT) {
    const finished = kept.findIndex(isSectionDone);
    kept.splice(finished >= 0 ? finished : 0, 1);
  }
  return `${head}\n${kept.join('\n')}`;
}

/** Adds a merged pull request's runbook to the open issue (or opens one); replaces its section when it is there already. Only signed sections are kept. */
export async function addStepsSection(
  github: GitHubClient,
  target: { owner: string; repo: string },
  org: string,
  section: string,
  sectionKey: string,
  trust: StepsTrust,
): Promise<{ action: 'opened' | 'updated' | 'unchanged'; number: number; url: string }> {
  const issue = await findStepsIssue(github, target, trust);
  const base = { owner: target.owner, repo: target.repo };
  const signed = signSection(section, org, trust.key);
  if (!issue) {
    const { data } = await github.rest.issues.create({
      ...base,
      title: STEPS_TITLE,
      body: stepsIssueBody(org, [signed]),
      labels: [STEPS_LABEL],
    });
    return { action: 'opened', number: data.number, url: data.html_url };
  }
  const sections = trustedSections(issue, org, trust);
  const i = sections.findIndex((s) => s.includes(sectionKey));
  // Ticks already made in an earlier version of this section carry over (the signature ignores ticks).
  const merged = i >= 0 ? tickSection(signed, tickedSteps(sections[i]!)) : signed;
  if (i >= 0) sections[i] = merged;
  else sections.push(merged);
  const body = stepsIssueBody(org, sections);
  if (body === issue.body) return { action: 'unchanged', number: issue.number, url: issue.url };
  await github.rest.issues.update({ ...base, issue_number: issue.number, body });
  return { action: 'updated', number: issue.number, url: issue.url };
}
