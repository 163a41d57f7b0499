import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { EnvHttpProxyAgent, type Dispatcher } from 'undici';
import { silentLogger, type Logger } from '../core/log.js';

/** The one GitHub client of the project: secret delivery and the GitHub Action both build it here. */
export type GitHubClient = ReturnType<typeof getOctokit>;

export interface GitHubClientOptions {
  /** A PAT, an App installation token or the workflow's GITHUB_TOKEN. */
  token: string;
  /** Default: `GITHUB_API_URL` (set by Actions, also on GitHub Enterprise Server), else api.github.com. */
  baseUrl?: string;
  logger?: Logger;
  /** Where `GITHUB_API_URL` is read from; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Deadline of one attempt, headers and body included. */
  timeoutMs?: number;
  /** Retries after a 5xx, a network error or a timeout (never after 400, 401, 403, 404, 410, 422, 451). */
  retries?: number;
  /** Retries after GitHub's primary or secondary rate limit. */
  rateLimitRetries?: number;
  /** Longest wait for a rate limit to reset before giving up instead. */
  maxRateLimitWaitSeconds?: number;
  /** Scales every retry wait (1000 = seconds, as GitHub says them); tests pass 1. */
  retryAfterBaseMs?: number;
  /** What sends a request (tests); default the platform fetch through a proxy-aware dispatcher. */
  fetch?: typeof fetch;
}

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';

/** The API base URL: the argument, else `GITHUB_API_URL`, else api.github.com; without a trailing `/`. */
export function resolveGitHubApiUrl(baseUrl: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  const url = baseUrl || env.GITHUB_API_URL || DEFAULT_GITHUB_API_URL;
  return url.replace(/\/+$/, '');
}

/**
 * An Octokit from `@actions/github` with retry and throttling. Requests go through the platform
 * `fetch` (so HTTP interceptors such as nock see them) with a per-attempt timeout, and through
 * HTTPS_PROXY/NO_PROXY when set. Builds nothing at import time.
 */
export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const logger = options.logger ?? silentLogger;
  const env = options.env ?? process.env;
  const baseUrl = resolveGitHubApiUrl(options.baseUrl, env);
  const retries = options.retries ?? 3;
  const rateLimitRetries = options.rateLimitRetries ?? 2;
  const maxWait = options.maxRateLimitWaitSeconds ?? 120;
  const base = options.retryAfterBaseMs ?? 1000;
  const onLimit = (kind: string) => (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number): boolean => {
    const again = retryCount < rateLimitRetries && retryAfter <= maxWait;
    logger.debug(`GitHub ${kind} rate limit on ${request.method} ${request.url}: ${again ? `retrying in ${retryAfter}s (retry ${retryCount + 1} of ${rateLimitRetries})` : `giving up (reset in ${retryAfter}s)`}`);
    return again;
  };
  return getOctokit(
    options.token,
    {
      baseUrl,
      // Octokit would otherwise log through console; ours redacts and respects --debug.
      log: { debug: (m: string) => logger.debug(m), info: (m: string) => logger.debug(m), warn: (m: string) => logger.warn(m), error: (m: string) => logger.warn(m) },
      // Replaces @actions/github's default `request` (undici's own fetch, which interceptors cannot see).
      request: { fetch: withTimeout(options.fetch ?? proxyAwareFetch(), options.timeoutMs ?? 30_000) },
      // Not `request.retries`: plugin-retry reads that on every failure, so a 401 would be retried too.
      retry: { retries, retryAfterBaseValue: base },
      throttle: {
        retryAfterBaseValue: base,
        fallbackSecondaryRateRetryAfter: 60,
        onRateLimit: onLimit('primary'),
        onSecondaryRateLimit: onLimit('secondary'),
      },
    },
    retry,
    throttling,
  );
}

function withTimeout(send: typeof fetch, timeoutMs: number): typeof fetch {
  return (input, init) => {
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
    return send(input, { ...init, signal });
  };
}

let sharedDispatcher: Dispatcher | null = null;

function proxyAwareFetch(): typeof fetch {
  // Looked up per call, so an interceptor installed after the client was built still sees requests.
  return (input, init) => {
    sharedDispatcher ??= new EnvHttpProxyAgent({ connectTimeout: 10_000 });
    // Node's fetch takes undici's `dispatcher` option; its RequestInit type does not declare it.
    const withDispatcher = { ...init, dispatcher: sharedDispatcher };
    return globalThis.fetch(input, withDispatcher as unknown as RequestInit);
  };
}
