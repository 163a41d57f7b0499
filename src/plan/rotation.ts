/**
 * Key rotation phases, derived on every run from the live keys' marks, the org's clock and its
 * usage data alone: no state file, no cache, no secret kept. See "Delivery and staged rotation" in the README.
 *
 * - steady: one delivered generation, nothing older;
 * - due: the current generation is older than `every`, or its trigger or delivery targets differ;
 * - rotating (inside one apply): create N+1, verify, deliver, mark delivered (a generation with no
 *   delivery target is one create that carries the mark itself: `DELIVERED_ON_CREATE`);
 * - draining: older generations are retired once the new one has been delivered for `min_overlap`
 *   and the old one has been quiet for `quiet_period` (usage buckets and `last_used_at`).
 * A newest generation without a delivery mark (a crash mid-rotation) drains like any old key, and
 * the rotation starts again at the next generation number.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/canonical-json.js';
import type { LiveKey, UsageRow } from '../core/domain.js';
import { triggerMark } from '../core/marks.js';
import type { Delivery, DesiredKey } from '../policy/types.js';
import type { PendingStep, ReviewReason, RotationCause } from './types.js';

/**
 * An undelivered generation younger than this is taken to be another run's rotation in progress
 * (create → verify → deliver → mark takes seconds); older, it is an interrupted one, and drains.
 */
export const IN_PROGRESS_GRACE_SECONDS = 15 * 60;

/** Usage data may trail traffic (Groq: 10–15 minutes); a quiet period is checked this much further back. */
export const USAGE_LAG_ALLOWANCE_SECONDS = 15 * 60;

export const generationOf = (k: LiveKey): number => k.marks?.generation ?? 1;
/**
 * When a generation was marked delivered (org seconds), or null if it never was. A generation with
 * no delivery target is marked by its own create: its provider reads it as delivered when made.
 */
export const deliveredAt = (k: LiveKey): number | null => k.marks?.delivered_at ?? null;

export interface Lineage {
  /** The newest delivered generation: the key in service. */
  current: LiveKey | null;
  /** A newer, undelivered generation another run is delivering now: nothing starts until it is done. */
  inProgress: LiveKey | null;
  /** Everything else: older generations, and undelivered ones left by an interrupted run. */
  old: LiveKey[];
  nextGeneration: number;
}

/** Sorts one policy key's live keys into the one in service, one being delivered, and the ones to drain. */
export function lineageOf(keys: readonly LiveKey[], now: number): Lineage {
  const delivered = keys.filter((k) => deliveredAt(k) !== null);
  const newest = (a: LiveKey, b: LiveKey) =>
    generationOf(b) - generationOf(a) ||
    (deliveredAt(b) ?? 0) - (deliveredAt(a) ?? 0) ||
    b.created_at - a.created_at ||
    (a.id < b.id ? 1 : -1);
  const current = first(delivered, newest);
  const inProgress = first(
    keys.filter(
      (k) =>
        deliveredAt(k) === null &&
        now - k.created_at < IN_PROGRESS_GRACE_SECONDS &&
        (current === null || generationOf(k) > generationOf(current)),
    ),
    newest,
  );
  const old = keys
    .filter((k) => k !== current && k !== inProgress)
    .sort((a, b) => generationOf(a) - generationOf(b) || (a.id < b.id ? -1 : 1));
  const nextGeneration = Math.max(0, ...keys.map(generationOf)) + 1;
  return { current, inProgress, old, nextGeneration };
}

/** What `[...list].sort(order)[0]` would be, in one pass: a plan asks this for every key. */
function first<T>(list: readonly T[], order: (a: T, b: T) => number): T | null {
  let best: T | null = null;
  for (const item of list) if (best === null || order(item, best) < 0) best = item;
  return best;
}

/** A short, value-free description of where a value goes, for plans and reports. */
export function deliveryLabel(d: Delivery): string {
  switch (d.kind) {
    case 'github':
      return `github ${d.repository}${d.environment ? ` environment ${d.environment}` : ''} secret ${d.secret}`;
    case 'vault':
      return `vault ${d.address ? `${d.address} ` : ''}${d.path}#${d.field}`;
    case 'file':
      return `file ${d.path} (${(d.mode ?? '600').replace(/^0?/, '0')})`;
  }
}

/** The mark a delivered generation carries: which targets it reached. Any change to them rotates the key. */
export function targetsHash(deliver: readonly Delivery[]): string {
  let hash = targetsHashes.get(deliver);
  if (hash === undefined) {
    const ids = deliver.map((d) => canonicalJson(d)).sort();
    hash = createHash('sha256').update(canonicalJson(ids)).digest('hex').slice(0, 16);
    targetsHashes.set(deliver, hash);
  }
  return hash;
}

// A plan asks for each key's hash several times; read-policies.ts freezes the lists it makes.
const targetsHashes = new WeakMap<readonly Delivery[], string>();

