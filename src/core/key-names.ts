/**
 * Policy key names for live keys whose own name is not one. Where a provider keeps groq-rbac's
 * marks in the key's name (no key metadata: OpenAI's service accounts), an unmanaged key's name is
 * free text ("Billing bot (prod)"), and adopting it renames it anyway. Such a key is then known by a
 * name derived from its own: `import` writes it, and `plan` adopts the key by it. The same pure
 * functions on both sides keep the two in step.
 */
import { createHash } from 'node:crypto';

const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MAX = 64;
/** `-` and 6 hex digits: what tells two keys of one derived name apart. */
const SUFFIX = 7;

export const isPolicyKeyName = (name: string): boolean => KEY_NAME.test(name);

/**
 * The policy key name for a live key's name: the name itself where it is one, else each run of
 * other characters as `-` (accents dropped), from the first letter or digit, at most 64
 * characters; `key` when nothing is left.
 */
export function derivedKeyName(name: string): string {
  if (KEY_NAME.test(name)) return name;
  const plain = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  const slug = plain
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, MAX)
    .replace(/-+$/, '');
  return slug === '' ? 'key' : slug;
}

/** The derived name made distinct by the key's id, for a second key of the same derived name. */
export function distinctKeyName(name: string, keyId: string): string {
  const hash = createHash('sha256')
    .update(`key-name:${keyId}`)
    .digest('hex')
    .slice(0, SUFFIX - 1);
  return `${derivedKeyName(name).slice(0, MAX - SUFFIX)}-${hash}`;
}

/** Whether `policyKey` names the unmanaged live key `live` by a derived name (the key's own name aside). */
export function namesByDerivation(policyKey: string, live: { name: string; id: string }): boolean {
  return policyKey === derivedKeyName(live.name) || policyKey === distinctKeyName(live.name, live.id);
}
