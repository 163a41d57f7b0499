/** Key values must never reach output; this is the last line of defence on every stream we write. */

/**
 * Every provider's key values, so that none reaches output whichever organization a run manages:
 * - Groq: `gsk_` and base62 characters;
 * - OpenAI: `sk-` and base64url characters: project keys `sk-proj-…`, service-account keys
 *   `sk-svcacct-…`, admin keys `sk-admin-…`, and older user keys `sk-` + 48 (the prefixes OpenAI
 *   issues; its published SDK and spec show only `sk-…`, so any `sk-` value of 20 or more such
 *   characters counts, prefix or not).
 * Redacted forms (`gsk_…X3yQ`, OpenAI's `sk-abc...def`) do not match: `…` and `.` end a value.
 */
const KEY_PATTERNS = [
  { pattern: /gsk_[A-Za-z0-9]{8,}/, replacement: 'gsk_[REDACTED]' },
  // Not inside a word: `task-list-of-twenty-chars` is text, not a key.
  { pattern: /(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{20,}/, replacement: 'sk-[REDACTED]' },
] as const;
// One pass over a text for all of them (`gsk_` has `_`, never `sk-`: the two cannot overlap).
const KEY_VALUE = new RegExp(KEY_PATTERNS.map((k) => `(?:${k.pattern.source})`).join('|'), 'g');
const WHOLE_KEY_VALUE = new RegExp(`^(?:${KEY_VALUE.source})$`);
// `scheme://user:pass@host` (or `user@host`): the part before `@` is a credential.
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi;
// Shorter values would shred ordinary text; no real admin key is that short.
const MIN_SECRET_LENGTH = 6;

const secrets = new Set<string>();
let secretPattern: RegExp | null = null;

/** Redacts this exact value from everything `redactSecrets` sees from now on (the CLI registers the admin key). */
export function registerSecret(value: string | null | undefined): void {
  if (!value || value.length < MIN_SECRET_LENGTH || secrets.has(value)) return;
  // A whole `gsk_…` value is caught by the pattern already; listing each one (an apply registers
  // every key it makes) would make every line cost as many comparisons as keys.
  if (WHOLE_KEY_VALUE.test(value)) return;
  secrets.add(value);
  // Longest first, so a secret containing another is replaced whole.
  const sources = [...secrets].sort((a, b) => b.length - a.length).map(escapeRegExp);
  secretPattern = new RegExp(sources.join('|'), 'g');
}

/** Replaces registered secrets, every provider's key values and credentials in URLs. */
export function redactSecrets(text: string, extra: readonly (string | null | undefined)[] = []): string {
  let out = text;
  for (const value of extra) {
    if (value && value.length >= MIN_SECRET_LENGTH) out = out.split(value).join('[REDACTED]');
  }
  if (secretPattern) out = out.replace(secretPattern, '[REDACTED]');
  return out
    .replace(KEY_VALUE, (value) => (value.startsWith('gsk_') ? KEY_PATTERNS[0].replacement : KEY_PATTERNS[1].replacement))
    .replace(URL_CREDENTIALS, '$1***@');
}

/** Whether `text` holds anything shaped like a key value of any provider (`gsk_…`, `sk-…`). */
export function containsKeyValue(text: string): boolean {
  return new RegExp(KEY_VALUE.source).test(text);
}

/** The form the contract uses for `redacted_value`: prefix, ellipsis, last four characters. */
export function redactKeyValue(value: string): string {
  return `gsk_…${value.slice(-4)}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
