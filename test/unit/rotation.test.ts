import { describe, expect, it } from 'vitest';
import { triggerMark } from '../../src/core/marks.js';
import { DELIVERED_ON_CREATE, METADATA } from '../../src/providers/groq/metadata.js';
import { decodeKey } from '../../src/providers/groq/read.js';
import { planChanges, usageNeeds } from '../../src/plan/plan-changes.js';
import {
  deliveredAt,
  IN_PROGRESS_GRACE_SECONDS,
  keyUsageFromRows,
  lineageOf,
  reviewNeeded,
  targetsHash,
  USAGE_LAG_ALLOWANCE_SECONDS,
} from '../../src/plan/rotation.js';
import { rotationStepsOnly } from '../../src/plan/summary.js';
import type { KeyChange } from '../../src/plan/types.js';
import { makeDesired, makeDesiredKey, makeDesiredProject, makeLive, makeLiveProject, managedKeyFor, NOW } from '../helpers/builders.js';

const DAY = 86_400;
const project = makeDesiredProject('chatbot-prod');
const keyChanges = (plan: ReturnType<typeof planChanges>) => plan.changes.filter((c): c is KeyChange => c.resource === 'api_key');
const withRotation = (overrides: Partial<ReturnType<typeof makeDesiredKey>['rotation']>, protect = false) => {
  const base = makeDesiredKey('web', { protect });
  return { ...base, rotation: { ...base.rotation, ...overrides } };
};

