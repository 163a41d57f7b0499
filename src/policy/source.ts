import fs from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from './diagnostics.js';
import { Interner } from '../core/intern.js';
import { findPolicyFiles, type FoundFiles } from './find-files.js';
import { lineAndColumn, offsetOf, parseYaml, type ParsedYaml } from './yaml-data.js';

/** A policy file read and parsed: its data and the positions diagnostics need, not the YAML tree. */
export interface PolicySource {
  /** Path as shown to the user (relative to the working directory when inside it). */
  file: string;
  kind: 'org' | 'team';
  data: unknown;
  positions: Pick<ParsedYaml, 'data' | 'positions' | 'rootOffset' | 'lineStarts' | 'rawNumbers'>;
}

// A policy file is a few kilobytes; these bounds refuse hostile input quickly and in little memory.
export const MAX_FILE_BYTES = 1024 * 1024;
const MAX_ALIAS_COUNT = 100;
export const MAX_DEPTH = 32;

export interface ReadResult {
  sources: PolicySource[];
  diagnostics: Diagnostic[];
}

/** Reads `org.yaml` and `teams/*.yaml` under `dir`; any other YAML file there is an error. Never throws for bad content. */
export function readPolicySources(dir: string, cwd = process.cwd()): ReadResult {
  const found = findPolicyFiles(dir, cwd);
  const diagnostics = [...found.diagnostics];
  const sources: PolicySource[] = [];
  if (found.root === null) return { sources, diagnostics };
  const strings = new Interner();
  for (const file of found.files) {
    const source = readPolicyFile(file, found, diagnostics, strings);
    if (source) sources.push(source);
  }
  return { sources, diagnostics };
}

function readPolicyFile(
  entry: FoundFiles['files'][number],
  found: FoundFiles,
  diagnostics: Diagnostic[],
  strings: Interner,
): PolicySource | null {
  const { file, shown, kind } = entry;
  const report = (message: string, hint: string, at = { line: 1, column: 1 }) =>
    void diagnostics.push({ severity: 'error', file: shown, ...at, path: '', message, hint });
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch {
    return (
      report(
        'cannot be read: it is a broken symbolic link',
        'point the link at a file inside the policies directory, or replace it with the file',
      ),
      null
    );
  }
  if (real !== found.root && !real.startsWith(found.root! + path.sep)) {
    return (
      report(
        `is a symbolic link to ${real}, outside the policies directory`,
        'policies must live inside the policies directory; copy the file in instead of linking it',
      ),
      null
    );
  }
  const stat = fs.statSync(real);
  if (!stat.isFile()) return (report('is not a regular file', 'remove it or replace it with a YAML file'), null);
  if (stat.size > MAX_FILE_BYTES) {
    return (
      report(`is ${stat.size} bytes, over the ${MAX_FILE_BYTES}-byte limit for a policy file`, 'split the team into several files'),
      null
    );
  }
  const bytes = fs.readFileSync(real);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return (report('is not valid UTF-8', 'save the file as UTF-8', firstInvalidUtf8(bytes)), null);
  }
  const tooDeep = nestingBeyond(text, MAX_DEPTH * 2);
  const deepMessage = `nests values more than ${MAX_DEPTH} levels deep`;
  const deepHint = 'a policy is at most a few levels deep; check the indentation';
  if (tooDeep) return (report(deepMessage, deepHint, tooDeep), null);

  const parsed = parseYaml(text, { maxAliasCount: MAX_ALIAS_COUNT, maxDepth: MAX_DEPTH, strings });
  // After the first problem that stops the parser, the rest mostly follow from it (one tab gave
  // eight): report that one, and every repeated key or other problem that stands on its own.
  const stops = (p: { code: string }) => !KEEPS_DATA.includes(p.code);
  const firstStop = parsed.problems.find(stops);
  for (const p of parsed.problems) {
    if (stops(p) && p !== firstStop) continue;
    diagnostics.push({
      severity: 'error',
      file: shown,
      ...lineAndColumn(parsed.lineStarts, p.offset),
      path: '',
      ...describeYamlError(p.code, p.message),
    });
  }
  if (parsed.aliasBomb)
    return (report('uses YAML aliases that expand too far (an alias bomb)', 'write the values out; policies need no aliases'), null);
  if (parsed.tooDeep) return (report(deepMessage, deepHint), null);
  // A file the YAML parser rejects has no data to check; repeated keys and the like still do.
  if (firstStop) return null;
  const { data, positions, rootOffset, lineStarts, rawNumbers } = parsed;
  return { file: shown, kind, data, positions: { data, positions, rootOffset, lineStarts, rawNumbers } };
}

