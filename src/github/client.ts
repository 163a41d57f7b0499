import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { silentLogger, type Logger } from '../core/log.js';
import { describeRedirectTarget, isRedirectStatus, proxyAwareFetch, RedirectRefused } from '../core/proxy-fetch.js';
import { BodyTooLargeError, formatBytes, readCappedBytes } from '../core/read-capped.js';
import { checkSecureUrl } from '../core/secure-url.js';

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
  /** The most bytes read from one answer (default MAX_GITHUB_RESPONSE_BYTES). */
  maxResponseBytes?: number;
}

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';
/**
 * The most bytes read from one GitHub answer. Its largest pages here are 100 issue comments (at most
 * 65,536 characters each, so about 20 MB in the worst UTF-8) and 100 changed files of a pull
 * request; 32 MiB holds any of them, and a hostile or broken server cannot fill memory.
 */
export const MAX_GITHUB_RESPONSE_BYTES = 32 * 1024 * 1024;

/** The API base URL: the argument, else `GITHUB_API_URL`, else api.github.com; without a trailing `/`. */
export function resolveGitHubApiUrl(baseUrl: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  const url = baseUrl || env.GITHUB_API_URL || DEFAULT_GITHUB_API_URL;
  return url.replace(/\/+$/, '');
}

/**
 * An Octokit from `@actions/github` with retry and throttling. Requests go through the platform
 * `fetch` (so HTTP interceptors such as nock see them) with a per-attempt timeout, and through
 * HTTPS_PROXY/NO_PROXY when set. Builds nothing at import time.
 *
 * The token goes only to the API's own origin: the base URL must be https (http only to this
 * machine), and a redirect is followed only within that origin (see `sameOriginRedirects`).
 * Throws a UserError for a base URL that could carry the token in clear text.
 */
export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const logger = options.logger ?? silentLogger;
  const env = options.env ?? process.env;
  const baseUrl = resolveGitHubApiUrl(options.baseUrl, env);
  const origin = checkSecureUrl(
    baseUrl,
    options.baseUrl ? 'the GitHub API URL' : 'GITHUB_API_URL',
    'use https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server',
  ).origin;
  const retries = options.retries ?? 3;
  const rateLimitRetries = options.rateLimitRetries ?? 2;
  const maxWait = options.maxRateLimitWaitSeconds ?? 120;
  const base = options.retryAfterBaseMs ?? 1000;
  const onLimit =
    (kind: string) =>
    (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number): boolean => {
      const again = retryCount < rateLimitRetries && retryAfter <= maxWait;
      logger.debug(
        `GitHub ${kind} rate limit on ${request.method} ${request.url}: ${again ? `retrying in ${retryAfter}s (retry ${retryCount + 1} of ${rateLimitRetries})` : `giving up (reset in ${retryAfter}s)`}`,
      );
      return again;
    };
  return getOctokit(
    options.token,
    {
      baseUrl,
      // Octokit would otherwise log through console; ours redacts and respects --debug.
      log: {
        debug: (m: string) => logger.debug(m),
        info: (m: string) => logger.debug(m),
        warn: (m: string) => logger.warn(m),
        error: (m: string) => logger.warn(m),
      },
      // Replaces @actions/github's default `request` (undici's own fetch, which interceptors cannot see).
      // Bodies are read here, through the project's one capped reader, before Octokit sees them.
      request: {
        fetch: withTimeout(
          sameOriginRedirects(
            cappedBodies(options.fetch ?? proxyAwareFetch(env), options.maxResponseBytes ?? MAX_GITHUB_RESPONSE_BYTES),
            origin,
          ),
          options.timeoutMs ?? 30_000,
        ),
      },
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

/** An answer larger than the cap: thrown from fetch, so Octokit reports a failed request and reads nothing. */
export class GitHubAnswerTooLarge extends Error {
  override readonly name = 'GitHubAnswerTooLarge';
  constructor(method: string, url: string, limit: number) {
    super(
      `GitHub's answer to ${method} ${new URL(url).pathname} is larger than ${formatBytes(limit)}, the most groq-rbac reads from one GitHub answer; it was not read further`,
    );
  }
}

/**
 * Reads each answer's body through src/core/read-capped.ts and hands Octokit a Response over the
 * bytes read (its url kept): Octokit itself reads bodies with `text()`/`arrayBuffer()`, unbounded,
 * and swallows a failed read as an empty body. Redirects pass unread (sameOriginRedirects cancels them).
 */
function cappedBodies(send: typeof fetch, limit: number): typeof fetch {
  return async (input, init) => {
    const res = await send(input, init);
    if (!res.body || isRedirectStatus(res.status)) return res;
    let bytes: Uint8Array;
    try {
      bytes = await readCappedBytes(res, limit);
    } catch (error) {
      if (error instanceof BodyTooLargeError)
        throw new GitHubAnswerTooLarge(init?.method ?? 'GET', res.url || String(input instanceof Request ? input.url : input), limit);
      throw error;
    }
    const empty = res.status === 204 || res.status === 205 || res.status === 304;
    const out = new Response(empty ? null : (bytes as unknown as ConstructorParameters<typeof Response>[0]), {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
    });
    Object.defineProperty(out, 'url', { value: res.url });
    return out;
  };
}

/** Redirects followed within the API's origin before giving up (fetch itself allows 20). */
const MAX_REDIRECTS = 5;

/**
 * Octokit's fetch follows redirects by default (it passes `redirect: undefined`), and fetch keeps
 * every header but `Authorization` on a cross-origin hop, and the body on a 307/308. Here every
 * request is sent with `redirect: 'manual'`; a redirect within the API's origin (GitHub's REST API
 * "uses HTTP redirection where appropriate", e.g. 301 for a renamed repository:
 * docs.github.com/rest/overview/resources-in-the-rest-api#http-redirects) is followed as fetch
 * would, and one anywhere else (or without a Location) is refused with RedirectRefused: nothing is
 * sent to the other origin. Octokit reports that error as a failed request (status 500), which its retry
 * plugin retries a bounded number of times against the API itself, never elsewhere.
 */
function sameOriginRedirects(send: typeof fetch, origin: string): typeof fetch {
  return async (input, init) => {
    let url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    let current: RequestInit = { ...init, redirect: 'manual' };
    for (let hops = 0; ; hops++) {
      const res = await send(url, current);
      if (!isRedirectStatus(res.status)) return res;
      const location = res.headers.get('location');
      const next = location ? safeUrl(location, url) : null;
      if (!next || next.origin !== origin || hops >= MAX_REDIRECTS) {
        await res.body?.cancel().catch(() => {});
        const to =
          hops >= MAX_REDIRECTS && next?.origin === origin
            ? `${origin} again (more than ${MAX_REDIRECTS} redirects)`
            : describeRedirectTarget(location, url);
        throw new RedirectRefused(res.status, to, origin);
      }
      await res.body?.cancel().catch(() => {});
      // As fetch does: 303, and 301/302 after a POST, turn into a GET without the body.
      const method = (current.method ?? 'GET').toUpperCase();
      if (res.status === 303 ? method !== 'HEAD' : (res.status === 301 || res.status === 302) && method === 'POST') {
        const headers = new Headers(current.headers);
        for (const name of ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location'])
          headers.delete(name);
        current = { ...current, method: 'GET', body: undefined, headers };
      }
      url = next.href;
    }
  };
}

function safeUrl(location: string, base: string): URL | null {
  try {
    return new URL(location, base);
  } catch {
    return null;
  }
}
