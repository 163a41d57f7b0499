import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';
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
  let dir = path.dirname(file);
  while (!fs.existsSync(dir)) dir = path.dirname(dir);
  if (!fs.statSync(dir).isDirectory()) throw new UserError(`${flag} ${given}: ${dir} is a file, not a directory`);
  try {
    fs.accessSync(stat ? file : dir, fs.constants.W_OK);
  } catch {
    throw new UserError(`${flag} ${given} cannot be written (no permission on ${stat ? file : dir})`);
  }
  return file;
}

/** Writes the file, creating its directory; redacted like every other stream groq-rbac writes. */
export function writeOutputFile(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, redactSecrets(content));
}
