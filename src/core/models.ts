import catalogueData from './model-catalogue.json' with { type: 'json' };
import { openAiCatalogue } from './openai-models.js';

export interface LiveModelEntry {
  id: string;
  owned_by: string;
  created: number;
  context_window: number;
  max_completion_tokens: number;
  price_per_million: { input: number; output: number };
}

export interface RetiringModel {
  id: string;
  /** `YYYY-MM-DD`, UTC. */
  shutdown_date: string;
  replacement: string | null;
}

/** Which models exist, which are going away, and which are gone. Passed around as data, never global state. */
export interface ModelCatalogue {
  live: LiveModelEntry[];
  /** Live models with an announced shutdown date. */
  deprecated: RetiringModel[];
  decommissioned: RetiringModel[];
}

export const defaultCatalogue: ModelCatalogue = catalogueData as ModelCatalogue;

/** The models a provider serves, by org.yaml's `provider:` (Groq's for groq and groq-console). */
export function catalogueFor(provider: string | undefined): ModelCatalogue {
  return provider === 'openai' ? openAiCatalogue : defaultCatalogue;
}

export type ModelStatus =
  | { kind: 'live'; entry: LiveModelEntry; retiring?: RetiringModel }
  | { kind: 'decommissioned'; entry: RetiringModel }
  | { kind: 'unknown'; suggestions: string[] };

export function lookUpModel(catalogue: ModelCatalogue, id: string): ModelStatus {
  const entry = catalogue.live.find((m) => m.id === id);
  if (entry) {
    const retiring = catalogue.deprecated.find((m) => m.id === id);
    return retiring ? { kind: 'live', entry, retiring } : { kind: 'live', entry };
  }
  const gone = catalogue.decommissioned.find((m) => m.id === id);
  if (gone) return { kind: 'decommissioned', entry: gone };
  return {
    kind: 'unknown',
    suggestions: closestMatches(
      id,
      catalogue.live.map((m) => m.id),
      3,
    ),
  };
}

/** Levenshtein distance, for "did you mean" hints. Inputs here are short identifiers. */
export function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length]!;
}

/** The candidates closest to `input`, nearest first; only those close enough to be a plausible typo. */
export function closestMatches(input: string, candidates: readonly string[], max: number): string[] {
  const limit = Math.max(2, Math.floor(input.length / 2));
  return candidates
    .map((c) => ({ c, d: Math.min(editDistance(input.toLowerCase(), c.toLowerCase()), suffixDistance(input, c)) }))
    .filter((x) => x.d <= limit)
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c))
    .slice(0, max)
    .map((x) => x.c);
}

// `gpt-oss-120b` should suggest `openai/gpt-oss-120b`: compare against the part after the vendor prefix too.
function suffixDistance(input: string, candidate: string): number {
  const slash = candidate.indexOf('/');
  return slash < 0 ? Number.POSITIVE_INFINITY : editDistance(input.toLowerCase(), candidate.slice(slash + 1).toLowerCase());
}
