import type { RateLimit, RateLimitValues } from '../providers/groq/wire.js';
import type { LiveProject, LiveState } from '../providers/groq/live-state.js';
import { LIMIT_FIELDS } from '../core/limits.js';
import { LIMIT_TO_CONTRACT, METADATA } from '../providers/groq/metadata.js';
import type { DesiredProject, DesiredState } from '../policy/types.js';
import { normaliseRule, ruleFromPermissions, sameRule, usableModels } from './model-rules.js';
import { ruleFields } from './plan-org.js';
import type { Change, FieldChange, ProjectChange, RateLimitChange, Refusal } from './types.js';

/** What a project's limits should be for one model: its entry, else its default, else the organization's own. */
export function desiredRateLimit(project: DesiredProject, org: RateLimit): RateLimitValues {
  const values = {} as RateLimitValues;
  for (const f of LIMIT_FIELDS) {
    const c = LIMIT_TO_CONTRACT[f];
    values[c] = project.limits.models[org.model]?.[f] ?? project.limits.default[f] ?? org[c];
  }
  return values;
}

/** Permissions and per-model limits of one project (new or live). */
export function planProjectSettings(input: { desired: DesiredState; project: DesiredProject; live: LiveProject | null; org: LiveState }): { changes: Change[]; refusals: Refusal[] } {
  const { desired, project, live, org } = input;
  const changes: Change[] = [];
  const refusals: Refusal[] = [];
  const base = { project: project.name, project_id: live?.project.id ?? null, team: project.team } as const;

  const before = live ? ruleFromPermissions(live.permissions) : null;
  const after = normaliseRule(project.models);
  if (!sameRule(before, after)) {
    changes.push({ resource: 'project_model_permissions', action: 'update', reason: live ? 'differs' : 'new', ...base, before, after, fields: ruleFields(before, after) });
  }

  const served = org.rateLimits.map((r) => r.model);
  const liveLimits = new Map((live?.rateLimits ?? []).map((r) => [r.model, r]));
  const above = new Map<string, { wanted: number; limit: number; models: string[] }>();
  for (const model of usableModels(served, normaliseRule(desired.org.models), after)) {
    const orgLimit = org.rateLimits.find((r) => r.model === model)!;
    // A new project's limits default to the organization's.
    const current = liveLimits.get(model) ?? orgLimit;
    const want = desiredRateLimit(project, orgLimit);
    const fields: FieldChange[] = [];
    for (const f of LIMIT_FIELDS) {
      const c = LIMIT_TO_CONTRACT[f];
      if (current[c] !== want[c]) fields.push({ field: f, before: current[c], after: want[c] });
      if (want[c] > orgLimit[c]) {
        const entry = above.get(`${f} ${want[c]} ${orgLimit[c]}`) ?? { wanted: want[c], limit: orgLimit[c], models: [] };
        entry.models.push(model);
        above.set(`${f} ${want[c]} ${orgLimit[c]}`, entry);
      }
    }
    if (fields.length === 0) continue;
    const change: RateLimitChange = { resource: 'project_rate_limit', action: 'update', reason: live ? 'differs' : 'new', ...base, model, rate_limit_id: current.id.startsWith('rl-') ? current.id : `rl-${model}`, before: pick(current), after: want, fields };
    changes.push(change);
  }
  for (const [label, { wanted, limit, models }] of above) {
    const field = label.split(' ')[0]!;
    refusals.push({
      code: 'limit_above_org', forceable: false,
      message: `project "${project.name}": ${field} ${wanted} is above the organization's own limit of ${limit} for ${models.join(', ')} (${project.source.file}:${project.source.line}); Groq refuses it: lower it`,
    });
  }
  return { changes, refusals };
}

const pick = (v: RateLimit): RateLimitValues => ({ max_requests_per_1_minute: v.max_requests_per_1_minute, max_tokens_per_1_minute: v.max_tokens_per_1_minute, max_requests_per_1_day: v.max_requests_per_1_day, max_tokens_per_1_day: v.max_tokens_per_1_day });

/** A live project that no policy names: archived when groq-rbac managed it (or `unmanaged.projects: archive`), else reported. */
export function planLeftoverProject(desired: DesiredState, live: LiveProject): { archive: ProjectChange | null; managed: boolean } {
  const managed = live.keys.some((k) => k.metadata[METADATA.key] !== undefined);
  if (!managed && desired.org.unmanaged.projects !== 'archive') return { archive: null, managed };
  const lastUsed = live.keys.reduce<number | null>((latest, k) => (k.last_used_at !== null && k.last_used_at > (latest ?? 0) ? k.last_used_at : latest), null);
  return {
    managed,
    archive: {
      resource: 'project', action: 'archive', reason: managed ? 'removed' : 'unmanaged', team: null, project: live.project.name, project_id: live.project.id,
      fields: [], context: { key_count: live.keys.length, last_used_at: lastUsed },
    },
  };
}
