import { RefusalError } from '../core/errors.js';
import type { GitHubClient } from '../github/client.js';
import { evaluateApproval, membershipKey, type ApprovalFacts, type Contributor, type MergedPullRequest, type Review } from './approval.js';
import { ownersOf, parseGeneratedBlock, type OwnerRule } from './codeowners-rules.js';

// What GitHub's REST docs say the list endpoints return at most: 250 commits ("List commits on a
// pull request"), 3000 files ("List pull requests files"). A pull request at the cap may hold more
// than we can see, so it is refused rather than judged on part of it.
const MAX_PR_COMMITS = 250;
const MAX_PR_FILES = 3000;
const MAX_ACTIVITY_PAGES = 10;
// Where GitHub looks for CODEOWNERS, in its order: .github/, the root, docs/.
const CODEOWNERS_PATHS = ['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS'];

interface Repo {
  owner: string;
  repo: string;
}

/**
 * The pull request a pushed commit came from: merged into the default branch, with this commit as
 * its merge commit (merge, squash or rebase). A push that came from no pull request is refused.
 */
export async function findMergedPullRequest(
  github: GitHubClient,
  input: Repo & { sha: string; defaultBranch: string },
): Promise<MergedPullRequest | null> {
  const { data } = await github.rest.repos.listPullRequestsAssociatedWithCommit({
    owner: input.owner,
    repo: input.repo,
    commit_sha: input.sha,
    per_page: 100,
  });
  const merged = data.filter((pr) => pr.merged_at && pr.base.ref === input.defaultBranch);
  const pr = merged.find((p) => p.merge_commit_sha === input.sha) ?? (merged.length === 1 ? merged[0] : undefined);
  if (!pr) return null;
  return {
    number: pr.number,
    author: pr.user?.login ?? '',
    headSha: pr.head.sha,
    headRef: pr.head.ref,
    headRepo: pr.head.repo?.full_name ?? null,
    htmlUrl: pr.html_url,
  };
}

export async function listReviews(github: GitHubClient, input: Repo & { pullNumber: number }): Promise<Review[]> {
  const reviews = await github.paginate(github.rest.pulls.listReviews, {
    owner: input.owner,
    repo: input.repo,
    pull_number: input.pullNumber,
    per_page: 100,
  });
  return reviews.map((r) => ({
    user: r.user ? { login: r.user.login } : null,
    state: r.state,
    commit_id: r.commit_id ?? null,
    author_association: r.author_association,
  }));
}

function status(e: unknown): number | null {
  return typeof (e as { status?: unknown })?.status === 'number' ? (e as { status: number }).status : null;
}

/** The generated CODEOWNERS block at `ref` (the default branch before the merge), read through the API. */
export async function readOwnerRules(github: GitHubClient, input: Repo & { ref: string }): Promise<OwnerRule[] | null> {
  for (const path of CODEOWNERS_PATHS) {
    let content: string;
    try {
      const { data } = await github.rest.repos.getContent({ owner: input.owner, repo: input.repo, path, ref: input.ref });
      if (Array.isArray(data) || data.type !== 'file' || typeof (data as { content?: unknown }).content !== 'string') continue;
      content = Buffer.from((data as { content: string }).content, 'base64').toString('utf8');
    } catch (e) {
      if (status(e) === 404) continue;
      throw e;
    }
    const rules = parseGeneratedBlock(content);
    if (rules) return rules;
  }
  return null;
}

/**
 * Who wrote or pushed the pull request's commits. GitHub records commit authors and committers as
 * git says them (an unverified claim; a null login when the e-mail belongs to no account); it does
 * not say who pushed a commit. The repository's activity list does ("List repository activities":
 * pushes, force pushes and branch creations, each with its actor), for a head branch in this
 * repository; a fork's pushes are not visible there, so for a fork only the commits' logins and the
 * opener count.
 */
async function readContributors(github: GitHubClient, input: Repo & { pr: MergedPullRequest }): Promise<Contributor[]> {
  const { owner, repo, pr } = input;
  const commits = await github.paginate(github.rest.pulls.listCommits, { owner, repo, pull_number: pr.number, per_page: 100 });
  if (commits.length >= MAX_PR_COMMITS) {
    throw new RefusalError(
      `pull request #${pr.number} has ${MAX_PR_COMMITS} or more commits, more than GitHub lists for a pull request, so who wrote them cannot be checked; nothing was changed. Squash it, or have a maintainer apply its reviewed fingerprint by hand`,
    );
  }
  const people: Contributor[] = [];
  for (const c of commits) {
    if (c.author?.login) people.push({ login: c.author.login, how: 'authored a commit' });
    if (c.committer?.login) people.push({ login: c.committer.login, how: 'committed a commit' });
  }
  if (pr.headRepo === `${owner}/${repo}` && pr.headRef) {
    let pages = 0;
    let truncated = false;
    try {
      const activity = await github.paginate(
        'GET /repos/{owner}/{repo}/activity',
        { owner, repo, ref: `refs/heads/${pr.headRef}`, per_page: 100 },
        (response, done) => {
          if (++pages >= MAX_ACTIVITY_PAGES) {
            truncated = true;
            done();
          }
          return response.data as { activity_type?: string; actor?: { login?: string } | null }[];
        },
      );
      for (const a of activity) {
        if (a.actor?.login && ['push', 'force_push', 'branch_creation'].includes(a.activity_type ?? ''))
          people.push({ login: a.actor.login, how: 'pushed to the branch' });
      }
    } catch (e) {
      throw new RefusalError(
        `cannot read who pushed to ${pr.headRef} (GET /repos/${owner}/${repo}/activity answered ${status(e) ?? (e as Error).message}), so a pusher's own approval cannot be ruled out; nothing was changed. The workflow token needs \`contents: read\``,
      );
    }
    if (truncated)
      throw new RefusalError(
        `the branch ${pr.headRef} has more pushes than groq-rbac reads (${MAX_ACTIVITY_PAGES * 100}); nothing was changed. Open a fresh branch, or have a maintainer apply the reviewed fingerprint by hand`,
      );
  }
  return people;
}

