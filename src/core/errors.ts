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
