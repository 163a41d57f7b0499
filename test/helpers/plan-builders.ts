/**
 * In-memory builders for plans (format_version 3) and each kind of change, for tests that render,
 * apply or compare plans without planning. Defaults describe team `chatbot`'s project
 * `chatbot-prod`; `fields`, `summary` and `fingerprint` are derived unless given.
 */
import { fingerprintChanges } from '../../src/plan/fingerprint.js';
import { diffKeyStates } from '../../src/plan/plan-keys.js';
import {
  type Change,
  type FieldChange,
  type KeyAction,
  type KeyChange,
  type KeyState,
  type OrgPermissionsChange,
  type Plan,
  type PlanSummary,
  type PendingStep,
  type ProjectChange,
  type ProjectPermissionsChange,
  type RateLimitChange,
  type Refusal,
  type SpendAlertChange,
  type SpendLimitChange,
  type UnmanagedKey,
  type UnmanagedProject,
  type Warning,
} from '../../src/plan/types.js';

/** 2026-11-18T... UTC, in Unix seconds. */
export const PLAN_NOW = 1_795_000_000;
const DAY = 86_400;

type Rule = OrgPermissionsChange['before'];

/** A plan of `changes`; summary and fingerprint follow from them unless overridden. */
export function makePlan(changes: Change[] = [], overrides: Partial<Plan> = {}): Plan {
  const org = overrides.org ?? 'org_test';
  return {
    format_version: 3,
    org,
    generated_at: PLAN_NOW,
    fingerprint: fingerprintChanges(org, changes),
    summary: summariseChanges(changes),
    changes,
    unmanaged: { projects: [], keys: [] },
    pending: [],
    warnings: [],
    refusals: [],
    ...overrides,
  };
}

export function summariseChanges(changes: readonly Change[]): PlanSummary {
  const s: PlanSummary = { create: 0, update: 0, delete: 0, adopt: 0, archive: 0, rotate: 0 };
  for (const c of changes) s[c.action] += 1;
  return s;
}

/** The fields of a model-permissions change, as the planner writes them: `models.mode`, then `models`. */
export function ruleFieldChanges(before: Rule, after: Rule): FieldChange[] {
  const fields: FieldChange[] = [];
  if ((before?.mode ?? null) !== (after?.mode ?? null))
    fields.push({ field: 'models.mode', before: before?.mode ?? null, after: after?.mode ?? null });
  if (JSON.stringify(before?.models ?? []) !== JSON.stringify(after?.models ?? []))
    fields.push({ field: 'models', before: before?.models ?? [], after: after?.models ?? [] });
  return fields;
}

export function makeOrgPermissionsChange(overrides: Partial<OrgPermissionsChange> = {}): OrgPermissionsChange {
  const before =
    overrides.before !== undefined
      ? overrides.before
      : { mode: 'allow_list' as const, models: ['openai/gpt-oss-120b', 'openai/gpt-oss-20b'] };
  const after =
    overrides.after !== undefined ? overrides.after : { mode: 'allow_list' as const, models: ['openai/gpt-oss-120b', 'qwen/qwen3.8-27b'] };
  return {
    resource: 'org_model_permissions',
    action: 'update',
    reason: 'differs',
    team: null,
    before,
    after,
    fields: ruleFieldChanges(before, after),
    ...overrides,
  };
}

export function makeSpendLimitChange(overrides: Partial<SpendLimitChange> = {}): SpendLimitChange {
  const action = overrides.action ?? 'update';
  const before = overrides.before !== undefined ? overrides.before : action === 'create' ? null : { monthly_cap_usd: 400 };
  const after = overrides.after !== undefined ? overrides.after : action === 'delete' ? null : { monthly_cap_usd: 500 };
  const reason = action === 'create' ? 'new' : action === 'delete' ? 'removed' : 'differs';
  return {
    resource: 'spend_limit',
    action,
    reason,
    team: null,
    before,
    after,
    fields: [{ field: 'monthly_cap_usd', before: before?.monthly_cap_usd ?? null, after: after?.monthly_cap_usd ?? null }],
    ...overrides,
  };
}

