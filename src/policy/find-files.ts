import fs from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from './diagnostics.js';

/** A team file's name: also a CODEOWNERS path, so nothing a CODEOWNERS line could read as syntax. */
export const TEAM_FILE_NAME = /^[a-z0-9][a-z0-9-]{0,62}\.yaml$/;
const YAML_NAME = /\.ya?ml$/i;
const MAX_TEAM_FILES = 5000;
// The walk looks at every entry under the policies directory; a real one holds a few dozen.
const MAX_ENTRIES = 20_000;

export interface FoundFiles {
  /** The policies directory's real path; `null` when it cannot be read. */
  root: string | null;
  /** `org.yaml` first, then the team files by name. */
  files: { file: string; shown: string; kind: 'org' | 'team' }[];
  diagnostics: Diagnostic[];
}

/**
 * Finds the files groq-rbac reads (`org.yaml`, `teams/<team>.yaml`) and reports every other YAML file
 * under the directory as an error: a team file that is silently skipped would have its keys deleted.
 */
export function findPolicyFiles(dir: string, cwd: string): FoundFiles {
  const diagnostics: Diagnostic[] = [];
  const show = (p: string) => displayPath(p, cwd);
  const fileError = (file: string, message: string, hint: string) =>
    diagnostics.push({ severity: 'error', file: show(file), line: 1, column: 1, path: '', message, hint });

  let root: string;
  try {
    root = fs.realpathSync(dir);
  } catch {
    fileError(dir, 'policies directory not found', 'pass --policies DIR, or create it with `groq-rbac import --out policies`');
    return { root: null, files: [], diagnostics };
  }
  if (!isDirectory(root)) {
    fileError(
      dir,
      'is not a folder, so it cannot be the policies directory',
      'pass the folder that holds org.yaml and teams/ (--policies policies), not a file in it',
    );
    return { root: null, files: [], diagnostics };
  }
  if (!fs.existsSync(path.join(dir, 'org.yaml')) && !fs.existsSync(path.join(dir, 'teams')) && !holdsYaml(dir)) {
    // Not a policies directory at all: one error, not one per file or link found in it.
    fileError(
      dir,
      'is not a policies directory: it holds no org.yaml, no teams/ and no YAML file',
      'pass the folder that holds org.yaml and teams/ (--policies DIR), or create one with `groq-rbac import --out DIR`',
    );
    return { root: null, files: [], diagnostics };
  }

  const yamlFiles: string[] = [];
  let entries = 0;
  let tooMany = false;
  const walk = (rel: string): void => {
    let names: fs.Dirent[];
    try {
      names = fs.readdirSync(path.join(dir, rel), { withFileTypes: true });
    } catch {
      fileError(path.join(dir, rel), 'cannot be read', 'check its permissions');
      return;
    }
    for (const d of names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (++entries > MAX_ENTRIES) return void (tooMany = true);
      const child = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) walk(child);
      else if (YAML_NAME.test(d.name)) yamlFiles.push(child);
      else if (d.isSymbolicLink() && isDirectory(path.join(dir, child))) {
        // Linked folders are not followed (a loop, or a way out of the directory); their files would go unread.
        fileError(
          path.join(dir, child),
          'is a symbolic link to a folder, which groq-rbac does not follow',
          'replace the link with the folder itself',
        );
      }
    }
  };
  walk('');
  if (tooMany) fileError(dir, `holds more than ${MAX_ENTRIES} files and folders`, 'keep only the policies in the policies directory');

  const teamsDir = path.join(dir, 'teams');
  if (fs.existsSync(teamsDir) && !fs.statSync(teamsDir).isDirectory()) {
    fileError(teamsDir, 'is not a directory', 'teams/ is a folder holding one YAML file per team');
  }

  const files: FoundFiles['files'] = [];
  const hasOrg = yamlFiles.includes('org.yaml');
  if (hasOrg) files.push({ file: path.join(dir, 'org.yaml'), shown: show(path.join(dir, 'org.yaml')), kind: 'org' });
  else
    fileError(
      path.join(dir, 'org.yaml'),
      'org.yaml is missing',
      'create it with at least `version: 2`, `org: org_…` and `admins: ["@your-org/platform"]`',
    );

  const teams = yamlFiles.filter((f) => f.startsWith('teams/') && !f.slice(6).includes('/') && TEAM_FILE_NAME.test(f.slice(6)));
  if (teams.length > MAX_TEAM_FILES) {
    fileError(
      teamsDir,
      `${teams.length} team files is more than the ${MAX_TEAM_FILES} groq-rbac reads`,
      'merge small teams into shared files',
    );
  } else {
    for (const f of teams) files.push({ file: path.join(dir, f), shown: show(path.join(dir, f)), kind: 'team' });
  }

  // A file that is read through a link elsewhere in the directory is read, not stray.
  const readReal = new Set(files.map((f) => safeRealpath(f.file)));
  for (const rel of yamlFiles) {
    if (rel === 'org.yaml' || teams.includes(rel)) continue;
    const full = path.join(dir, rel);
    if (readReal.has(safeRealpath(full))) continue;
    const [message, hint] = whyNotRead(rel, hasOrg);
    fileError(full, message, hint);
  }
  return { root, files, diagnostics };
}

function whyNotRead(rel: string, hasOrg: boolean): [string, string] {
  const parts = rel.split('/');
  const base = parts.at(-1)!;
  const stem = base.replace(YAML_NAME, '');
  if (parts.length === 1 && stem.toLowerCase() === 'org') {
    return ['is not read: the organization policy is org.yaml', hasOrg ? 'merge it into org.yaml and remove it' : 'rename it to org.yaml'];
  }
  if (parts.length === 2 && parts[0] === 'teams') {
    const suggestion =
      stem
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 63) || 'team';
    if (!base.endsWith('.yaml')) return ['is not read: team files end in .yaml', `rename it to teams/${suggestion}.yaml`];
    return [
      'is not read: a team file is named after its team: lowercase letters, digits and "-", up to 63 characters, then .yaml',
      `rename it to teams/${suggestion}.yaml and set team: ${suggestion}`,
    ];
  }
  if (parts[0] === 'teams') return ['is not read: team files sit directly in teams/, not in subfolders', `move it to teams/${base}`];
  if (parts.length === 1) return ['is not read: team files go under teams/', `move it to teams/${base}, or out of the policies directory`];
  return ['is not read: groq-rbac reads only org.yaml and teams/*.yaml', 'move it to teams/, or out of the policies directory'];
}

function holdsYaml(dir: string): boolean {
  try {
    return fs.readdirSync(dir).some((name) => YAML_NAME.test(name));
  } catch {
    return false;
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function safeRealpath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

/** Relative to the working directory when inside it; control characters escaped, so a file name cannot forge output lines. */
export function displayPath(p: string, cwd: string): string {
  const rel = path.relative(cwd, p);
  const shown = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
  return (
    shown
      .split(path.sep)
      .join('/')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
  );
}
