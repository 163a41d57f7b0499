import fs from 'node:fs';
import path from 'node:path';
import { UserError } from './errors.js';
import { oneLine } from './sanitize.js';

// A path a user gives has a handful of missing levels; past this many something is wrong.
const MAX_MISSING_LEVELS = 64;

/**
 * Creates `dir` and its missing parents, one level at a time, in bounded time; the one way
 * groq-rbac creates directories on a path a user gave (eslint.config.js forbids the other).
 *
 * Node's own `mkdir(dir, { recursive: true })` (sync and async) never returns where a parent exists
 * but cannot hold children: procfs answers ENOENT for `/proc/x`, which Node reads as "the parent is
 * missing" and retries forever at full CPU (a dangling symbolic link can do the same). Here each
 * level is created once: the first existing ancestor must be a directory, each `mkdir` that fails
 * is an error naming the level and its parent, and EEXIST counts only when the level is now a directory.
 * Returns the directories it created, outermost first.
 */
export function makeDirs(dir: string, options: { mode?: number } = {}): string[] {
  const target = path.resolve(dir);
  const missing: string[] = [];
  let current = target;
  for (;;) {
    const stat = statOf(current, target);
    if (stat) {
      if (!stat.isDirectory())
        throw new UserError(
          `cannot create ${shown(target)}: ${shown(current)} is ${stat.isFile() ? 'a file' : 'not a directory'}; give a path whose parents are directories`,
        );
      break;
    }
    missing.push(current);
    const parent = path.dirname(current);
    if (parent === current || missing.length > MAX_MISSING_LEVELS) {
      throw new UserError(
        `cannot create ${shown(target)}: more than ${MAX_MISSING_LEVELS} of its parent directories are missing; give a path under an existing directory`,
      );
    }
    current = parent;
  }
  const created: string[] = [];
  for (const level of missing.reverse()) {
    try {
      fs.mkdirSync(level, options.mode === undefined ? {} : { mode: options.mode });
      created.push(level);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
      if (code === 'EEXIST' && statOf(level, target)?.isDirectory()) continue;
      throw new UserError(`cannot create ${shown(level)}: ${why(code, path.dirname(level))} (${code})`, { cause: error });
    }
  }
  return created;
}

/** The entry at `p` (links followed), or null when nothing usable is there: missing, or a parent is a file. */
function statOf(p: string, target: string): fs.Stats | null {
  try {
    return fs.statSync(p, { throwIfNoEntry: false }) ?? null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A parent that is a file: the walk up finds it and says so.
    if (code === 'ENOTDIR') return null;
    throw new UserError(`cannot create ${shown(target)}: cannot look at ${shown(p)} (${code ?? 'unknown error'})`, { cause: error });
  }
}

function why(code: string, parent: string): string {
  // The parent exists (it was found or just made): ENOENT means it cannot hold children (procfs, sysfs).
  if (code === 'ENOENT') return `parent ${shown(parent)} cannot hold it`;
  if (code === 'EACCES' || code === 'EPERM') return `no permission to create it in ${shown(parent)}`;
  if (code === 'EROFS') return `${shown(parent)} is on a read-only file system`;
  if (code === 'EEXIST') return 'something that is not a directory is there (a dangling symbolic link?)';
  if (code === 'ENOSPC' || code === 'EDQUOT') return `no space left in ${shown(parent)}`;
  return `the system refused it in ${shown(parent)}`;
}

// A path a user gave may hold anything, control characters included.
const shown = (p: string) => oneLine(p);
