import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import type { OwnershipBase } from '../plan/project-ownership.js';
import { readPolicies, type PolicyResult } from '../policy/read-policies.js';

/**
 * The policies as they were at a git revision: what an earlier, approved version said. The runbook
 * plans from them to the working tree, and ownership checks compare against them (who owned a
 * project before this change).
 */
export interface PoliciesAtRef {
  /** The revision as given, and the commit it named. */
  ref: string;
  commit: string;
  /** `null` when the policies directory did not exist at that commit (the repository's first policies). */
  result: PolicyResult | null;
}

// git answers these in milliseconds; the bounds keep a broken repository from hanging a run.
const GIT_TIMEOUT_MS = 30_000;
const MAX_GIT_OUTPUT = 64 * 1024 * 1024;

/** The repository holding `policiesDir`, the commit `ref` names, and the directory's path in it. */
async function resolveAt(policiesDir: string, ref: string): Promise<{ top: string; commit: string; relative: string }> {
  const absolute = path.resolve(policiesDir);
  const cwd = existingAncestor(absolute);
  const top = (await git(cwd, ['rev-parse', '--show-toplevel'], 'find the git repository')).trim();
  const commit = (await git(top, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], `find revision ${ref}`)).trim();
  const relative = path.relative(fs.realpathSync(top), realOrSelf(absolute)).split(path.sep).join('/');
  if (relative.startsWith('..') || path.isAbsolute(relative))
    throw new UserError(`the policies directory ${policiesDir} is outside the git repository at ${top}`);
  return { top, commit, relative };
}

/**
 * Whether the policies directory in the working tree is exactly what it was at `commit`: no change
 * to a tracked file and no file git does not track yet. Then reading the revision again would only
 * repeat the working tree's own read.
 */
async function unchangedSince(at: { top: string; commit: string; relative: string }): Promise<boolean> {
  const spec = at.relative === '' ? '.' : at.relative;
  const [changed, untracked] = await Promise.all([
    git(at.top, ['diff', '--name-only', at.commit, '--', spec], 'compare the policies with their base'),
    git(at.top, ['ls-files', '--others', '--', spec], 'list new policy files'),
  ]);
  return changed.trim() === '' && untracked.trim() === '';
}

/** Reads and validates `policiesDir` as it was at `ref` in the git repository that holds it. */
export async function readPoliciesAtRef(
  policiesDir: string,
  ref: string,
  options: Parameters<typeof readPolicies>[1] = {},
): Promise<PoliciesAtRef> {
  const { top, commit, relative } = await resolveAt(policiesDir, ref);
  const listed = await git(
    top,
    ['ls-tree', '-d', '--name-only', commit, '--', relative === '' ? '.' : relative],
    'list the policies directory',
  );
  if (relative !== '' && listed.trim() === '') return { ref, commit, result: null };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-ref-'));
  try {
    await extract(top, commit, relative, tmp);
    const dir = path.join(tmp, relative);
    return { ref, commit, result: readPolicies(dir, { ...options, cwd: tmp }) };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The revision a change is measured from when none is given: where the current branch left the
 * default branch (`origin/HEAD`, else `main`, else `master`), as `git merge-base` finds it.
 */
export async function defaultBaseRef(policiesDir: string): Promise<string> {
  const cwd = existingAncestor(path.resolve(policiesDir));
  const candidates: string[] = [];
  try {
    candidates.push((await git(cwd, ['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD'], 'find the default branch')).trim());
  } catch {
    // No remote default branch: try the usual local names.
  }
  candidates.push('main', 'master');
  for (const branch of candidates.filter(Boolean)) {
    try {
      return (await git(cwd, ['merge-base', 'HEAD', branch], `find where HEAD left ${branch}`)).trim();
    } catch {
      continue;
    }
  }
  throw new UserError('cannot tell which revision to compare with: no origin/HEAD, main or master branch here; pass --since REF');
}

async function extract(top: string, commit: string, relative: string, into: string): Promise<void> {
  // `git archive | tar -x`: the tree as committed (symbolic links stay links, so the policy reader's
  // own checks refuse them as it would in a working tree), without touching the working tree or index.
  await new Promise<void>((resolve, reject) => {
    const archive = spawn('git', ['-C', top, 'archive', '--format=tar', commit, '--', relative === '' ? '.' : relative], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tar = spawn('tar', ['-x', '-f', '-', '-C', into], { stdio: ['pipe', 'ignore', 'pipe'] });
    const timer = setTimeout(() => {
      archive.kill('SIGKILL');
      tar.kill('SIGKILL');
    }, GIT_TIMEOUT_MS);
    let errors = '';
    archive.stderr.on('data', (d: Buffer) => (errors += d.toString()));
    tar.stderr.on('data', (d: Buffer) => (errors += d.toString()));
    archive.stdout.pipe(tar.stdin);
    let pending = 2;
    let failed = false;
    const done = (code: number | null) => {
      if (code !== 0) failed = true;
      if (--pending > 0) return;
      clearTimeout(timer);
      if (failed)
        reject(
          new UserError(
            `cannot read the policies at ${commit.slice(0, 12)}: ${errors.trim().slice(0, 500) || 'git archive or tar failed'}`,
          ),
        );
      else resolve();
    };
    archive.on('error', (e) => reject(new UserError(`cannot run git: ${e.message}`)));
    tar.on('error', (e) => reject(new UserError(`cannot run tar: ${e.message}`)));
    archive.on('close', done);
    tar.on('close', done);
  });
}

function git(cwd: string, args: string[], what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-C', cwd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), GIT_TIMEOUT_MS);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      if (out.length < MAX_GIT_OUTPUT) out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new UserError(`cannot ${what}: git is not available (${e.message})`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new UserError(`cannot ${what}: ${err.trim().split('\n')[0]?.slice(0, 300) || `git exited with ${code}`}`));
    });
  });
}

