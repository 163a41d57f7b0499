import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The plan job's signature on its comment: an HMAC-SHA256, keyed by `plan-signing-key` (a secret
 * only the plan and apply jobs hold), over what apply acts on (the state, the fingerprint, the pull
 * request's head commit and number) and over a digest of every part of the comment as reviewers
 * read it. Anyone who can comment (every writer's workflow comments as `github-actions[bot]` too)
 * can write a state line; only a holder of the key can sign one, and an edit to the text changes
 * the digest.
 */
export interface SignedFields {
  state: string;
  fingerprint: string | null;
  head_sha: string | null;
  pr: number;
  /** How many comments the plan takes: a part added or deleted later shows. */
  parts: number;
  /** sha256 of the parts with the state line taken out (bodyDigest). */
  body_sha256: string;
}

// A short key is guessable offline from one signed comment: 32 characters of `openssl rand -hex 32` is 128 bits at least.
export const MIN_SIGNING_KEY_LENGTH = 32;
const DOMAIN = 'groq-rbac plan comment v1';

export function signFields(key: string, fields: SignedFields): string {
  const message = [
    DOMAIN,
    fields.state,
    fields.fingerprint ?? '',
    fields.head_sha ?? '',
    String(fields.pr),
    String(fields.parts),
    fields.body_sha256,
  ].join('\n');
  return createHmac('sha256', key).update(message, 'utf8').digest('hex');
}

export function signatureMatches(key: string, fields: SignedFields, sig: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(sig)) return false;
  return timingSafeEqual(Buffer.from(signFields(key, fields), 'hex'), Buffer.from(sig, 'hex'));
}

/** sha256 of the comment's parts in order, the state line removed: exactly the text on the page. */
export function bodyDigest(parts: readonly string[], stripStateLine: (body: string) => string): string {
  const hash = createHash('sha256');
  parts.forEach((p, i) => hash.update(`${i === 0 ? stripStateLine(p) : p}\u0000`, 'utf8'));
  return hash.digest('hex');
}
