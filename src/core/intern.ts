/**
 * One copy of each repeated string. At organization scale the same few strings arrive tens of
 * thousands of times (every rate limit's `object`, `id` and `model`; every key's `object`; the
 * same repository or secret name in many policy keys), and each parse makes its own copy.
 * Bounded: past `max` distinct strings, new ones are copied but not shared.
 */
export class Interner {
  private readonly seen = new Map<string, string>();

  constructor(private readonly max = 100_000) {}

  intern(value: string): string {
    const known = this.seen.get(value);
    if (known !== undefined) return known;
    if (this.seen.size >= this.max) return flat(value);
    const own = flat(value);
    this.seen.set(own, own);
    return own;
  }
}

/**
 * A string that holds its own characters. A substring of 13 or more characters (V8's sliced
 * string) keeps the whole text it was cut from alive: a YAML value kept from a policy file would
 * keep the file. A JSON round trip makes a fresh copy (measured: the cheapest that does).
 */
export function flat(value: string): string {
  return value.length < 13 ? value : (JSON.parse(JSON.stringify(value)) as string);
}
