import { distance } from 'fastest-levenshtein';

/**
 * The closest of `choices` to what was typed, as git and npm suggest one: within a third of its
 * length (at least 2, at most 3 edits), or `null`. Ties go to the first choice.
 */
export function closest(typed: string, choices: readonly string[]): string | null {
  const limit = Math.min(3, Math.max(2, Math.floor(typed.length / 3)));
  let best: string | null = null;
  let bestDistance = limit + 1;
  for (const c of choices) {
    const d = distance(typed, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}
