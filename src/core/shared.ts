/**
 * What several layers share: groq-rbac's bookkeeping in key metadata, the limit fields in the
 * policies' and the contract's names, and the defaults. Depends on nothing but the contract types.
 */
import type { RateLimitField } from './contract.js';

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

/** Limit fields as the policies name them, in a fixed order. */
export const LIMIT_FIELDS = ['requests_per_minute', 'tokens_per_minute', 'requests_per_day', 'tokens_per_day'] as const;
export type LimitField = (typeof LIMIT_FIELDS)[number];

/** Policy name → contract name. */
export const LIMIT_TO_CONTRACT: Record<LimitField, RateLimitField> = {
  requests_per_minute: 'max_requests_per_1_minute',
  tokens_per_minute: 'max_tokens_per_1_minute',
  requests_per_day: 'max_requests_per_1_day',
  tokens_per_day: 'max_tokens_per_1_day',
};

/**
 * The largest limit the policies accept: far above any tier Groq sells, and exactly representable
 * (JSON numbers above 2^53 are silently rounded).
 */
export const MAX_LIMIT = 1_000_000_000_000;

/** Limits written for one model, or as a project's default: any subset of the four fields. */
export type LimitSet = Partial<Record<LimitField, number>>;

export const SAFETY_DEFAULTS = { maxDeletes: 3, maxDeletePercent: 25 } as const;
export const ROTATION_DEFAULTS = { every: '90d', quiet_period: '24h', min_overlap: '1h' } as const;

/** Dollars (as written in policies) to the contract's cents, and back. */
export const usdToCents = (usd: number): number => Math.round(usd * 100);
export const centsToUsd = (cents: number): number => cents / 100;