export function makeSpendAlertChange(overrides: Partial<SpendAlertChange> = {}): SpendAlertChange {
  const action = overrides.action ?? 'create';
  const before = overrides.before !== undefined ? overrides.before : action === 'create' ? null : { recipients: ['platform@acme.example'] };
  const after = overrides.after !== undefined ? overrides.after : action === 'delete' ? null : { recipients: ['platform@acme.example'] };
  const reason = action === 'create' ? 'new' : action === 'delete' ? 'removed' : 'differs';
  return {
    resource: 'spend_alert',
    action,
    reason,
    team: null,
    alert_id: action === 'create' ? null : 'alert_001',
    threshold_usd: 250,
    before,
    after,
    fields: action === 'delete' ? [] : [{ field: 'recipients', before: before?.recipients ?? null, after: after?.recipients ?? null }],
    ...overrides,
  };
}

export function makeProjectChange(overrides: Partial<ProjectChange> = {}): ProjectChange {
  const action = overrides.action ?? 'create';
  if (action === 'archive') {
    return {
      resource: 'project',
      action,
      reason: 'removed',
      team: null,
      project: 'chatbot-old',
      project_id: 'proj_old',
      fields: [],
      context: { key_count: 3, last_used_at: PLAN_NOW - 2 * DAY },
      ...overrides,
    };
  }
  return {
    resource: 'project',
    action,
    reason: 'new',
    team: 'chatbot',
    project: 'chatbot-prod',
    project_id: null,
    fields: [],
    ...overrides,
  };
}

export function makeProjectPermissionsChange(overrides: Partial<ProjectPermissionsChange> = {}): ProjectPermissionsChange {
  const before =
    overrides.before !== undefined
      ? overrides.before
      : { mode: 'allow_list' as const, models: ['openai/gpt-oss-120b', 'openai/gpt-oss-20b'] };
  const after = overrides.after !== undefined ? overrides.after : { mode: 'allow_list' as const, models: ['openai/gpt-oss-120b'] };
  return {
    resource: 'project_model_permissions',
    action: 'update',
    reason: 'differs',
    team: 'chatbot',
    project: 'chatbot-prod',
    project_id: 'proj_prod',
    before,
    after,
    fields: ruleFieldChanges(before, after),
    ...overrides,
  };
}

/** The organization's default limits for a model, by the policies' field names. */
export const ORG_LIMITS = { requests_per_minute: 1000, tokens_per_minute: 250_000, requests_per_day: 500_000, tokens_per_day: 10_000_000 };

export function makeRateLimitChange(overrides: Partial<RateLimitChange> = {}): RateLimitChange {
  const model = overrides.model ?? 'openai/gpt-oss-120b';
  const before = overrides.before ?? { ...ORG_LIMITS, tokens_per_minute: 100_000 };
  const after = overrides.after ?? { ...before, tokens_per_minute: 60_000 };
  const fields = (Object.keys(ORG_LIMITS) as (keyof typeof ORG_LIMITS)[])
    .filter((f) => before[f] !== after[f])
    .map((f) => ({ field: f, before: before[f], after: after[f] }));
  return {
    resource: 'project_rate_limit',
    action: 'update',
    reason: 'differs',
    team: 'chatbot',
    project: 'chatbot-prod',
    project_id: 'proj_prod',
    model,
    rate_limit_id: `rl-${model}`,
    before,
    after,
    fields,
    ...overrides,
  };
}

/** Field by field, as the planner writes them (`name`, `managed`, `protect`); a create lists what it sets. */
export function keyFieldChanges(before: KeyState | null, after: KeyState | null): FieldChange[] {
  if (!after) return [];
  if (!before)
    return [{ field: 'managed', before: null, after: true }, ...(after.protect ? [{ field: 'protect', before: null, after: true }] : [])];
  return diffKeyStates(before, after);
}

