import { STATUS_CODES } from 'node:http';
import { redactSecrets } from '../core/redact.js';
import { oneLine } from '../core/sanitize.js';
import type { RateLimitHeaders } from '../core/contract.js';

/** Errors from talking to an HTTP API. A validation error deliberately does not extend these. */

/** The server answered with an error. `retryable` is a property of the error, not of the caller. */
export class GroqApiError extends Error {
  override readonly name = 'GroqApiError';
  readonly status: number;
  readonly code: string | null;
  readonly type: string | null;
  readonly param: string | null;
  readonly requestId: string | null;
  readonly method: string;
  readonly path: string;
  /** Groq's rate-limit headers, when the response carried them. */
  readonly rateLimits: RateLimitHeaders | null;
  /** `secrets`: values to cut from the server's message besides the registered ones (the bearer this request sent). */
  constructor(init: { status: number; code: string | null; type: string | null; param?: string | null; serverMessage: string; requestId: string | null; method: string; path: string; rateLimits?: RateLimitHeaders | null; secrets?: readonly string[]; inferenceKey?: boolean }) {
    // Every field a server fills may echo what it was sent: each is cut of secrets, not just the message.
    const clean = (v: string | null | undefined) => (v === null || v === undefined ? null : oneLine(redactSecrets(v, init.secrets)));
    super(redactSecrets(describe(init), init.secrets));
    this.rateLimits = init.rateLimits ?? null;
    this.status = init.status;
    this.code = clean(init.code);
    this.type = clean(init.type);
    this.param = clean(init.param);
    this.requestId = clean(init.requestId);
    this.method = init.method;
    this.path = init.path;
  }
  get retryable(): boolean {
    return isRetryableStatus(this.status);
  }
}

/** No usable answer: connection refused or reset, DNS, TLS, a proxy's refusal, or a timeout. */
export class NetworkError extends Error {
  override readonly name: string = 'NetworkError';
  readonly method: string;
  readonly url: string;
  readonly timedOut: boolean;
  /** Short: `timed out`, `ECONNREFUSED`, `ECONNRESET`, or which proxy refused what. */
  readonly reason: string;
  /** Whether another attempt may succeed: not after a proxy's refusal or a protocol error (the answer will not change). */
  readonly retryable: boolean;
  /** `proxy`: the proxy the request went through, if any, to name it when it refuses. */
  constructor(init: { method: string; url: string; timedOut: boolean; cause: unknown; proxy?: string | null }, problem?: string) {
    const refusal = problem ?? proxyRefusal(init.cause, init.url, init.proxy ?? null);
    const reason = redactSecrets(init.timedOut ? 'timed out' : refusal ?? causeText(init.cause));
    const message = problem !== undefined
      ? `${init.method} ${redactSecrets(pathOf(init.url))} failed: ${reason}`
      : refusal !== null
        ? `${init.method} ${redactSecrets(init.url)} failed: ${reason}: check HTTPS_PROXY/HTTP_PROXY and NO_PROXY`
        : `${init.method} ${redactSecrets(init.url)} failed: ${reason}. Check the base URL (--base-url / GROQ_BASE_URL), your network and any HTTPS_PROXY setting.`;
    super(message, { cause: init.cause });
    this.method = init.method;
    this.url = redactSecrets(init.url);
    this.timedOut = init.timedOut;
    this.reason = reason;
    this.retryable = refusal === null;
  }
}

/**
 * An answer the API never gives, so it is not retried: a redirect (followed, it would carry the
 * admin key and the body to another origin) or a body beyond the size cap.
 */
export class ProtocolError extends NetworkError {
  override readonly name: string = 'ProtocolError';
  constructor(init: { method: string; url: string; problem: string }) {
    super({ method: init.method, url: init.url, timedOut: false, cause: null }, init.problem);
  }
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 498 || status >= 500;
}

function describe(init: { status: number; code: string | null; param?: string | null; serverMessage: string; requestId: string | null; method: string; path: string; secrets?: readonly string[]; inferenceKey?: boolean }): string {
  const where = `${init.method} ${init.path} → ${init.status}${init.code ? ` ${init.code}` : ''}${init.requestId ? ` (request ${init.requestId})` : ''}`;
  const advice = adviceFor(init.status, init.code, init.param ?? null, init.path, init.inferenceKey ?? init.path.endsWith('/chat/completions'));
  // A server may echo what it was sent (the Authorization header included); no key rides along in our message.
  return `${oneLine(where)}: ${oneLine(redactSecrets(init.serverMessage, init.secrets))}${advice ? `\n  ${advice}` : ''}`;
}

