import { RefusalError } from '../core/errors.js';
import type { GitHubClient } from '../github/client.js';

export interface MergedPullRequest {
  number: number;
  author: string;
  /** The pull request's last head commit: the one reviewers approved. */
  headSha: string;
  htmlUrl: string;
}

export interface Review {
  user: { login: string } | null;
  state: string;
  commit_id: string | null;
  author_association: string;
}

export type Approval = { approved: true; approvers: string[] } | { approved: false; reason: string };

// Anyone can review a public repository's pull request; only these associations are people with a say.
const TRUSTED_ASSOCIATIONS = new Set(['OWNER', 'MEMBER', 'COLLABORATOR']);

/**
 * Whether the pull request is approved for apply: by someone other than its author, with write
 * access, on its last head commit, and nobody's latest review asks for changes. Each reviewer's
 * latest approving, change-requesting or dismissed review is what counts (as on GitHub).
 */
export function evaluateApproval(pr: Pick<MergedPullRequest, 'author' | 'headSha'>, reviews: readonly Review[]): Approval {
  const latest = new Map<string, Review>();
  for (const r of reviews) {
    const login = r.user?.login;
    if (!login || login === pr.author) continue;
    if (r.state === 'APPROVED' || r.state === 'CHANGES_REQUESTED' || r.state === 'DISMISSED') latest.set(login, r);
  }
  const requested = [...latest].filter(([, r]) => r.state === 'CHANGES_REQUESTED').map(([login]) => login);
  if (requested.length > 0) return { approved: false, reason: `changes were requested by ${requested.map((l) => `@${l}`).join(', ')}` };
  const approvals = [...latest].filter(([, r]) => r.state === 'APPROVED');
  const approvers = approvals.filter(([, r]) => r.commit_id === pr.headSha && TRUSTED_ASSOCIATIONS.has(r.author_association)).map(([login]) => login);
  if (approvers.length > 0) return { approved: true, approvers };
  const selfOnly = reviews.some((r) => r.state === 'APPROVED' && r.user?.login === pr.author);
  if (approvals.some(([, r]) => r.commit_id !== pr.headSha)) {
    return { approved: false, reason: `it was approved on an earlier commit, not on its last commit ${pr.headSha.slice(0, 7)}: a reviewer must approve again after the last push` };
  }
  if (approvals.length > 0) return { approved: false, reason: `its approvals come from people without write access (${approvals.map(([l]) => `@${l}`).join(', ')})` };
  return { approved: false, reason: selfOnly ? 'only its author approved it; someone else must' : 'nobody other than its author approved it' };
}

/**
 * The pull request a pushed commit came from: merged into the default branch, with this commit as
 * its merge commit (merge, squash or rebase). A push that came from no pull request is refused.
 */
export async function findMergedPullRequest(github: GitHubClient, input: { owner: string; repo: string; sha: string; defaultBranch: string }): Promise<MergedPullRequest | null> {
  const { data } = await github.rest.repos.listPullRequestsAssociatedWithCommit({ owner: input.owner, repo: input.repo, commit_sha: input.sha, per_page: 100 });
  const merged = data.filter((pr) => pr.merged_at && pr.base.ref === input.defaultBranch);
  const pr = merged.find((p) => p.merge_commit_sha === input.sha) ?? (merged.length === 1 ? merged[0] : undefined);
  if (!pr) return null;
  return { number: pr.number, author: pr.user?.login ?? '', headSha: pr.head.sha, htmlUrl: pr.html_url };
}

export async function listReviews(github: GitHubClient, input: { owner: string; repo: string; pullNumber: number }): Promise<Review[]> {
  const reviews = await github.paginate(github.rest.pulls.listReviews, { owner: input.owner, repo: input.repo, pull_number: input.pullNumber, per_page: 100 });
  return reviews.map((r) => ({ user: r.user ? { login: r.user.login } : null, state: r.state, commit_id: r.commit_id ?? null, author_association: r.author_association }));
}

/** Refuses unless the pull request is approved (see evaluateApproval). */
export async function requireApproval(github: GitHubClient, input: { owner: string; repo: string; pr: MergedPullRequest }): Promise<string[]> {
  const approval = evaluateApproval(input.pr, await listReviews(github, { owner: input.owner, repo: input.repo, pullNumber: input.pr.number }));
  if (!approval.approved) {
    throw new RefusalError(
      `pull request #${input.pr.number} was merged without the approval apply needs: ${approval.reason}. Nothing was changed. ` +
      'A maintainer who has reviewed its plan can run the apply workflow by hand with `expect-fingerprint` set to the fingerprint in the plan comment; to rely on branch protection for reviews instead, set `require-approval: false`.',
    );
  }
  return approval.approvers;
}
