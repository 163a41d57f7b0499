/**
 * groq-rbac's bookkeeping in an OpenAI service account's name. OpenAI keys have no metadata
 * (docs/openai-admin-api.md, "Project API keys"), so each key generation is its own service account
 * whose name carries the marks, version 1:
 *
 *   grbac1 <key> g<generation> [d<delivered>] [t<trigger>] [x<targets>] [o<team>] [c<claimed>] [z<discarded>] [p] n<nonce>
 *
 * - `<key>`: the policy key name (`[A-Za-z0-9][A-Za-z0-9._-]{0,63}`, schemas/team.schema.json: no
 *   spaces, so fields split on single spaces unambiguously), or where the name would be longer than
 *   MAX_NAME_LENGTH, `<first 16 characters>~<10 hex of sha256(key)>` (`~` never occurs in a key name);
 * - `g`: the generation, decimal, ≥ 1; `d`: delivered at, Unix seconds in base 36 (`d0`: delivered on
 *   create, read as the key's created_at); absent: not delivered;
 * - `t`: triggerMark(trigger) (core/marks.ts), 16 hex; `x`: the targets hash, 16 hex (plan/rotation.ts targetsHash);
 * - `o`: the live owner mark (KeyMarks.team): the team's name (`[a-z0-9][a-z0-9-]{0,62}`), or where the
 *   name would then be longer than MAX_NAME_LENGTH, its hashed form `~<8 hex>` (core/marks.ts
 *   hashedTeamMark), which the plan compares with the policies' teams; the team is hashed before the key;
 * - `c`, `z`: claimed at, discarded at (the rotation race's marks, apply-change.ts), base 36 like `d`;
 * - `p`: protect; `n`: 8 hex of sha256(create identity), what a lost create's recovery deletes by.
 *
 * A name decodes only if encoding what it decodes to gives the same name back: nothing else is ever
 * read as managed, and a version 2 can change anything after `grbac2 `.
 */
import { createHash } from 'node:crypto';
import type { KeyMarks } from '../../core/domain.js';
import { InternalError } from '../../core/errors.js';
import { hashedTeamMark, triggerMark } from '../../core/marks.js';

export const NAME_PREFIX = 'grbac1';
/**
 * OpenAI documents no limit on a service account's name (docs/openai-admin-api.md): assumed 128
 * characters is safe. Every name made here fits: with the key and the team hashed, every mark, claim
 * and discard included, at the largest generation and times, it is exactly 128 (7 + 27 key, 7
 * generation, 3 × 9 times, 2 × 18 hashes, 11 team, 2 protect, 10 nonce). To make room for the owner
 * mark, the release that added it lowered the bounds below (from 999,999,999 generations and 8 base-36
 * digits of time): a generation a day for 2,700 years, times to the year 4453.
 */
export const MAX_NAME_LENGTH = 128;
export const DELIVERED_ON_CREATE = 0;

const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const HASHED_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,15}~[0-9a-f]{10}$/;
const TRIGGER = /^[0-9a-f]{16}$/;
const TARGETS = /^[0-9a-f]{16}$/;
const NONCE = /^[0-9a-f]{8}$/;
const TEAM = /^(?:[a-z0-9][a-z0-9-]{0,62}|~[0-9a-f]{8})$/;
const MAX_GENERATION = 999_999;
/** d<7 base-36 digits> at most: up to the year 4453. */
const MAX_TIME = 36 ** 7 - 1;
const NAME =
  /^grbac1 ([A-Za-z0-9][A-Za-z0-9._~-]{0,63}) g([1-9][0-9]{0,5})(?: d(0|[1-9a-z][0-9a-z]{0,6}))?(?: t([0-9a-f]{16}))?(?: x([0-9a-f]{16}))?(?: o([a-z0-9][a-z0-9-]{0,62}|~[0-9a-f]{8}))?(?: c(0|[1-9a-z][0-9a-z]{0,6}))?(?: z(0|[1-9a-z][0-9a-z]{0,6}))?( p)?(?: n([0-9a-f]{8}))$/;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** What a trigger becomes in the marks: the same short hash for every provider (core/marks.ts). */
export { triggerMark };
/** The nonce of a create (8 hex of sha256 of its identity): stable across its attempts. */
export const nonceFor = (identity: string): string => sha256(`nonce:${identity}`).slice(0, 8);
/** The hashed form of a long key name. */
export const hashedKey = (key: string): string => `${key.slice(0, 16)}~${sha256(`key:${key}`).slice(0, 10)}`;

export interface DecodedName {
  marks: KeyMarks;
  nonce: string;
  /** The key was written hashed; `marks.key` is the policy key if the lookup knew it, else the hashed form. */
  hashed: boolean;
}

/**
 * The name for `marks`; throws InternalError for marks no policy can produce (a bug of ours). The
 * shortest form that fits: everything plain, else the team hashed, else the key too.
 */
export function encodeName(marks: KeyMarks, nonce: string): string {
  check(marks, nonce);
  const hashedTeam = typeof marks.team === 'string' && !marks.team.startsWith('~') ? { ...marks, team: hashedTeamMark(marks.team) } : marks;
  const forms: [string, KeyMarks][] = [
    [marks.key, marks],
    [marks.key, hashedTeam],
  ];
  if (!HASHED_KEY.test(marks.key)) forms.push([hashedKey(marks.key), hashedTeam]);
  const names = forms.map(([token, m]) => compose(token, m, nonce));
  // The last form always fits (MAX_NAME_LENGTH above).
  return names.find((n) => n.length <= MAX_NAME_LENGTH) ?? names.at(-1)!;
}

