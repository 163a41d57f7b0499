import { describe, expect, it } from 'vitest';
import { defaultCatalogue } from '../../src/policy/models.js';
import { planChanges } from '../../src/plan/plan-changes.js';
import { blockingRefusals } from '../../src/plan/safety.js';
import type { KeyChange } from '../../src/plan/types.js';
import { makeDesired, makeDesiredKey, makeLive, makeLiveKey, managedKeyFor, NOW } from '../helpers/builders.js';

const keyChanges = (plan: ReturnType<typeof planChanges>) => plan.changes.filter((c): c is KeyChange => c.resource === 'api_key');

describe('planChanges', () => {
  it('creates every key in an empty org, with the fields the policy sets', () => {
    const desired = makeDesired([makeDesiredKey('a'), makeDesiredKey('b', { team: 'search', models: ['qwen/qwen3.8-27b', 'openai/gpt-oss-20b'] })]);
    const plan = planChanges(desired, makeLive([]), NOW);
    expect(plan.summary).toEqual({ create: 2, update: 0, delete: 0, adopt: 0, rotate: 0 });
    const b = keyChanges(plan).find((c) => c.key === 'b')!;
    expect(b).toMatchObject({ action: 'create', team: 'search', key_id: null, before: null, reason: 'new in policies' });
    expect(b.after).toEqual({
      name: 'b', allowed_models: ['openai/gpt-oss-20b', 'qwen/qwen3.8-27b'], requests_per_minute: 100, tokens_per_minute: 10_000, requests_per_day: null, tokens_per_day: null,
      status: 'active', metadata: { 'groq-rbac/key': 'b', 'groq-rbac/team': 'search' },
    });
    expect(plan.refusals).toEqual([]);
  });

  it('is empty when the org matches, whatever the order of allowed_models', () => {
    const key = makeDesiredKey('a', { models: ['openai/gpt-oss-20b', 'openai/gpt-oss-120b'] });
    const live = managedKeyFor(key, { allowed_models: ['openai/gpt-oss-120b', 'openai/gpt-oss-20b'] });
    const plan = planChanges(makeDesired([key]), makeLive([live]), NOW);
    expect(plan.changes).toEqual([]);
    expect(plan.summary).toEqual({ create: 0, update: 0, delete: 0, adopt: 0, rotate: 0 });
  });

  it('updates only the fields that drifted', () => {
    const key = makeDesiredKey('a');
    const live = managedKeyFor(key, { requests_per_minute: 5, status: 'disabled' });
    const [change] = keyChanges(planChanges(makeDesired([key]), makeLive([live]), NOW));
    expect(change).toMatchObject({ action: 'update', key_id: live.id, reason: 'drift' });
    expect(change!.fields).toEqual([
      { field: 'requests_per_minute', before: 5, after: 100 },
      { field: 'status', before: 'disabled', after: 'active' },
    ]);
  });

  it('moves a key to another team by its metadata, and disables a key the policy disables', () => {
    const key = makeDesiredKey('a', { team: 'search', enabled: false });
    const live = managedKeyFor(makeDesiredKey('a'));
    const [change] = keyChanges(planChanges(makeDesired([key]), makeLive([live]), NOW));
    expect(change!.fields).toEqual([
      { field: 'status', before: 'active', after: 'disabled' },
      { field: 'metadata.groq-rbac/team', before: 'chatbot', after: 'search' },
    ]);
  });

  it('adopts an unmanaged key with the policy name instead of creating a duplicate', () => {
    const key = makeDesiredKey('legacy');
    const live = makeLiveKey({ name: 'legacy', allowed_models: ['openai/gpt-oss-20b'], requests_per_minute: 100, tokens_per_minute: 10_000 });
    const plan = planChanges(makeDesired([key]), makeLive([live]), NOW);
    expect(plan.summary).toMatchObject({ create: 0, adopt: 1 });
    expect(keyChanges(plan)[0]).toMatchObject({ action: 'adopt', key_id: live.id, fields: [
      { field: 'metadata.groq-rbac/key', before: null, after: 'legacy' },
      { field: 'metadata.groq-rbac/team', before: null, after: 'chatbot' },
    ] });
    expect(plan.unmanaged).toEqual([]);
  });

  it('adopts the oldest of several unmanaged keys with one name, warns, and reports the others', () => {
    const older = makeLiveKey({ name: 'dup', created_at: NOW - 1000 });
    const newer = makeLiveKey({ name: 'dup', created_at: NOW - 10 });
    const plan = planChanges(makeDesired([makeDesiredKey('dup')]), makeLive([newer, older]), NOW);
    expect(keyChanges(plan)[0]!.key_id).toBe(older.id);
    expect(plan.unmanaged.map((k) => k.key_id)).toEqual([newer.id]);
    expect(plan.warnings).toContainEqual({ code: 'ambiguous_adopt', key: 'dup', message: `2 unmanaged keys are named "dup"; adopting the oldest (${older.id}), the others stay unmanaged` });
  });

  it('deletes a managed key removed from the policies, and lists unmanaged keys without touching them', () => {
    const gone = managedKeyFor(makeDesiredKey('gone', { team: 'old' }));
    const stranger = makeLiveKey({ name: 'console-made' });
    const plan = planChanges(makeDesired([]), makeLive([gone, stranger]), NOW);
    expect(keyChanges(plan)).toMatchObject([{ action: 'delete', key: 'gone', team: 'old', key_id: gone.id, after: null, reason: 'removed from policies' }]);
    expect(plan.unmanaged).toEqual([{ key_id: stranger.id, name: 'console-made', redacted_value: stranger.redacted_value, created_at: stranger.created_at, last_used_at: stranger.last_used_at }]);
  });

  it('deletes unmanaged keys when unmanaged_keys is delete', () => {
    const stranger = makeLiveKey({ name: 'console-made' });
    const plan = planChanges(makeDesired([], { unmanagedKeys: 'delete' }), makeLive([stranger]), NOW);
    expect(keyChanges(plan)).toMatchObject([{ action: 'delete', key: 'console-made', team: null, reason: 'unmanaged_keys: delete' }]);
    expect(plan.unmanaged).toEqual([]);
  });

  it('updates the spending limit only when the policy manages it and it differs', () => {
    const spending = { monthly_cap_usd: 500, alert_thresholds_usd: [100, 400], auto_pause: true };
    const plan = planChanges(makeDesired([], { spending }), makeLive([]), NOW);
    expect(plan.changes).toEqual([{
      resource: 'spending_limit', action: 'update', key: null, team: null, reason: 'drift',
      before: { monthly_cap_usd: null, alert_thresholds_usd: [], auto_pause: true }, after: spending,
      fields: [{ field: 'monthly_cap_usd', before: null, after: 500 }, { field: 'alert_thresholds_usd', before: [], after: [100, 400] }],
    }]);
    expect(plan.summary.update).toBe(1);
    expect(planChanges(makeDesired([]), makeLive([]), NOW).changes).toEqual([]);
  });

  it('treats the newest generation as current when several live keys carry one name', () => {
    const key = makeDesiredKey('a');
    const old = managedKeyFor(key, { metadata: { 'groq-rbac/key': 'a', 'groq-rbac/team': 'chatbot', 'groq-rbac/generation': '1' } });
    const current = managedKeyFor(key, { status: 'disabled', metadata: { 'groq-rbac/key': 'a', 'groq-rbac/team': 'chatbot', 'groq-rbac/generation': '2' } });
    const plan = planChanges(makeDesired([key]), makeLive([old, current]), NOW);
    expect(keyChanges(plan)).toMatchObject([{ action: 'update', key_id: current.id }]);
    expect(plan.warnings.map((w) => w.code)).toEqual(['duplicate_managed_key']);
  });

  it('is deterministic: the order of live keys does not change the plan or its fingerprint', () => {
    const keys = ['a', 'b', 'c', 'd'].map((n) => makeDesiredKey(n, { team: n < 'c' ? 'x' : 'y' }));
    const live = [managedKeyFor(keys[0]!, { requests_per_minute: 1 }), makeLiveKey({ name: 'b' }), managedKeyFor(makeDesiredKey('e'))];
    const one = planChanges(makeDesired(keys), makeLive(live), NOW);
    const two = planChanges(makeDesired(keys), makeLive([...live].reverse()), NOW);
    expect(two).toEqual(one);
    // By team (e was in team chatbot), then by key name.
    expect(one.changes.map((c) => `${c.action}:${c.team}:${c.key}`)).toEqual(['delete:chatbot:e', 'update:x:a', 'adopt:x:b', 'create:y:c', 'create:y:d']);
  });

  it('fingerprints the changes only: a different clock or warnings give the same fingerprint, another change a different one', () => {
    const desired = makeDesired([makeDesiredKey('a')]);
    const base = planChanges(desired, makeLive([]), NOW);
    expect(planChanges(desired, makeLive([]), NOW + 86400 * 90).fingerprint).toBe(base.fingerprint);
    expect(base.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(planChanges(makeDesired([makeDesiredKey('a', { limits: { ...makeDesiredKey('a').limits, requests_per_minute: 7 } })]), makeLive([]), NOW).fingerprint).not.toBe(base.fingerprint);
  });
});

describe('safety', () => {
  const managed = (n: number) => Array.from({ length: n }, (_, i) => managedKeyFor(makeDesiredKey(`k${String(i).padStart(2, '0')}`)));

  it('refuses more deletes than max_deletes unless forced', () => {
    const plan = planChanges(makeDesired([]), makeLive(managed(4)), NOW);
    expect(plan.refusals).toEqual([{ code: 'too_many_deletes', forceable: true, message: '4 deletes are over safety.max_deletes 3; --force required' }]);
    expect(blockingRefusals(plan.refusals, false)).toHaveLength(1);
    expect(blockingRefusals(plan.refusals, true)).toEqual([]);
  });

  it('refuses deleting more than max_delete_percent of at least 10 managed keys, as octoDNS words it', () => {
    const keys = managed(11);
    const desired = makeDesired(keys.slice(0, 8).map((k) => makeDesiredKey(k.name)), { safety: { maxDeletes: 10, maxDeletePercent: 25 } });
    expect(planChanges(desired, makeLive(keys), NOW).refusals).toEqual([
      { code: 'too_many_deletes', forceable: true, message: '27.27 is over 25.00 % (3/11) of managed keys (safety.max_delete_percent); --force required' },
    ]);
    const small = makeDesired([makeDesiredKey('k00')], { safety: { maxDeletes: 10, maxDeletePercent: 25 } });
    expect(planChanges(small, makeLive(managed(3)), NOW).refusals).toEqual([]);
  });

  it('never deletes a protected key, even with --force', () => {
    const live = managedKeyFor(makeDesiredKey('crown', { protect: true }));
    const plan = planChanges(makeDesired([]), makeLive([live]), NOW);
    expect(plan.refusals).toEqual([{ code: 'protected_key', forceable: false, message: `key "crown" (${live.id}) is protected and would be deleted: first merge a change that sets \`protect: false\` and apply it, then remove the key` }]);
    expect(blockingRefusals(plan.refusals, true)).toHaveLength(1);
  });

  it('refuses to plan against another organization', () => {
    const plan = planChanges(makeDesired([]), makeLive([], { org: { id: 'org_other', name: 'x' } }), NOW);
    expect(plan.refusals).toEqual([{ code: 'org_mismatch', forceable: false, message: 'the admin key belongs to organization org_other, but org.yaml governs org_test: use that organization\'s admin key, or correct `org:`' }]);
  });

  it('refuses to delete the admin key this run uses', () => {
    const admin = makeLiveKey({ name: 'admin', redacted_value: 'gsk_…ADMN' });
    const plan = planChanges(makeDesired([], { unmanagedKeys: 'delete' }), makeLive([admin]), NOW, { adminKeyRedacted: 'gsk_…ADMN' });
    expect(plan.refusals.map((r) => [r.code, r.forceable])).toEqual([['admin_key', false]]);
  });

  it('refuses models the live org does not serve', () => {
    const plan = planChanges(makeDesired([makeDesiredKey('a', { models: ['openai/gpt-oss-120b'] })]), makeLive([], { models: ['openai/gpt-oss-20b'] }), NOW);
    expect(plan.refusals).toEqual([{ code: 'model_not_served', forceable: false, message: 'model "openai/gpt-oss-120b" is not served by organization org_test (GET /openai/v1/models): remove it from the policies' }]);
  });
});

describe('warnings', () => {
  it('warns of a model shutting down within 30 days, naming its users and replacement', () => {
    const catalogue = { ...defaultCatalogue, deprecated: [{ id: 'openai/gpt-oss-20b', shutdown_date: '2026-12-01', replacement: 'openai/gpt-oss-120b' }] };
    const plan = planChanges(makeDesired([makeDesiredKey('a'), makeDesiredKey('b')]), makeLive([]), NOW, { catalogue });
    expect(plan.warnings).toEqual([{ code: 'model_retiring', message: 'model "openai/gpt-oss-20b" shuts down on 2026-12-01 (in 13 days); used by a, b; move to "openai/gpt-oss-120b"' }]);
    const later = { ...defaultCatalogue, deprecated: [{ id: 'openai/gpt-oss-20b', shutdown_date: '2027-06-01', replacement: null }] };
    expect(planChanges(makeDesired([makeDesiredKey('a')]), makeLive([]), NOW, { catalogue: later }).warnings).toEqual([]);
  });

  it('warns of a key unused for 30 days', () => {
    const key = makeDesiredKey('idle');
    const plan = planChanges(makeDesired([key]), makeLive([managedKeyFor(key, { last_used_at: NOW - 45 * 86400 })]), NOW);
    expect(plan.warnings).toEqual([{ code: 'key_unused', key: 'idle', message: 'key "idle" has not been used for 45 days; consider removing it' }]);
  });

  it('warns of a limit raised more than tenfold', () => {
    const key = makeDesiredKey('burst');
    const plan = planChanges(makeDesired([key]), makeLive([managedKeyFor(key, { requests_per_minute: 5 })]), NOW);
    expect(plan.warnings).toEqual([{ code: 'limit_raised', key: 'burst', message: 'key "burst": requests_per_minute rises 20× (5 → 100)' }]);
  });
});
