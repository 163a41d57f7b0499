import type { GitHubClient } from '../github/client.js';
import { partOf } from './plan-comment.js';

export interface IssueTarget {
  owner: string;
  repo: string;
  /** A pull request's or an issue's number: both take comments at /issues/{n}/comments. */
  issueNumber: number;
}

export interface MarkedComment {
  id: number;
  part: number;
  body: string;
}

/** Who may have written groq-rbac's comments: GitHub Apps (`github-actions[bot]` for the workflow token) and the token's own user. */
export interface Authors {
  trusts(user: { login?: string; type?: string } | null | undefined): boolean;
}

/**
 * The token's identity. Anyone can comment the marker on a pull request; only comments by a bot
 * (GITHUB_TOKEN, an App) or by the token's own user (a PAT) are groq-rbac's. `GET /user` answers
 * 403 for GITHUB_TOKEN and installation tokens: they comment as bots.
 */
export async function readAuthors(github: GitHubClient): Promise<Authors> {
  let login: string | null = null;
  try {
    login = (await github.rest.users.getAuthenticated()).data.login;
  } catch {
    login = null;
  }
  return { trusts: (user) => user?.type === 'Bot' || (login !== null && user?.login === login) };
}

/** groq-rbac's comments on the pull request or issue, by part; the first of each part when there are several. */
export async function findMarkedComments(github: GitHubClient, target: IssueTarget, authors: Authors): Promise<{ mine: Map<number, MarkedComment>; duplicates: MarkedComment[] }> {
  const all = await github.paginate(github.rest.issues.listComments, { owner: target.owner, repo: target.repo, issue_number: target.issueNumber, per_page: 100 });
  const mine = new Map<number, MarkedComment>();
  const duplicates: MarkedComment[] = [];
  for (const c of all) {
    const part = partOf(c.body ?? '');
    if (part === null || !authors.trusts(c.user)) continue;
    const found = { id: c.id, part, body: c.body ?? '' };
    if (mine.has(part)) duplicates.push(found);
    else mine.set(part, found);
  }
  return { mine, duplicates };
}

export interface WriteResult {
  /** Comment ids by part, first part first. */
  ids: number[];
  created: number;
  updated: number;
  deleted: number;
}

/**
 * Makes groq-rbac's comments say `parts`: updates the existing ones in place (so a re-run never adds
 * another), creates missing parts, and deletes parts left over from a longer plan.
 */
export async function writeMarkedComments(github: GitHubClient, target: IssueTarget, authors: Authors, parts: readonly string[]): Promise<WriteResult> {
  const { mine, duplicates } = await findMarkedComments(github, target, authors);
  const result: WriteResult = { ids: [], created: 0, updated: 0, deleted: 0 };
  const base = { owner: target.owner, repo: target.repo };
  for (const [i, body] of parts.entries()) {
    const existing = mine.get(i + 1);
    if (existing) {
      if (existing.body !== body) {
        await github.rest.issues.updateComment({ ...base, comment_id: existing.id, body });
        result.updated += 1;
      }
      result.ids.push(existing.id);
    } else {
      const created = await github.rest.issues.createComment({ ...base, issue_number: target.issueNumber, body });
      result.created += 1;
      result.ids.push(created.data.id);
    }
  }
  // Parts of a longer earlier plan, and copies two racing runs left behind.
  const leftover = [...[...mine.values()].filter((c) => c.part > parts.length), ...duplicates];
  for (const c of leftover) {
    await github.rest.issues.deleteComment({ ...base, comment_id: c.id });
    result.deleted += 1;
  }
  return result;
}

/** The main comment's body with its other parts appended, or null when there is none. */
export function joinParts(mine: ReadonlyMap<number, MarkedComment>): string | null {
  const first = mine.get(1);
  if (!first) return null;
  const rest = [...mine.values()].filter((c) => c.part > 1).sort((a, b) => a.part - b.part);
  return [first.body, ...rest.map((c) => c.body.split('\n').slice(3).join('\n'))].join('\n');
}
