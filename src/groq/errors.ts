import { redactSecrets } from '../redact.js';
import type { RateLimits } from './types.js';

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
  readonly rateLimits: RateLimits | null;
  constructor(init: { status: number; code: string | null; type: string | null; param?: string | null; serverMessage: string; requestId: string | null; method: string; path: string; rateLimits?: RateLimits | null }) {
    super(describe(init));
    this.rateLimits = init.rateLimits ?? null;
    this.status = init.status;
    this.code = init.code;
    this.type = init.type;
    this.param = init.param ?? null;
    this.requestId = init.requestId;
    this.method = init.method;
    this.path = init.path;
  }
  get retryable(): boolean {
    return isRetryableStatus(this.status);
  }
}

/** No usable answer: connection refused or reset, DNS, TLS, or a timeout. */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  readonly method: string;
  readonly url: string;
  readonly timedOut: boolean;
  /** Short: `timed out`, `ECONNREFUSED`, `ECONNRESET`, … */
  readonly reason: string;
  constructor(init: { method: string; url: string; timedOut: boolean; cause: unknown }) {
    const reason = init.timedOut ? 'timed out' : causeText(init.cause);
    super(`${init.method} ${init.url} failed: ${reason}. Check the base URL (--base-url / GROQ_BASE_URL), your network and any HTTPS_PROXY setting.`, { cause: init.cause });
    this.method = init.method;
    this.url = init.url;
    this.timedOut = init.timedOut;
    this.reason = reason;
  }
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 498 || status >= 500;
}

function describe(init: { status: number; code: string | null; serverMessage: string; requestId: string | null; method: string; path: string }): string {
  const where = `${init.method} ${init.path} → ${init.status}${init.code ? ` ${init.code}` : ''}${init.requestId ? ` (request ${init.requestId})` : ''}`;
  const advice = adviceFor(init.status, init.code, init.path);
  // A server may echo what it was sent; a key value must never ride along in our message.
  return `${where}: ${redactSecrets(init.serverMessage)}${advice ? `\n  ${advice}` : ''}`;
}

function adviceFor(status: number, code: string | null, path: string): string | null {
  if (path.endsWith('/chat/completions')) {
    if (status === 401) return 'this inference key is unknown, deleted or disabled';
    if (status === 429) return 'the key is over one of its rate limits; wait for retry-after';
  }
  if (status === 401) return 'the admin key was refused: set GROQ_ADMIN_KEY to a current admin key from the Groq Console (or use --sandbox)';
  if (status === 403) return 'GROQ_ADMIN_KEY holds an inference key; organization changes need an admin key: create one in the Groq Console under Settings → API keys';
  if (code === 'api_key_not_found') return 'the key was deleted while groq-rbac ran; run plan again';
  if (code === 'idempotency_key_reused') return 'a create with the same Idempotency-Key but a different body was seen: another apply may be running; wait for it and run plan again';
  if (code === 'blocked_api_access') return 'the organization is paused by its spending cap: raise spending.monthly_cap_usd in org.yaml or wait for the next month';
  if (status === 429) return 'rate limited even after retrying; try again later or lower --concurrency';
  if (status >= 500) return 'the API failed even after retrying; try again later';
  return null;
}

function causeText(cause: unknown): string {
  const c = cause as { code?: string; message?: string; cause?: { code?: string; message?: string } } | undefined;
  const inner = c?.cause ?? c;
  return inner?.code ?? inner?.message ?? String(cause);
}
