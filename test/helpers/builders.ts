/** In-memory builders for the planner's inputs: desired state (policy v2) and live state (groq-rbac's domain, core/domain.ts). */
import type {
  DomainLiveProject as LiveProject,
  DomainLiveState as LiveState,
  KeyMarks,
  LiveKey,
  LiveLimit,
} from '../../src/core/domain.js';
import { triggerMark } from '../../src/core/marks.js';
import { desiredRateLimit } from '../../src/plan/plan-projects.js';
import { usableModels } from '../../src/plan/model-rules.js';
import { targetsHash } from '../../src/plan/rotation.js';
import type { DesiredKey, DesiredOrg, DesiredProject, DesiredState } from '../../src/policy/types.js';

export const NOW = 1_795_000_000; // 2026-11-18
export const MODELS = ['openai/gpt-oss-120b', 'openai/gpt-oss-20b', 'qwen/qwen3.8-27b'];

/** Groq's four limit fields, by the policies' names. */
export const ORG_LIMIT = {
  requests_per_minute: 1000,
  tokens_per_minute: 1_000_000,
  requests_per_day: 1_000_000,
  tokens_per_day: 100_000_000,
};

export function makeOrgRateLimits(models: readonly string[] = MODELS): LiveLimit[] {
  return models.map((model) => ({ id: `rl-${model}`, model, values: { ...ORG_LIMIT } }));
}
export function makeDesiredProject(name: string, overrides: Partial<DesiredProject> = {}): DesiredProject {
  return {
    name,
    team: 'chatbot',
    description: null,
    models: null,
    limits: { default: {}, models: {} },
    protect: false,
    source: { file: `teams/${overrides.team ?? 'chatbot'}.yaml`, line: 4, column: 5 },
    ...overrides,
  };
}

export function makeDesiredKey(name: string, overrides: Partial<DesiredKey> = {}): DesiredKey {
  return {
    name,
    project: 'chatbot-prod',
    team: 'chatbot',
    description: null,
    protect: false,
    rotation: {
      everySeconds: 90 * 86400,
      quietPeriodSeconds: 86400,
      minOverlapSeconds: 3600,
      trigger: null,
      deliver: [{ kind: 'file', path: `out/${name}.key` }],
    },
    source: { file: `teams/${overrides.team ?? 'chatbot'}.yaml`, line: 9, column: 9 },
    ...overrides,
  };
}

export function makeDesired(projects: DesiredProject[], keys: DesiredKey[], org: Partial<DesiredOrg> = {}): DesiredState {
  const teams = [...new Set(projects.map((p) => p.team))].map((name) => ({
    name,
    owners: [`@acme/${name}`],
    models: null,
    file: `teams/${name}.yaml`,
  }));
  return {
    org: {
      id: 'org_test',
      admins: ['@acme/platform'],
      models: null,
      limits: { default: {}, models: {} },
      spending: null,
      unmanaged: { projects: 'report', keys: 'report' },
      safety: { maxDeletes: 3, maxDeletePercent: 25 },
      vault: null,
      grants: {},
      file: 'org.yaml',
      ...org,
    },
    teams,
    projects,
    keys,
  };
}

let seq = 0;
export function makeLiveKey(overrides: Partial<LiveKey> = {}): LiveKey {
  seq += 1;
  return {
    id: `key_${String(seq).padStart(6, '0')}`,
    name: `live-${seq}`,
    redacted_value: `gsk_…${String(seq).padStart(4, '0')}`,
    created_at: NOW - 86400,
    last_used_at: NOW - 3600,
    marks: null,
    ...overrides,
  };
}

/** Marks of a generation as groq-rbac makes and delivers one for `key`. */
export function marksFor(key: DesiredKey, generation = 1, deliveredAt: number | null = NOW - 86400 + 5): KeyMarks {
  return {
    key: key.name,
    generation,
    trigger: key.rotation.trigger !== null ? triggerMark(key.rotation.trigger) : null,
    delivered_at: deliveredAt,
    targets: targetsHash(key.rotation.deliver),
    protect: key.protect,
  };
}

/**
 * A live key exactly as groq-rbac would have created and delivered it for `key` (generation 1
 * unless overridden); `marks` in the overrides are merged into those.
 */
export function managedKeyFor(
  key: DesiredKey,
  overrides: Omit<Partial<LiveKey>, 'marks'> & { marks?: Partial<KeyMarks> } = {},
  generation = 1,
): LiveKey {
  const created = overrides.created_at ?? NOW - 86400;
  const { marks, ...rest } = overrides;
  return makeLiveKey({ name: key.name, created_at: created, ...rest, marks: { ...marksFor(key, generation, created + 5), ...marks } });
}

export function makeLiveProject(
  name: string,
  overrides: Partial<LiveProject> = {},
  orgLimits: LiveLimit[] = makeOrgRateLimits(),
): LiveProject {
  seq += 1;
  return {
    id: `proj_${String(seq).padStart(6, '0')}`,
    name,
    created_at: NOW - 10 * 86400,
    permissions: null,
    limits: orgLimits.map((r) => ({ ...r, values: { ...r.values } })),
    keys: [],
    ...overrides,
  };
}

/** A live project exactly as groq-rbac would have set it up for `project` and its `keys`. */
export function liveProjectFor(project: DesiredProject, keys: DesiredKey[], orgLimits: LiveLimit[] = makeOrgRateLimits()): LiveProject {
  const permissions = project.models ? { mode: project.models.mode, models: [...project.models.models].sort() } : null;
  const usable = new Set(
    usableModels(
      orgLimits.map((r) => r.model),
      null,
      project.models,
    ),
  );
  return makeLiveProject(
    project.name,
    {
      permissions,
      limits: orgLimits.map((r) => ({ ...r, values: usable.has(r.model) ? desiredRateLimit(project, r) : { ...r.values } })),
      keys: keys.map((k) => managedKeyFor(k)),
    },
    orgLimits,
  );
}

export function makeLive(projects: LiveProject[], overrides: Partial<LiveState> = {}): LiveState {
  return {
    provider: 'groq',
    org: { id: 'org_test', name: 'Test' },
    permissions: null,
    limits: makeOrgRateLimits(),
    spending: { monthly_cap_usd: null, enforcing: false, alerts: [] },
    projects,
    observed_at: NOW,
    ...overrides,
  };
}
