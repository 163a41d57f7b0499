import { flat, type Interner } from '../core/intern.js';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';

/**
 * YAML text → plain data plus the positions diagnostics need, without keeping the YAML tree: the
 * tree costs several times the data (issue 12), and its unique-keys check and a linear search per
 * located field made one large file quadratic (issue 11). Keys are checked for repeats here, with
 * one Set per mapping, and each mapping's positions are looked up through an index built on demand.
 */

/**
 * Where every mapping's keys and values and every list's items start, for all of one file's
 * containers in one Int32Array: 50,000 keys make some 275,000 containers, and an object plus an
 * array per container cost ~230 bytes each (64 MB at that size, against 36 MB of data).
 *
 * A record is `[count, ...offsets]`: a mapping's `keyOffset, valueOffset` per key in the order of
 * `Object.keys` of its data object, or a list's item offsets.
 */
export interface Positions {
  /** Where each container's record starts in `pool`. */
  at: WeakMap<object, number>;
  pool: Int32Array;
  /** Record → keys in file order, only for a mapping `Object.keys` orders otherwise (integer-like keys come first). */
  keyOrder: Map<number, string[]>;
  /** Record → key index, built on demand for wide mappings. */
  index: Map<number, Map<string, number>>;
}

export interface YamlProblem {
  offset: number;
  code: string;
  message: string;
  /** Key named in a duplicate-key problem. */
  key?: string;
}

export interface ParsedYaml {
  data: unknown;
  /** Where every mapping's keys and values and every list's items start. */
  positions: Positions;
  rootOffset: number;
  /** Start offset of each line, for offset → line and column. */
  lineStarts: Int32Array;
  /** Source text of numbers that JSON cannot show as written (`.inf`, `.nan`, `1e300`, integers past 2^53). */
  rawNumbers: Map<number, string>;
  problems: YamlProblem[];
  /** The aliases expand beyond the budget: the data is not built. */
  aliasBomb: boolean;
  /** The data nests deeper than allowed: the data is not built. */
  tooDeep: boolean;
}

// An index pays for itself only on wide mappings; a policy's mappings are mostly a handful of keys.
const INDEX_FROM = 16;
// Nodes an alias may copy in all, counted across the file: more is an alias bomb.
const MAX_ALIAS_NODES = 10_000;

class AliasBomb extends Error {}
class TooDeep extends Error {}

/**
 * `strings`: one table for all the files of a read, so a value repeated across them (a repository,
 * a model, a secret name) is kept once; every string value is a copy that does not keep the text alive.
 */
export function parseYaml(text: string, options: { maxAliasCount: number; maxDepth: number; strings?: Interner }): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false, strict: true, keepSourceTokens: false });
  const result: ParsedYaml = {
    data: null,
    positions: { at: new WeakMap(), pool: new Int32Array(0), keyOrder: new Map(), index: new Map() },
    rootOffset: (doc.contents as Node | null)?.range?.[0] ?? 0,
    lineStarts: Int32Array.from(lineCounter.lineStarts),
    rawNumbers: new Map(),
    problems: doc.errors.map((e) => ({ offset: e.pos[0], code: e.code, message: e.message })),
    aliasBomb: false,
    tooDeep: false,
  };
  if (result.problems.length > 0) return result;
  try {
    const converter = new Converter(doc, text, result, options);
    result.data = converter.convert(doc.contents as Node | null, 0, false);
    result.positions.pool = converter.pool.slice(0, converter.used);
  } catch (e) {
    if (e instanceof AliasBomb) result.aliasBomb = true;
    else if (e instanceof TooDeep) result.tooDeep = true;
    else throw e;
    result.data = null;
  }
  return result;
}

class Converter {
  private aliases = 0;
  private aliasNodes = 0;
  private readonly expanding = new Set<Node>();
  pool = new Int32Array(1024);
  used = 0;

  constructor(
    private readonly doc: Document,
    private readonly text: string,
    private readonly out: ParsedYaml,
    private readonly limits: { maxAliasCount: number; maxDepth: number; strings?: Interner },
  ) {}

