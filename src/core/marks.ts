/**
 * groq-rbac's own bookkeeping values, the same for every provider: what a provider stores of a
 * trigger, whatever room it has.
 */
import { createHash } from 'node:crypto';

/**
 * What a key generation records of the trigger it was made for: a short sha256 of it, so that a
 * provider that can store only a few characters per key (OpenAI: in a service account's name) and
 * one that can store the whole value (Groq: key metadata) compare the same way. Rotation compares
 * `triggerMark(policy trigger)` with the mark a live key carries (`KeyMarks.trigger`).
 */
export function triggerMark(trigger: string): string {
  return createHash('sha256').update(trigger, 'utf8').digest('hex').slice(0, 16);
}

/**
 * The hashed form of a team's owner mark (`KeyMarks.team`), for a provider that cannot fit the
 * team's name (OpenAI, next to a long key name): `~` and 8 hex of sha256. `~` never occurs in a team
 * name (schemas/team.schema.json: `[a-z0-9-]`), so the two forms cannot be mistaken for each other.
 */
export function hashedTeamMark(team: string): string {
  return `~${createHash('sha256').update(`team:${team}`, 'utf8').digest('hex').slice(0, 8)}`;
}

/** Whether an owner mark, in either form, names `team`. */
export function isTeamMark(mark: string, team: string): boolean {
  return mark === team || (mark.startsWith('~') && mark === hashedTeamMark(team));
}

/** The team an owner mark names, among `teams` (the policies' team names); null when none has it. */
export function teamOfMark(mark: string, teams: readonly string[]): string | null {
  return teams.find((t) => isTeamMark(mark, t)) ?? null;
}