/** YAML problems after which the file still has data to check. */
const KEEPS_DATA = ['DUPLICATE_KEY', 'COMPLEX_KEY', 'BAD_ALIAS'];

function describeYamlError(code: string, message: string): { message: string; hint?: string } {
  const first = message.split('\n')[0]!;
  switch (code) {
    case 'TAB_AS_INDENT':
      return { message: 'YAML: a tab is used for indentation', hint: 'indent with spaces (two per level)' };
    case 'DUPLICATE_KEY':
      return { message: `YAML: ${first}`, hint: 'keep one of them; later ones do not override earlier ones' };
    case 'MULTIPLE_DOCS':
      return { message: 'YAML: the file holds more than one document (`---`)', hint: 'one policy per file: remove the `---` separator' };
    case 'COMPLEX_KEY':
    case 'BAD_ALIAS':
      return { message: `YAML: ${first}` };
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
    case 'UNEXPECTED_TOKEN':
      return { message: `YAML: ${first}`, hint: 'check the indentation: siblings line up, children are indented by two spaces' };
    default:
      return { message: `YAML: ${first}` };
  }
}

/** Line and column of the field at `fieldPath` (its key, or its value); the nearest existing parent if absent. */
export function locate(
  source: PolicySource,
  fieldPath: readonly (string | number)[],
  target: 'key' | 'value' = 'value',
): { line: number; column: number } {
  return lineAndColumn(source.positions.lineStarts, offsetOf(source.positions, fieldPath, target));
}

/** `file:line:column` of a field, for messages that point at a second place. */
export function ref(source: PolicySource, fieldPath: readonly (string | number)[], target: 'key' | 'value' = 'value'): string {
  const { line, column } = locate(source, fieldPath, target);
  return `${source.file}:${line}:${column}`;
}

/** The number as written, when JSON would show it otherwise (`.inf`, `1e300`, `9007199254740993`). */
export function writtenNumber(source: PolicySource, fieldPath: readonly (string | number)[]): string | undefined {
  return source.positions.rawNumbers.get(offsetOf(source.positions, fieldPath, 'value'));
}

function firstInvalidUtf8(bytes: Uint8Array): { line: number; column: number } {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  // Binary search the longest valid prefix; decoding a prefix can fail only at or after the bad byte.
  let lo = 0;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    try {
      decoder.decode(bytes.subarray(0, mid));
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  // A prefix that ends inside a valid multi-byte character fails too; step back to a character boundary.
  const valid = new TextDecoder('utf-8').decode(bytes.subarray(0, lo)).replace(/\uFFFD+$/, '');
  const lines = valid.split('\n');
  return { line: lines.length, column: lines.at(-1)!.length + 1 };
}

/**
 * Where flow brackets or indentation first nest deeper than `limit`, found by a lexical scan before
 * parsing: the YAML parser recurses, and a megabyte of `[` costs it seconds and hundreds of megabytes.
 */
function nestingBeyond(text: string, limit: number): { line: number; column: number } | null {
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  let quote: string | null = null;
  let comment = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\n') {
      line += 1;
      lineStart = i + 1;
      comment = false;
      let indent = 0;
      while (text[i + 1 + indent] === ' ') indent++;
      if (indent / 2 > limit) return { line, column: indent + 1 };
      continue;
    }
    if (comment) continue;
    if (quote) {
      if (ch === quote && text[i - 1] !== '\\') quote = null;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === '#') {
      comment = true;
    } else if (ch === '[' || ch === '{') {
      if (++depth > limit) return { line, column: i - lineStart + 1 };
    } else if ((ch === ']' || ch === '}') && depth > 0) {
      depth--;
    }
  }
  return null;
}
