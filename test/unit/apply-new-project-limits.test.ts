import { describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/apply/apply-plan.js';
import type { DomainLimitSet, LiveLimit } from '../../src/core/domain.js';
import { openAiCatalogue } from '../../src/core/openai-models.js';
import type { ProviderAdmin } from '../../src/core/provider.js';
import { planChanges } from '../../src/plan/plan-changes.js';
import { makeDesired, makeDesiredProject, makeLive, NOW } from '../helpers/builders.js';

// A project OpenAI makes with its rate limits: apply reads them after the create and updates what
// the model's limit has (src/apply/apply-change.ts, setNewProjectLimit). Only the port's project,
// limit and permission calls are used here; the fake records them.
function fakePort(limitsOfNewProject: LiveLimit[]) {
  const calls: string[] = [];
  const sets: { model: string; id: string; values: DomainLimitSet }[] = [];
  const port = {
    provider: 'openai',
    createProject: async (name: string) => (calls.push(`create ${name}`), { id: 'proj_new', replayed: false }),
    setProjectPermissions: async () => void calls.push('permissions'),
    listProjectLimits: async (id: string) => (calls.push(`list ${id}`), limitsOfNewProject.map((l) => ({ ...l, values: { ...l.values } }))),
    setProjectLimits: async (_id: string, limit: { id: string; model: string }, values: DomainLimitSet) =>
      void sets.push({ model: limit.model, id: limit.id, values }),
  } as unknown as ProviderAdmin;
  return { port, calls, sets };
}

const CHAT = { requests_per_minute: 5000, tokens_per_minute: 2_000_000, requests_per_day: 10_000_000 };

describe("apply: a new project's limits on a provider that makes them with the project", () => {
  const plan = (limits: { default: DomainLimitSet; models: Record<string, DomainLimitSet> }) =>
    planChanges(
      makeDesired([makeDesiredProject('fresh', { models: { mode: 'allow_list', models: ['gpt-4o', 'gpt-4o-mini'] }, limits })], []),
      makeLive([], { provider: 'openai', limits: [] }),
      NOW,
      { catalogue: openAiCatalogue },
    );

  it("reads them once after the create and sets only what differs on each model's limit", async () => {
    const { port, calls, sets } = fakePort([
      { id: 'rl-gpt-4o', model: 'gpt-4o', values: { ...CHAT } },
      { id: 'rl-gpt-4o-mini', model: 'gpt-4o-mini', values: { ...CHAT, requests_per_minute: 100 } },
    ]);
    const report = await applyPlan(
      plan({ default: { requests_per_minute: 100, requests_per_day: 10_000_000 }, models: { 'gpt-4o': { tokens_per_minute: 9000 } } }),
      port,
    );
    expect(report.summary).toEqual({ applied: 4, failed: 0, skipped: 0 });
    expect(calls.filter((c) => c.startsWith('list'))).toEqual(['list proj_new']);
    expect(sets).toEqual([{ model: 'gpt-4o', id: 'rl-gpt-4o', values: { requests_per_minute: 100, tokens_per_minute: 9000 } }]);
    expect(report.outcomes.find((o) => o.resource === 'project_rate_limit' && o.message.includes('gpt-4o-mini'))?.message).toBe(
      'gpt-4o-mini already had these limits',
    );
  });

  it('a model with no limit: nothing to set when only default applies to it, a failure when the policy names it', async () => {
    const onlyMini = [{ id: 'rl-gpt-4o-mini', model: 'gpt-4o-mini', values: { ...CHAT } }];
    const byDefault = fakePort(onlyMini);
    const quiet = await applyPlan(plan({ default: { requests_per_minute: 100 }, models: {} }), byDefault.port);
    expect(quiet.summary.failed).toBe(0);
    expect(quiet.outcomes.map((o) => o.message)).toContain('no rate limit for gpt-4o in the new project: nothing to set');

    const named = fakePort(onlyMini);
    const failed = await applyPlan(plan({ default: {}, models: { 'gpt-4o': { requests_per_minute: 100 } } }), named.port);
    expect(failed.outcomes.find((o) => o.status === 'failed')).toMatchObject({
      resource: 'project_rate_limit',
      project: 'fresh',
      message:
        'project "fresh" (proj_new) has no rate limit for gpt-4o: its rate limits can be updated, not created; remove gpt-4o from the project\'s limits (run plan to see where)',
    });
    expect(named.sets).toEqual([]);
  });

  it('a field only default gives is left out where the model lacks it, and said so', async () => {
    const { port, sets } = fakePort([
      { id: 'rl-gpt-4o', model: 'gpt-4o', values: { requests_per_minute: 5000, tokens_per_minute: 2_000_000 } },
      { id: 'rl-gpt-4o-mini', model: 'gpt-4o-mini', values: { ...CHAT } },
    ]);
    const report = await applyPlan(plan({ default: { requests_per_day: 500 }, models: {} }), port);
    expect(report.summary.failed).toBe(0);
    expect(sets).toEqual([{ model: 'gpt-4o-mini', id: 'rl-gpt-4o-mini', values: { requests_per_day: 500 } }]);
    expect(report.outcomes.map((o) => o.message)).toContain('nothing to set: gpt-4o has no requests_per_day');
  });
});