describe('rotation phases', () => {
  it('rotates a key older than `every`, as a time-driven step outside the fingerprint', () => {
    const key = withRotation({ everySeconds: 30 * DAY });
    const current = managedKeyFor(key, { created_at: NOW - 31 * DAY }, 7);
    const plan = planChanges(makeDesired([project], [key]), makeLive([makeLiveProject('chatbot-prod', { keys: [current] })]), NOW);
    expect(keyChanges(plan)).toMatchObject([
      {
        action: 'rotate',
        key: 'web',
        key_id: current.id,
        rotation: { generation: 8, cause: 'age', time_driven: true, targets: ['file out/web.key (0600)'] },
      },
    ]);
    expect(plan.summary.rotate).toBe(1);
    // A plan approved before the key became due still applies.
    const yesterday = planChanges(
      makeDesired([project], [key]),
      makeLive([makeLiveProject('chatbot-prod', { keys: [{ ...current, created_at: NOW - 29 * DAY }] })]),
      NOW,
    );
    expect(keyChanges(yesterday)).toEqual([]);
    expect(plan.fingerprint).toBe(yesterday.fingerprint);
  });

  it('rotates at once when the trigger changes, and that rotation is part of what reviewers approve', () => {
    const before = withRotation({ trigger: null });
    const after = withRotation({ trigger: '2026-11 leak' });
    const live = makeLive([makeLiveProject('chatbot-prod', { keys: [managedKeyFor(before)] })]);
    const plan = planChanges(makeDesired([project], [after]), live, NOW);
    expect(keyChanges(plan)).toMatchObject([
      { action: 'rotate', rotation: { cause: 'trigger', time_driven: false, trigger: '2026-11 leak', generation: 2 } },
    ]);
    expect(plan.fingerprint).not.toBe(planChanges(makeDesired([project], [before]), live, NOW).fingerprint);
  });

  it('rotates when the delivery targets change: groq-rbac keeps no value to send to a new one', () => {
    const before = makeDesiredKey('web');
    const after = {
      ...before,
      rotation: {
        ...before.rotation,
        deliver: [...before.rotation.deliver, { kind: 'vault' as const, path: 'secret/data/groq/web', field: 'api_key' }],
      },
    };
    const plan = planChanges(
      makeDesired([project], [after]),
      makeLive([makeLiveProject('chatbot-prod', { keys: [managedKeyFor(before)] })]),
      NOW,
    );
    expect(keyChanges(plan)).toMatchObject([
      { action: 'rotate', rotation: { cause: 'targets', targets: ['file out/web.key (0600)', 'vault secret/data/groq/web#api_key'] } },
    ]);
  });

  it('with quiet_period 0s retires the replaced generation in the same run, once its successor is delivered', () => {
    const key = withRotation({ trigger: 'now', quietPeriodSeconds: 0, minOverlapSeconds: 0 });
    const current = managedKeyFor(withRotation({}));
    const plan = planChanges(makeDesired([project], [key]), makeLive([makeLiveProject('chatbot-prod', { keys: [current] })]), NOW);
    expect(keyChanges(plan).map((c) => [c.action, c.key_id, c.rotation?.after_rotation ?? false])).toEqual([
      ['rotate', current.id, false],
      ['delete', current.id, true],
    ]);
  });

  it('keeps an old generation until the new one has been delivered for min_overlap, saying how long is left', () => {
    const key = withRotation({ minOverlapSeconds: 3600 });
    const current = managedKeyFor(key, { created_at: NOW - 600 }, 2);
    const old = managedKeyFor(key, { created_at: NOW - 60 * DAY, last_used_at: NOW - 10 * DAY }, 1);
    const plan = planChanges(makeDesired([project], [key]), makeLive([makeLiveProject('chatbot-prod', { keys: [current, old] })]), NOW, {
      usage: new Map([[old.id, null]]),
    });
    expect(keyChanges(plan)).toEqual([]);
    expect(plan.pending).toMatchObject([{ key_id: old.id, waiting_for: 'overlap', seconds_left: 3600 - 595 }]);
  });

  it('never retires an old generation still in use, however often it is planned', () => {
    const key = makeDesiredKey('web');
    const current = managedKeyFor(key, { created_at: NOW - 10 * DAY }, 2);
    for (const t of [NOW, NOW + 3 * DAY, NOW + 30 * DAY]) {
      const old = managedKeyFor(key, { created_at: NOW - 100 * DAY, last_used_at: t - 30 }, 1);
      const plan = planChanges(
        makeDesired([project], [key]),
        makeLive([makeLiveProject('chatbot-prod', { keys: [current, old] })], { observed_at: t }),
        t,
        { usage: new Map([[old.id, t - 30]]) },
      );
      expect(keyChanges(plan).filter((c) => c.action === 'delete')).toEqual([]);
      expect(plan.pending).toMatchObject([{ waiting_for: 'quiet' }]);
    }
  });

  it('counts the usage lag: quiet for exactly quiet_period is not enough', () => {
    const key = makeDesiredKey('web');
    const current = managedKeyFor(key, { created_at: NOW - 10 * DAY }, 2);
    const old = managedKeyFor(key, { created_at: NOW - 100 * DAY, last_used_at: NOW - DAY }, 1);
    const live = makeLive([makeLiveProject('chatbot-prod', { keys: [current, old] })]);
    const atQuiet = planChanges(makeDesired([project], [key]), live, NOW, { usage: new Map([[old.id, null]]) });
    expect(atQuiet.pending).toMatchObject([{ seconds_left: USAGE_LAG_ALLOWANCE_SECONDS }]);
    const later = NOW + USAGE_LAG_ALLOWANCE_SECONDS;
    const plan = planChanges(makeDesired([project], [key]), { ...live, observed_at: later }, later, { usage: new Map([[old.id, null]]) });
    expect(keyChanges(plan)).toMatchObject([{ action: 'delete', key_id: old.id, reason: 'retired' }]);
  });

  it('after a crash before the delivery mark, drains the unmarked generation and starts again at the next one', () => {
    const key = makeDesiredKey('web');
    const current = managedKeyFor(key, { created_at: NOW - 100 * DAY }, 3);
    const interrupted = managedKeyFor(key, { created_at: NOW - 120, last_used_at: null, marks: { delivered_at: null } }, 4);
    expect(lineageOf([current, interrupted], NOW + 3600)).toEqual({ current, inProgress: null, old: [interrupted], nextGeneration: 5 });
    expect(lineageOf([current, interrupted], NOW)).toEqual({ current, inProgress: interrupted, old: [], nextGeneration: 5 });
    const live = makeLive([makeLiveProject('chatbot-prod', { keys: [current, interrupted] })]);
    // Right after, it may be another run's rotation in progress: nothing starts.
    const meanwhile = planChanges(makeDesired([project], [key]), live, NOW);
    expect(keyChanges(meanwhile)).toEqual([]);
    expect(meanwhile.pending).toMatchObject([
      { key_id: interrupted.id, waiting_for: 'in_progress', seconds_left: IN_PROGRESS_GRACE_SECONDS - 120 },
    ]);
    const later = NOW + IN_PROGRESS_GRACE_SECONDS;
    const plan = planChanges(makeDesired([project], [key]), { ...live, observed_at: later }, later, {
      usage: new Map([[interrupted.id, null]]),
    });
    expect(keyChanges(plan)).toMatchObject([{ action: 'rotate', rotation: { generation: 5, cause: 'age' } }]);
    expect(plan.pending).toMatchObject([{ key_id: interrupted.id, generation: 4, waiting_for: 'quiet' }]);
  });

  it('after a crash during a first create, creates the next generation', () => {
    const key = makeDesiredKey('web');
    const undelivered = managedKeyFor(key, { created_at: NOW - 60, last_used_at: null, marks: { delivered_at: null } }, 1);
    const later = NOW + IN_PROGRESS_GRACE_SECONDS;
    const plan = planChanges(
      makeDesired([project], [key]),
      makeLive([makeLiveProject('chatbot-prod', { keys: [undelivered] })], { observed_at: later }),
      later,
    );
    expect(keyChanges(plan)).toMatchObject([{ action: 'create', rotation: { generation: 2, cause: 'interrupted', time_driven: true } }]);
  });

  it('lets a protected key rotate: retiring its old generation is not a protected delete, nor counted by safety', () => {
    const key = withRotation({}, true);
    const current = managedKeyFor(key, { created_at: NOW - 10 * DAY }, 9);
    const olds = [1, 2, 3, 4, 5].map((g) => managedKeyFor(key, { created_at: NOW - 200 * DAY, last_used_at: null }, g));
    const plan = planChanges(
      makeDesired([project], [key]),
      makeLive([makeLiveProject('chatbot-prod', { keys: [current, ...olds] })]),
      NOW,
      { usage: new Map(olds.map((k) => [k.id, null])) },
    );
    expect(keyChanges(plan).filter((c) => c.reason === 'retired')).toHaveLength(5);
    expect(plan.refusals).toEqual([]);
  });
});

