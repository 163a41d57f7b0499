import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { makeDirs } from '../core/make-dirs.js';

/**
 * An exclusive claim on a state file: `<file>.lock` holding the owner's pid. Two sandboxes on one
 * state file would each save over the other's acknowledged changes, so the second one refuses. A lock
 * whose pid is no longer running (a killed sandbox) is taken over.
 */
export class StateLock {
  private constructor(private readonly lockPath: string) {}

  static acquire(stateFile: string): StateLock {
    const lockPath = `${stateFile}.lock`;
    makeDirs(path.dirname(path.resolve(lockPath)));
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        fs.writeFileSync(lockPath, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
        return new StateLock(lockPath);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = readPid(lockPath);
      if (holder !== null && isRunning(holder)) {
        throw new UserError(
          `${stateFile} is in use by another sandbox (pid ${holder}): stop that one, or talk to it instead (--sandbox-url with the URL it printed, and the admin key it printed in GROQ_ADMIN_KEY or OPENAI_ADMIN_KEY), or give \`groq-rbac sandbox\` another --state file`,
        );
      }
      // Stale: its owner is gone. Remove it and try again (a racing taker-over makes `wx` fail, and we look again).
      fs.rmSync(lockPath, { force: true });
    }
    throw new UserError(`${stateFile}: could not lock ${lockPath}; delete it if no sandbox is running`);
  }

  release(): void {
    if (readPid(this.lockPath) === process.pid) fs.rmSync(this.lockPath, { force: true });
  }
}

function readPid(lockPath: string): number | null {
  try {
    const pid = Number(fs.readFileSync(lockPath, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
