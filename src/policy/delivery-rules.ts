import path from 'node:path';
import { isObj, type Checker, type Path } from './checker.js';
import { ref, type PolicySource } from './source.js';
import { checkFileReach, checkGithubReach, checkVaultReach, vaultSegments, type GithubNameSpace } from './reach.js';
import type { Delivery, TeamGrants } from './types.js';

/**
 * Where a delivery entry puts a key, normalised as the target service compares names (GitHub
 * repositories, environments and secrets ignore case; `./` and `//` do not change a path; KV v2
 * reads `secret/x` and `secret/data/x` as one secret), so two spellings of one place are caught as
 * one. Every Vault target is at the organization's one Vault, so the address is not part of it.
 * `null` for an entry the schema rejects.
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
  if (kind === 'vault' && typeof target.path === 'string') return `vault:${vaultSegments(target.path).join('/')}:${text(target.field)}`;
  if (kind === 'file' && typeof target.path === 'string') return `file:${normalisePath(target.path)}`;
  return null;
}

function normalisePath(p: string): string {
  const normal = path.posix.normalize(p);
  return normal.length > 1 ? normal.replace(/\/+$/, '') : normal;
}

/** Who writes the entry, and what org.yaml grants them: a target must be within their reach. */
export interface DeliveryScope {
  team: string;
  grants: TeamGrants;
  orgFile: string;
  /** The GitHub owners a team's own repositories belong to, and every team's name (reach.ts). */
  github: GithubNameSpace;
}

// The schema's own forms: a value it refuses has its own error, and a second one about reach would be noise.
const REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}\/(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/;
const ENVIRONMENT = /^[A-Za-z0-9_-](?:[A-Za-z0-9 ._-]*[A-Za-z0-9_-])?$/;
const VAULT_PATH = /^(?!(?:.*\/)?\.\.?(?:\/|$))[A-Za-z0-9_.@-]+(?:\/[A-Za-z0-9_.@-]+)*\/?$/;
const FILE_DOT_DOT = /(?:^|[\\/])\.\.(?:[\\/]|$)/;

/** One delivery entry: within the team's reach, and no two keys delivering to the same place. */
export function checkDelivery(
  check: Checker,
  s: PolicySource,
  p: Path,
  entry: unknown,
  seen: Map<string, string>,
  scope: DeliveryScope | null,
): void {
  if (scope) checkReach(check, s, p, entry, scope);
  const id = deliveryIdentity(entry);
  if (!id) return;
  const previous = seen.get(id);
  if (previous)
    check.error(s, p, `delivers to the same place as ${previous}`, 'two keys cannot share one secret: give each its own target');
  else seen.set(id, ref(s, p));
}

function checkReach(check: Checker, s: PolicySource, p: Path, entry: unknown, { team, grants, orgFile, github }: DeliveryScope): void {
  if (!isObj(entry)) return;
  const [kind] = Object.keys(entry);
  const target = kind ? entry[kind] : null;
  if (!isObj(target)) return;
  const at: Path = [...p, kind!];
  if (kind === 'github' && typeof target.repository === 'string' && REPOSITORY.test(target.repository)) {
    const env = typeof target.environment === 'string' ? target.environment : undefined;
    if (env !== undefined && !ENVIRONMENT.test(env)) return;
    const out = checkGithubReach(team, grants, orgFile, target.repository, env, github);
    if (out)
      check.error(
        s,
        [...at, env !== undefined && repositoryCovered(grants, target.repository) ? 'environment' : 'repository'],
        out.message,
        out.hint,
      );
  } else if (kind === 'vault' && typeof target.path === 'string' && VAULT_PATH.test(target.path)) {
    const out = checkVaultReach(team, grants, orgFile, target.path);
    if (out) check.error(s, [...at, 'path'], out.message, out.hint);
  } else if (kind === 'file' && typeof target.path === 'string' && target.path.length > 0 && !FILE_DOT_DOT.test(target.path)) {
    const out = checkFileReach(team, grants, orgFile, target.path);
    if (out) check.error(s, [...at, 'path'], out.message, out.hint);
  }
}

const repositoryCovered = (grants: TeamGrants, repository: string) =>
  grants.github.some((g) => g.repository.toLowerCase() === repository.toLowerCase());

/** A validated delivery entry as the desired state carries it. */
export function toDelivery(entry: Record<string, Record<string, string>>): Delivery {
  if (entry.github) return { kind: 'github', ...entry.github } as Delivery;
  if (entry.vault) return { kind: 'vault', ...entry.vault } as Delivery;
  return { kind: 'file', ...entry.file } as Delivery;
}
