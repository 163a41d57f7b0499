/**
 * `provider: groq-console`: one issue lists the Console steps still to do, a section per merged
 * pull request. verify ticks off the steps Groq's answers show done; people tick the others.
 */
import type { GitHubClient } from '../github/client.js';
import { RUNBOOK_MARKER, renderRunbookMarkdown, tickedSteps, type RunbookSource } from '../plan/render-runbook.js';
import type { Runbook, StepCheck } from '../plan/runbook.js';

export const STEPS_LABEL = 'groq-rbac-console-steps';
const STEPS_TITLE = 'groq-rbac: Groq Console steps to do';
const HEAD_MARKER = '<!-- groq-rbac:console-steps -->';
// The checks verify evaluates, per step id, carried with each section (base64 JSON, so no text of
// the body can close the comment early). Editing them can only tick a box, never change the org.
const CHECKS = /^<!-- groq-rbac:checks ([A-Za-z0-9+/=]*) -->$/m;
// An issue body takes 65,536 characters; finished sections go first when space runs out.
const BODY_LIMIT = 60_000;

export interface StepsIssue {
  number: number;
  body: string;
  url: string;
}

export async function findStepsIssue(github: GitHubClient, target: { owner: string; repo: string }): Promise<StepsIssue | null> {
  const issues = await github.paginate(github.rest.issues.listForRepo, { owner: target.owner, repo: target.repo, labels: STEPS_LABEL, state: 'open', sort: 'created', direction: 'asc', per_page: 100 });
  const issue = issues.find((i) => !i.pull_request);
  return issue ? { number: issue.number, body: issue.body ?? '', url: issue.html_url } : null;
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
  return body.slice(at).split(new RegExp(`(?=^${RUNBOOK_MARKER})`, 'm')).filter((s) => s.startsWith(RUNBOOK_MARKER));
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
  return section.replace(/^- \[ \] (.*<!-- step ([^\n]*?) -->)\s*$/gm, (line, rest: string, id: string) => (done.has(id.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))) ? `- [x] ${rest}` : line));
}

export function isSectionDone(section: string): boolean {
  return !/^- \[ \] /m.test(section);
}

export function stepsIssueBody(org: string, sections: readonly string[]): string {
  const head = [
    HEAD_MARKER,
    `The Groq organization \`${org}\` is changed by hand in the [Groq Console](https://console.groq.com) (\`provider: groq-console\` in org.yaml). These merged changes still have steps to do.`,
    '',
    'The scheduled `verify` run ticks off each step Groq\'s own answers show done (model permissions, requests per day, tokens per minute); tick the others yourself when they are done. The issue closes when every box is ticked.',
    '',
  ].join('\n');
  const kept = [...sections];
  while (kept.length > 1 && head.length + kept.join('\n').length > BODY_LIMIT) {
    const finished = kept.findIndex(isSectionDone);
    kept.splice(finished >= 0 ? finished : 0, 1);
  }
  return `${head}\n${kept.join('\n')}`;
}

/** Adds a merged pull request's runbook to the open issue (or opens one); replaces its section when it is there already. */
export async function addStepsSection(github: GitHubClient, target: { owner: string; repo: string }, org: string, section: string, sectionKey: string): Promise<{ action: 'opened' | 'updated' | 'unchanged'; number: number; url: string }> {
  const issue = await findStepsIssue(github, target);
  const base = { owner: target.owner, repo: target.repo };
  if (!issue) {
    const { data } = await github.rest.issues.create({ ...base, title: STEPS_TITLE, body: stepsIssueBody(org, [section]), labels: [STEPS_LABEL] });
    return { action: 'opened', number: data.number, url: data.html_url };
  }
  const sections = splitSections(issue.body);
  const i = sections.findIndex((s) => s.includes(sectionKey));
  // Ticks already made in an earlier version of this section carry over.
  const merged = i >= 0 ? tickSection(section, tickedSteps(sections[i]!)) : section;
  if (i >= 0) sections[i] = merged;
  else sections.push(merged);
  const body = stepsIssueBody(org, sections);
  if (body === issue.body) return { action: 'unchanged', number: issue.number, url: issue.url };
  await github.rest.issues.update({ ...base, issue_number: issue.number, body });
  return { action: 'updated', number: issue.number, url: issue.url };
}
