import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../../core/errors.js';
import { makeDirs } from '../../core/make-dirs.js';
import type { Delivery } from '../../policy/types.js';
import { DeliveryError, type DeliveryContext, type DeliveryResult } from './types.js';

export type FileDelivery = Extract<Delivery, { kind: 'file' }>;

const MODES: Record<string, number> = { '600': 0o600, '0600': 0o600, '400': 0o400, '0400': 0o400 };

/** `file /abs/path (0600)`; relative paths resolve against `cwd` (or stay relative without one). */
export function describeFileTarget(target: FileDelivery, cwd?: string): string {
  const where = cwd ? path.resolve(cwd, target.path) : target.path;
  return `file ${where} (${fileMode(target).toString(8).padStart(4, '0')})`;
}

export function fileMode(target: FileDelivery): number {
  return MODES[target.mode ?? '0600'] ?? 0o600;
}

/**
 * Writes the value and a newline to a file, atomically: a temporary file next to it (created
 * exclusively, never through a link, with the final mode from the start), flushed to disk, then
 * renamed over the destination. Readers see the old content or the new, never part of it; on any
 * failure the destination is untouched and the temporary file removed. Missing directories are
 * created with mode 0700.
 *
 * Refused: a `..` segment, and a symbolic link anywhere on the way, since a link planted in a
 * checkout could send the key somewhere world-readable. Components are checked below `cwd` for a
 * path inside it and below `/` for any other.
 */
export async function deliverToFile(target: FileDelivery, value: string, context: DeliveryContext): Promise<DeliveryResult> {
  const label = describeFileTarget(target, context.cwd);
  const fail = (message: string, cause?: unknown) => new DeliveryError(label, message, { cause });
  const mode = MODES[target.mode ?? '0600'];
  if (mode === undefined) throw fail(`mode must be 0600 or 0400, not "${target.mode}"`);
  if (target.path.split(/[/\\]/).includes('..')) throw fail('the path may not contain a .. segment');
  const destination = path.resolve(context.cwd, target.path);
  const cwd = path.resolve(context.cwd);
  // The working directory is the user's choice, links and all; below it, and for paths elsewhere, nothing may be a link.
  const base = destination.startsWith(cwd + path.sep) ? cwd : path.parse(destination).root;

  const existed = await checkNoSymlinks(base, destination, fail);
  const dir = path.dirname(destination);
  try {
    makeDirs(dir, { mode: 0o700 });
  } catch (error) {
    throw fail(
      error instanceof UserError ? error.message : `cannot create directory ${dir} (${codeOf(error)}): check that it may be written`,
      error,
    );
  }
  // mkdir followed nothing we checked, but a directory it just created is checked again before use.
  await checkNoSymlinks(base, destination, fail);

  const temporary = path.join(dir, `.${path.basename(destination)}.${randomBytes(6).toString('hex')}.tmp`);
  let created = false;
  try {
    const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
    created = true;
    try {
      await handle.writeFile(`${value}\n`);
      // The umask may have narrowed the mode at creation; 0600/0400 is what the target asks, exactly.
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, destination);
    created = false;
  } catch (error) {
    if (created) await unlink(temporary).catch(() => undefined);
    throw fail(`cannot write ${destination} (${codeOf(error)}): check that ${dir} may be written and has space`, error);
  }
  await syncDirectory(dir);
  context.logger.debug(`delivered to ${label}`);
  return { target: label, outcome: existed ? 'updated' : 'created' };
}

/** Throws when an existing component from below `base` to `destination` is a symbolic link; says whether the destination exists. */
async function checkNoSymlinks(
  base: string,
  destination: string,
  fail: (message: string, cause?: unknown) => DeliveryError,
): Promise<boolean> {
  const relative = path.relative(base, destination);
  if (relative === '') throw fail(`${destination} is a directory`);
  let current = base;
  for (const part of relative.split(path.sep).filter(Boolean)) {
    current = path.join(current, part);
    let stats;
    try {
      stats = await lstat(current);
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return false;
      throw fail(`cannot inspect ${current} (${codeOf(error)})`, error);
    }
    if (stats.isSymbolicLink()) throw fail(`refusing to write through symbolic link ${current}: point the target at the real path`);
    if (current !== destination && !stats.isDirectory()) throw fail(`${current} is not a directory`);
    if (current === destination && !stats.isFile()) throw fail(`${destination} exists and is not a regular file`);
  }
  return true;
}

/** Makes the rename itself durable; some file systems cannot open a directory, which is fine. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, constants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Durability of the directory entry is best effort; the file's content is already synced.
  }
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'unknown error';
}
