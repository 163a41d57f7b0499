import { describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/apply/apply-plan.js';
import { readLiveState, type GroqAdmin } from '../../src/groq/types.js';
import { planChanges } from '../../src/plan/plan-changes.js';
import type { DesiredState } from '../../src/policy/types.js';
import { createInMemoryAdmin } from '../../src/sandbox/in-memory-admin.js';
import { OrgState } from '../../src/sandbox/org-state.js';
import { makeDesired, makeDesiredKey } from '../helpers/builders.js';

async function plan(desired: DesiredState, admin: GroqAdmin) {
  const live = await readLiveState(admin);
  return planChanges(desired, live, live.observed_at);
}

describe('applyPlan', () => {
  it('re-creates a key when the idempotent replay returns one deleted since', async () => {
    const admin = createInMemoryAdmin(new OrgState({ orgId: 'org_test' }));
    const desired = makeDesired([makeDesiredKey('phoenix')]);
    const first = await applyPlan(await plan(desired, admin), admin);
    const firstId = first.outcomes[0]!.key_id!;
    await admin.deleteKey(firstId);
    // Same policy, same body, same Idempotency-Key within 24 h: the API replays the deleted key.
    const second = await applyPlan(await plan(desired, admin), admin);
    expect(second.summary).toEqual({ applied: 1, failed: 0 });
    const keys = await admin.listKeys();
    expect(keys).toHaveLength(1);
    expect(keys[0]!.id).not.toBe(firstId);
    expect(second.outcomes[0]!.key_id).toBe(keys[0]!.id);
  });

  it('counts a delete of a key that is already gone as done', async () => {
    const admin = createInMemoryAdmin(new OrgState({ orgId: 'org_test' }));
    await applyPlan(await plan(makeDesired([makeDesiredKey('doomed')]), admin), admin);
    const deletion = await plan(makeDesired([]), admin);
    await admin.deleteKey(deletion.changes[0]!.resource === 'api_key' ? deletion.changes[0]!.key_id! : '');
    const report = await applyPlan(deletion, admin);
    expect(report.outcomes).toMatchObject([{ action: 'delete', status: 'applied', message: expect.stringMatching(/^key_\w+ was already gone$/) }]);
  });

  it('two applies of one plan at the same time make each key once', async () => {
    const admin = createInMemoryAdmin(new OrgState({ orgId: 'org_test' }));
    const desired = makeDesired(['a', 'b', 'c'].map((n) => makeDesiredKey(n)));
    const p = await plan(desired, admin);
    const [one, two] = await Promise.all([applyPlan(p, admin), applyPlan(p, admin)]);
    expect(one.summary.failed + two.summary.failed).toBe(0);
    expect((await admin.listKeys()).map((k) => k.name).sort()).toEqual(['a', 'b', 'c']);
  });

  it('creates a disabled key disabled', async () => {
    const admin = createInMemoryAdmin(new OrgState({ orgId: 'org_test' }));
    await applyPlan(await plan(makeDesired([makeDesiredKey('off', { enabled: false })]), admin), admin);
    expect((await admin.listKeys())[0]).toMatchObject({ name: 'off', status: 'disabled', metadata: { 'groq-rbac/generation': '1' } });
  });

  it('hands each new key to onKeyCreated while its value is in hand, and never puts it in the report', async () => {
    const admin = createInMemoryAdmin(new OrgState({ orgId: 'org_test' }));
    const seen: string[] = [];
    const report = await applyPlan(await plan(makeDesired([makeDesiredKey('delivered')]), admin), admin, {
      onKeyCreated: async (change, created) => void seen.push(`${change.key}:${created.value.slice(0, 4)}`),
    });
    expect(seen).toEqual(['delivered:gsk_']);
    expect(JSON.stringify(report)).not.toMatch(/gsk_[A-Za-z0-9]{8,}/);
  });
});
