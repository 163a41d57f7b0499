import fs from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { Diagnostic } from './diagnostics.js';

/** A policy file read and parsed, with what is needed to point at any field in it. */
export interface PolicySource {
  /** Path as shown to the user (relative to the working directory when inside it). */
  file: string;
  kind: 'org' | 'team';
  doc: Document;
  lineCounter: LineCounter;
  data: unknown;
}

// A policy file is a few kilobytes; these bounds refuse hostile input quickly and in little memory.
export const MAX_FILE_BYTES = 1024 * 1024;
const MAX_ALIAS_COUNT = 100;
const MAX_DEPTH = 32;
const MAX_TEAM_FILES = 5000;

export interface ReadResult {
  sources: PolicySource[];
  diagnostics: Diagnostic[];
}

/** Reads `org.yaml` and `teams/*.yaml` under `dir`. Never throws for bad content: it reports. */
export function readPolicySources(dir: string, cwd = process.cwd()): ReadResult {
  const diagnostics: Diagnostic[] = [];
  const sources: PolicySource[] = [];
  const display = (p: string) => {
    const rel = path.relative(cwd, p);
    return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
  };
  const fileError = (file: string, message: string, hint?: string) =>
    diagnostics.push({ severity: 'error', file: display(file), line: 1, column: 1, path: '', message, ...(hint ? { hint } : {}) });

  let root: string;
  try {
    root = fs.realpathSync(dir);
    if (!fs.statSync(root).isDirectory()) throw new Error('not a directory');
  } catch {
    fileError(dir, 'policies directory not found', 'pass --policies DIR, or create it with `groq-rbac import --out policies`');
    return { sources, diagnostics };
  }

  const orgCandidates = ['org.yaml', 'org.yml'].map((n) => path.join(dir, n)).filter((p) => fs.existsSync(p));
  if (orgCandidates.length === 0) {
    fileError(path.join(dir, 'org.yaml'), 'org.yaml is missing', 'create it with at least `version: 1`, `org: org_…` and `admins: ["@your-org/platform"]`');
  }
  for (const file of orgCandidates.slice(0, 1)) readOne(file, 'org');

  const teamsDir = path.join(dir, 'teams');
  let teamFiles: string[] = [];
  if (fs.existsSync(teamsDir)) {
    teamFiles = fs
      .readdirSync(teamsDir)
      .filter((n) => n.endsWith('.yaml') || n.endsWith('.yml'))
      .sort()
      .map((n) => path.join(teamsDir, n));
  }
  if (teamFiles.length > MAX_TEAM_FILES) {
    fileError(teamsDir, `${teamFiles.length} team files is more than the ${MAX_TEAM_FILES} groq-rbac reads`, 'merge small teams into shared files');
    teamFiles = [];
  }
  for (const file of teamFiles) readOne(file, 'team');

  for (const name of fs.readdirSync(dir)) {
    if ((name.endsWith('.yaml') || name.endsWith('.yml')) && !name.startsWith('org.')) {
      diagnostics.push({
        severity: 'warning', file: display(path.join(dir, name)), line: 1, column: 1, path: '',
        message: 'this file is not read', hint: `team files go under ${display(teamsDir)}/`,
      });
    }
  }
  return { sources, diagnostics };

  function readOne(file: string, kind: 'org' | 'team'): void {
    const shown = display(file);
    let real: string;
    try {
      real = fs.realpathSync(file);
    } catch {
      fileError(file, 'cannot be read: it is a broken symbolic link', 'point the link at a file inside the policies directory, or replace it with the file');
      return;
    }
    if (real !== root && !real.startsWith(root + path.sep)) {
      fileError(file, `is a symbolic link to ${real}, outside the policies directory`, 'policies must live inside the policies directory; copy the file in instead of linking it');
      return;
    }
    const stat = fs.statSync(real);
    if (!stat.isFile()) {
      fileError(file, 'is not a regular file', 'remove it or replace it with a YAML file');
      return;
    }
    if (stat.size > MAX_FILE_BYTES) {
      fileError(file, `is ${stat.size} bytes, over the ${MAX_FILE_BYTES}-byte limit for a policy file`, 'split the team into several files');
      return;
    }
    const bytes = fs.readFileSync(real);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      const { line, column } = firstInvalidUtf8(bytes);
      diagnostics.push({ severity: 'error', file: shown, line, column, path: '', message: 'is not valid UTF-8', hint: 'save the file as UTF-8' });
      return;
    }
    const tooDeep = nestingBeyond(text, MAX_DEPTH * 2);
    if (tooDeep) {
      diagnostics.push({ severity: 'error', file: shown, ...tooDeep, path: '', message: `nests values more than ${MAX_DEPTH} levels deep`, hint: 'a policy is at most a few levels deep; check the indentation' });
      return;
    }
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const { line, col } = lineCounter.linePos(e.pos[0]);
        diagnostics.push({ severity: 'error', file: shown, line, column: col, path: '', ...describeYamlError(e.code, e.message) });
      }
      return;
    }
    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      if (e instanceof ReferenceError) {
        diagnostics.push({ severity: 'error', file: shown, line: 1, column: 1, path: '', message: 'uses YAML aliases that expand too far (an alias bomb)', hint: 'write the values out; policies need no aliases' });
        return;
      }
      throw e;
    }
    if (depthOf(data) > MAX_DEPTH) {
      diagnostics.push({ severity: 'error', file: shown, line: 1, column: 1, path: '', message: `nests values more than ${MAX_DEPTH} levels deep`, hint: 'a policy is at most a few levels deep; check the indentation' });
      return;
    }
    sources.push({ file: shown, kind, doc, lineCounter, data });
  }
}

function describeYamlError(code: string, message: string): { message: string; hint?: string } {
  const first = message.split('\n')[0]!;
  switch (code) {
    case 'TAB_AS_INDENT':
      return { message: 'YAML: a tab is used for indentation', hint: 'indent with spaces (two per level)' };
    case 'DUPLICATE_KEY':
      return { message: 'YAML: this key appears twice in the same mapping', hint: 'keep one of them; later ones do not override earlier ones' };
    case 'MULTIPLE_DOCS':
      return { message: 'YAML: the file holds more than one document (`---`)', hint: 'one policy per file: remove the `---` separator' };
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
    case 'UNEXPECTED_TOKEN':
      return { message: `YAML: ${first}`, hint: 'check the indentation: siblings line up, children are indented by two spaces' };
    default:
      return { message: `YAML: ${first}` };
  }
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

function depthOf(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    max = Math.max(max, d);
    if (max > MAX_DEPTH) return max;
    if (v !== null && typeof v === 'object') for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

/** Line and column of the field at `fieldPath` (its key, or its value); the nearest existing parent if absent. */
export function locate(source: PolicySource, fieldPath: readonly (string | number)[], target: 'key' | 'value' = 'value'): { line: number; column: number } {
  let node: Node | null | undefined = source.doc.contents as Node | null;
  let found: Node | null | undefined = node;
  for (let i = 0; i < fieldPath.length && node; i++) {
    const segment = fieldPath[i];
    const last = i === fieldPath.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      node = (last && target === 'key' ? pair.key : pair.value) as Node | null;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment] as Node | undefined;
    } else {
      break;
    }
    if (node?.range) found = node;
  }
  const offset = found?.range?.[0] ?? 0;
  const { line, col } = source.lineCounter.linePos(offset);
  return { line, column: col };
}
