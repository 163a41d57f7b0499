import { RefusalError } from '../core/errors.js';
import type { GitHubClient } from '../github/client.js';

/** One entry of GET /repos/{o}/{r}/actions/runs/{run_id}/approvals ("Get the review history for a workflow run"). */
export interface DeploymentReview {
  state: string;
  user: { login: string } | null;
  environments: { name: string }[];
}

/** The parts of GET /repos/{o}/{r}/environments/{name} that make an environment a gate. */
export interface EnvironmentRules {
  name: string;
  /** Logins and team slugs of `required_reviewers`; empty when the rule is absent. */
  reviewers: string[];
  /** `deployment_branch_policy` is set (protected branches, or selected branches that are only the default branch), not "any branch". */
  branchesLimited: boolean;
  /** Why the branches are not limited, when they are not and more can be said than "any branch". */
  branchesWhy?: string;
}

export type DispatchApproval = { approved: true; reviewer: string; environment: string } | { approved: false; reason: string };

/**
 * Whether a workflow_dispatch run may apply the fingerprint its caller typed: a person other than
 * the one who started the run approved this run's deployment to an environment that requires
 * reviewers and deploys only from limited branches. GitHub keeps that record per run; an
 * environment without required reviewers, or an admin who bypassed the rule, leaves none.
 */
export function evaluateDispatchApproval(input: {
  reviews: readonly DeploymentReview[];
  environments: readonly EnvironmentRules[];
  actors: readonly string[];
}): DispatchApproval {
  const actors = new Set(input.actors.filter(Boolean).map((a) => a.toLowerCase()));
  const byName = new Map(input.environments.map((e) => [e.name, e]));
  const why: string[] = [];
  for (const r of input.reviews.filter((x) => x.state === 'approved')) {
    const login = r.user?.login ?? '';
    for (const { name } of r.environments) {
      const env = byName.get(name);
      if (!env || env.reviewers.length === 0) why.push(`environment ${name} has no required reviewers`);
      else if (!env.branchesLimited)
        why.push(env.branchesWhy ?? `environment ${name} deploys from any branch (set its deployment branches to the default branch)`);
      else if (actors.has(login.toLowerCase()))
        why.push(`@${login} approved the deployment they started themselves (turn on "Prevent self-review")`);
      else return { approved: true, reviewer: login, environment: name };
    }
  }
  return {
    approved: false,
    reason:
      why.length > 0
        ? why.join('; ')
        : 'no required reviewer approved this run: the job runs in no environment with required reviewers (or an admin bypassed them)',
  };
}

/** Reads the run's deployment reviews and their environments' rules, and refuses unless evaluateDispatchApproval approves. */
export async function requireDispatchApproval(
  github: GitHubClient,
  input: { owner: string; repo: string; runId: string; actors: string[]; defaultBranch?: string | null },
): Promise<{ reviewer: string; environment: string }> {
  const { owner, repo } = input;
  const how =
    'Run the apply job in an environment whose required reviewers approve each run and whose deployment branches are only the default branch (see "Protected manual apply" in the README)';
  let reviews: DeploymentReview[];
  try {
    const { data } = await github.rest.actions.getReviewsForRun({ owner, repo, run_id: Number(input.runId) });
    reviews = data.map((r) => ({
      state: r.state,
      user: r.user ? { login: r.user.login } : null,
      environments: r.environments.map((e) => ({ name: e.name ?? '' })),
    }));
  } catch (e) {
    throw new RefusalError(
      `cannot read this run's deployment reviews (GitHub answered ${(e as { status?: number }).status ?? (e as Error).message}), so it is unknown whether a required reviewer approved it; nothing was changed. The job needs \`actions: read\``,
    );
  }
  const names = [...new Set(reviews.filter((r) => r.state === 'approved').flatMap((r) => r.environments.map((e) => e.name)))];
  const environments: EnvironmentRules[] = [];
  for (const name of names) {
    try {
      const { data } = await github.rest.repos.getEnvironment({ owner, repo, environment_name: name });
      const rules = (data.protection_rules ?? []) as {
        type: string;
        reviewers?: { reviewer?: { login?: string; slug?: string } | null }[];
      }[];
      const reviewers = rules
        .filter((r) => r.type === 'required_reviewers')
        .flatMap((r) => (r.reviewers ?? []).map((x) => x.reviewer?.login ?? x.reviewer?.slug ?? ''))
        .filter(Boolean);
      const policy = data.deployment_branch_policy as { protected_branches?: boolean; custom_branch_policies?: boolean } | null | undefined;
      if (policy?.custom_branch_policies === true) {
        const why = await customBranchesProblem(github, { owner, repo, environment: name, defaultBranch: input.defaultBranch ?? null });
        environments.push({ name, reviewers, branchesLimited: why === null, ...(why ? { branchesWhy: why } : {}) });
      } else {
        environments.push({ name, reviewers, branchesLimited: policy?.protected_branches === true });
      }
    } catch (e) {
      if (e instanceof RefusalError) throw e;
      throw new RefusalError(
        `cannot read environment ${name} (GitHub answered ${(e as { status?: number }).status ?? (e as Error).message}); nothing was changed`,
      );
    }
  }
  const verdict = evaluateDispatchApproval({ reviews, environments, actors: input.actors });
  if (!verdict.approved) {
    throw new RefusalError(
      `workflow_dispatch applies a fingerprint its caller typed, so it applies only from a protected environment, and this run is not approved in one: ${verdict.reason}; nothing was changed. ${how}`,
    );
  }
  return { reviewer: verdict.reviewer, environment: verdict.environment };
}

