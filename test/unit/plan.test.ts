import { describe, expect, it } from 'vitest';
import { planChanges } from '../../src/plan/plan-changes.js';
import { blockingRefusals } from '../../src/plan/safety.js';
import type { Change, KeyChange } from '../../src/plan/types.js';
import {
  liveProjectFor,
  makeDesired,
  makeDesiredKey,
  makeDesiredProject,
  makeLive,
  makeLiveKey,
  makeLiveProject,
  makeOrgRateLimits,
  managedKeyFor,
  NOW,
  ORG_LIMIT,
} from '../helpers/builders.js';

const of = <R extends Change['resource']>(plan: ReturnType<typeof planChanges>, resource: R) =>
  plan.changes.filter((c): c is Extract<Change, { resource: R }> => c.resource === resource);
const keys = (plan: ReturnType<typeof planChanges>) => of(plan, 'api_key') as KeyChange[];

describe('planChanges: projects', () => {
  it('creates a new project with its permissions, the limits it sets, and its keys', () => {
    const project = makeDesiredProject('chatbot-prod', {
      models: { mode: 'allow_list', models: ['openai/gpt-oss-120b', 'openai/gpt-oss-20b'] },
      limits: { default: { requests_per_minute: 500 }, models: { 'openai/gpt-oss-120b': { tokens_per_minute: 60_000 } } },
    });
    const plan = planChanges(makeDesired([project], [makeDesiredKey('web')]), makeLive([]), NOW);
    expect(plan.changes.map((c) => `${c.resource}:${c.action}`)).toEqual([
      'project:create',
      'project_model_permissions:update',
      'project_rate_limit:update',
      'project_rate_limit:update',
      'api_key:create',
    ]);
    const [p120, p20] = of(plan, 'project_rate_limit');
    // Only what the policy sets differs from the org's defaults a new project starts with.
    expect(p120).toMatchObject({ model: 'openai/gpt-oss-120b', rate_limit_id: 'rl-openai/gpt-oss-120b', project_id: null, reason: 'new' });
    expect(p120!.fields).toEqual([
      { field: 'requests_per_minute', before: 1000, after: 500 },
      { field: 'tokens_per_minute', before: 1_000_000, after: 60_000 },
    ]);
    expect(p20!.fields).toEqual([{ field: 'requests_per_minute', before: 1000, after: 500 }]);
    // qwen is not allowed in this project: its limits are not compared.
    expect(of(plan, 'project_rate_limit').some((c) => c.model === 'qwen/qwen3.8-27b')).toBe(false);
    expect(keys(plan)[0]).toMatchObject({
      action: 'create',
      key: 'web',
      project: 'chatbot-prod',
      after: { name: 'web', managed: true, protect: false },
    });
    expect(plan.summary).toEqual({ create: 2, update: 3, delete: 0, adopt: 0, archive: 0, rotate: 0 });
    expect(plan.refusals).toEqual([]);
  });

  it('is empty when the organization matches the policies', () => {
    const project = makeDesiredProject('p', {
      models: { mode: 'deny_list', models: ['qwen/qwen3.8-27b'] },
      limits: { default: { tokens_per_day: 5_000 }, models: {} },
    });
    const key = makeDesiredKey('k', { project: 'p', protect: true });
    const plan = planChanges(makeDesired([project], [key]), makeLive([liveProjectFor(project, [key])]), NOW);
    expect(plan.changes).toEqual([]);
    expect(plan.summary).toEqual({ create: 0, update: 0, delete: 0, adopt: 0, archive: 0, rotate: 0 });
  });

  it('shows permission drift as set differences and mode changes', () => {
    const project = makeDesiredProject('p', { models: { mode: 'allow_list', models: ['openai/gpt-oss-20b', 'qwen/qwen3.8-27b'] } });
    const live = makeLiveProject('p', { permissions: { mode: 'deny_list', models: ['openai/gpt-oss-20b'] } });
    const [change] = of(planChanges(makeDesired([project], []), makeLive([live]), NOW), 'project_model_permissions');
    expect(change).toMatchObject({ project_id: live.id, reason: 'differs' });
    expect(change!.fields).toEqual([
      { field: 'models.mode', before: 'deny_list', after: 'allow_list' },
      { field: 'models', before: ['openai/gpt-oss-20b'], after: ['openai/gpt-oss-20b', 'qwen/qwen3.8-27b'] },
    ]);
  });

  it('follows the organization for every limit field nobody sets, so a drifted field goes back to it', () => {
    const project = makeDesiredProject('p', { limits: { default: {}, models: { 'qwen/qwen3.8-27b': { requests_per_day: 10 } } } });
    const live = makeLiveProject('p');
    live.limits = live.limits.map((r) => (r.model === 'openai/gpt-oss-20b' ? { ...r, values: { ...r.values, tokens_per_minute: 5 } } : r));
    const changes = of(planChanges(makeDesired([project], []), makeLive([live]), NOW), 'project_rate_limit');
    expect(changes.map((c) => [c.model, c.fields])).toEqual([
      ['openai/gpt-oss-20b', [{ field: 'tokens_per_minute', before: 5, after: ORG_LIMIT.tokens_per_minute }]],
      ['qwen/qwen3.8-27b', [{ field: 'requests_per_day', before: ORG_LIMIT.requests_per_day, after: 10 }]],
    ]);
  });

  it("refuses a limit above the organization's own, which Groq would reject", () => {
    const project = makeDesiredProject('p', { limits: { default: { requests_per_minute: 5000 }, models: {} } });
    const plan = planChanges(makeDesired([project], []), makeLive([]), NOW);
    expect(plan.refusals.map((r) => r.code)).toEqual(['limit_above_org']);
    expect(plan.refusals[0]!.message).toContain('requests_per_minute 5000');
    expect(blockingRefusals(plan.refusals, true)).toHaveLength(1);
  });

  it('archives a project groq-rbac managed once it leaves the policies, with its key count and last use', () => {
    const gone = makeLiveProject('old', {
      keys: [managedKeyFor(makeDesiredKey('old-key'), { last_used_at: NOW - 7200 }), makeLiveKey({ last_used_at: NOW - 60 })],
    });
    const plan = planChanges(makeDesired([], []), makeLive([gone]), NOW);
    expect(plan.changes).toEqual([
      {
        resource: 'project',
        action: 'archive',
        reason: 'removed',
        team: null,
        project: 'old',
        project_id: gone.id,
        fields: [],
        context: { key_count: 2, last_used_at: NOW - 60 },
      },
    ]);
    expect(plan.summary.archive).toBe(1);
  });

  it('reports a project no policy names, and archives it only with unmanaged.projects: archive', () => {
    const stranger = makeLiveProject('console-made', { keys: [makeLiveKey()] });
    const reported = planChanges(makeDesired([], []), makeLive([stranger]), NOW);
    expect(reported.changes).toEqual([]);
    expect(reported.unmanaged.projects).toEqual([
      { project_id: stranger.id, name: 'console-made', key_count: 1, created_at: stranger.created_at },
    ]);
    const archived = planChanges(makeDesired([], [], { unmanaged: { projects: 'archive', keys: 'report' } }), makeLive([stranger]), NOW);
    expect(archived.changes).toMatchObject([{ resource: 'project', action: 'archive', reason: 'unmanaged' }]);
  });

  it('never archives a protected project, even with --force', () => {
    const key = makeDesiredKey('k', { project: 'vault', protect: true });
    const live = liveProjectFor(makeDesiredProject('vault', { protect: true }), [key]);
    const plan = planChanges(makeDesired([], []), makeLive([live]), NOW);
    expect(plan.refusals.map((r) => [r.code, r.forceable])).toEqual([['protected_project', false]]);
  });

  it('counts archives with deletes against the safety limits', () => {
    const projects = ['a', 'b', 'c', 'd'].map((n) =>
      makeLiveProject(n, { keys: [managedKeyFor(makeDesiredKey(`${n}-key`, { project: n }))] }),
    );
    const plan = planChanges(makeDesired([], []), makeLive(projects), NOW);
    expect(plan.summary.archive).toBe(4);
    const refusal = plan.refusals.find((r) => r.code === 'too_many_deletes')!;
    expect(refusal).toMatchObject({ forceable: true });
    expect(refusal.message).toContain('over safety.max_deletes 3');
    expect(blockingRefusals(plan.refusals, true)).toEqual([]);
  });

  it('manages the oldest of two live projects with one name and warns about the other', () => {
    const older = makeLiveProject('p');
    const newer = makeLiveProject('p');
    newer.created_at = older.created_at + 10;
    const plan = planChanges(makeDesired([makeDesiredProject('p')], []), makeLive([newer, older]), NOW);
    expect(plan.changes).toEqual([]);
    expect(plan.warnings.map((w) => w.code)).toEqual(['duplicate_project_name']);
    expect(plan.warnings[0]!.message).toContain(newer.id);
  });
});

