import { isSecureUrl } from '../core/secure-url.js';
import { isObj, type Checker, type Obj } from './checker.js';
import { quoteList } from './diagnostics.js';
import { checkGrantPrefix } from './reach.js';
import type { PolicySource } from './source.js';
import type { TeamGrants } from './types.js';

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/**
 * org.yaml's `grants`, read tolerantly (the rules run on files with schema errors too): what each
 * team may reach beyond its own name space. Only what org.yaml says; nothing for a team it omits.
 */
export function readGrants(org: unknown): Map<string, TeamGrants> {
  const out = new Map<string, TeamGrants>();
  const grants = isObj(org) && isObj(org.grants) ? org.grants : {};
  for (const [team, g] of Object.entries(grants)) {
    if (!isObj(g)) continue;
    out.set(team, {
      projects: strings(g.projects),
      github: (Array.isArray(g.github) ? g.github : [])
        .filter(isObj)
        .filter((e): e is Obj & { repository: string } => typeof e.repository === 'string')
        .map((e) => ({ repository: e.repository, environments: Array.isArray(e.environments) ? strings(e.environments) : null })),
      // A prefix the rules refuse grants nothing, so an error in org.yaml never widens a team's reach.
      vault: strings(g.vault).filter((p) => checkGrantPrefix('vault', p) === null),
      files: strings(g.files).filter((p) => checkGrantPrefix('files', p) === null),
    });
  }
  return out;
}

/** `vault.address` may carry the Vault token: https, or http only to this machine. */
export function checkVaultAddress(check: Checker, s: PolicySource, org: Obj): void {
  const address = isObj(org.vault) ? org.vault.address : undefined;
  if (typeof address !== 'string') return;
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return; // the schema's pattern has its own error
  }
  if (url.username || url.password) {
    check.error(
      s,
      ['vault', 'address'],
      'holds a user name or password',
      'remove them: the token comes from VAULT_TOKEN, never from the URL',
    );
  } else if (!isSecureUrl(url)) {
    check.error(
      s,
      ['vault', 'address'],
      `uses http:// to ${url.hostname}, which would send the Vault token in clear text`,
      'use https:// (http:// only for 127.0.0.1, ::1 or localhost)',
    );
  }
}

/**
 * Grants name teams that exist (a warning: removing a team's file leaves its grants harmless, as a new
 * file of that name is the admins' to approve, but a misspelt name grants nothing), and prefixes
 * that are clean folders.
 */
export function checkGrants(check: Checker, s: PolicySource, org: Obj, teams: ReadonlySet<string>): void {
  if (!isObj(org.grants)) return;
  for (const [team, g] of Object.entries(org.grants)) {
    if (!teams.has(team)) {
      check.warn(
        s,
        ['grants', team],
        `grants for team "${team}", which no file under teams/ defines: they grant nothing`,
        teams.size > 0
          ? `write a team's name as its file says (team: …): ${quoteList([...teams].sort())}`
          : "add the team's file, teams/<team>.yaml, or remove these grants",
        'key',
      );
    }
    if (!isObj(g)) continue;
    for (const kind of ['vault', 'files'] as const) {
      const list = Array.isArray(g[kind]) ? g[kind] : [];
      list.forEach((prefix, i) => {
        if (typeof prefix !== 'string') return;
        const why = checkGrantPrefix(kind, prefix);
        if (why) {
          check.error(
            s,
            ['grants', team, kind, i],
            `${JSON.stringify(prefix)} ${why}`,
            kind === 'vault'
              ? 'for example secret/data/groq/shared/ (the same as secret/groq/shared/)'
              : 'for example deploy/keys/ (a folder relative to the repository root)',
          );
        }
      });
    }
  }
}
