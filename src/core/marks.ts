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
