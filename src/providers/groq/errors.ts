import { kindOfStatus, ProviderError } from '../../core/errors.js';
import { redactSecrets } from '../../core/redact.js';
import { oneLine } from '../../core/sanitize.js';
import { isRetryableStatus } from '../../net/errors.js';
import type { RateLimitHeaders } from './wire.js';

/**
 * Groq's error answers. A validation error deliberately does not extend these. Each is a
 * ProviderError of the kind its status says (core/errors.ts), so apply/ and app/ need not know Groq.
 */

/** The server answered with an error. `retryable` is a property of the error, not of the caller. */
export class GroqApiError extends ProviderError {
  override readonly name = 'GroqApiError';
  readonly type: string | null;
  readonly param: string | null;
  readonly requestId: string | null;
  readonly method: string;
  readonly path: string;
  /** Groq's rate-limit headers, when the response carried them. */
  readonly rateLimits: RateLimitHeaders | null;
  /** `secrets`: values to cut from the server's message besides the registered ones (the bearer this request sent). */
  constructor(init: {
    status: number;
    code: string | null;
    type: string | null;
    param?: string | null;
    serverMessage: string;
    requestId: string | null;
    method: string;
    path: string;
    rateLimits?: RateLimitHeaders | null;
    secrets?: readonly string[];
    inferenceKey?: boolean;
  }) {
    // Every field a server fills may echo what it was sent: each is cut of secrets, not just the message.
    const clean = (v: string | null | undefined) => (v === null || v === undefined ? null : oneLine(redactSecrets(v, init.secrets)));
    super({
      kind: kindOfStatus(init.status),
      status: init.status,
      code: clean(init.code),
      message: redactSecrets(describe(init), init.secrets),
    });
    this.rateLimits = init.rateLimits ?? null;
    this.type = clean(init.type);
    this.param = clean(init.param);
    this.requestId = clean(init.requestId);
    this.method = init.method;
    this.path = init.path;
  }
  override get retryable(): boolean {
    return this.status !== null && isRetryableStatus(this.status);
  }
}

function describe(init: {
  status: number;
  code: string | null;
  param?: string | null;
  serverMessage: string;
  requestId: string | null;
  method: string;
  path: string;
  secrets?: readonly string[];
  inferenceKey?: boolean;
}): string {
  const where = `${init.method} ${init.path} → ${init.status}${init.code ? ` ${init.code}` : ''}${init.requestId ? ` (request ${init.requestId})` : ''}`;
  const advice = adviceFor(
    init.status,
    init.code,
    init.param ?? null,
    init.path,
    init.inferenceKey ?? init.path.endsWith('/chat/completions'),
  );
  // A server may echo what it was sent (the Authorization header included); no key rides along in our message.
  return `${oneLine(where)}: ${oneLine(redactSecrets(init.serverMessage, init.secrets))}${advice ? `\n  ${advice}` : ''}`;
}

function adviceFor(status: number, code: string | null, param: string | null, path: string, inferenceKey: boolean): string | null {
  if (code === 'unknown_url')
    return 'this URL is not part of the API: check --base-url / GROQ_BASE_URL (the host only, e.g. https://api.groq.com)';
  if (code === 'blocked_api_access')
    return 'the organization reached its spend limit: raise spending.monthly_cap_usd in org.yaml, or wait for the month to turn (the 1st, UTC)';
  if (inferenceKey) {
    if (status === 401) return 'this API key is unknown or deleted, or its project is archived';
    if (status === 403) return "the model is blocked by the organization's or the project's model permissions";
    if (status === 413)
      return "one request is larger than the project's tokens-per-minute limit: ask for fewer max_completion_tokens or raise tokens_per_minute";
    if (status === 429) return 'the project is over one of its rate limits for this model; wait for retry-after';
  }
  if (status === 401)
    return 'the admin key was refused: set GROQ_ADMIN_KEY to a current admin key from the Groq Console (or use --sandbox)';
  if (status === 403)
    return 'GROQ_ADMIN_KEY holds a project API key; managing the organization needs an admin key: create one in the Groq Console and set GROQ_ADMIN_KEY to it';
  if (code === 'idempotency_key_reused')
    return 'a create with the same Idempotency-Key but a different body was seen: another apply may be running; wait for it and run plan again';
  if (status === 404 && /\/api_keys\/[^/]+$/.test(path)) return 'the key was deleted while groq-rbac ran; run plan again';
  if (status === 404 && /\/spend_alerts\/[^/]+$/.test(path)) return 'the spend alert was deleted while groq-rbac ran; run plan again';
  if (status === 404 && path.includes('/organization/projects/')) return 'the project was deleted while groq-rbac ran; run plan again';
  if (status === 400 && param === 'model_ids' && path.includes('/organization/projects/'))
    return "a project may only narrow the models the organization allows: check `models` in org.yaml and in the team's file";
  if (status === 400 && path.includes('/rate_limits/'))
    return "a project's limits must be positive integers no higher than the organization's own limit for that model (see `limits` in org.yaml)";
  if (status === 429) return 'rate limited even after retrying; try again later or lower --concurrency';
  if (status >= 500) return 'the API failed even after retrying; try again later';
  return null;
}
