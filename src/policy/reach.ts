import path from 'node:path';
import type { TeamGrants } from './types.js';

/**
 * What a team's file may reach: its own name space, plus what org.yaml grants it. org.yaml is
 * approved by the org admins (CODEOWNERS), a team file by the team's owners only, so a team file
 * alone can send a key nowhere outside the team's name space:
 *
 * - file targets under `.secrets/<team>/` (relative to the repository root);
 * - Vault KV v2 paths under `secret/data/groq/<team>/` (the same as `secret/groq/<team>/`);
 * - GitHub repositories named `<team>` or `<team>-…` (any owner), any environment.
 *
 * A prefix (own or granted) covers itself and what lies under it, segment by segment:
 * `secret/groq/chat` does not cover `secret/groq/chatbot`.
 */
export const NO_GRANTS: TeamGrants = Object.freeze({ projects: [], github: [], vault: [], files: [] }) as TeamGrants;

export const ownFilesRoot = (team: string) => `.secrets/${team}/`;
export const ownVaultRoot = (team: string) => `secret/data/groq/${team}/`;

/** A verdict on one target: null when the team may reach it. */
export interface OutOfReach {
  message: string;
  hint: string;
}

/** KV v2 path segments as Vault resolves them: no empty segments, and `<mount>/data/x` ≡ `<mount>/x` (the API's data/ segment). */
export function vaultSegments(p: string): string[] {
  const parts = p.split('/').filter((s) => s !== '');
  if (parts[1] === 'data') parts.splice(1, 1);
  return parts;
}

/** A relative file path's segments after normalising `./` and `//`; `null` for an absolute path. */
export function fileSegments(p: string): string[] | null {
  if (p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\')) return null;
  return path.posix.normalize(p).split('/').filter((s) => s !== '' && s !== '.');
}

const under = (target: readonly string[], prefix: readonly string[]) => prefix.length <= target.length && prefix.every((s, i) => target[i] === s);

/** `chatbot` owns repositories named `chatbot` and `chatbot-…` under any owner (GitHub compares names without case). */
export function repositoryInNameSpace(team: string, repository: string): boolean {
  const name = (repository.split('/')[1] ?? '').toLowerCase();
  return name === team || name.startsWith(`${team}-`);
}

const grantHint = (orgFile: string, team: string, entry: string) => `ask the org admins to add it to ${orgFile}: grants: {${team}: {${entry}}}`;

export function checkGithubReach(team: string, grants: TeamGrants, orgFile: string, repository: string, environment: string | undefined): OutOfReach | null {
  if (repositoryInNameSpace(team, repository)) return null;
  const repo = repository.toLowerCase();
  const env = environment?.toLowerCase();
  const matching = grants.github.filter((g) => g.repository.toLowerCase() === repo);
  if (matching.some((g) => g.environments === null || (env !== undefined && g.environments.some((e) => e.toLowerCase() === env)))) return null;
  if (matching.length === 0) {
    return {
      message: `repository "${repository}" is outside team "${team}"'s reach: its own are repositories named "${team}" or "${team}-…", and ${orgFile} grants it no other`,
      hint: grantHint(orgFile, team, `github: [{repository: ${repository}${environment ? `, environments: [${environment}]` : ''}}]`),
    };
  }
  const granted = [...new Set(matching.flatMap((g) => g.environments ?? []))];
  if (environment === undefined) {
    return {
      message: `the repository secrets of "${repository}" are not granted to team "${team}": ${orgFile} grants it only the environments ${granted.join(', ')}`,
      hint: `deliver to one of those environments (environment: ${granted[0]}), or ask the org admins to drop environments from that grant in ${orgFile}`,
    };
  }
  return {
    message: `environment "${environment}" of "${repository}" is not granted to team "${team}": ${orgFile} grants it only ${granted.join(', ')}`,
    hint: grantHint(orgFile, team, `github: [{repository: ${repository}, environments: [${[...granted, environment].join(', ')}]}]`),
  };
}

export function checkVaultReach(team: string, grants: TeamGrants, orgFile: string, vaultPath: string): OutOfReach | null {
  const target = vaultSegments(vaultPath);
  const roots = [ownVaultRoot(team), ...grants.vault];
  if (roots.some((r) => under(target, vaultSegments(r)))) return null;
  const suggestion = vaultPath.replace(/\/*$/, '/');
  return {
    message: `Vault path "${vaultPath}" is outside team "${team}"'s reach: its own is ${ownVaultRoot(team)} (the same as secret/groq/${team}/)${grants.vault.length > 0 ? `, and ${orgFile} grants it ${grants.vault.join(', ')}` : `, and ${orgFile} grants it no other`}`,
    hint: `use a path under ${ownVaultRoot(team)}, or ${grantHint(orgFile, team, `vault: [${suggestion}]`)}`,
  };
}

export function checkFileReach(team: string, grants: TeamGrants, orgFile: string, filePath: string): OutOfReach | null {
  // `..` is refused by the schema, with its own message.
  if (filePath.split(/[\\/]/).includes('..')) return null;
  const target = fileSegments(filePath);
  const base = filePath.split(/[\\/]/).filter(Boolean).at(-1) ?? 'key';
  if (target === null) {
    return {
      message: `file path "${filePath}" is absolute: a key file goes under the repository, in ${ownFilesRoot(team)} or a folder ${orgFile} grants team "${team}"`,
      hint: `write a path relative to the repository root, for example path: ${ownFilesRoot(team)}${base}`,
    };
  }
  const roots = [ownFilesRoot(team), ...grants.files];
  if (roots.some((r) => under(target, fileSegments(r) ?? ['/']))) return null;
  const folder = target.length > 1 ? `${target.slice(0, -1).join('/')}/` : null;
  return {
    message: `file path "${filePath}" is outside team "${team}"'s reach: its own is ${ownFilesRoot(team)}${grants.files.length > 0 ? `, and ${orgFile} grants it ${grants.files.join(', ')}` : `, and ${orgFile} grants it no other folder`}`,
    hint: `write path: ${ownFilesRoot(team)}${base}${folder ? `, or ${grantHint(orgFile, team, `files: [${folder}]`)}` : ''}`,
  };
}

/** Why a granted prefix is unsafe or meaningless; null when it is fine. */
export function checkGrantPrefix(kind: 'vault' | 'files', prefix: string): string | null {
  // eslint-disable-next-line no-control-regex -- control characters are what is refused here
  if (/[\u0000-\u001f\u007f]/.test(prefix)) return 'must not hold control characters';
  if (/[*?[\]]/.test(prefix)) return 'is a pattern: a grant names a folder, and covers everything under it';
  const raw = prefix.split(/[\\/]/);
  if (raw.includes('..')) return 'must not hold a ".." segment';
  if (raw.includes('.') && kind === 'vault') return 'must not hold a "." segment';
  if (prefix.startsWith('/') || (kind === 'files' && fileSegments(prefix) === null)) {
    return kind === 'files' ? 'must be relative to the repository root (no leading "/")' : 'must not start with "/" (write the mount first, such as secret/data/…)';
  }
  if (kind === 'vault') {
    if (!/^[A-Za-z0-9_.@/-]+$/.test(prefix)) return 'may hold only letters, digits, ".", "_", "-", "@" and "/"';
    if (vaultSegments(prefix).length === 0) return 'names no path';
    return null;
  }
  const segments = fileSegments(prefix)!;
  if (segments.length === 0) return 'is the whole repository: name a folder';
  if (segments[0] === '.git') return 'is inside .git: git\'s own files are never a key\'s destination';
  return null;
}