/**
 * Whether a new generation for `hash` needs a reviewed apply, or an unreviewed run (rotations-only)
 * may make it: only when the newest generation that records its targets (the targets mark, in its
 * create) records exactly these (any one of them, where two runs made one generation twice). The
 * newest approval wins: targets a later reviewed apply moved away from are not used again unreviewed.
 * Delivered or not does not matter: an interrupted generation records what its run was approved for.
 */
export function reviewNeeded(keys: readonly LiveKey[], hash: string): ReviewReason | null {
  let newest = 0;
  let approved = false;
  for (const k of keys) {
    const recorded = k.marks?.targets ?? null;
    if (recorded === null) continue;
    const g = generationOf(k);
    if (g > newest) [newest, approved] = [g, false];
    if (g === newest && recorded === hash) approved = true;
  }
  if (newest === 0) return 'targets_unrecorded';
  return approved ? null : 'targets_changed';
}

/** Why the current generation must be replaced now, or null. The first cause found wins. */
export function rotationCause(key: DesiredKey, current: LiveKey, now: number): { cause: RotationCause; time_driven: boolean } | null {
  // A new trigger rotates; removing one does not (nothing leaked by deleting a line).
  // Compared as marks: a provider may store only the mark (OpenAI), another the trigger itself (Groq).
  if (key.rotation.trigger !== null && (current.marks?.trigger ?? null) !== triggerMark(key.rotation.trigger))
    return { cause: 'trigger', time_driven: false };
  const targets = current.marks?.targets ?? null;
  if (targets !== null && targets !== targetsHash(key.rotation.deliver)) return { cause: 'targets', time_driven: false };
  if (now - current.created_at >= key.rotation.everySeconds) return { cause: 'age', time_driven: true };
  return null;
}

/** Last request seen in the usage buckets per key id over the window asked for; `null`: none. */
export type KeyUsage = ReadonlyMap<string, number | null>;

/**
 * Whether an old generation may be retired now. `replacementDeliveredAt` is when the generation
 * in service was delivered (`now` when this run delivers it).
 */
export function retireDecision(input: {
  old: LiveKey;
  key: DesiredKey;
  replacementDeliveredAt: number;
  now: number;
  usage: KeyUsage;
}): { retire: true } | { retire: false; pending: Omit<PendingStep, 'project' | 'key'> } {
  const { old, key, replacementDeliveredAt, now, usage } = input;
  const { quietPeriodSeconds: quiet, minOverlapSeconds: overlap } = key.rotation;
  const base = { key_id: old.id, generation: generationOf(old), last_used_at: old.last_used_at };
  const overlapLeft = replacementDeliveredAt + overlap - now;
  if (overlapLeft > 0) return { retire: false, pending: { ...base, waiting_for: 'overlap', seconds_left: overlapLeft } };
  if (quiet === 0) return { retire: true };
  const seen = usage.get(old.id);
  if (seen === undefined) return { retire: false, pending: { ...base, waiting_for: 'usage', seconds_left: null } };
  const lastActivity = Math.max(old.last_used_at ?? 0, seen ?? 0);
  const quietSince = lastActivity === 0 ? old.created_at : lastActivity;
  const left = quietSince + quiet + USAGE_LAG_ALLOWANCE_SECONDS - now;
  if (left > 0) return { retire: false, pending: { ...base, waiting_for: 'quiet', seconds_left: left } };
  return { retire: true };
}

/**
 * What a reviewer approves about rotation, whatever is due today: each key's settings. Part of the
 * fingerprint, so that editing `every` or `quiet_period` is never applied under an older approval.
 */
export function rotationSettings(keys: readonly DesiredKey[]): unknown[] {
  return keys
    .map((k) => ({
      key: k.name,
      every: k.rotation.everySeconds,
      quiet: k.rotation.quietPeriodSeconds,
      overlap: k.rotation.minOverlapSeconds,
      trigger: k.rotation.trigger,
      targets: targetsHash(k.rotation.deliver),
    }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
}

/** The usage window a retirement check of `key` needs read, from `now` back. */
export function quietWindowSeconds(key: DesiredKey): number {
  return key.rotation.quietPeriodSeconds + USAGE_LAG_ALLOWANCE_SECONDS;
}

/** Last activity per key from usage rows: a bucket with requests counts as use up to its end (or now). */
export function keyUsageFromRows(keyIds: readonly string[], rows: readonly UsageRow[], now: number): Map<string, number | null> {
  const usage = new Map<string, number | null>(keyIds.map((id) => [id, null]));
  for (const r of rows) {
    if (r.requests <= 0 || r.key_id === null || !usage.has(r.key_id)) continue;
    usage.set(r.key_id, Math.max(usage.get(r.key_id) ?? 0, Math.min(r.end_time, now)));
  }
  return usage;
}
