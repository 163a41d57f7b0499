import { randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

// Random bytes drawn from the system in blocks: a call per key or id cost the admin path a twentieth of its time.
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let used = 0;

function take(length: number): Uint8Array {
  if (length > POOL_SIZE) return randomBytes(length);
  if (used + length > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    used = 0;
  }
  const bytes = pool.subarray(used, used + length);
  used += length;
  return bytes;
}

export function randomString(length: number, alphabet = BASE62): string {
  const bytes = take(length);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

/** An id that sorts in creation order (`seq` first, fixed width), with a random tail so ids are not guessable. */
export function sortableId(prefix: string, seq: number): string {
  return `${prefix}${seq.toString(32).padStart(10, '0')}${randomString(10).toLowerCase()}`;
}

/** A new API key value: `gsk_` and 52 base62 characters, as Groq's. */
export const newKeyValue = () => `gsk_${randomString(52)}`;
