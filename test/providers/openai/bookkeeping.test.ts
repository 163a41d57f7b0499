import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KeyMarks } from '../../../src/core/domain.js';
import { InternalError } from '../../../src/core/errors.js';
import { hashedTeamMark, isTeamMark } from '../../../src/core/marks.js';
import {
  MAX_NAME_LENGTH,
  decodeName,
  encodeName,
  hashedKey,
  keyLookup,
  nonceFor,
  triggerMark,
} from '../../../src/providers/openai/bookkeeping.js';

// Policy key names: schemas/team.schema.json `^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`.
const keyChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-'.split(''));
const alnum = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split(''));
const keyName = fc.tuple(alnum, fc.array(keyChar, { maxLength: 63 })).map(([a, rest]) => a + rest.join(''));
const hex = (n: number) =>
  fc.array(fc.constantFrom(...'0123456789abcdef'.split('')), { minLength: n, maxLength: n }).map((a) => a.join(''));
// Team names: schemas/team.schema.json `^[a-z0-9][a-z0-9-]{0,62}$`.
const teamChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-'.split(''));
const teamName = fc
  .tuple(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'.split('')), fc.array(teamChar, { maxLength: 62 }))
  .map(([a, rest]) => a + rest.join(''));
// The bounds the name has room for: generations to 999,999, times below 36^7 (the year 4453).
const MAX_TIME = 36 ** 7 - 1;
const marksArb: fc.Arbitrary<KeyMarks> = fc
  .record({
    key: keyName,
    generation: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 999_999 })),
    trigger: fc.option(hex(16), { nil: null }),
    delivered_at: fc.option(
      fc.oneof(fc.constant(0), fc.integer({ min: 1_600_000_000, max: 2_100_000_000 }), fc.integer({ min: 0, max: MAX_TIME })),
      { nil: null },
    ),
    targets: fc.option(hex(16), { nil: null }),
    protect: fc.boolean(),
  })
  .chain((m) =>
    fc
      .record({
        claimed: fc.option(fc.integer({ min: 0, max: MAX_TIME }), { nil: undefined }),
        discarded: fc.option(fc.integer({ min: 0, max: MAX_TIME }), { nil: undefined }),
        team: fc.option(teamName, { nil: undefined }),
      })
      .map(({ claimed, discarded, team }) => ({
        ...m,
        ...(team !== undefined ? { team } : {}),
        ...(claimed !== undefined ? { claimed_at: claimed } : {}),
        ...(discarded !== undefined ? { discarded_at: discarded } : {}),
      })),
  );

