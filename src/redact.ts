/** Key values must never reach output; this is the last line of defence on every stream we write. */

// Groq key values are `gsk_` followed by base62 characters; redacted forms (`gsk_…X3yQ`) do not match.
const KEY_VALUE = /gsk_[A-Za-z0-9]{8,}/g;

export function redactSecrets(text: string): string {
  return text.replace(KEY_VALUE, 'gsk_[REDACTED]');
}

export function containsKeyValue(text: string): boolean {
  return new RegExp(KEY_VALUE.source).test(text);
}

/** The form the contract uses for `redacted_value`: prefix, ellipsis, last four characters. */
export function redactKeyValue(value: string): string {
  return `gsk_…${value.slice(-4)}`;
}
