import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';

/**
 * YAML text → plain data plus the positions diagnostics need, without keeping the YAML tree: the
 * tree costs several times the data (issue 12), and its unique-keys check and a linear search per
 * located field made one large file quadratic (issue 11). Keys are checked for repeats here, with
 * one Set per mapping, and each mapping's positions are looked up through an index built on demand.
 */

/**
 * Offsets of one mapping's keys and values, in the order of `Object.keys` of its data object. Kept
 * small (plain number arrays, no copy of the keys): 50,000 keys make some 300,000 of these.
 */
interface MapPositions {
  kind: 'map';
  /** `[keyOffset, valueOffset]` per key. */
  offsets: number[];
  /** Only when `Object.keys` orders them otherwise than the file (integer-like keys come first). */
  keys?: string[];
  index?: Map<string, number>;
}

interface SeqPositions {
  kind: 'seq';
  /** Offset of each item's value. */
  offsets: number[];
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
  positions: WeakMap<object, MapPositions | SeqPositions>;
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

export function parseYaml(text: string, options: { maxAliasCount: number; maxDepth: number }): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false, strict: true, keepSourceTokens: false });
  const result: ParsedYaml = {
    data: null,
    positions: new WeakMap(),
    rootOffset: (doc.contents as Node | null)?.range?.[0] ?? 0,
    lineStarts: Int32Array.from(lineCounter.lineStarts),
    rawNumbers: new Map(),
    problems: doc.errors.map((e) => ({ offset: e.pos[0], code: e.code, message: e.message })),
    aliasBomb: false,
    tooDeep: false,
  };
  if (result.problems.length > 0) return result;
  try {
    result.data = new Converter(doc, text, result, options).convert(doc.contents as Node | null, 0, false);
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

  constructor(
    private readonly doc: Document,
    private readonly text: string,
    private readonly out: ParsedYaml,
    private readonly limits: { maxAliasCount: number; maxDepth: number },
  ) {}

  convert(node: Node | null | undefined, depth: number, viaAlias: boolean): unknown {
    if (depth > this.limits.maxDepth) throw new TooDeep();
    if (viaAlias && ++this.aliasNodes > MAX_ALIAS_NODES) throw new AliasBomb();
    if (!node) return null;
    if (isAlias(node)) {
      const target = node.resolve(this.doc) as Node | undefined;
      if (!target) {
        this.out.problems.push({ offset: node.range?.[0] ?? 0, code: 'BAD_ALIAS', message: `alias *${node.source} refers to no anchor defined before it` });
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
        if (!Number.isFinite(value) || String(value) !== raw) this.out.rawNumbers.set(node.range[0], raw);
      }
      if (typeof value === 'bigint') return Number(value);
      return value === undefined ? null : value;
    }
    if (isSeq(node)) {
      const items: unknown[] = [];
      const offsets = new Array<number>(node.items.length);
      node.items.forEach((item, i) => {
        const n = item as Node | null;
        offsets[i] = n?.range?.[0] ?? node.range?.[0] ?? 0;
        items.push(this.convert(n, depth + 1, viaAlias));
      });
      this.out.positions.set(items, { kind: 'seq', offsets });
      return items;
    }
    if (isMap(node)) {
      const obj: Record<string, unknown> = {};
      const keys: string[] = [];
      const offsets: number[] = [];
      const seen = new Set<string>();
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        const keyOffset = keyNode?.range?.[0] ?? node.range?.[0] ?? 0;
        if (!isScalar(keyNode)) {
          this.out.problems.push({ offset: keyOffset, code: 'COMPLEX_KEY', message: 'a key must be a plain name, not a list or a mapping' });
          continue;
        }
        const key = String(keyNode.value);
        if (seen.has(key)) {
          if (!viaAlias) this.out.problems.push({ offset: keyOffset, code: 'DUPLICATE_KEY', message: `\`${key}\` appears twice in the same mapping`, key });
          continue;
        }
        seen.add(key);
        const valueNode = pair.value as Node | null;
        const value = this.convert(valueNode, depth + 1, viaAlias);
        if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
        else obj[key] = value;
        keys.push(key);
        offsets.push(keyOffset, valueNode?.range?.[0] ?? keyOffset);
      }
      // Offsets follow Object.keys(obj); only a mapping with integer-like keys (which it orders first) keeps its own list.
      const order = Object.keys(obj);
      const same = order.length === keys.length && order.every((k, i) => k === keys[i]);
      this.out.positions.set(obj, same ? { kind: 'map', offsets } : { kind: 'map', offsets, keys });
      return obj;
    }
    return null;
  }
}

/** Offset of the field at `path` (its key, or its value); the nearest existing parent's when absent. O(depth). */
export function offsetOf(parsed: Pick<ParsedYaml, 'data' | 'positions' | 'rootOffset'>, path: readonly (string | number)[], target: 'key' | 'value'): number {
  let container: unknown = parsed.data;
  let found = parsed.rootOffset;
  for (let i = 0; i < path.length; i++) {
    if (container === null || typeof container !== 'object') break;
    const pos = parsed.positions.get(container);
    if (!pos) break;
    const segment = path[i]!;
    const last = i === path.length - 1;
    if (pos.kind === 'map') {
      const key = String(segment);
      const j = indexOfKey(pos, container, key);
      if (j < 0) break;
      found = pos.offsets[2 * j + (last && target === 'key' ? 0 : 1)]!;
      container = (container as Record<string, unknown>)[key];
    } else {
      if (typeof segment !== 'number' || segment < 0 || segment >= pos.offsets.length) break;
      found = pos.offsets[segment]!;
      container = (container as unknown[])[segment];
    }
  }
  return found;
}

/** The key's place in the mapping: a scan for a few keys; for wide ones an index, built once (no O(n) per lookup). */
function indexOfKey(pos: MapPositions, container: object, key: string): number {
  if (pos.index) return pos.index.get(key) ?? -1;
  const keys = pos.keys ?? Object.keys(container);
  if (keys.length < INDEX_FROM) return keys.indexOf(key);
  pos.index = new Map(keys.map((k, i) => [k, i]));
  return pos.index.get(key) ?? -1;
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