describe('planChanges: keys', () => {
  const project = makeDesiredProject('chatbot-prod');

  it("adopts an unmanaged key with the policy key's name in the same project", () => {
    const key = makeDesiredKey('legacy');
    const live = makeLiveKey({ name: 'legacy' });
    const plan = planChanges(makeDesired([project], [key]), makeLive([makeLiveProject('chatbot-prod', { keys: [live] })]), NOW);
    expect(keys(plan)).toMatchObject([{ action: 'adopt', key_id: live.id, reason: 'same_name' }]);
    // Adopting marks it as delivered to the policy's targets, so it does not rotate at once, and owned by the project's team.
    expect(keys(plan)[0]!.fields.map((f) => f.field)).toEqual(['managed', 'generation', 'targets', 'team']);
    expect(keys(plan)[0]!.fields.at(-1)).toEqual({ field: 'team', before: null, after: 'chatbot' });
    // The plan speaks groq-rbac's vocabulary: no provider's metadata keys.
    expect(JSON.stringify(plan)).not.toContain('groq-rbac/');
    expect(plan.summary).toMatchObject({ create: 0, adopt: 1 });
  });

  it('updates the protect flag and the name, and deletes keys that left the policies', () => {
    const key = makeDesiredKey('k', { protect: true });
    const renamed = managedKeyFor(makeDesiredKey('k'), { name: 'old-name' });
    const removed = managedKeyFor(makeDesiredKey('gone'));
    const plan = planChanges(makeDesired([project], [key]), makeLive([makeLiveProject('chatbot-prod', { keys: [renamed, removed] })]), NOW);
    expect(keys(plan).map((c) => [c.action, c.key, c.reason])).toEqual([
      ['update', 'k', 'differs'],
      ['delete', 'gone', 'removed'],
    ]);
    expect(keys(plan)[0]!.fields).toEqual([
      { field: 'name', before: 'old-name', after: 'k' },
      { field: 'protect', before: false, after: true },
    ]);
  });

  it('reports unmanaged keys, or deletes them with unmanaged.keys: delete', () => {
    const stranger = makeLiveKey({ name: 'made-in-console' });
    const live = makeLive([makeLiveProject('chatbot-prod', { keys: [stranger] })]);
    const reported = planChanges(makeDesired([project], []), live, NOW);
    expect(reported.unmanaged.keys).toMatchObject([{ key_id: stranger.id, name: 'made-in-console', project: 'chatbot-prod' }]);
    const deleted = planChanges(makeDesired([project], [], { unmanaged: { projects: 'report', keys: 'delete' } }), live, NOW);
    expect(keys(deleted)).toMatchObject([{ action: 'delete', key_id: stranger.id, reason: 'unmanaged' }]);
  });

  it('moves a key to another project as a create there and a delete here', () => {
    const other = makeDesiredProject('other');
    const key = makeDesiredKey('k', { project: 'other' });
    const live = makeLive([makeLiveProject('chatbot-prod', { keys: [managedKeyFor(key)] }), makeLiveProject('other')]);
    const plan = planChanges(makeDesired([project, other], [key]), live, NOW);
    expect(keys(plan).map((c) => [c.action, c.project])).toEqual([
      ['delete', 'chatbot-prod'],
      ['create', 'other'],
    ]);
  });

  it('drains older generations: retired once quiet, waiting while in use or when usage was not read', () => {
    const key = makeDesiredKey('k');
    const current = managedKeyFor(key, { created_at: NOW - 3 * 86400 }, 3);
    const quiet = managedKeyFor(key, { created_at: NOW - 200 * 86400, last_used_at: NOW - 5 * 86400 }, 1);
    const busy = managedKeyFor(key, { created_at: NOW - 100 * 86400, last_used_at: NOW - 60 }, 2);
    const live = makeLive([makeLiveProject('chatbot-prod', { keys: [current, quiet, busy] })]);
    const usage = new Map([
      [quiet.id, null],
      [busy.id, NOW - 60],
    ]);
    const plan = planChanges(makeDesired([project], [key]), live, NOW, { usage });
    expect(keys(plan)).toMatchObject([
      { action: 'delete', key_id: quiet.id, reason: 'retired', rotation: { generation: 1, cause: 'retire', time_driven: true } },
    ]);
    expect(plan.pending).toEqual([
      {
        project: 'chatbot-prod',
        key: 'k',
        key_id: busy.id,
        generation: 2,
        waiting_for: 'quiet',
        seconds_left: 86400 + 900 - 60,
        last_used_at: NOW - 60,
      },
    ]);
    // Without usage data nothing is retired.
    const blind = planChanges(makeDesired([project], [key]), live, NOW);
    expect(keys(blind)).toEqual([]);
    expect(blind.pending.map((p) => p.waiting_for)).toEqual(['usage', 'usage']);
  });

  it('never deletes a protected key or the admin key, even with --force', () => {
    const protectedKey = managedKeyFor(makeDesiredKey('p', { protect: true }));
    const adminLike = makeLiveKey({ redacted_value: 'gsk_…AdMn' });
    const plan = planChanges(
      makeDesired([project], [], { unmanaged: { projects: 'report', keys: 'delete' } }),
      makeLive([makeLiveProject('chatbot-prod', { keys: [protectedKey, adminLike] })]),
      NOW,
      { adminKeyRedacted: 'gsk_…AdMn' },
    );
    expect(
      blockingRefusals(plan.refusals, true)
        .map((r) => r.code)
        .sort(),
    ).toEqual(['admin_key', 'protected_key']);
  });

  it('warns when a new key has no delivery target, and about keys unused for 30 days', () => {
    const lonely = makeDesiredKey('lonely', { rotation: { ...makeDesiredKey('x').rotation, deliver: [] } });
    const idle = makeDesiredKey('idle');
    const plan = planChanges(
      makeDesired([project], [lonely, idle]),
      makeLive([makeLiveProject('chatbot-prod', { keys: [managedKeyFor(idle, { last_used_at: NOW - 45 * 86400 })] })]),
      NOW,
    );
    expect(plan.warnings.map((w) => [w.code, w.key])).toEqual([
      ['key_unused', 'idle'],
      ['no_delivery_target', 'lonely'],
    ]);
  });
});