async function readChangedFiles(github: GitHubClient, input: Repo & { pullNumber: number }): Promise<string[]> {
  const files = await github.paginate(github.rest.pulls.listFiles, {
    owner: input.owner,
    repo: input.repo,
    pull_number: input.pullNumber,
    per_page: 100,
  });
  if (files.length >= MAX_PR_FILES) {
    throw new RefusalError(
      `pull request #${input.pullNumber} changes ${MAX_PR_FILES} or more files, more than GitHub lists, so their owners cannot all be checked; nothing was changed`,
    );
  }
  // A rename changes both paths: the old name's owners gave it up, the new name's take it.
  return [...new Set(files.flatMap((f) => [f.filename, ...(f.previous_filename ? [f.previous_filename] : [])]))];
}

/** Everything evaluateApproval decides on, read from GitHub. `members` reads team memberships (GITHUB_TOKEN cannot). */
export async function readApprovalFacts(
  github: GitHubClient,
  members: GitHubClient | null,
  input: Repo & { pr: MergedPullRequest; baseSha: string },
): Promise<ApprovalFacts & { unreadTeams: string[] }> {
  const { owner, repo, pr } = input;
  const reviews = await listReviews(github, { owner, repo, pullNumber: pr.number });
  const rules = await readOwnerRules(github, { owner, repo, ref: input.baseSha });
  if (!rules) {
    throw new RefusalError(
      `the default branch before this merge (${input.baseSha.slice(0, 7)}) has no CODEOWNERS with the block \`groq-rbac codeowners --write\` generates, so who owns the changed files is unknown; nothing was changed. ` +
        "Generate it (`npx groq-rbac codeowners --write`) and merge it first; a maintainer can apply this pull request's reviewed fingerprint by hand meanwhile.",
    );
  }
  const [contributors, changedFiles] = [
    await readContributors(github, { owner, repo, pr }),
    await readChangedFiles(github, { owner, repo, pullNumber: pr.number }),
  ];

  const reviewers = [
    ...new Set(reviews.filter((r) => r.user && (r.state === 'APPROVED' || r.state === 'CHANGES_REQUESTED')).map((r) => r.user!.login)),
  ];
  const permissions = new Map<string, string>();
  for (const login of reviewers) {
    try {
      const { data } = await github.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: login });
      permissions.set(login.toLowerCase(), data.permission);
    } catch (e) {
      if (status(e) !== 404)
        throw new RefusalError(
          `cannot read @${login}'s permission on ${owner}/${repo} (GitHub answered ${status(e) ?? (e as Error).message}); nothing was changed`,
        );
      permissions.set(login.toLowerCase(), 'none');
    }
  }

  const teams = [...new Set(changedFiles.flatMap((f) => ownersOf(rules, f) ?? []).filter((o) => /^@[^/]+\/.+$/.test(o)))];
  const approvers = [...new Set(reviews.filter((r) => r.user && r.state === 'APPROVED').map((r) => r.user!.login))];
  const memberships = new Map<string, boolean>();
  // Without a members token no team counts; a user owner still does, and the refusal says what to add.
  const unreadTeams = members ? [] : teams;
  if (members && teams.length > 0 && approvers.length > 0) {
    for (const team of teams) {
      const [org, slug] = team.slice(1).split('/') as [string, string];
      for (const login of approvers) {
        try {
          const { data } = await members.rest.teams.getMembershipForUserInOrg({ org, team_slug: slug, username: login });
          memberships.set(membershipKey(team, login), data.state === 'active');
        } catch (e) {
          if (status(e) !== 404)
            throw new RefusalError(
              `cannot read whether @${login} is in ${team} (GitHub answered ${status(e) ?? (e as Error).message}): \`members-token\` needs "Members: read" on ${org}; nothing was changed`,
            );
          memberships.set(membershipKey(team, login), false);
        }
      }
    }
  }
  return { pr, reviews, permissions, contributors, changedFiles, rules, memberships, unreadTeams };
}

/** Refuses unless the pull request is approved (see evaluateApproval); returns who approved. */
export async function requireApproval(
  github: GitHubClient,
  members: GitHubClient | null,
  input: Repo & { pr: MergedPullRequest; baseSha: string },
): Promise<string[]> {
  const facts = await readApprovalFacts(github, members, input);
  const approval = evaluateApproval(facts);
  if (!approval.approved) {
    const hint =
      facts.unreadTeams.length > 0
        ? ` Team owners (${facts.unreadTeams.join(', ')}) were not checked: membership can only be read with a token that may read the organization's members, which the workflow's GITHUB_TOKEN cannot; set \`members-token\` to a GitHub App installation token with "Members: read" (organization), or a fine-grained token with that permission.`
        : '';
    throw new RefusalError(
      `pull request #${input.pr.number} was merged without the approval apply needs: ${approval.reason}. Nothing was changed.${hint} ` +
        'A maintainer who has reviewed its plan can run the apply workflow by hand with `expect-fingerprint` set to the fingerprint in the plan comment (in the protected environment, approved by a required reviewer).',
    );
  }
  return approval.approvers;
}