describe('what review found', () => {
  it("fingerprints each key's rotation settings: a shorter `every` is never applied under an older approval", () => {
    const key = makeDesiredKey('web');
    const live = makeLive([makeLiveProject('chatbot-prod', { keys: [managedKeyFor(key)] })]);
    const before = planChanges(makeDesired([project], [key]), live, NOW);
    const shorter = { ...key, rotation: { ...key.rotation, everySeconds: 3600, quietPeriodSeconds: 0, minOverlapSeconds: 0 } };
    const after = planChanges(makeDesired([project], [shorter]), live, NOW);
    expect(before.changes).toEqual([]);
    expect(after.fingerprint).not.toBe(before.fingerprint);
  });

  it('counts retiring the generation in service in the same run (quiet_period 0s) against the delete limits', () => {
    const keys = ['a', 'b', 'c', 'd'].map((n) => ({
      ...makeDesiredKey(n),
      rotation: { ...makeDesiredKey(n).rotation, quietPeriodSeconds: 0, minOverlapSeconds: 0, trigger: 'leak' },
    }));
    const live = makeLive([
      makeLiveProject('chatbot-prod', { keys: keys.map((k) => managedKeyFor({ ...k, rotation: { ...k.rotation, trigger: null } })) }),
    ]);
    const plan = planChanges(makeDesired([project], keys), live, NOW);
    expect(plan.summary).toMatchObject({ rotate: 4, delete: 4 });
    expect(plan.refusals.map((r) => r.code)).toEqual(['too_many_deletes']);
  });

  it('does not rotate a key with no delivery target: its new value would reach nobody, and the old one would go', () => {
    const key = { ...makeDesiredKey('web'), rotation: { ...makeDesiredKey('web').rotation, everySeconds: 30 * DAY, deliver: [] } };
    const plan = planChanges(
      makeDesired([project], [key]),
      makeLive([makeLiveProject('chatbot-prod', { keys: [managedKeyFor(key, { created_at: NOW - 40 * DAY })] })]),
      NOW,
    );
    expect(keyChanges(plan)).toEqual([]);
    expect(plan.warnings).toMatchObject([{ code: 'no_delivery_target', key: 'web' }]);
  });

  it('does not rotate when a trigger is only removed', () => {
    const live = makeLive([makeLiveProject('chatbot-prod', { keys: [managedKeyFor(withRotation({ trigger: 'leak' }))] })]);
    expect(keyChanges(planChanges(makeDesired([project], [withRotation({ trigger: null })]), live, NOW))).toEqual([]);
  });

  it('Groq: a key whose metadata holds the raw trigger (as every release has written it) is not rotated for the same trigger', () => {
    const key = withRotation({ trigger: 'leaked 2026-11-29' });
    const live = decodeKey({
      object: 'organization.project.api_key',
      id: 'key_old',
      name: 'web',
      redacted_value: 'gsk_…abcd',
      created_at: NOW - DAY,
      last_used_at: null,
      metadata: {
        [METADATA.key]: 'web',
        [METADATA.generation]: '3',
        [METADATA.trigger]: 'leaked 2026-11-29',
        [METADATA.targets]: targetsHash(key.rotation.deliver),
        [METADATA.deliveredAt]: String(NOW - DAY),
      },
    });
    // Decoded as the mark every provider compares; the raw value stays what Groq stores.
    expect(live.marks?.trigger).toBe(triggerMark('leaked 2026-11-29'));
    const org = makeLive([makeLiveProject('chatbot-prod', { keys: [live] })]);
    expect(keyChanges(planChanges(makeDesired([project], [key]), org, NOW))).toEqual([]);
    const again = withRotation({ trigger: 'leaked again' });
    expect(keyChanges(planChanges(makeDesired([project], [again]), org, NOW))).toMatchObject([
      { action: 'rotate', rotation: { cause: 'trigger', generation: 4, from_generation: 3, trigger: 'leaked again' } },
    ]);
  });

  it('retires nothing while the spend limit refuses traffic: refused calls leave no usage', () => {
    const key = makeDesiredKey('web');
    const current = managedKeyFor(key, { created_at: NOW - 10 * DAY }, 2);
    const old = managedKeyFor(key, { created_at: NOW - 100 * DAY, last_used_at: null }, 1);
    const live = makeLive([makeLiveProject('chatbot-prod', { keys: [current, old] })], {
      spending: { monthly_cap_usd: 1, enforcing: true, alerts: [] },
    });
    const plan = planChanges(makeDesired([project], [key]), live, NOW, { usage: new Map([[old.id, null]]) });
    expect(keyChanges(plan)).toEqual([]);
    expect(plan.pending).toMatchObject([{ key_id: old.id, waiting_for: 'spend_limit' }]);
  });

  it('reads usage for the project it manages when two share a name (the oldest)', () => {
    const key = makeDesiredKey('web');
    const older = makeLiveProject('chatbot-prod', {
      keys: [managedKeyFor(key, {}, 2), managedKeyFor(key, { created_at: NOW - 50 * DAY }, 1)],
    });
    const newer = makeLiveProject('chatbot-prod');
    newer.created_at = older.created_at + 10;
    expect(usageNeeds(makeDesired([project], [key]), makeLive([older, newer]))?.keyIds).toEqual([older.keys[1]!.id]);
  });
});

