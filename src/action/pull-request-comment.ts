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

/**
 * The one identity whose marked comments are groq-rbac's: `github-actions[bot]` (the workflow
 * token's, user id 41898282) unless `comment-author` names a GitHub App's bot or a PAT's user.
 * Anything else carrying the marker (another App, a user) is not ours and is never read as a plan.
 * The identity alone is not proof either: every workflow in the repository, including one a writer
 * pushes on a branch, comments as `github-actions[bot]`; the signature (plan-signature.ts) is.
 */
export interface CommentAuthor {
  login: string;
  /** The account's numeric id, when known: a login can be renamed, the id cannot. */
  id: number | null;
}

// The Actions bot's id, as its noreply address `41898282+github-actions[bot]@users.noreply.github.com` (actions/checkout's README) and /users/github-actions[bot] give it.
export const ACTIONS_BOT: CommentAuthor = { login: 'github-actions[bot]', id: 41898282 };

export function isAuthor(author: CommentAuthor, user: { login?: string; id?: number } | null | undefined): boolean {
  if (!user?.login || user.login.toLowerCase() !== author.login.toLowerCase()) return false;
  return author.id === null || user.id === author.id;
}

export interface FoundComments {
  /** The author's comments by part: the newest of each part. */
  mine: Map<number, MarkedComment>;
  /** Older copies of a part (two racing runs), to delete. */
  duplicates: MarkedComment[];
  /** Marked comments by anyone else, by login: ignored, but named when apply refuses. */
  others: string[];
}

/** groq-rbac's comments on the pull request or issue, by part; the newest of each part when there are several. */
export async function findMarkedComments(github: GitHubClient, target: IssueTarget, author: CommentAuthor): Promise<FoundComments> {
  const all = await github.paginate(github.rest.issues.listComments, {
    owner: target.owner,
    repo: target.repo,
    issue_number: target.issueNumber,
    per_page: 100,
  });
  const mine = new Map<number, MarkedComment>();
  const duplicates: MarkedComment[] = [];
  const others = new Set<string>();
  // GitHub lists issue comments oldest first; ids grow with creation, so the larger id is the newer one.
  for (const c of [...all].sort((a, b) => b.id - a.id)) {
    const part = partOf(c.body ?? '');
    if (part === null) continue;
    if (!isAuthor(author, c.user)) {
      others.add(c.user?.login ?? 'a deleted account');
      continue;
    }
    const found = { id: c.id, part, body: c.body ?? '' };
    if (mine.has(part)) duplicates.push(found);
    else mine.set(part, found);
  }
  return { mine, duplicates, others: [...others].sort() };
}

export interface WriteResult {
  /** Comment ids by part, first part first. */
  ids: number[];
  created: number;
  updated: number;
  deleted: number;
  /** Who GitHub says wrote a comment this run created or updated; null when nothing was written. */
  writtenAs: string | null;
}

/**
 * Makes groq-rbac's comments say `parts`: updates the existing ones in place (so a re-run never adds
 * another), creates missing parts, and deletes parts left over from a longer plan.
 */
export async function writeMarkedComments(
  github: GitHubClient,
  target: IssueTarget,
  author: CommentAuthor,
  parts: readonly string[],
): Promise<WriteResult> {
  const { mine, duplicates } = await findMarkedComments(github, target, author);
  const result: WriteResult = { ids: [], created: 0, updated: 0, deleted: 0, writtenAs: null };
  const base = { owner: target.owner, repo: target.repo };
  for (const [i, body] of parts.entries()) {
    const existing = mine.get(i + 1);
    if (existing) {
      if (existing.body !== body) {
        const updated = await github.rest.issues.updateComment({ ...base, comment_id: existing.id, body });
        result.updated += 1;
        result.writtenAs ??= updated.data?.user?.login ?? null;
      }
      result.ids.push(existing.id);
    } else {
      const created = await github.rest.issues.createComment({ ...base, issue_number: target.issueNumber, body });
      result.created += 1;
      result.writtenAs ??= created.data?.user?.login ?? null;
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
