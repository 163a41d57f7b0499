/**
 * groq-rbac's bookkeeping in a Groq key's `metadata`, and the limit fields in the contract's names:
 * only the Groq provider knows these. Everything else reads the decoded marks (core/domain.ts).
 */
import type { KeyMarks } from '../../core/domain.js';
import type { LimitField } from '../../core/limits.js';
import { triggerMark } from '../../core/marks.js';
import { DELIVERED_WHEN_CREATED, type KeyMarksWrite } from '../../core/provider.js';
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
  /**
   * The live owner mark (KeyMarks.team): the team whose file had the key's project when an approved
   * apply made, adopted or moved the key. A plan refuses a project whose keys carry another team's
   * mark unless org.yaml grants the move (plan/project-ownership.ts).
   */
  team: 'groq-rbac/team',
} as const;

/**
 * `groq-rbac/delivered_at` of a generation with no delivery target: its create carries the mark
 * itself (a time would make the body differ on every retry of its Idempotency-Key), and it reads as
 * delivered at its `created_at`. A number, so that a release before this one (a pinned Action, a
 * rollback) still reads the key as delivered rather than as an interrupted rotation to redo.
 */
export const DELIVERED_ON_CREATE = '0';

/** The policy's limit fields Groq has (the four of contract v2), in the policies' order. */
export const GROQ_LIMIT_FIELDS = [
  'requests_per_minute',
  'tokens_per_minute',
  'requests_per_day',
  'tokens_per_day',
] as const satisfies readonly LimitField[];

/** Policy name → contract name. */
export const LIMIT_TO_CONTRACT: Record<(typeof GROQ_LIMIT_FIELDS)[number], RateLimitField> = {
  requests_per_minute: 'max_requests_per_1_minute',
  tokens_per_minute: 'max_tokens_per_1_minute',
  requests_per_day: 'max_requests_per_1_day',
  tokens_per_day: 'max_tokens_per_1_day',
};

/** A key's bookkeeping decoded from its metadata; null when `groq-rbac/key` is absent (unmanaged). */
export function decodeMarks(metadata: Readonly<Record<string, string>>, createdAt: number): KeyMarks | null {
  const key = metadata[METADATA.key];
  if (key === undefined) return null;
  const [trigger, claimed, discarded, team] = [
    metadata[METADATA.trigger],
    metadata[METADATA.claimedAt],
    metadata[METADATA.discardedAt],
    metadata[METADATA.team],
  ];
  const marks: KeyMarks = {
    key,
    generation: Number.parseInt(metadata[METADATA.generation] ?? '1', 10) || 1,
    // Written raw (a release before marks, or a rollback, reads it so); compared as its mark.
    trigger: trigger === undefined ? null : triggerMark(trigger),
    delivered_at: decodeDeliveredAt(metadata[METADATA.deliveredAt], createdAt),
    targets: metadata[METADATA.targets] ?? null,
    protect: metadata[METADATA.protect] === 'true',
  };
  // Only their presence counts (apply-change.ts): an unreadable time is still a claim or a discard.
  if (claimed !== undefined) marks.claimed_at = timeOr0(claimed);
  if (discarded !== undefined) marks.discarded_at = timeOr0(discarded);
  // An empty value is no mark: what a release before owner marks never wrote, and nobody can own.
  if (team !== undefined && team !== '') marks.team = team;
  return marks;
}

function decodeDeliveredAt(raw: string | undefined, createdAt: number): number | null {
  // A generation with no delivery target is marked by its own create: delivered when made.
  if (raw === DELIVERED_ON_CREATE) return createdAt;
  const n = raw === undefined ? Number.NaN : Number(raw);
  return Number.isFinite(n) ? n : null;
}

const timeOr0 = (raw: string): number => (Number.isFinite(Number(raw)) ? Number(raw) : 0);

/**
 * A new generation's metadata, entry for entry as groq-rbac has always written it (the body of a
 * create under one Idempotency-Key should not change between releases: a retry across an upgrade
 * with another body is `idempotency_key_reused`, which createKey reads as another run's create):
 * key, protect (only when set), generation, targets, trigger (raw, when set), delivered_at
 * (`DELIVERED_ON_CREATE` for a generation with no target), then team (the owner mark, when given;
 * added last, by the release that introduced it).
 */
export function encodeNewMarks(marks: KeyMarksWrite): Record<string, string> {
  const metadata: Record<string, string> = { [METADATA.key]: marks.key };
  if (marks.protect) metadata[METADATA.protect] = 'true';
  metadata[METADATA.generation] = String(marks.generation);
  metadata[METADATA.targets] = marks.targets ?? '';
  if (marks.trigger) metadata[METADATA.trigger] = marks.trigger;
  if (marks.delivered_at !== null)
    metadata[METADATA.deliveredAt] = marks.delivered_at === DELIVERED_WHEN_CREATED ? DELIVERED_ON_CREATE : String(marks.delivered_at);
  if (marks.team) metadata[METADATA.team] = marks.team;
  return metadata;
}

/** An update's metadata: only the marks given; `null` (or `protect: false`) removes an entry (the contract merges). */
export function encodeMarkUpdate(marks: Partial<KeyMarksWrite>): Record<string, string | null> {
  const metadata: Record<string, string | null> = {};
  const time = (v: number | null | undefined) => (v === null || v === undefined ? null : String(v));
  if (marks.key !== undefined) metadata[METADATA.key] = marks.key;
  if (marks.protect !== undefined) metadata[METADATA.protect] = marks.protect ? 'true' : null;
  if (marks.generation !== undefined) metadata[METADATA.generation] = String(marks.generation);
  if (marks.targets !== undefined) metadata[METADATA.targets] = marks.targets;
  if (marks.trigger !== undefined) metadata[METADATA.trigger] = marks.trigger;
  if (marks.delivered_at !== undefined)
    metadata[METADATA.deliveredAt] = marks.delivered_at === DELIVERED_WHEN_CREATED ? DELIVERED_ON_CREATE : time(marks.delivered_at);
  if (marks.claimed_at !== undefined) metadata[METADATA.claimedAt] = time(marks.claimed_at);
  if (marks.discarded_at !== undefined) metadata[METADATA.discardedAt] = time(marks.discarded_at);
  if (marks.team !== undefined) metadata[METADATA.team] = marks.team;
  return metadata;
}