/**
 * The marks in a service account's name, or null when groq-rbac did not make it. `keyNames`: the
 * policy key names, to map a hashed key back (a hashed key nobody names stays hashed: a managed key
 * of a policy key since removed). Never throws.
 */
export function decodeName(name: string, keyNames?: ReadonlyMap<string, string> | readonly string[]): DecodedName | null {
  if (typeof name !== 'string' || name.length > MAX_NAME_LENGTH) return null;
  const m = NAME.exec(name);
  if (!m) return null;
  const [, token, gen, delivered, trigger, targets, team, claimed, discarded, protect, nonce] = m;
  const hashed = token!.includes('~');
  if (hashed ? !HASHED_KEY.test(token!) : !KEY_NAME.test(token!)) return null;
  const marks: KeyMarks = {
    key: token!,
    generation: Number(gen),
    trigger: trigger ?? null,
    delivered_at: delivered === undefined ? null : parseInt(delivered, 36),
    targets: targets ?? null,
    protect: protect !== undefined,
  };
  if (team !== undefined) marks.team = team;
  if (claimed !== undefined) marks.claimed_at = parseInt(claimed, 36);
  if (discarded !== undefined) marks.discarded_at = parseInt(discarded, 36);
  for (const t of [marks.delivered_at, marks.claimed_at, marks.discarded_at])
    if (t !== null && t !== undefined && t > MAX_TIME) return null;
  // Canonical only: the same fields in any other spelling were not written by encodeName.
  if (compose(token!, marks, nonce!) !== name) return null;
  if (hashed) {
    const real = resolve(token!, keyNames);
    // A key whose plain name fits would never have been hashed.
    if (real !== null && compose(real, marks, nonce!).length > MAX_NAME_LENGTH) marks.key = real;
  }
  return { marks, nonce: nonce!, hashed };
}

/** The hashed key → policy key lookup for decodeName, built once per read. */
export function keyLookup(keyNames: readonly string[]): ReadonlyMap<string, string> {
  const byHash = new Map<string, string>();
  const clash = new Set<string>();
  for (const key of keyNames) {
    const h = hashedKey(key);
    if (byHash.has(h) && byHash.get(h) !== key) clash.add(h);
    byHash.set(h, key);
  }
  // Two policy keys with one hashed form (40 bits: not expected): neither is claimed.
  for (const h of clash) byHash.delete(h);
  return byHash;
}

function resolve(token: string, keyNames?: ReadonlyMap<string, string> | readonly string[]): string | null {
  if (!keyNames) return null;
  const map = Array.isArray(keyNames) ? keyLookup(keyNames) : (keyNames as ReadonlyMap<string, string>);
  return map.get(token) ?? null;
}

function compose(token: string, marks: KeyMarks, nonce: string): string {
  let name = `${NAME_PREFIX} ${token} g${marks.generation}`;
  if (marks.delivered_at !== null) name += ` d${marks.delivered_at.toString(36)}`;
  if (marks.trigger !== null) name += ` t${marks.trigger}`;
  if (marks.targets !== null) name += ` x${marks.targets}`;
  if (marks.team !== null && marks.team !== undefined) name += ` o${marks.team}`;
  if (marks.claimed_at !== null && marks.claimed_at !== undefined) name += ` c${marks.claimed_at.toString(36)}`;
  if (marks.discarded_at !== null && marks.discarded_at !== undefined) name += ` z${marks.discarded_at.toString(36)}`;
  if (marks.protect) name += ' p';
  return `${name} n${nonce}`;
}

function check(marks: KeyMarks, nonce: string): void {
  const bad = (what: string) =>
    new InternalError(`cannot encode the marks of key "${String(marks.key).slice(0, 80)}" in a service account name: ${what}`);
  if (!KEY_NAME.test(marks.key) && !HASHED_KEY.test(marks.key)) throw bad('the key name is not a policy key name');
  if (!Number.isInteger(marks.generation) || marks.generation < 1 || marks.generation > MAX_GENERATION)
    throw bad(`the generation is not an integer from 1 to ${MAX_GENERATION}`);
  if (marks.delivered_at !== null && !(Number.isInteger(marks.delivered_at) && marks.delivered_at >= 0 && marks.delivered_at <= MAX_TIME))
    throw bad('delivered_at is not Unix seconds');
  if (marks.trigger !== null && !TRIGGER.test(marks.trigger)) throw bad('the trigger is not triggerMark(trigger)');
  for (const [what, t] of [
    ['claimed_at', marks.claimed_at],
    ['discarded_at', marks.discarded_at],
  ] as const) {
    if (t !== null && t !== undefined && !(Number.isInteger(t) && t >= 0 && t <= MAX_TIME)) throw bad(`${what} is not Unix seconds`);
  }
  if (marks.targets !== null && !TARGETS.test(marks.targets)) throw bad('the targets hash is not 16 hex digits');
  if (marks.team !== null && marks.team !== undefined && !TEAM.test(marks.team))
    throw bad('the team is not a team name or its hashed mark');
  if (typeof marks.protect !== 'boolean') throw bad('protect is not a boolean');
  if (!NONCE.test(nonce)) throw bad('the nonce is not 8 hex digits');
}
