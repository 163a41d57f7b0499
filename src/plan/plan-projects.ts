import {
  DOMAIN_LIMIT_FIELDS,
  type DomainLiveProject as LiveProject,
  type DomainLiveState as LiveState,
  type LiveLimit,
} from '../core/domain.js';
import type { LimitSet } from '../core/limits.js';
import type { DesiredProject, DesiredState } from '../policy/types.js';
import { foldRule, normaliseRule, sameRule, usableModels } from './model-rules.js';
import { orgModelPermissionsOf, planProjectSpending, ruleFields } from './plan-org.js';
import { planOwnLimits } from './plan-project-limits.js';
import type { Change, FieldChange, ProjectChange, RateLimitChange, Refusal } from './types.js';

/** The limit fields a limit has (the provider's), in the policies' order. */
const fieldsOf = (limit: LiveLimit) => DOMAIN_LIMIT_FIELDS.filter((f) => limit.values[f] !== undefined);

/**
 * What a project's limits should be for one model: its entry, else its default, else the
 * organization's own; for the fields the organization's limit has (the provider's).
 */
export function desiredRateLimit(project: DesiredProject, org: LiveLimit): LimitSet {
  const values: LimitSet = {};
  for (const f of fieldsOf(org)) values[f] = project.limits.models[org.model]?.[f] ?? project.limits.default[f] ?? org.values[f];
  return values;
}

/**
 * Permissions, per-model limits and spending of one project (new or live). `catalogue`: the models
 * the provider serves, for a new project's limits where the organization has none of its own.
 */
export function planProjectSettings(input: {
  desired: DesiredState;
  project: DesiredProject;
  live: LiveProject | null;
  org: LiveState;
  catalogue?: readonly string[];
}): { changes: Change[]; refusals: Refusal[] } {
  const { desired, project, live, org } = input;
  const changes: Change[] = [];
  const refusals: Refusal[] = [];
  const base = { project: project.name, project_id: live?.id ?? null, team: project.team } as const;

  const before = live ? normaliseRule(live.permissions) : null;
  // A provider without organization-wide model permissions gets the org's ceiling in each project's rule.
  const after = orgModelPermissionsOf(org) ? normaliseRule(project.models) : foldRule(desired.org.models, project.models);
  if (!sameRule(before, after)) {
    changes.push({
      resource: 'project_model_permissions',
      action: 'update',
      reason: live ? 'differs' : 'new',
      ...base,
      before,
      after,
      fields: ruleFields(before, after),
    });
  }

  // Spending after the limits: apply runs a project's settings together, and renderers order them.
  const spending = planProjectSpending(project, live);
  // An organization with no limits of its own (OpenAI): each project's live limits are the ones to set.
  if (org.limits.length === 0) {
    const own = planOwnLimits({
      project,
      live,
      provider: org.provider,
      orgRule: normaliseRule(desired.org.models),
      projectRule: after,
      catalogue: input.catalogue ?? [],
    });
    return { changes: [...changes, ...own.changes, ...spending], refusals: [...refusals, ...own.refusals] };
  }

  const served = org.limits.map((r) => r.model);
  const orgLimits = new Map(org.limits.map((r) => [r.model, r]));
  const liveLimits = new Map((live?.limits ?? []).map((r) => [r.model, r]));
  const above = new Map<string, { wanted: number; limit: number; models: string[] }>();
  for (const model of usableModels(served, normaliseRule(desired.org.models), after)) {
    const orgLimit = orgLimits.get(model)!;
    // A new project's limits default to the organization's.
    const current = liveLimits.get(model) ?? orgLimit;
    const want = desiredRateLimit(project, orgLimit);
    const fields: FieldChange[] = [];
    const shown: LimitSet = {};
    for (const f of fieldsOf(orgLimit)) {
      const [have, wanted, ceiling] = [current.values[f] ?? orgLimit.values[f]!, want[f]!, orgLimit.values[f]!];
      shown[f] = have;
      if (have !== wanted) fields.push({ field: f, before: have, after: wanted });
      if (wanted > ceiling) {
        const entry = above.get(`${f} ${wanted} ${ceiling}`) ?? { wanted, limit: ceiling, models: [] as string[] };
        entry.models.push(model);
        above.set(`${f} ${wanted} ${ceiling}`, entry);
      }
    }
    if (fields.length === 0) continue;
    const change: RateLimitChange = {
      resource: 'project_rate_limit',
      action: 'update',
      reason: live ? 'differs' : 'new',
      ...base,
      model,
      rate_limit_id: current.id,
      before: shown,
      after: want,
      fields,
    };
    changes.push(change);
  }
  for (const [label, { wanted, limit, models }] of above) {
    const field = label.split(' ')[0]!;
    refusals.push({
      code: 'limit_above_org',
      forceable: false,
      message: `project "${project.name}": ${field} ${wanted} is above the organization's own limit of ${limit} for ${models.join(', ')} (${project.source.file}:${project.source.line}); ${org.provider === 'groq' ? 'Groq' : 'the provider'} refuses it: lower it`,
    });
  }
  changes.push(...spending);
  return { changes, refusals };
}

/** A live project that no policy names: archived when groq-rbac managed it (or `unmanaged.projects: archive`), else reported. */
export function planLeftoverProject(desired: DesiredState, live: LiveProject): { archive: ProjectChange | null; managed: boolean } {
  const managed = live.keys.some((k) => k.marks !== null);
  if (!managed && desired.org.unmanaged.projects !== 'archive') return { archive: null, managed };
  const lastUsed = live.keys.reduce<number | null>(
    (latest, k) => (k.last_used_at !== null && k.last_used_at > (latest ?? 0) ? k.last_used_at : latest),
    null,
  );
  return {
    managed,
    archive: {
      resource: 'project',
      action: 'archive',
      reason: managed ? 'removed' : 'unmanaged',
      team: null,
      project: live.name,
      project_id: live.id,
      fields: [],
      context: { key_count: live.keys.length, last_used_at: lastUsed },
    },
  };
}
