import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { canonicalDigest, canonicalJson } from '../../src/core/canonical-json.js';

// The straightforward definition the fast implementation must agree with, byte for byte: fingerprints
// and Idempotency-Keys made by earlier versions must not change.
function reference(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(',')}}`;
}

describe('canonicalJson', () => {
  it('sorts keys at every level and leaves out undefined fields', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: null, y: 'x' }], c: undefined } })).toBe('{"a":{"d":[2,{"y":"x","z":null}]},"b":1}');
    expect(canonicalJson([undefined, 'é', '\u2028'])).toBe('[null,"é","\u2028"]');
  });

  test.prop([
    fc.anything({
      withNullPrototype: false,
      withMap: false,
      withSet: false,
      withBigInt: false,
      withDate: false,
      withTypedArray: false,
      withSparseArray: true,
      withBoxedValues: false,
    }),
  ])('agrees with the reference definition', (value) => {
    expect(canonicalJson(value)).toBe(reference(value));
  });

  test.prop([fc.jsonValue()])('is JSON that parses back to the same data, whatever the key order', (value) => {
    expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
    const reordered = JSON.parse(JSON.stringify(value), (_k, v: unknown) =>
      v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v,
    );
    expect(canonicalJson(reordered)).toBe(canonicalJson(value));
  });

  test.prop([fc.jsonValue()])('digests the same text it writes', (value) => {
    expect(canonicalDigest(value)).toBe(createHash('sha256').update(canonicalJson(value)).digest('hex'));
  });

  it('digests a value far larger than one chunk, non-ASCII and surrogate pairs included, as its whole text', () => {
    const big = Array.from({ length: 20_000 }, (_, i) => ({ key: `k-${i}-é😀`, every: i, nested: { z: 'ß', a: [i, null] } }));
    const text = canonicalJson(big);
    expect(text.length).toBeGreaterThan(16_384 * 10);
    expect(canonicalDigest(big)).toBe(createHash('sha256').update(text).digest('hex'));
  });
});
