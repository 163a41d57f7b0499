import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { containsKeyValue } from '../core/redact.js';
import type { DesiredState } from '../policy/types.js';
import { lineAndColumn, offsetOf, parseYaml } from '../policy/yaml-data.js';
import type { ProjectKey } from './verify.js';

// A keys file maps a few projects to variable names: bytes, not megabytes.
const MAX_KEYS_FILE_BYTES = 64 * 1024;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/**
 * `verify --keys FILE`: YAML mapping each project to the NAME of the environment variable that
 * holds its key (what a CI job already has as secrets). Never the key itself: the file is checked
 * in, shown in logs and passed around.
 */
export function readKeysFile(file: string, cwd: string, desired: DesiredState, env: NodeJS.ProcessEnv): ProjectKey[] {
  const absolute = path.resolve(cwd, file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(absolute);
  } catch {
    throw new UserError(
      `--keys ${file}: no such file; write a YAML file mapping each project to the name of the environment variable holding its key, e.g. "chatbot-prod: GROQ_KEY_CHATBOT_PROD"`,
    );
  }
  if (!stat.isFile()) throw new UserError(`--keys ${file} is not a regular file`);
  if (stat.size > MAX_KEYS_FILE_BYTES)
    throw new UserError(
      `--keys ${file} is ${stat.size} bytes, over the ${MAX_KEYS_FILE_BYTES}-byte limit: it only maps projects to variable names`,
    );
  const text = fs.readFileSync(absolute, 'utf8');
  const parsed = parseYaml(text, { maxAliasCount: 0, maxDepth: 4 });
  const at = (p: (string | number)[], target: 'key' | 'value' = 'value') => {
    const { line, column } = lineAndColumn(parsed.lineStarts, offsetOf(parsed, p, target));
    return `${file}:${line}:${column}`;
  };
  if (parsed.problems.length > 0 || parsed.aliasBomb || parsed.tooDeep) {
    const first = parsed.problems[0];
    const { line, column } = lineAndColumn(parsed.lineStarts, first?.offset ?? 0);
    throw new UserError(
      `${file}:${line}:${column}: not valid YAML${first ? ` (${first.message.split('\n')[0]})` : ''}: write one "project: ENV_VAR_NAME" per line`,
    );
  }
  const data = parsed.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw new UserError(
      `${at([])}: expected a mapping of project names to environment variable names, e.g. "chatbot-prod: GROQ_KEY_CHATBOT_PROD"`,
    );
  const out: ProjectKey[] = [];
  const projects = new Set(desired.projects.map((p) => p.name));
  for (const [project, raw] of Object.entries(data as Record<string, unknown>)) {
    if (!projects.has(project))
      throw new UserError(
        `${at([project], 'key')}: project "${project}" is in no policy: name one of ${[...projects].sort().slice(0, 8).join(', ')}${projects.size > 8 ? ', …' : ''}`,
      );
    if (typeof raw === 'string' && (containsKeyValue(raw) || raw.startsWith('gsk_'))) {
      throw new UserError(
        `${at([project])}: this looks like a key value; write the NAME of the environment variable that holds it (e.g. GROQ_KEY_${project.toUpperCase().replace(/[^A-Z0-9]/g, '_')}), never the key — and revoke that key if the file was shared`,
      );
    }
    if (typeof raw !== 'string' || !ENV_NAME.test(raw))
      throw new UserError(
        `${at([project])}: expected the name of an environment variable (letters, digits and _), e.g. GROQ_KEY_${project.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`,
      );
    const value = env[raw]?.trim();
    if (!value)
      throw new UserError(
        `${at([project])}: the environment variable ${raw} is not set or empty: export the key of project "${project}" in it`,
      );
    out.push({ project, from: raw, value });
  }
  if (out.length === 0) throw new UserError(`${at([])}: the keys file names no project`);
  return out;
}