function existingAncestor(p: string): string {
  let dir = p;
  while (!fs.existsSync(dir)) {
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return dir;
}

function realOrSelf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

/**
 * The base that project ownership is measured against (src/plan/project-ownership.ts): the
 * policies at `ref`, else at the default base. `base: null` with a one-line `note` when none can be
 * read: then every live project a team file names needs a grant in org.yaml. A `ref` given
 * explicitly that cannot be read is an error, not a fallback.
 */
export async function readOwnershipBase(
  policiesDir: string,
  ref: string | null,
  head?: { projects: readonly { name: string; team: string }[] },
): Promise<{ base: OwnershipBase | null; note: string | null }> {
  const fallback = (why: string) => ({
    base: null,
    note: `ownership: ${why}; every live project a team file names must be granted to its team in org.yaml (run in the policies' git repository, or pass --base REF)`,
  });
  let resolved: { top: string; commit: string; relative: string };
  let given: string;
  if (ref !== null) {
    given = ref;
    resolved = await resolveAt(policiesDir, ref);
  } else {
    try {
      given = await defaultBaseRef(policiesDir);
      resolved = await resolveAt(policiesDir, given);
    } catch (e) {
      return fallback(
        `no base revision to compare with (${e instanceof UserError ? e.message.replace(/; pass --since REF$/, '') : String(e)})`,
      );
    }
  }
  const label = given === resolved.commit ? resolved.commit.slice(0, 12) : `${given} (${resolved.commit.slice(0, 12)})`;
  // The policies are the base's own (a run on the default branch, a pull request that changes no
  // policy): they say who owns what, and reading the revision again would cost a second parse.
  if (head && (await unchangedSince(resolved)))
    return { base: { label, projects: head.projects.map((p) => ({ name: p.name, team: p.team })) }, note: null };
  const at = await readPoliciesAtRef(policiesDir, resolved.commit);
  // The policies directory did not exist then: no team owned anything.
  if (at.result === null) return { base: { label, projects: [] }, note: null };
  if (!at.result.desired) {
    const first = at.result.diagnostics.find((d) => d.severity === 'error');
    const where = first ? ` (first: ${first.file}:${first.line}:${first.column}: ${first.message})` : '';
    return fallback(`the policies at ${label} do not validate${where}, so they cannot show who owned which project`);
  }
  return { base: { label, projects: at.result.desired.projects.map((p) => ({ name: p.name, team: p.team })) }, note: null };
}
