/** The error hierarchy. Every error has a literal `name`; a user-facing message says what to do. */

/** Something the user can fix: bad input, a refusal, a missing setting. Exit code 1. */
export class UserError extends Error {
  override readonly name: string = 'UserError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The apply was refused before anything changed (stale plan, safety limit, wrong org). */
export class RefusalError extends UserError {
  override readonly name = 'RefusalError';
}

/** A bug of ours: the message asks the user to report it. */
export class InternalError extends Error {
  override readonly name = 'InternalError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(`${message} (this is a bug in groq-rbac; please report it with the command you ran)`, options);
  }
}

/**
 * What went wrong at a provider, in groq-rbac's terms: each provider maps its own error answers
 * (status, code) to one of these kinds, so that apply/ and app/ decide without knowing whose API
 * answered. `not_found`: the thing is not there (a 404 alone is no proof it is gone: apply confirms
 * with a list); `conflict`: another writer got there first (a reused Idempotency-Key, a name taken);
 * `refused`: the credentials may not do this; `rate_limited` and `unavailable`: try again later;
 * `invalid`: the request itself is wrong.
 */
export type ProviderErrorKind = 'not_found' | 'conflict' | 'refused' | 'rate_limited' | 'unavailable' | 'invalid';

export class ProviderError extends Error {
  override readonly name: string = 'ProviderError';
  readonly kind: ProviderErrorKind;
  /** The HTTP status, where there was one (null: no answer at all). */
  readonly status: number | null;
  /** The provider's own error code, sanitised, or null. */
  readonly code: string | null;
  /** A `conflict` with a thing another run made: its id, when the provider could tell. */
  readonly existingId: string | null;
  constructor(
    init: { kind: ProviderErrorKind; status: number | null; code: string | null; message: string; existingId?: string | null },
    options?: { cause?: unknown },
  ) {
    super(init.message, options);
    this.kind = init.kind;
    this.status = init.status;
    this.code = init.code;
    this.existingId = init.existingId ?? null;
  }
  /** Whether another attempt may succeed. */
  get retryable(): boolean {
    return this.kind === 'rate_limited' || this.kind === 'unavailable';
  }
}

/** The kind of an HTTP error status, for providers whose errors are plain HTTP (both Groq's and OpenAI's are). */
export function kindOfStatus(status: number): ProviderErrorKind {
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 401 || status === 403) return 'refused';
  if (status === 429) return 'rate_limited';
  if (status >= 500 || status === 498) return 'unavailable';
  return 'invalid';
}

export const isNotFound = (error: unknown): boolean => error instanceof ProviderError && error.kind === 'not_found';
