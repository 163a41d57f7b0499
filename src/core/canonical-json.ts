import { createHash } from 'node:crypto';

/** JSON with sorted object keys: equal data, equal text. Used for fingerprints and idempotency. */
export function canonicalJson(value: unknown): string {
  let text = '';
  write(value, (part) => {
    text += part;
  });
  return text;
}

/**
 * The hex digest of `canonicalJson(value)`, hashed as it is written: a plan at 50,000 keys
 * fingerprints some 100,000 objects, and its text need never exist as one string.
 */
export function canonicalDigest(value: unknown, algorithm = 'sha256'): string {
  const hash = createHash(algorithm);
  let chunk = '';
  write(value, (part) => {
    chunk += part;
    if (chunk.length >= 16_384) {
      hash.update(chunk);
      chunk = '';
    }
  });
  // Parts are whole JSON tokens, so no chunk boundary splits a character's UTF-8 bytes.
  return hash.update(chunk).digest('hex');
}

function write(value: unknown, out: (part: string) => void): void {
  if (value === null || typeof value !== 'object') {
    out(JSON.stringify(value) ?? 'null');
    return;
  }
  if (Array.isArray(value)) {
    out('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out(',');
      // A hole writes nothing, as `map(...).join(',')` did: `[,1]`.
      if (i in value) write(value[i], out);
    }
    out(']');
    return;
  }
  const record = value as Record<string, unknown>;
  let first = true;
  out('{');
  for (const k of sortedKeys(record)) {
    const v = record[k];
    if (v === undefined) continue;
    out(first ? `${JSON.stringify(k)}:` : `,${JSON.stringify(k)}:`);
    first = false;
    write(v, out);
  }
  out('}');
}

/** Keys in UTF-16 code unit order (as `<` compares). An insertion sort for the few keys objects here have: no allocation. */
function sortedKeys(record: Record<string, unknown>): string[] {
  const keys = Object.keys(record);
  if (keys.length > 16) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > k) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = k;
  }
  return keys;
}
