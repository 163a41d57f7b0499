/**
 * groq-rbac's bookkeeping in a Groq key's `metadata`, and the limit fields in the contract's names:
 * only the Groq provider knows these. Everything else reads the decoded marks (core/domain.ts).
 */
import type { LimitField } from '../../core/limits.js';
import type { RateLimitField } from './wire.js';

/** groq-rbac's bookkeeping in a key's `metadata` (the contract's assumed convention). */
export const METADATA = {
  /** The policy key a live key implements; marks it managed. */
  key: 'groq-rbac/key',
  generation: 'groq-rbac/generation',
  trigger: 'groq-rbac/trigger',
  deliveredAt: 'groq-rbac/delivered_at',
  protect: 'groq-rbac/protect',
  /**
   * The delivery targets a generation is made for (a short hash), written in its create's body (and
   * by an adoption): a change of targets rotates the key. Only a reviewed apply records new targets;
   * an unreviewed run (rotations-only) makes a generation only for the targets the newest generation
   * records (rotation.ts `reviewNeeded`), so every hash found here was first written under review.
   */
  targets: 'groq-rbac/targets',
  /**
   * Written by a run whose create was replayed (another run, or its own retry, made the key) before
   * it delivers the value; and by the run that made a generation before it deletes it after a failed
   * verification or first target. Each writes its mark, then reads the other's: the creator deletes
   * only when no claim is there, a replayer delivers only when no discard is (apply-change.ts).
   */
  claimedAt: 'groq-rbac/claimed_at',
  discardedAt: 'groq-rbac/discarded_at',
} as const;

/**
 * `groq-rbac/delivered_at` of a generation with no delivery target: its create carries the mark
 * itself (a time would make the body differ on every retry of its Idempotency-Key), and it reads as
 * delivered at its `created_at`. A number, so that a release before this one (a pinned Action, a
 * rollback) still reads the key as delivered rather than as an interrupted rotation to redo.
 */
export const DELIVERED_ON_CREATE = '0';

/** Policy name → contract name. */
export const LIMIT_TO_CONTRACT: Record<LimitField, RateLimitField> = {
  requests_per_minute: 'max_requests_per_1_minute',
  tokens_per_minute: 'max_tokens_per_1_minute',
  requests_per_day: 'max_requests_per_1_day',
  tokens_per_day: 'max_tokens_per_1_day',
};
