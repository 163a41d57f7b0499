import { ownersOf, type OwnerRule } from './codeowners-rules.js';

export interface MergedPullRequest {
  number: number;
  author: string;
  /** The pull request's last head commit: the one reviewers approved. */
  headSha: string;
  /** The head branch, and the repository it lives in (another one for a fork). */
  headRef: string;
  headRepo: string | null;
  htmlUrl: string;
}

export interface Review {
  user: { login: string } | null;
  state: string;
  commit_id: string | null;
  author_association: string;
}

/** Someone who wrote or pushed part of the pull request, and how GitHub shows it. */
export interface Contributor {
  login: string;
  how: 'authored a commit' | 'committed a commit' | 'pushed to the branch' | 'opened the pull request';
}

/** Everything the decision needs, fetched by approval-facts.ts; nothing here asks GitHub. */
export interface ApprovalFacts {
  pr: Pick<MergedPullRequest, 'number' | 'author' | 'headSha'>;
  reviews: readonly Review[];
  /** `permission` from GET /repos/{o}/{r}/collaborators/{user}/permission, by login (lower case): admin, write, read or none. */
  permissions: ReadonlyMap<string, string>;
  contributors: readonly Contributor[];
  /** Every path the pull request changes (a rename counts both names). */
  changedFiles: readonly string[];
  /** The generated CODEOWNERS block as the default branch had it before the merge. */
  rules: readonly OwnerRule[];
  /** Active membership, by `org/team:login` (lower case); absent means not a member (or not visible to the token). */
  memberships: ReadonlyMap<string, boolean>;
}

export type Approval = { approved: true; approvers: string[] } | { approved: false; reason: string };

// `permission` maps maintain to write and triage to read (GitHub's REST docs, "Get repository permissions for a user").
const WRITE = new Set(['admin', 'write']);

export function membershipKey(team: string, login: string): string {
  return `${team.replace(/^@/, '').toLowerCase()}:${login.toLowerCase()}`;
}

/** Whether `login` is one of `owner`'s people: the user themself, or an active member of the team. */
export function ownsAs(owner: string, login: string, memberships: ReadonlyMap<string, boolean>): boolean {
  const name = owner.replace(/^@/, '');
  if (!owner.startsWith('@')) return false; // an e-mail owner cannot be matched to an account through the API
  if (name.includes('/')) return memberships.get(membershipKey(name, login)) === true;
  return name.toLowerCase() === login.toLowerCase();
}

/**
 * Whether the pull request is approved for apply. An approval counts when its reviewer has write
 * permission (the association MEMBER or COLLABORATOR does not say so), did not open the pull
 * request, author, commit or push any of its commits, and approved its head commit; each
 * reviewer's latest approving, change-requesting or dismissed review is what counts (as on GitHub).
 * Together the counted approvers must include an owner of every changed file (the generated
 * CODEOWNERS as the default branch had it: the owners the pull request itself writes do not count).
 */
export function evaluateApproval(facts: ApprovalFacts): Approval {
  const { pr } = facts;
  const excluded = new Map<string, string>();
  excluded.set(pr.author.toLowerCase(), 'opened the pull request');
  for (const c of facts.contributors) if (!excluded.has(c.login.toLowerCase())) excluded.set(c.login.toLowerCase(), c.how);
  const canWrite = (login: string) => WRITE.has(facts.permissions.get(login.toLowerCase()) ?? 'none');

  const latest = new Map<string, Review>();
  for (const r of facts.reviews) {
    const login = r.user?.login;
    if (!login) continue;
    if (r.state === 'APPROVED' || r.state === 'CHANGES_REQUESTED' || r.state === 'DISMISSED') latest.set(login, r);
  }
  // Anyone may review a public repository's pull request; only a request by someone with write access holds it up.
  const requested = [...latest].filter(([login, r]) => r.state === 'CHANGES_REQUESTED' && canWrite(login)).map(([login]) => login);
  if (requested.length > 0) return { approved: false, reason: `changes were requested by ${requested.map((l) => `@${l}`).join(', ')}` };

  const approvals = [...latest].filter(([, r]) => r.state === 'APPROVED');
  const why: string[] = [];
  const counted: string[] = [];
  for (const [login, r] of approvals) {
    const how = excluded.get(login.toLowerCase());
    if (how) why.push(`@${login} ${how}, so their approval does not count`);
    else if (!canWrite(login))
      why.push(`@${login} has no write permission on the repository (${facts.permissions.get(login.toLowerCase()) ?? 'none'})`);
    else if (r.commit_id !== pr.headSha)
      why.push(`@${login} approved an earlier commit, not the last commit ${pr.headSha.slice(0, 7)}: approve again after the last push`);
    else counted.push(login);
  }
  if (counted.length === 0) {
    if (approvals.length === 0) return { approved: false, reason: 'nobody approved it' };
    return { approved: false, reason: `no approval counts: ${why.join('; ')}` };
  }

  const missing = new Map<string, string[]>();
  for (const file of facts.changedFiles) {
    const owners = ownersOf(facts.rules, file);
    if (!owners || owners.length === 0) continue;
    if (!owners.some((o) => counted.some((login) => ownsAs(o, login, facts.memberships)))) missing.set(file, owners);
  }
  if (missing.size > 0) {
    const lines = [...missing].map(
      ([file, owners]) => `${file} needs an approval from ${owners.length === 1 ? owners[0] : `one of ${owners.join(', ')}`}`,
    );
    return {
      approved: false,
      reason: `the approvals (${counted.map((l) => `@${l}`).join(', ')}) do not cover every changed file's code owners: ${lines.join('; ')}${why.length > 0 ? `. Not counted: ${why.join('; ')}` : ''}`,
    };
  }
  return { approved: true, approvers: counted };
}
