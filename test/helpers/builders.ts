/** In-memory builders for the planner's inputs: desired state (policy v2) and live state (contract v2). */
import type { ProjectApiKey, RateLimit } from '../../src/providers/groq/wire.js';
import type { LiveProject, LiveState } from '../../src/providers/groq/live-state.js';
import { METADATA } from '../../src/providers/groq/metadata.js';
import { desiredRateLimit } from '../../src/plan/plan-projects.js';
import { usableModels } from '../../src/plan/model-rules.js';
import { targetsHash } from '../../src/plan/rotation.js';
import type { DesiredKey, DesiredOrg, DesiredProject, DesiredState } from '../../src/policy/types.js';

export const NOW = 1_795_000_000; // 2026-11-18
export const MODELS = ['openai/gpt-oss-120b', 'openai/gpt-oss-20b', 'qwen/qwen3.8-27b'];

export const ORG_LIMIT = { max_requests_per_1_minute: 1000, max_tokens_per_1_minute: 1_000_000, max_requests_per_1_day: 1_000_000, max_tokens_per_1_day: 100_000_000 };

export function makeOrgRateLimits(models: readonly string[] = MODELS): RateLimit[] {
  return models.map((model) => ({ object: 'organization.rate_limit', id: `rl-${model}`, model, ...ORG_LIMIT }));
}

export function makeDesiredProject(name: string, overrides: Partial<DesiredProject> = {}): DesiredProject {
  return {
    name, team: 'chatbot', description: null, models: null, limits: { default: {}, models: {} }, protect: false,
    source: { file: `teams/${overrides.team ?? 'chatbot'}.yaml`, line: 4, column: 5 }, ...overrides,
  };
}

export function makeDesiredKey(name: string, overrides: Partial<DesiredKey> = {}): DesiredKey {
  return {
    name, project: 'chatbot-prod', team: 'chatbot', description: null, protect: false,
    rotation: { everySeconds: 90 * 86400, quietPeriodSeconds: 86400, minOverlapSeconds: 3600, trigger: null, deliver: [{ kind: 'file', path: `out/${name}.key` }] },
    source: { file: `teams/${overrides.team ?? 'chatbot'}.yaml`, line: 9, column: 9 }, ...overrides,
  };
}

export function makeDesired(projects: DesiredProject[], keys: DesiredKey[], org: Partial<DesiredOrg> = {}): DesiredState {
  const teams = [...new Set(projects.map((p) => p.team))].map((name) => ({ name, owners: [`@acme/${name}`], models: null, file: `teams/${name}.yaml` }));
  return {
    org: {
      id: 'org_test', admins: ['@acme/platform'], models: null, limits: { default: {}, models: {} }, spending: null,
      unmanaged: { projects: 'report', keys: 'report' }, safety: { maxDeletes: 3, maxDeletePercent: 25 }, vault: null, grants: {}, file: 'org.yaml', ...org,
    },
    teams, projects, keys,
  };
}

let seq = 0;
export function makeLiveKey(overrides: Partial<ProjectApiKey> = {}): ProjectApiKey {
  seq += 1;
  return {
    object: 'organization.project.api_key', id: `key_${String(seq).padStart(6, '0')}`, name: `live-${seq}`, redacted_value: `gsk_…${String(seq).padStart(4, '0')}`,
    created_at: NOW - 86400, last_used_at: NOW - 3600, metadata: {}, ...overrides,
  };
}

/** A live key exactly as groq-rbac would have created and delivered it for `key` (generation 1 unless overridden). */
export function managedKeyFor(key: DesiredKey, overrides: Partial<ProjectApiKey> = {}, generation = 1): ProjectApiKey {
  const created = overrides.created_at ?? NOW - 86400;
  return makeLiveKey({
    name: key.name,
    created_at: created,
    metadata: {
      [METADATA.key]: key.name, [METADATA.generation]: String(generation), [METADATA.deliveredAt]: String(created + 5), [METADATA.targets]: targetsHash(key.rotation.deliver),
      ...(key.rotation.trigger !== null ? { [METADATA.trigger]: key.rotation.trigger } : {}), ...(key.protect ? { [METADATA.protect]: 'true' } : {}),
    },
    ...overrides,
  });
}

export function makeLiveProject(name: string, overrides: Partial<LiveProject> = {}, orgLimits: RateLimit[] = makeOrgRateLimits()): LiveProject {
  seq += 1;
  return {
    project: { object: 'organization.project', id: `proj_${String(seq).padStart(6, '0')}`, name, created_at: NOW - 10 * 86400, archived_at: null, status: 'active' },
    permissions: { object: 'project.model_permissions', mode: 'deny_list', model_ids: [] },
    rateLimits: orgLimits.map((r) => ({ ...r, object: 'project.rate_limit' })),
    keys: [],
    ...overrides,
  };
}

/** A live project exactly as groq-rbac would have set it up for `project` and its `keys`. */
export function liveProjectFor(project: DesiredProject, keys: DesiredKey[], orgLimits: RateLimit[] = makeOrgRateLimits()): LiveProject {
  const permissions = project.models
    ? { object: 'project.model_permissions' as const, mode: project.models.mode, model_ids: [...project.models.models] }
    : { object: 'project.model_permissions' as const, mode: 'deny_list' as const, model_ids: [] };
  const usable = new Set(usableModels(orgLimits.map((r) => r.model), null, project.models));
  return makeLiveProject(project.name, {
    permissions,
    rateLimits: orgLimits.map((r) => ({ ...r, object: 'project.rate_limit', ...(usable.has(r.model) ? desiredRateLimit(project, r) : {}) })),
    keys: keys.map((k) => managedKeyFor(k)),
  }, orgLimits);
}

export function makeLive(projects: LiveProject[], overrides: Partial<LiveState> = {}): LiveState {
  return {
    org: { object: 'organization', id: 'org_test', name: 'Test' },
    permissions: { object: 'organization.model_permissions', mode: 'deny_list', model_ids: [] },
    rateLimits: makeOrgRateLimits(),
    spendLimit: null,
    spendAlerts: [],
    projects,
    observed_at: NOW,
    ...overrides,
  };
}