const REASONS = { create: 'new', update: 'differs', delete: 'removed', adopt: 'same_name', rotate: 'differs' } as const;

/** A key change; `action` decides the defaults (`before`/`after`, ids, reason, the last use of a delete). */
export function makeKeyChange(action: KeyAction, overrides: Partial<KeyChange> = {}): KeyChange {
  const key = overrides.key ?? 'chatbot-prod-web';
  const managed: KeyState = { name: key, managed: true, protect: false };
  const before =
    overrides.before !== undefined
      ? overrides.before
      : action === 'create'
        ? null
        : action === 'adopt'
          ? { name: key, managed: false, protect: false }
          : managed;
  const after = overrides.after !== undefined ? overrides.after : action === 'delete' ? null : managed;
  const live = action !== 'create';
  if (action === 'rotate') {
    const rotating: KeyChange['before'] = managed;
    const b = overrides.before !== undefined ? overrides.before : rotating;
    const a = overrides.after !== undefined ? overrides.after : rotating;
    return {
      resource: 'api_key',
      action,
      reason: 'differs',
      team: 'chatbot',
      key,
      project: 'chatbot-prod',
      project_id: 'proj_prod',
      key_id: `key_${key}`,
      redacted_value: 'gsk_…abcd',
      before: b,
      after: a,
      fields: [],
      rotation: {
        generation: 2,
        from_generation: 1,
        cause: 'age',
        time_driven: true,
        targets: ['github acme/chatbot environment production secret GROQ_API_KEY'],
      },
      ...overrides,
    };
  }
  return {
    resource: 'api_key',
    action,
    reason: REASONS[action],
    team: 'chatbot',
    key,
    project: 'chatbot-prod',
    project_id: 'proj_prod',
    key_id: live ? `key_${key}` : null,
    redacted_value: live ? 'gsk_…abcd' : null,
    before,
    after,
    fields: keyFieldChanges(before, after),
    ...(action === 'delete' ? { context: { last_used_at: PLAN_NOW - DAY } } : {}),
    ...overrides,
  };
}

export function makeUnmanagedProject(overrides: Partial<UnmanagedProject> = {}): UnmanagedProject {
  return { project_id: 'proj_console', name: 'made-in-console', key_count: 2, created_at: PLAN_NOW - 30 * DAY, ...overrides };
}

export function makeUnmanagedKey(overrides: Partial<UnmanagedKey> = {}): UnmanagedKey {
  return {
    key_id: 'key_console',
    name: 'made-in-console',
    project: 'chatbot-prod',
    redacted_value: 'gsk_…C0n5',
    created_at: PLAN_NOW - 30 * DAY,
    last_used_at: PLAN_NOW - 17 * DAY,
    ...overrides,
  };
}

export function makeWarning(overrides: Partial<Warning> = {}): Warning {
  return {
    code: 'key_unused',
    project: 'chatbot-prod',
    key: 'chatbot-prod-web',
    message: 'key "chatbot-prod-web" has not been used for 45 days; consider removing it',
    ...overrides,
  };
}

export function makeRefusal(overrides: Partial<Refusal> = {}): Refusal {
  return {
    code: 'too_many_deletes',
    forceable: true,
    message: '4 deletes and archives are over safety.max_deletes 3; --force required',
    ...overrides,
  };
}

export function makePendingStep(overrides: Partial<PendingStep> = {}): PendingStep {
  return {
    project: 'chatbot-prod',
    key: 'chatbot-prod-web',
    key_id: 'key_gen1',
    generation: 1,
    waiting_for: 'quiet',
    seconds_left: 21 * 3600,
    last_used_at: PLAN_NOW - 3 * 3600,
    ...overrides,
  };
}
