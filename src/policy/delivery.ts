import path from 'node:path';
import { isObj, type Checker, type Path } from './checker.js';
import { ref, type PolicySource } from './source.js';
import type { Delivery } from './types.js';

/**
 * Where a delivery entry puts a key, normalised as the target service compares names (GitHub
 * repositories, environments and secrets ignore case; `./` and `//` do not change a path), so two
 * spellings of one place are caught as one. `null` for an entry the schema rejects.
 */
export function deliveryIdentity(entry: unknown): string | null {
  if (!isObj(entry)) return null;
  const [kind] = Object.keys(entry);
  const target = kind ? entry[kind] : null;
  if (!isObj(target)) return null;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  if (kind === 'github' && typeof target.repository === 'string' && typeof target.secret === 'string') {
    return `github:${target.repository.toLowerCase()}:${text(target.environment).toLowerCase()}:${target.secret.toUpperCase()}`;
  }
  if (kind === 'vault' && typeof target.path === 'string') {
    const address = text(target.address).toLowerCase().replace(/\/+$/, '');
    // KV v2 reads `secret/groq/x` and `secret/data/groq/x` as one secret (the API's data/ segment).
    const kv = normalisePath(target.path).replace(/^\/+/, '').replace(/^([^/]+)\/data\//, '$1/');
    return `vault:${address}:${kv}:${text(target.field)}`;
  }
  if (kind === 'file' && typeof target.path === 'string') return `file:${normalisePath(target.path)}`;
  return null;
}

function normalisePath(p: string): string {
  const normal = path.posix.normalize(p);
  return normal.length > 1 ? normal.replace(/\/+$/, '') : normal;
}

/** One delivery entry: no two keys may deliver to the same place. */
export function checkDelivery(check: Checker, s: PolicySource, p: Path, entry: unknown, seen: Map<string, string>): void {
  const id = deliveryIdentity(entry);
  if (!id) return;
  const previous = seen.get(id);
  if (previous) check.error(s, p, `delivers to the same place as ${previous}`, 'two keys cannot share one secret: give each its own target');
  else seen.set(id, ref(s, p));
}

/** A validated delivery entry as the desired state carries it. */
export function toDelivery(entry: Record<string, Record<string, string>>): Delivery {
  if (entry.github) return { kind: 'github', ...entry.github } as Delivery;
  if (entry.vault) return { kind: 'vault', ...entry.vault } as Delivery;
  return { kind: 'file', ...entry.file } as Delivery;
}
