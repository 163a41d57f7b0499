import type { GitHubClient } from '../github/client.js';

export const DRIFT_LABEL = 'groq-rbac-drift';
/** `Groq`, `OpenAI`: whose organization it is (the issue is found by its label, never by its title). */
export const driftTitle = (providerTitle: string) => `groq-rbac: the ${providerTitle} organization differs from the policies`;

export interface DriftTarget {
  owner: string;
  repo: string;
}

export type DriftOutcome =
  | { action: 'opened' | 'updated' | 'unchanged'; number: number; url: string }
  | { action: 'closed'; number: number; url: string }
  | { action: 'none' };

interface OpenIssue {
  number: number;
  body: string;
  url: string;
}

/** The open drift issue (the oldest, if several), found by its label. Pull requests share the issues list and are skipped. */
export async function findDriftIssue(github: GitHubClient, target: DriftTarget): Promise<OpenIssue | null> {
  const issues = await github.paginate(github.rest.issues.listForRepo, {
    owner: target.owner,
    repo: target.repo,
    labels: DRIFT_LABEL,
    state: 'open',
    sort: 'created',
    direction: 'asc',
    per_page: 100,
  });
  const issue = issues.find((i) => !i.pull_request);
  return issue ? { number: issue.number, body: issue.body ?? '', url: issue.html_url } : null;
}

/**
 * One issue tracks drift: opened when the organization first differs, its body kept up to date
 * while it does, closed with a comment once it no longer does.
 */
export async function syncDriftIssue(
  github: GitHubClient,
  target: DriftTarget,
  input: { drifted: boolean; body: string; closingComment: string; providerTitle?: string },
): Promise<DriftOutcome> {
  const issue = await findDriftIssue(github, target);
  const base = { owner: target.owner, repo: target.repo };
  if (input.drifted) {
    if (!issue) {
      // GitHub creates a label named on a new issue if the repository has none of that name.
      const { data } = await github.rest.issues.create({
        ...base,
        title: driftTitle(input.providerTitle ?? 'Groq'),
        body: input.body,
        labels: [DRIFT_LABEL],
      });
      return { action: 'opened', number: data.number, url: data.html_url };
    }
    if (issue.body === input.body) return { action: 'unchanged', number: issue.number, url: issue.url };
    await github.rest.issues.update({ ...base, issue_number: issue.number, body: input.body });
    return { action: 'updated', number: issue.number, url: issue.url };
  }
  if (!issue) return { action: 'none' };
  await github.rest.issues.createComment({ ...base, issue_number: issue.number, body: input.closingComment });
  await github.rest.issues.update({ ...base, issue_number: issue.number, state: 'closed', state_reason: 'completed' });
  return { action: 'closed', number: issue.number, url: issue.url };
}
