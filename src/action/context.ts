import fs from 'node:fs';
import { UserError } from '../core/errors.js';

/** What the Action needs to know about the run that started it, read once from the runner's environment. */
export interface EventContext {
  eventName: string;
  owner: string;
  repo: string;
  /** The commit the workflow runs on (for `push`, the pushed head). */
  sha: string;
  ref: string;
  defaultBranch: string | null;
  /** The pull request of a `pull_request` event. */
  pullRequest: EventPullRequest | null;
  /** `GITHUB_RUN_ID`: the run whose deployment reviews a dispatched apply checks; null outside a run. */
  runId: string | null;
  /** Who started the run (`GITHUB_TRIGGERING_ACTOR`, the re-runner on a re-run) and `GITHUB_ACTOR`: they may not approve it themselves. */
  actors: string[];
  /** A push's `before`: the branch as it was before the push, whose CODEOWNERS says who owns what; null when absent or the branch is new. */
  before: string | null;
  /** `https://github.com/o/r/actions/runs/123`, for links in comments; null outside a run. */
  runUrl: string | null;
  serverUrl: string;
  /** `GITHUB_API_URL`: GitHub Enterprise Server has its own. */
  apiUrl: string;
  workspace: string;
}

export interface EventPullRequest {
  number: number;
  headSha: string;
  /**
   * The commit the pull request is measured against (`pull_request.base.sha`): project ownership is
   * checked against its policies, and the runbook measures from it. '' when unknown.
   */
  baseSha: string;
  /** The pull request comes from another repository: workflows get no secrets. */
  fromFork: boolean;
}

// The subset of event payloads read here; the fixtures in test/fixtures/events/ show whole ones.
interface Payload {
  repository?: { full_name?: string; default_branch?: string; owner?: { login?: string }; name?: string };
  pull_request?: {
    number?: number;
    head?: { sha?: string; repo?: { full_name?: string } | null };
    base?: { sha?: string; repo?: { full_name?: string } };
  };
  after?: string;
  before?: string;
}

/** Reads `GITHUB_*` variables and the event payload at `GITHUB_EVENT_PATH`. */
export function readEventContext(env: NodeJS.ProcessEnv): EventContext {
  const payload = readPayload(env.GITHUB_EVENT_PATH);
  const full = env.GITHUB_REPOSITORY ?? payload.repository?.full_name ?? '';
  const [owner, repo] = full.split('/');
  if (!owner || !repo) throw new UserError('GITHUB_REPOSITORY is not set: run groq-rbac as a step of a GitHub Actions workflow');
  const serverUrl = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');
  const pr = payload.pull_request;
  const pullRequest =
    pr && typeof pr.number === 'number'
      ? {
          number: pr.number,
          headSha: pr.head?.sha ?? '',
          baseSha: pr.base?.sha ?? '',
          // A deleted fork has `head.repo: null`; it is a fork all the same.
          fromFork: (pr.head?.repo?.full_name ?? null) !== (pr.base?.repo?.full_name ?? full),
        }
      : null;
  return {
    eventName: env.GITHUB_EVENT_NAME ?? '',
    owner,
    repo,
    sha: env.GITHUB_SHA ?? payload.after ?? '',
    ref: env.GITHUB_REF ?? '',
    defaultBranch: payload.repository?.default_branch ?? null,
    pullRequest,
    runId: env.GITHUB_RUN_ID || null,
    actors: [...new Set([env.GITHUB_TRIGGERING_ACTOR, env.GITHUB_ACTOR].filter((a): a is string => !!a))],
    // All zeros: the push created the branch; there is no earlier state to read owners from.
    before:
      typeof payload.before === 'string' && /^[0-9a-f]{40}$/.test(payload.before) && !/^0+$/.test(payload.before) ? payload.before : null,
    runUrl: env.GITHUB_RUN_ID ? `${serverUrl}/${owner}/${repo}/actions/runs/${env.GITHUB_RUN_ID}` : null,
    serverUrl,
    apiUrl: (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, ''),
    workspace: env.GITHUB_WORKSPACE || process.cwd(),
  };
}

function readPayload(file: string | undefined): Payload {
  if (!file) return {};
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read the event payload GITHUB_EVENT_PATH=${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as Payload;
  } catch {
    throw new UserError(`the event payload ${file} is not JSON`);
  }
}
