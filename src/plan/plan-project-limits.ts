/**
 * Rate limits on a provider whose organization has none of its own (OpenAI): each project has a
 * rate limit per model the organization may use, made with the project, and update only (no create,
 * no delete, no reset: docs/openai-admin-api.md, "Project rate limits"). So the project's live limits
 * are both what there is to compare and the only place a value can go:
 * - a field the policy sets (the model's entry, else `default`) is compared with the live value;
 *   a field nobody sets stays as the project has it (there is no organization limit to return to);
 * - `default` applies to the fields each model's limit has; a field the policy names for one model
 *   that its limit lacks, or a model it names that the project has no limit for, cannot be set:
 *   a refusal at its place in the policies (only the live state can tell; `validate` cannot);
 * - a project this plan creates has no limits yet: its changes carry `rate_limit_id: null` and the
 *   policy's values, and apply reads the new project's limits after the create, then updates them.
 */
import { PROVIDER_TITLES, type ProviderName } from '../core/capabilities.js';
import { DOMAIN_LIMIT_FIELDS, type DomainLiveProject as LiveProject, type LiveLimit } from '../core/domain.js';
import type { LimitField, LimitSet } from '../core/limits.js';
import type { DesiredProject, ModelRule, SourceRef } from '../policy/types.js';
import { usableModels } from './model-rules.js';
import type { FieldChange, RateLimitChange, Refusal } from './types.js';

export interface OwnLimitsInput {
  project: DesiredProject;
  live: LiveProject | null;
  provider: string;
  /** The organization's rule (its `models`, a ceiling) and the project's rule as applied. */
  orgRule: ModelRule | null;
  projectRule: ModelRule | null;
  /** The models the provider serves (its catalogue): a new project's limits are planned for these. */
  catalogue: readonly string[];
}

const at = (s: SourceRef | undefined, fallback: SourceRef) => {
  const r = s ?? fallback;
  return `${r.file}:${r.line}:${r.column}`;
};

/** What the policy sets for one model: its entry's fields over `default`'s. */
function wanted(project: DesiredProject, model: string): LimitSet {
  return { ...project.limits.default, ...project.limits.models[model] };
}

export function planOwnLimits(input: OwnLimitsInput): { changes: RateLimitChange[]; refusals: Refusal[] } {
  const { project, live } = input;
  const base = {
    resource: 'project_rate_limit',
    action: 'update',
    project: project.name,
    project_id: live?.id ?? null,
    team: project.team,
  } as const;
  const changes: RateLimitChange[] = [];
  const refusals: Refusal[] = [];

  if (!live) {
    for (const model of usableModels([...input.catalogue].sort(), input.orgRule, input.projectRule)) {
      const after = wanted(project, model);
      const fields: FieldChange[] = DOMAIN_LIMIT_FIELDS.filter((f) => after[f] !== undefined).map((f) => ({
        field: f,
        before: null,
        after: after[f],
      }));
      if (fields.length === 0) continue;
      const named = Object.keys(project.limits.models[model] ?? {}).sort();
      changes.push({
        ...base,
        reason: 'new',
        model,
        rate_limit_id: null,
        before: {},
        after,
        fields,
        ...(named.length > 0 ? { named_fields: named } : {}),
      });
    }
    return { changes, refusals };
  }

  const title = PROVIDER_TITLES[input.provider as ProviderName] ?? input.provider;
  const byModel = new Map<string, LiveLimit>(live.limits.map((l) => [l.model, l]));
  const usable = usableModels([...byModel.keys()].sort(), input.orgRule, input.projectRule);
  for (const model of usable) {
    const limit = byModel.get(model)!;
    const has = DOMAIN_LIMIT_FIELDS.filter((f) => limit.values[f] !== undefined);
    const want = wanted(project, model);
    const before: LimitSet = {};
    const after: LimitSet = {};
    const fields: FieldChange[] = [];
    for (const f of has) {
      const [have, next] = [limit.values[f]!, want[f] ?? limit.values[f]!];
      before[f] = have;
      after[f] = next;
      if (have !== next) fields.push({ field: f, before: have, after: next });
    }
    for (const f of Object.keys(project.limits.models[model] ?? {}) as LimitField[]) {
      if (has.includes(f)) continue;
      const where = at(project.limitSources?.[model]?.fields[f], project.source);
      refusals.push({
        code: 'limit_not_in_project',
        forceable: false,
        message: `project "${project.name}": ${title}'s rate limit for ${model} has no ${f} (${where}): ${title} has it only for the models it applies to; remove it`,
      });
    }
    if (fields.length > 0) changes.push({ ...base, reason: 'differs', model, rate_limit_id: limit.id, before, after, fields });
  }
  // A model the policy names, may use, and that has no limit in the project: nothing to update.
  const named = Object.keys(project.limits.models).filter(
    (m) => !byModel.has(m) && usableModels([m], input.orgRule, input.projectRule).length > 0,
  );
  for (const model of named.sort()) {
    refusals.push({
      code: 'limit_not_in_project',
      forceable: false,
      message: `project "${project.name}" (${live.id}) has no rate limit for ${model} (${at(project.limitSources?.[model]?.entry, project.source)}): ${title}'s rate limits can be updated, not created, and exist only for the models the organization may use; remove the entry, or have the model enabled for the organization first`,
    });
  }
  return { changes, refusals };
}
