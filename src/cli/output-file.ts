import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { makeDirs } from '../core/make-dirs.js';
import { redactSecrets } from '../core/redact.js';

/**
 * Checks that `given` can be written, before anything else happens: a run that changes the
 * organization and then cannot save its report is worse than one that refuses up front.
 */
export function checkOutputFile(cwd: string, given: string, flag: string): string {
  const file = path.resolve(cwd, given);
  let stat: fs.Stats | null = null;
  try {
    stat = fs.statSync(file);
  } catch {
    stat = null;
  }
  if (stat?.isDirectory()) throw new UserError(`${flag} ${given} is a directory: name a file, such as ${path.join(given, 'out.json')}`);
  const dir = path.dirname(file);
  // Its missing directories are made, and removed again once checked: a parent that cannot hold
  // them (a file, /proc) is refused now, not after the run; a run that writes nothing leaves none.
  let created: string[];
  try {
    created = makeDirs(dir);
  } catch (error) {
    throw error instanceof UserError ? new UserError(`${flag} ${given}: ${error.message}`, { cause: error }) : error;
  }
  try {
    fs.accessSync(stat ? file : dir, fs.constants.W_OK);
  } catch {
    throw new UserError(`${flag} ${given} cannot be written (no permission on ${stat ? file : dir})`);
  } finally {
    for (const d of created.reverse()) {
      try {
        fs.rmdirSync(d);
      } catch {
        // Something else wrote into it meanwhile: it stays.
      }
    }
  }
  return file;
}

/** Writes the file, creating its directory; redacted like every other stream groq-rbac writes. */
export function writeOutputFile(file: string, content: string): void {
  makeDirs(path.dirname(file));
  fs.writeFileSync(file, redactSecrets(content));
}
