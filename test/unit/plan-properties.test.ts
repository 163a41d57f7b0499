import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { applyPlan } from '../../src/apply/apply-plan.js';
import { readLiveState } from '../../src/groq/types.js';
import { desiredKeyState, liveKeyState } from '../../src/plan/key-state.js';
import { planChanges } from '../../src/plan/plan-changes.js';
import { renderPlanJson } from '../../src/plan/render-json.js';
import { renderPlanMarkdown } from '../../src/plan/render-markdown.js';
import { renderPlanText } from '../../src/plan/render-text.js';
import type { DesiredKey } from '../../src/policy/types.js';
import { containsKeyValue } from '../../src/redact.js';
import { createInMemoryAdmin } from '../../src/sandbox/in-memory-admin.js';
import { OrgState } from '../../src/sandbox/org-state.js';
import { makeDesired, makeDesiredKey, managedKeyFor, makeLive, NOW } from '../helpers/builders.js';

const MODELS = ['openai/gpt-oss-120b', 'openai/gpt-oss-20b', 'qwen/qwen3.8-27b'];
const limit = fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: null });
const limits = fc.record({ requests_per_minute: limit, tokens_per_minute: limit, requests_per_day: limit, tokens_per_day: limit });
const keyName = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);

const desiredKey = (name: string) =>
  fc.record({ team: fc.constantFrom('alpha', 'beta', 'gamma'), models: fc.option(fc.subarray(MODELS, { minLength: 1 }), { nil: null }), limits, enabled: fc.boolean() })
    .map((k) => makeDesiredKey(name, k));

const desiredKeys = fc.uniqueArray(keyName, { maxLength: 12 }).chain((names) => fc.tuple(...names.map(desiredKey)));

/** How one policy key stands in the live org before the apply. */
const liveSituation = fc.constantFrom('absent', 'exact', 'drifted', 'unmanaged-same-name');
const strangerNames = fc.uniqueArray(fc.stringMatching(/^x[a-z0-9]{0,6}$/), { maxLength: 4 });

const spending = fc.option(fc.record({ monthly_cap_usd: fc.option(fc.integer({ min: 1, max: 5000 }), { nil: null }), alert_thresholds_usd: fc.uniqueArray(fc.integer({ min: 1, max: 999 }), { maxLength: 3 }), auto_pause: fc.boolean() }), { nil: null });

describe('plan properties', () => {
  test.prop([desiredKeys])('plan(x, x) is empty', (keys) => {
    const plan = planChanges(makeDesired(keys), makeLive(keys.map((k) => managedKeyFor(k))), NOW);
    expect(plan.changes).toEqual([]);
    expect(plan.refusals).toEqual([]);
  });

  test.prop([desiredKeys, fc.array(liveSituation, { minLength: 12, maxLength: 12 }), limits, strangerNames, fc.constantFrom('report', 'delete'), spending], { numRuns: 60 })(
    'applying plan(a, b) to a yields b, and no rendering shows a key value',
    async (keys, situations, drift, strangers, unmanagedKeys, spendingPolicy) => {
      const state = new OrgState({ orgId: 'org_test' });
      const admin = createInMemoryAdmin(state);
      const values: string[] = [];
      const seed = async (name: string, fields: Partial<DesiredKey['limits']> & { models?: string[] | null; metadata?: Record<string, string> }) => {
        const created = await admin.createKey({ name, allowed_models: fields.models ?? null, requests_per_minute: fields.requests_per_minute ?? null, tokens_per_minute: fields.tokens_per_minute ?? null, requests_per_day: fields.requests_per_day ?? null, tokens_per_day: fields.tokens_per_day ?? null, metadata: fields.metadata ?? {} }, `seed-${name}-${values.length}`);
        values.push(created.value);
        return created;
      };
      for (const [i, key] of keys.entries()) {
        const own = desiredKeyState(key).metadata;
        const situation = situations[i]!;
        if (situation === 'exact') {
          const k = await seed(key.name, { models: key.models, ...key.limits, metadata: own });
          if (!key.enabled) await admin.updateKey(k.id, { status: 'disabled' });
        }
        if (situation === 'drifted') await seed(key.name, { models: MODELS.slice(0, 1), ...drift, metadata: { ...own, 'groq-rbac/team': 'elsewhere' } });
        if (situation === 'unmanaged-same-name') await seed(key.name, { ...drift });
      }
      for (const name of strangers) await seed(name, {});
      const desired = makeDesired(keys, { id: 'org_test', unmanagedKeys: unmanagedKeys as 'report' | 'delete', spending: spendingPolicy, safety: { maxDeletes: 100, maxDeletePercent: 100 } });

      const before = await readLiveState(admin);
      const plan = planChanges(desired, before, before.observed_at);
      const report = await applyPlan(plan, admin, { onKeyCreated: async (_c, created) => void values.push(created.value) });
      expect(report.summary.failed).toBe(0);

      const after = await readLiveState(admin);
      const again = planChanges(desired, after, after.observed_at);
      expect(again.changes).toEqual([]);
      for (const key of keys) {
        const managed = after.keys.filter((k) => k.metadata['groq-rbac/key'] === key.name);
        expect(managed).toHaveLength(1);
        expect(liveKeyState(managed[0]!)).toEqual(desiredKeyState(key));
      }
      const unmanagedLeft = after.keys.filter((k) => !k.metadata['groq-rbac/key']).length;
      expect(unmanagedLeft).toBe(unmanagedKeys === 'delete' ? 0 : strangers.length);

      const outputs = [renderPlanText(plan), renderPlanMarkdown(plan), renderPlanJson(plan), JSON.stringify(report), renderPlanText(again)];
      for (const text of outputs) {
        expect(containsKeyValue(text)).toBe(false);
        for (const v of values) expect(text.includes(v)).toBe(false);
      }
    },
  );
});
