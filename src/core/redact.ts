/** Key values must never reach output; this is the last line of defence on every stream we write. */

// Groq key values are `gsk_` followed by base62 characters; redacted forms (`gsk_…X3yQ`) do not match.
const KEY_VALUE = /gsk_[A-Za-z0-9]{8,}/g;
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
  if (new RegExp(`^${KEY_VALUE.source}$`).test(value)) return;
  secrets.add(value);
  // Longest first, so a secret containing another is replaced whole.
  const sources = [...secrets].sort((a, b) => b.length - a.length).map(escapeRegExp);
  secretPattern = new RegExp(sources.join('|'), 'g');
}

/** Replaces registered secrets, `gsk_…` key values and credentials in URLs. */
export function redactSecrets(text: string, extra: readonly (string | null | undefined)[] = []): string {
  let out = text;
  for (const value of extra) {
    if (value && value.length >= MIN_SECRET_LENGTH) out = out.split(value).join('[REDACTED]');
  }
  if (secretPattern) out = out.replace(secretPattern, '[REDACTED]');
  return out.replace(KEY_VALUE, 'gsk_[REDACTED]').replace(URL_CREDENTIALS, '$1***@');
}

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