describe('service account names carry the marks', () => {
  it('examples: plain and hashed forms', () => {
    const marks: KeyMarks = {
      key: 'chatbot-prod',
      generation: 3,
      trigger: triggerMark('2024-05 leak'),
      delivered_at: 1_717_000_000,
      targets: '0123456789abcdef',
      protect: true,
    };
    const name = encodeName(marks, 'a1b2c3d4');
    expect(name).toBe(`grbac1 chatbot-prod g3 d${(1_717_000_000).toString(36)} t${marks.trigger} x0123456789abcdef p na1b2c3d4`);
    expect(decodeName(name)).toEqual({ marks, nonce: 'a1b2c3d4', hashed: false });
    expect(encodeName({ ...marks, trigger: null, delivered_at: null, targets: null, protect: false, generation: 1 }, 'a1b2c3d4')).toBe(
      'grbac1 chatbot-prod g1 na1b2c3d4',
    );

    const long = 'payments-reconciliation-service-eu-west-production-key-'.padEnd(64, 'x');
    const longName = encodeName({ ...marks, key: long }, nonceFor('id'));
    expect(longName.length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
    expect(longName.startsWith(`grbac1 ${hashedKey(long)} g3 `)).toBe(true);
    expect(hashedKey(long)).toMatch(/^payments-reconci~[0-9a-f]{10}$/);
    // Mapped back through the policy key names; without them, still managed, under its hashed form.
    expect(decodeName(longName, [long, 'other'])!.marks.key).toBe(long);
    expect(decodeName(longName)!.marks.key).toBe(hashedKey(long));
    expect(decodeName(longName, ['other'])).toMatchObject({ hashed: true, marks: { key: hashedKey(long) } });
  });

  it('the owner mark: the team by name while it fits, else hashed (before the key is); every mark at its largest is exactly 128', () => {
    const marks: KeyMarks = {
      key: 'chatbot-prod',
      generation: 3,
      trigger: null,
      delivered_at: 1_717_000_000,
      targets: '0123456789abcdef',
      protect: false,
      team: 'chatbot',
    };
    const name = encodeName(marks, 'a1b2c3d4');
    expect(name).toBe(`grbac1 chatbot-prod g3 d${(1_717_000_000).toString(36)} x0123456789abcdef ochatbot na1b2c3d4`);
    expect(decodeName(name)).toEqual({ marks, nonce: 'a1b2c3d4', hashed: false });

    // A long team beside a long key: the team goes hashed first, and the key keeps its name.
    const team = 'platform-infrastructure-and-reliability-engineering-emea-'.padEnd(63, 'x');
    const key = 'payments-reconciliation-eu-west-1';
    const hashedTeam = encodeName({ ...marks, key, team }, 'a1b2c3d4');
    expect(hashedTeam).toBe(`grbac1 ${key} g3 d${(1_717_000_000).toString(36)} x0123456789abcdef o${hashedTeamMark(team)} na1b2c3d4`);
    expect(hashedTeamMark(team)).toMatch(/^~[0-9a-f]{8}$/);
    const read = decodeName(hashedTeam)!;
    expect(read.marks.team).toBe(hashedTeamMark(team));
    expect(isTeamMark(read.marks.team!, team)).toBe(true);
    expect(isTeamMark(read.marks.team!, 'chatbot')).toBe(false);
    expect(encodeName(read.marks, read.nonce)).toBe(hashedTeam);

    // Everything at once, at the bounds: the key and the team hashed, and it fits exactly.
    const longKey = 'k'.repeat(64);
    const worst: KeyMarks = {
      key: longKey,
      generation: 999_999,
      trigger: 'f'.repeat(16),
      delivered_at: MAX_TIME,
      targets: 'e'.repeat(16),
      protect: true,
      team,
      claimed_at: MAX_TIME,
      discarded_at: MAX_TIME,
    };
    const full = encodeName(worst, 'a1b2c3d4');
    expect(full.length).toBe(MAX_NAME_LENGTH);
    expect(full.split(' ')[1]).toBe(hashedKey(longKey));
    expect(decodeName(full, [longKey])).toEqual({ marks: { ...worst, team: hashedTeamMark(team) }, nonce: 'a1b2c3d4', hashed: true });
    // A name without an owner mark (an older release's) reads as before: no team.
    expect(decodeName('grbac1 k g1 n00000000')!.marks).not.toHaveProperty('team');
  });

  it('delivered on create is d0', () => {
    const name = encodeName({ key: 'k', generation: 1, trigger: null, delivered_at: 0, targets: null, protect: false }, '00000000');
    expect(name).toBe('grbac1 k g1 d0 n00000000');
    expect(decodeName(name)!.marks.delivered_at).toBe(0);
  });

  it('refuses marks no policy can produce', () => {
    const ok: KeyMarks = { key: 'k', generation: 1, trigger: null, delivered_at: null, targets: null, protect: false };
    for (const bad of [
      { key: 'has space' },
      { key: '' },
      { generation: 0 },
      { generation: 1.5 },
      { generation: 1_000_000 },
      { trigger: 'raw trigger' },
      { targets: 'abc' },
      { delivered_at: -1 },
      { delivered_at: 36 ** 7 },
      { team: 'Has Caps' },
      { team: '~abc' },
      { team: '' },
    ]) {
      expect(() => encodeName({ ...ok, ...bad }, '00000000')).toThrow(InternalError);
    }
    expect(() => encodeName(ok, 'nonce')).toThrow(InternalError);
  });

  it('encode → decode round-trips, within the length limit', () => {
    fc.assert(
      fc.property(marksArb, hex(8), (marks, nonce) => {
        const name = encodeName(marks, nonce);
        expect(name.length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
        const decoded = decodeName(name, keyLookup([marks.key]));
        // A team that did not fit is read back hashed; the plan compares either form (isTeamMark).
        const team = typeof marks.team !== 'string' || name.includes(` o${marks.team} `) ? marks.team : hashedTeamMark(marks.team);
        expect(decoded).toEqual({
          marks: team === undefined ? marks : { ...marks, team },
          nonce,
          hashed: name.split(' ')[1] !== marks.key,
        });
        // Without the lookup it is still read as managed, and re-encodes to the same name.
        const bare = decodeName(name)!;
        expect(encodeName(bare.marks, bare.nonce)).toBe(name);
      }),
      { numRuns: 500 },
    );
  });

  it('decoding any name never throws and claims only names encodeName makes', () => {
    const token = fc.oneof(
      fc.constantFrom(
        'grbac1',
        'grbac2',
        'g1',
        'g01',
        'g0',
        'd0',
        'd00',
        'dzz',
        'p',
        'P',
        'n00000000',
        'nABCDEF12',
        't',
        'x',
        '~',
        'k~0123456789',
        '',
      ),
      fc.string({ maxLength: 12 }),
      hex(8).map((h) => `n${h}`),
      hex(16).map((h) => `t${h}`),
      fc.constantFrom('c0', 'cabc', 'z0', 'zq1', 'ochatbot', 'o~0123abcd', 'o~0123', 'oChat', 'o-x'),
      hex(16).map((h) => `x${h}`),
      keyName,
    );
    const nearNames = fc.oneof(
      fc.array(token, { maxLength: 9 }).map((t) => ['grbac1', ...t].join(' ')),
      fc.string({ maxLength: 120 }),
      fc.tuple(marksArb, hex(8), fc.nat(), fc.string({ maxLength: 2 })).map(([m, n, at, s]) => {
        const name = encodeName(m, n);
        const i = at % (name.length + 1);
        return name.slice(0, i) + s + name.slice(i + s.length);
      }),
    );
    fc.assert(
      fc.property(nearNames, fc.array(keyName, { maxLength: 3 }), (name, keys) => {
        const decoded = decodeName(name, keys);
        if (decoded !== null) expect(encodeName(decoded.marks, decoded.nonce)).toBe(name);
      }),
      { numRuns: 3000 },
    );
    for (const odd of [
      '',
      ' ',
      'grbac1',
      'grbac1  k g1 n00000000',
      'grbac1 k g1 n00000000 ',
      'grbac1 k g1',
      'Production App',
      'grbac1 k g1 p p n00000000',
      'grbac1 k g1 d01 n00000000',
    ]) {
      expect(decodeName(odd)).toBeNull();
    }
    expect(decodeName(undefined as unknown as string)).toBeNull();
  });
});