describe('a generation with no delivery target, marked delivered by its own create', () => {
  const untargeted = { ...makeDesiredKey('web'), rotation: { ...makeDesiredKey('web').rotation, deliver: [] } };
  // The Groq provider reads its sentinel as delivered at the key's created_at (read.ts).
  const markedOnCreate = (overrides: Omit<Parameters<typeof managedKeyFor>[1] & object, 'marks'> = {}, generation = 1) => {
    const created = overrides.created_at ?? NOW - 86400;
    return managedKeyFor(untargeted, { ...overrides, marks: { delivered_at: created } }, generation);
  };

  it("Groq: reads the sentinel as delivered at the key's created_at; a time as that time; anything else as never", () => {
    const wire = (deliveredAtRaw: string | undefined) =>
      decodeKey({
        object: 'organization.project.api_key',
        id: 'key_1',
        name: 'web',
        redacted_value: 'gsk_…abcd',
        created_at: NOW - 600,
        last_used_at: null,
        metadata: {
          [METADATA.key]: 'web',
          [METADATA.generation]: '1',
          ...(deliveredAtRaw === undefined ? {} : { [METADATA.deliveredAt]: deliveredAtRaw }),
        },
      });
    expect(deliveredAt(wire(DELIVERED_ON_CREATE))).toBe(NOW - 600);
    expect(deliveredAt(wire(String(NOW - 5)))).toBe(NOW - 5);
    // Earlier releases read the mark with Number(): the sentinel must read as delivered to them too.
    expect(Number.isFinite(Number(DELIVERED_ON_CREATE))).toBe(true);
    for (const raw of [undefined, 'on_create', 'ON_CREATE', 'soon']) expect(deliveredAt(wire(raw)), String(raw)).toBeNull();
  });

  it("is the key in service at once, never another run's rotation in progress", () => {
    const young = markedOnCreate({ created_at: NOW - 1, last_used_at: null });
    expect(lineageOf([young], NOW)).toEqual({ current: young, inProgress: null, old: [], nextGeneration: 2 });
    const plan = planChanges(makeDesired([project], [untargeted]), makeLive([makeLiveProject('chatbot-prod', { keys: [young] })]), NOW);
    expect(plan.changes).toEqual([]);
    expect(plan.pending).toEqual([]);
  });

  it("replaces an interrupted generation, which then waits min_overlap from the new one's created_at", () => {
    const key = { ...untargeted, rotation: { ...untargeted.rotation, quietPeriodSeconds: 0, minOverlapSeconds: 3600 } };
    const interrupted = managedKeyFor(key, { created_at: NOW - 2 * DAY, last_used_at: null, marks: { delivered_at: null } }, 1);
    const current = markedOnCreate({ created_at: NOW - 600 }, 2);
    expect(lineageOf([interrupted, current], NOW)).toEqual({ current, inProgress: null, old: [interrupted], nextGeneration: 3 });
    const plan = planChanges(
      makeDesired([project], [key]),
      makeLive([makeLiveProject('chatbot-prod', { keys: [interrupted, current] })]),
      NOW,
    );
    expect(keyChanges(plan)).toEqual([]);
    expect(plan.pending).toMatchObject([{ key_id: interrupted.id, waiting_for: 'overlap', seconds_left: 3000 }]);
    const later = NOW + 3000;
    const after = planChanges(
      makeDesired([project], [key]),
      makeLive([makeLiveProject('chatbot-prod', { keys: [interrupted, current] })], { observed_at: later }),
      later,
    );
    expect(keyChanges(after)).toMatchObject([{ action: 'delete', key_id: interrupted.id, reason: 'retired' }]);
  });

  it('ranks by generation before delivery time: a sentinel-marked newer generation is the current one', () => {
    const older = managedKeyFor(untargeted, { created_at: NOW - 10 * DAY, marks: { delivered_at: NOW - 60 } }, 1);
    const newer = markedOnCreate({ created_at: NOW - 5 * DAY }, 2);
    expect(lineageOf([older, newer], NOW).current).toBe(newer);
  });
});