function adviceFor(status: number, code: string | null, param: string | null, path: string, inferenceKey: boolean): string | null {
  if (code === 'unknown_url') return 'this URL is not part of the API: check --base-url / GROQ_BASE_URL (the host only, e.g. https://api.groq.com)';
  if (code === 'blocked_api_access') return "the organization reached its spend limit: raise spending.monthly_cap_usd in org.yaml, or wait for the month to turn (the 1st, UTC)";
  if (inferenceKey) {
    if (status === 401) return 'this API key is unknown or deleted, or its project is archived';
    if (status === 403) return "the model is blocked by the organization's or the project's model permissions";
    if (status === 413) return "one request is larger than the project's tokens-per-minute limit: ask for fewer max_completion_tokens or raise tokens_per_minute";
    if (status === 429) return "the project is over one of its rate limits for this model; wait for retry-after";
  }
  if (status === 401) return 'the admin key was refused: set GROQ_ADMIN_KEY to a current admin key from the Groq Console (or use --sandbox)';
  if (status === 403) return 'GROQ_ADMIN_KEY holds a project API key; managing the organization needs an admin key: create one in the Groq Console and set GROQ_ADMIN_KEY to it';
  if (code === 'idempotency_key_reused') return 'a create with the same Idempotency-Key but a different body was seen: another apply may be running; wait for it and run plan again';
  if (status === 404 && /\/api_keys\/[^/]+$/.test(path)) return 'the key was deleted while groq-rbac ran; run plan again';
  if (status === 404 && /\/spend_alerts\/[^/]+$/.test(path)) return 'the spend alert was deleted while groq-rbac ran; run plan again';
  if (status === 404 && path.includes('/organization/projects/')) return 'the project was deleted while groq-rbac ran; run plan again';
  if (status === 400 && param === 'model_ids' && path.includes('/organization/projects/')) return "a project may only narrow the models the organization allows: check `models` in org.yaml and in the team's file";
  if (status === 400 && path.includes('/rate_limits/')) return "a project's limits must be positive integers no higher than the organization's own limit for that model (see `limits` in org.yaml)";
  if (status === 429) return 'rate limited even after retrying; try again later or lower --concurrency';
  if (status >= 500) return 'the API failed even after retrying; try again later';
  return null;
}

/**
 * A short text for whatever a fetch failure carries. Causes nest (`fetch failed` → an AbortError
 * → undici's own error) and their `code` may be a number (DOMException's is `0`): only a non-empty
 * string is taken, innermost first; anything else becomes its message or its `String()`.
 */
export function causeText(cause: unknown): string {
  const chain = causeChain(cause);
  for (const c of [...chain].reverse()) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
  }
  for (const c of [...chain].reverse()) {
    const message = (c as { message?: unknown }).message;
    if (typeof message === 'string' && message !== '') return message;
  }
  try {
    return String(cause);
  } catch {
    return 'unknown error';
  }
}

/** The error and its causes, outermost first; bounded, so a cycle of causes cannot loop. */
function causeChain(cause: unknown): object[] {
  const chain: object[] = [];
  for (let c: unknown = cause; c !== null && typeof c === 'object' && chain.length < 8 && !chain.includes(c); c = (c as { cause?: unknown }).cause) chain.push(c);
  return chain;
}

/**
 * undici's words when a proxy answers CONNECT with anything but 200 (`Proxy response (403) !== 200
 * when HTTP Tunneling`, lib/dispatcher/proxy-agent.js), made into which proxy refused what.
 */
function proxyRefusal(cause: unknown, url: string, proxy: string | null): string | null {
  for (const c of causeChain(cause)) {
    const message = (c as { message?: unknown }).message;
    const m = typeof message === 'string' ? /Proxy response \((\d{3})\) !== 200/.exec(message) : null;
    if (!m) continue;
    const status = Number(m[1]);
    const text = STATUS_CODES[status] ?? 'refused';
    let target = url;
    try {
      const u = new URL(url);
      target = `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
    } catch {
      // Keep the URL as given.
    }
    return `the proxy ${proxy ?? '(from HTTPS_PROXY/HTTP_PROXY)'} refused to open a tunnel to ${target} (${status} ${text})`;
  }
  return null;
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}
