import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { planChanges } from '../../src/plan/plan-changes.js';
import type { DesiredKey, DesiredProject, ModelRule } from '../../src/policy/types.js';
import { liveProjectFor, makeDesired, makeDesiredKey, makeDesiredProject, makeLive, MODELS, NOW, ORG_LIMIT } from '../helpers/builders.js';

const limitValue = fc.integer({ min: 1, max: ORG_LIMIT.requests_per_minute });
const limitSet = fc.record(
  { requests_per_minute: limitValue, tokens_per_minute: limitValue, requests_per_day: limitValue, tokens_per_day: limitValue },
  { requiredKeys: [] },
);
const rule: fc.Arbitrary<ModelRule | null> = fc.option(
  fc.record({
    mode: fc.constantFrom('allow_list' as const, 'deny_list' as const),
    models: fc.uniqueArray(fc.constantFrom(...MODELS), { minLength: 1 }).map((m) => [...m].sort()),
  }),
  { nil: null },
);
const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);

const project = (projectName: string): fc.Arbitrary<{ project: DesiredProject; keys: DesiredKey[] }> =>
  fc
    .record({
      team: fc.constantFrom('alpha', 'beta'),
      models: rule,
      defaults: limitSet,
      perModel: fc.dictionary(fc.constantFrom(...MODELS), limitSet, { maxKeys: 2 }),
      protect: fc.boolean(),
      keys: fc.uniqueArray(name, { maxLength: 3 }),
    })
    .map((p) => ({
      project: makeDesiredProject(projectName, {
        team: p.team,
        models: p.models,
        limits: { default: p.defaults, models: p.perModel },
        protect: p.protect,
      }),
      keys: p.keys.map((k) => makeDesiredKey(`${projectName}.${k}`, { project: projectName, team: p.team, protect: p.protect })),
    }));

const orgShape = fc.uniqueArray(name, { maxLength: 6 }).chain((names) => fc.tuple(...names.map(project)));

describe('plan properties', () => {
  test.prop([orgShape])('plan(x, x) is empty: an organization set up as the policies say needs no change', (shape) => {
    const desired = makeDesired(
      shape.map((s) => s.project),
      shape.flatMap((s) => s.keys),
    );
    const live = makeLive(shape.map((s) => liveProjectFor(s.project, s.keys)));
    const plan = planChanges(desired, live, NOW);
    expect(plan.changes).toEqual([]);
    expect(plan.refusals).toEqual([]);
  });

  test.prop([orgShape])('an empty organization gets every project and key created, and nothing deleted', (shape) => {
    const desired = makeDesired(
      shape.map((s) => s.project),
      shape.flatMap((s) => s.keys),
    );
    const plan = planChanges(desired, makeLive([]), NOW);
    expect(plan.summary.create).toBe(shape.length + desired.keys.length);
    expect(plan.summary.delete + plan.summary.archive + plan.summary.adopt).toBe(0);
  });

  test.prop([orgShape, fc.integer({ min: 0, max: 10_000 })])(
    'the plan is deterministic, and the fingerprint ignores the clock',
    (shape, drift) => {
      const desired = makeDesired(
        shape.map((s) => s.project),
        shape.flatMap((s) => s.keys),
      );
      const a = planChanges(desired, makeLive([]), NOW);
      const b = planChanges(desired, makeLive([], { observed_at: NOW + drift }), NOW + drift);
      expect(b.changes).toEqual(a.changes);
      expect(b.fingerprint).toBe(a.fingerprint);
    },
  );
});