describe('what an unreviewed run may make (issue 17, item 6)', () => {
  const key = makeDesiredKey('web');
  const hash = targetsHash(key.rotation.deliver);
  const withTargets = (g: number, targets: string | undefined, delivered = true) =>
    managedKeyFor(
      key,
      { created_at: NOW - 100 * DAY + g, marks: { targets: targets ?? null, ...(delivered ? {} : { delivered_at: null }) } },
      g,
    );

  it('reads the newest generation that records targets; any of two at that generation will do', () => {
    expect(reviewNeeded([withTargets(1, hash)], hash)).toBeNull();
    expect(reviewNeeded([withTargets(1, undefined)], hash)).toBe('targets_unrecorded');
    expect(reviewNeeded([], hash)).toBe('targets_unrecorded');
    // A newer approval of other targets wins over an older one of these, delivered or not.
    expect(reviewNeeded([withTargets(1, hash), withTargets(2, 'other', false)], hash)).toBe('targets_changed');
    // A newer generation recording nothing (an older release made it) does not hide the older record.
    expect(reviewNeeded([withTargets(1, hash), withTargets(2, undefined, false)], hash)).toBeNull();
    expect(reviewNeeded([withTargets(3, 'other'), withTargets(3, hash)], hash)).toBeNull();
  });

  it('marks only time-driven new generations, leaves them out of a rotations-only plan with their retirements, and lists them as waiting for review', () => {
    const quick = { ...key, rotation: { ...key.rotation, quietPeriodSeconds: 0, minOverlapSeconds: 0 } };
    const current = withTargets(4, undefined);
    const full = planChanges(makeDesired([project], [quick]), makeLive([makeLiveProject('chatbot-prod', { keys: [current] })]), NOW);
    expect(keyChanges(full).map((c) => [c.action, c.rotation?.needs_review ?? null, c.rotation?.after_rotation ?? false])).toEqual([
      ['rotate', 'targets_unrecorded', false],
      ['delete', null, true],
    ]);
    // Not fingerprinted (time-driven), so the mark moves no fingerprint.
    const marked = planChanges(
      makeDesired([project], [quick]),
      makeLive([makeLiveProject('chatbot-prod', { keys: [withTargets(4, targetsHash(quick.rotation.deliver))] })]),
      NOW,
    );
    expect(keyChanges(marked).map((c) => c.rotation?.needs_review ?? null)).toEqual([null, null]);
    expect(marked.fingerprint).toBe(full.fingerprint);
    const unreviewed = rotationStepsOnly(full);
    expect(unreviewed.changes).toEqual([]);
    expect(unreviewed.summary.rotate + unreviewed.summary.delete).toBe(0);
    expect(unreviewed.pending).toEqual([
      {
        project: 'chatbot-prod',
        key: 'web',
        key_id: current.id,
        generation: 5,
        waiting_for: 'review',
        needs_review: 'targets_unrecorded',
        seconds_left: null,
        last_used_at: null,
      },
    ]);
    expect(rotationStepsOnly(marked).changes).toHaveLength(2);
  });

  it('never marks a rotation a policy change starts: those are never in a rotations-only plan anyway', () => {
    const current = withTargets(1, 'other');
    const plan = planChanges(makeDesired([project], [key]), makeLive([makeLiveProject('chatbot-prod', { keys: [current] })]), NOW);
    expect(keyChanges(plan)).toMatchObject([{ action: 'rotate', rotation: { cause: 'targets', time_driven: false } }]);
    expect(keyChanges(plan)[0]!.rotation!.needs_review).toBeUndefined();
    expect(rotationStepsOnly(plan).changes).toEqual([]);
  });
});