/** One entry of `branch_policies` in GET /repos/{o}/{r}/environments/{env}/deployment-branch-policies. */
interface BranchPolicy {
  name?: string;
  type?: 'branch' | 'tag';
}

/**
 * "Selected branches and tags" (`custom_branch_policies: true`) says nothing about which: the
 * patterns are in GET /repos/{o}/{r}/environments/{env}/deployment-branch-policies, answered as
 * `{total_count, branch_policies: [{id, node_id, name, type: "branch" | "tag"}]}` (GitHub's REST
 * docs, "List deployment branch policies"; Octokit's openapi-types). A pattern such as `*` or
 * `release/*`, or a tag, lets another ref run the job, so only one policy naming exactly the default
 * branch counts. Null when that holds; else what is wrong and what to set.
 */
async function customBranchesProblem(
  github: GitHubClient,
  input: { owner: string; repo: string; environment: string; defaultBranch: string | null },
): Promise<string | null> {
  const { environment, defaultBranch } = input;
  let policies: BranchPolicy[];
  let total: number;
  try {
    const { data } = await github.rest.repos.listDeploymentBranchPolicies({
      owner: input.owner,
      repo: input.repo,
      environment_name: environment,
    });
    const body = data as { total_count?: unknown; branch_policies?: unknown };
    policies = Array.isArray(body.branch_policies) ? (body.branch_policies as BranchPolicy[]) : [];
    total = typeof body.total_count === 'number' ? body.total_count : policies.length;
  } catch (e) {
    throw new RefusalError(
      `cannot read the deployment branch policies of environment ${environment} (GitHub answered ${(e as { status?: number }).status ?? (e as Error).message}), so it is unknown which branches may run this job; nothing was changed. The job needs \`actions: read\``,
    );
  }
  const want = defaultBranch ? `only the branch ${defaultBranch}` : 'only the default branch';
  const set = `set environment ${environment}'s deployment branches to "Selected branches and tags" with ${want} (one branch rule, no pattern, no tag), or to "Protected branches only"`;
  if (!defaultBranch)
    return `environment ${environment} deploys from selected branches, and the default branch is unknown here, so any branch could be among them: ${set}`;
  const other = policies.filter((p) => !(p.type === 'branch' && p.name === defaultBranch));
  if (other.length === 0 && total === policies.length && policies.length > 0) return null;
  if (other.length === 0)
    return `environment ${environment} has ${policies.length === 0 ? 'no deployment branch policy listed' : `${total} deployment branch policies, more than GitHub listed`}, so which branches may deploy is unknown: ${set}`;
  const named = other.map((p) => `${p.type === 'tag' ? 'tag' : 'branch'} pattern "${p.name ?? ''}"`).join(', ');
  return `environment ${environment} deploys from ${named}, not only the default branch ${defaultBranch}: any branch or tag it matches could run this job with the environment's secrets; ${set}`;
}
