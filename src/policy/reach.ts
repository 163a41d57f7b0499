import path from 'node:path';
import type { TeamGrants } from './types.js';

/**
 * What a team's file may reach: its own name space, plus what org.yaml grants it. org.yaml is
 * approved by the org admins (CODEOWNERS), a team file by the team's owners only, so a team file
 * alone can send a key nowhere outside the team's name space:
 *
 * - file targets under `.secrets/<team>/` (relative to the repository root);
 * - Vault KV v2 paths under `secret/data/groq/<team>/` (the same as `secret/groq/<team>/`);
 * - GitHub repositories named `<team>` or `<team>-…`, any environment, owned by the organization's
 *   GitHub owners (org.yaml `github_owners`, else the GitHub organizations of the `@org/team`
 *   entries in `admins`; none when neither names one), and not named for a longer team name
 *   (`chatbot-eval-x` is team `chatbot-eval`'s when that team exists, not `chatbot`'s).
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
  return path.posix
    .normalize(p)
    .split('/')
    .filter((s) => s !== '' && s !== '.');
}

const under = (target: readonly string[], prefix: readonly string[]) =>
  prefix.length <= target.length && prefix.every((s, i) => target[i] === s);

/**
 * Whose repositories a team's own name space covers. `owners`: GitHub owners, lowercase; `teams`:
 * every team's name, so the longest team name a repository is named for wins.
 */
export interface GithubNameSpace {
  owners: readonly string[];
  teams: readonly string[];
}

/**
 * The default GitHub owners: org.yaml's `github_owners` when it is set (`[]`: none), else the organizations of
 * the admins' `@org/team` handles (the admins approve org.yaml and live in that organization). A
 * user (`@alice`) or an e-mail names no organization; with neither, no owner is covered.
 */
export function defaultGithubOwners(githubOwners: readonly string[] | null, admins: readonly string[]): string[] {
  const owners = githubOwners ?? admins.flatMap((a) => /^@([A-Za-z0-9][A-Za-z0-9-]*)\/./.exec(a)?.[1] ?? []);
  return [...new Set(owners.map((o) => o.toLowerCase()))];
}

/** The team whose name space a repository name falls in: the longest team name it is, or starts with followed by `-`. */
export function repositoryTeam(name: string, teams: readonly string[]): string | null {
  const lower = name.toLowerCase();
  let best: string | null = null;
  for (const t of teams) if ((lower === t || lower.startsWith(`${t}-`)) && (best === null || t.length > best.length)) best = t;
  return best;
}

/**
 * `chatbot` owns repositories named `chatbot` and `chatbot-…` of the organization's GitHub owners,
 * unless a longer team name claims it (GitHub compares owner and repository names without case).
 */
export function repositoryInNameSpace(team: string, repository: string, space: GithubNameSpace): boolean {
  const [owner = '', name = ''] = repository.toLowerCase().split('/');
  if (!space.owners.includes(owner)) return false;
  return repositoryTeam(name, [...space.teams, team]) === team;
}

const grantHint = (orgFile: string, team: string, entry: string) =>
  `ask the org admins to add it to ${orgFile}: grants: {${team}: {${entry}}}`;

export function checkGithubReach(
  team: string,
  grants: TeamGrants,
  orgFile: string,
  repository: string,
  environment: string | undefined,
  space: GithubNameSpace,
): OutOfReach | null {
  if (repositoryInNameSpace(team, repository, space)) return null;
  const repo = repository.toLowerCase();
  const env = environment?.toLowerCase();
  const matching = grants.github.filter((g) => g.repository.toLowerCase() === repo);
  if (matching.some((g) => g.environments === null || (env !== undefined && g.environments.some((e) => e.toLowerCase() === env))))
    return null;
  if (matching.length === 0) {
    const [owner = '', name = ''] = repository.split('/');
    const other = repositoryTeam(
      name,
      space.teams.filter((t) => t !== team),
    );
    const foreign = !space.owners.includes(owner.toLowerCase());
    const own =
      space.owners.length > 0
        ? `its own are repositories of ${space.owners.join(', ')} named "${team}" or "${team}-…"`
        : `its own would be repositories named "${team}" or "${team}-…", but ${orgFile} names no GitHub owner (github_owners, or an @org/team in admins)`;
    const named = !foreign && other && other.length > team.length ? `it is named for team "${other}"; ` : '';
    return {
      message: `repository "${repository}" is outside team "${team}"'s reach: ${named}${own}, and ${orgFile} grants it no other`,
      hint: `${grantHint(orgFile, team, `github: [{repository: ${repository}${environment ? `, environments: [${environment}]` : ''}}]`)}${foreign ? `, or to add ${owner} to github_owners if its repositories named for a team are that team's` : ''}`,
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
  // The schema refuses `..` too, with its own message (delivery.ts then skips this check); here it is
  // out of reach for any other caller, split on `\` as well as `/` (Windows reads both).
  if (filePath.split(/[\\/]/).includes('..')) {
    return {
      message: `file path "${filePath}" holds a ".." segment: a key file's path names its folder directly`,
      hint: `write the path without "..", for example path: ${ownFilesRoot(team)}key`,
    };
  }
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
    return kind === 'files'
      ? 'must be relative to the repository root (no leading "/")'
      : 'must not start with "/" (write the mount first, such as secret/data/…)';
  }
  if (kind === 'vault') {
    if (!/^[A-Za-z0-9_.@/-]+$/.test(prefix)) return 'may hold only letters, digits, ".", "_", "-", "@" and "/"';
    if (vaultSegments(prefix).length === 0) return 'names no path';
    return null;
  }
  const segments = fileSegments(prefix)!;
  if (segments.length === 0) return 'is the whole repository: name a folder';
  if (segments[0] === '.git') return "is inside .git: git's own files are never a key's destination";
  return null;
}