describe('planChanges: organization', () => {
  it('sets and clears the org model permissions', () => {
    const allow = planChanges(
      makeDesired([], [], { models: { mode: 'allow_list', models: ['qwen/qwen3.8-27b', 'openai/gpt-oss-20b'] } }),
      makeLive([]),
      NOW,
    );
    expect(of(allow, 'org_model_permissions')).toMatchObject([
      { before: null, after: { mode: 'allow_list', models: ['openai/gpt-oss-20b', 'qwen/qwen3.8-27b'] } },
    ]);
    const clear = planChanges(
      makeDesired([], []),
      makeLive([], { permissions: { mode: 'allow_list', models: ['qwen/qwen3.8-27b'] } }),
      NOW,
    );
    expect(of(clear, 'org_model_permissions')).toMatchObject([{ before: { mode: 'allow_list' }, after: null }]);
  });

  it('refuses an allow list naming a model the organization does not serve', () => {
    const plan = planChanges(
      makeDesired([], [], { models: { mode: 'allow_list', models: ['openai/gpt-oss-20b', 'whisper-large-v3'] } }),
      makeLive([], { limits: makeOrgRateLimits(['openai/gpt-oss-20b']) }),
      NOW,
    );
    expect(plan.refusals.map((r) => r.code)).toEqual(['model_not_served']);
    expect(plan.refusals[0]!.message).toContain('whisper-large-v3');
  });

  it('creates, updates and removes the spend limit in cents, and keeps one alert per threshold', () => {
    const spending = { monthly_cap_usd: 500, alert_thresholds_usd: [100, 250], alert_recipients: ['ops@acme.example'] };
    const live = makeLive([], {
      spending: {
        monthly_cap_usd: 400,
        alerts: [
          { id: 'sa_1', threshold_usd: 100, recipients: ['old@acme.example'] },
          { id: 'sa_2', threshold_usd: 100, recipients: ['ops@acme.example'] },
          { id: 'sa_3', threshold_usd: 900, recipients: ['ops@acme.example'] },
        ],
      },
    });
    const plan = planChanges(makeDesired([], [], { spending }), live, NOW);
    expect(
      plan.changes.map((c) => [c.resource, c.action, c.resource === 'spend_alert' ? (c.alert_id ?? c.threshold_usd) : null, c.reason]),
    ).toEqual([
      ['spend_limit', 'update', null, 'differs'],
      ['spend_alert', 'update', 'sa_1', 'differs'],
      ['spend_alert', 'create', 250, 'new'],
      ['spend_alert', 'delete', 'sa_2', 'surplus'],
      ['spend_alert', 'delete', 'sa_3', 'removed'],
    ]);
    const removed = planChanges(
      makeDesired([], [], { spending: { ...spending, monthly_cap_usd: null, alert_thresholds_usd: [] } }),
      live,
      NOW,
    );
    expect(of(removed, 'spend_limit')).toMatchObject([{ action: 'delete', before: { monthly_cap_usd: 400 }, after: null }]);
  });

  it('leaves spending alone when the policies do not mention it', () => {
    const live = makeLive([], { spending: { monthly_cap_usd: 0.01, enforcing: true, alerts: [] } });
    expect(planChanges(makeDesired([], []), live, NOW).changes).toEqual([]);
  });

  it('refuses to plan for another organization', () => {
    const plan = planChanges(makeDesired([], []), makeLive([], { org: { id: 'org_other', name: 'Other' } }), NOW);
    expect(plan.refusals).toMatchObject([{ code: 'org_mismatch', forceable: false }]);
  });
});

describe('the fingerprint', () => {
  it('covers what would change, not when a key was last used', () => {
    const project = makeLiveProject('old', { keys: [managedKeyFor(makeDesiredKey('x', { project: 'old' }))] });
    const at = (lastUsed: number) => makeLive([{ ...project, keys: project.keys.map((k) => ({ ...k, last_used_at: lastUsed })) }]);
    const a = planChanges(makeDesired([], []), at(NOW - 10), NOW);
    const b = planChanges(makeDesired([], []), at(NOW - 99_999), NOW + 500);
    expect(a.changes).not.toEqual(b.changes);
    expect(a.fingerprint).toBe(b.fingerprint);
    const c = planChanges(makeDesired([makeDesiredProject('new')], []), at(NOW - 10), NOW);
    expect(c.fingerprint).not.toBe(a.fingerprint);
  });
});