  convert(node: Node | null | undefined, depth: number, viaAlias: boolean): unknown {
    if (depth > this.limits.maxDepth) throw new TooDeep();
    if (viaAlias && ++this.aliasNodes > MAX_ALIAS_NODES) throw new AliasBomb();
    if (!node) return null;
    if (isAlias(node)) {
      const target = node.resolve(this.doc) as Node | undefined;
      if (!target) {
        this.out.problems.push({
          offset: node.range?.[0] ?? 0,
          code: 'BAD_ALIAS',
          message: `alias *${node.source} refers to no anchor defined before it`,
        });
        return null;
      }
      if (++this.aliases > this.limits.maxAliasCount || this.expanding.has(target)) throw new AliasBomb();
      this.expanding.add(target);
      try {
        return this.convert(target, depth, true);
      } finally {
        this.expanding.delete(target);
      }
    }
    if (isScalar(node)) {
      const value = node.value;
      if (typeof value === 'number' && !Number.isSafeInteger(value) && node.range) {
        const raw = this.text.slice(node.range[0], node.range[1]);
        if (!Number.isFinite(value) || String(value) !== raw) this.out.rawNumbers.set(node.range[0], flat(raw));
      }
      if (typeof value === 'bigint') return Number(value);
      if (typeof value === 'string') return this.limits.strings ? this.limits.strings.intern(value) : flat(value);
      return value === undefined ? null : value;
    }
    if (isSeq(node)) {
      const items: unknown[] = [];
      const record = this.reserve(1 + node.items.length);
      this.pool[record] = node.items.length;
      node.items.forEach((item, i) => {
        const n = item as Node | null;
        this.pool[record + 1 + i] = n?.range?.[0] ?? node.range?.[0] ?? 0;
        items.push(this.convert(n, depth + 1, viaAlias));
      });
      this.out.positions.at.set(items, record);
      return items;
    }
    if (isMap(node)) {
      const obj: Record<string, unknown> = {};
      const keys: string[] = [];
      // Room for every pair; repeated and complex keys leave theirs unused.
      const record = this.reserve(1 + 2 * node.items.length);
      const seen = new Set<string>();
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        const keyOffset = keyNode?.range?.[0] ?? node.range?.[0] ?? 0;
        if (!isScalar(keyNode)) {
          this.out.problems.push({
            offset: keyOffset,
            code: 'COMPLEX_KEY',
            message: 'a key must be a plain name, not a list or a mapping',
          });
          continue;
        }
        const key = String(keyNode.value);
        if (seen.has(key)) {
          if (!viaAlias)
            this.out.problems.push({
              offset: keyOffset,
              code: 'DUPLICATE_KEY',
              message: `\`${key}\` appears twice in the same mapping`,
              key,
            });
          continue;
        }
        seen.add(key);
        const valueNode = pair.value as Node | null;
        const value = this.convert(valueNode, depth + 1, viaAlias);
        if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
        else obj[key] = value;
        const at = record + 1 + 2 * keys.length;
        this.pool[at] = keyOffset;
        this.pool[at + 1] = valueNode?.range?.[0] ?? keyOffset;
        keys.push(key);
      }
      this.pool[record] = keys.length;
      // Offsets follow the file; a mapping with integer-like keys (which Object.keys orders first) keeps its own list.
      const order = Object.keys(obj);
      if (!(order.length === keys.length && order.every((k, i) => k === keys[i]))) this.out.positions.keyOrder.set(record, keys);
      this.out.positions.at.set(obj, record);
      return obj;
    }
    return null;
  }

  /** Room for a record of `size` numbers; returns where it starts. */
  private reserve(size: number): number {
    if (this.used + size > this.pool.length) {
      const grown = new Int32Array(Math.max(this.pool.length * 2, this.used + size));
      grown.set(this.pool.subarray(0, this.used));
      this.pool = grown;
    }
    const at = this.used;
    this.used += size;
    return at;
  }
}

/** Offset of the field at `path` (its key, or its value); the nearest existing parent's when absent. O(depth). */
export function offsetOf(
  parsed: Pick<ParsedYaml, 'data' | 'positions' | 'rootOffset'>,
  path: readonly (string | number)[],
  target: 'key' | 'value',
): number {
  let container: unknown = parsed.data;
  let found = parsed.rootOffset;
  const { at, pool } = parsed.positions;
  for (let i = 0; i < path.length; i++) {
    if (container === null || typeof container !== 'object') break;
    const record = at.get(container);
    if (record === undefined) break;
    const segment = path[i]!;
    const last = i === path.length - 1;
    if (!Array.isArray(container)) {
      const key = String(segment);
      const j = indexOfKey(parsed.positions, record, container, key);
      if (j < 0) break;
      found = pool[record + 1 + 2 * j + (last && target === 'key' ? 0 : 1)]!;
      container = (container as Record<string, unknown>)[key];
    } else {
      if (typeof segment !== 'number' || segment < 0 || segment >= pool[record]!) break;
      found = pool[record + 1 + segment]!;
      container = (container as unknown[])[segment];
    }
  }
  return found;
}

/** The key's place in the mapping: a scan for a few keys; for wide ones an index, built once (no O(n) per lookup). */
function indexOfKey(positions: Positions, record: number, container: object, key: string): number {
  const built = positions.index.get(record);
  if (built) return built.get(key) ?? -1;
  const keys = positions.keyOrder.get(record) ?? Object.keys(container);
  if (keys.length < INDEX_FROM) return keys.indexOf(key);
  const index = new Map(keys.map((k, i) => [k, i]));
  positions.index.set(record, index);
  return index.get(key) ?? -1;
}

/** 1-based line and column of an offset. */
export function lineAndColumn(lineStarts: Int32Array, offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - (lineStarts[lo] ?? 0) + 1 };
}