describe('usage for retirements', () => {
  it('asks for the usage of old generations only, over the longest quiet window', () => {
    const key = makeDesiredKey('web');
    const current = managedKeyFor(key, {}, 2);
    const old = managedKeyFor(key, { created_at: NOW - 50 * DAY }, 1);
    const desired = makeDesired([project], [key]);
    expect(usageNeeds(desired, makeLive([makeLiveProject('chatbot-prod', { keys: [current] })]))).toBeNull();
    expect(usageNeeds(desired, makeLive([makeLiveProject('chatbot-prod', { keys: [current, old] })]))).toEqual({
      keyIds: [old.id],
      since: NOW - DAY - USAGE_LAG_ALLOWANCE_SECONDS,
    });
  });

  it('reads the last bucket with requests for each key, capped at now', () => {
    const row = (start: number, id: string, n: number) => ({
      start_time: start,
      end_time: start + 60,
      input_tokens: 1,
      output_tokens: 1,
      requests: n,
      project_id: 'p',
      key_id: id,
      model: null,
    });
    const rows = [row(100, 'a', 2), row(100, 'b', 0), row(160, 'a', 1), row(160, 'x', 5)];
    expect([...keyUsageFromRows(['a', 'b'], rows, 200)]).toEqual([
      ['a', 200],
      ['b', null],
    ]);
  });
});
