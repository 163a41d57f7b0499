import type { DomainLiveState as LiveState } from '../core/domain.js';
import type { DesiredState } from '../policy/types.js';
import type { Change, Refusal } from './types.js';

// As octoDNS does: a percentage of a handful of resources says little, so below this the count limit alone applies.
export const MIN_RESOURCES_FOR_PERCENT_CHECK = 10;

// Retiring an old, quiet generation replaces a key rather than removing it: not counted. Retiring
// the generation in service in the same run as its successor (quiet_period 0s) is counted.
const isDestructive = (c: Change): boolean =>
  (c.resource === 'api_key' && c.action === 'delete' && (c.reason !== 'retired' || c.rotation?.after_rotation === true)) ||
  (c.resource === 'project' && c.action === 'archive');

/** Reasons to refuse an apply; part of the plan, so every renderer and the apply see the same verdict. */
export function checkSafety(input: {
  desired: DesiredState;
  live: LiveState;
  changes: readonly Change[];
  adminKeyRedacted: string | null;
}): Refusal[] {
  const { desired, live, changes, adminKeyRedacted } = input;
  const refusals: Refusal[] = [];
  if (live.org.id !== desired.org.id) {
    refusals.push({
      code: 'org_mismatch',
      forceable: false,
      message: `the admin key belongs to organization ${live.org.id}, but ${desired.org.file} governs ${desired.org.id}: use that organization's admin key, or correct \`org:\``,
    });
  }
  const projectsById = new Map(live.projects.map((p) => [p.id, p]));
  for (const c of changes) {
    if (c.resource === 'api_key' && c.action === 'delete') {
      // A protected key still rotates: its retired generations have a delivered successor.
      if (c.before?.protect === true && c.reason !== 'retired') {
        refusals.push({
          code: 'protected_key',
          forceable: false,
          message: `key "${c.key}" (${c.key_id}) in project "${c.project}" is protected and would be deleted: first merge a change that sets \`protect: false\` and apply it, then remove the key`,
        });
      }
      if (adminKeyRedacted && c.redacted_value === adminKeyRedacted) {
        refusals.push({
          code: 'admin_key',
          forceable: false,
          message: `key "${c.key}" (${c.key_id}, ${c.redacted_value}) looks like the admin key this run uses; deleting it would lock groq-rbac out`,
        });
      }
    }
    if (c.resource === 'project' && c.action === 'archive') {
      const keys = projectsById.get(c.project_id ?? '')?.keys ?? [];
      if (keys.some((k) => k.marks?.protect === true)) {
        refusals.push({
          code: 'protected_project',
          forceable: false,
          message: `project "${c.project}" (${c.project_id}) is protected and would be archived, which is final: first merge a change that sets \`protect: false\` and apply it, then remove the project`,
        });
      }
      if (adminKeyRedacted && keys.some((k) => k.redacted_value === adminKeyRedacted)) {
        refusals.push({
          code: 'admin_key',
          forceable: false,
          message: `project "${c.project}" holds a key that looks like the admin key this run uses; archiving it would lock groq-rbac out`,
        });
      }
    }
  }

  const destructive = changes.filter(isDestructive);
  const managedKeys = live.projects.reduce((n, p) => n + p.keys.filter((k) => k.marks !== null).length, 0);
  const managedProjects = live.projects.filter((p) => p.keys.some((k) => k.marks !== null)).length;
  const managed = managedKeys + managedProjects;
  const { maxDeletes, maxDeletePercent } = desired.org.safety;
  const what = (n: number) => `${n} delete${n === 1 ? '' : 's'} and archive${n === 1 ? '' : 's'}`;
  if (destructive.length > maxDeletes) {
    refusals.push({
      code: 'too_many_deletes',
      forceable: true,
      message: `${what(destructive.length)} ${destructive.length === 1 ? 'is' : 'are'} over safety.max_deletes ${maxDeletes}: apply with --force, or raise safety.max_deletes in ${desired.org.file} in the same pull request (admins approve)`,
    });
  }
  if (destructive.length > 0 && managed >= MIN_RESOURCES_FOR_PERCENT_CHECK) {
    const percent = (destructive.length / managed) * 100;
    if (percent > maxDeletePercent) {
      refusals.push({
        code: 'too_many_deletes',
        forceable: true,
        message: `${destructive.length} of ${managed} managed keys and projects (${percent.toFixed(1)} %) is over safety.max_delete_percent ${maxDeletePercent} %: apply with --force, or raise it in ${desired.org.file} in the same pull request (admins approve)`,
      });
    }
  }

  // What the organization serves: its own limits (Groq), else each project's (OpenAI has per-project
  // rate limits only, one per model the organization may use). An organization that tells of none
  // (OpenAI before its first project) leaves validate's model catalogue check to stand alone.
  const served = new Set([...live.limits, ...live.projects.flatMap((p) => p.limits)].map((r) => r.model));
  const missing = new Set<string>();
  for (const rule of served.size === 0 ? [] : [desired.org.models, ...desired.projects.map((p) => p.models)]) {
    if (rule?.mode === 'allow_list') for (const m of rule.models) if (!served.has(m)) missing.add(m);
  }
  for (const m of [...missing].sort()) {
    refusals.push({
      code: 'model_not_served',
      forceable: false,
      message: `model "${m}" is not served by organization ${live.org.id} (it has no rate limit for it): remove it from the policies`,
    });
  }
  return refusals;
}

/** The refusals that stop an apply: every non-forceable one, and the forceable ones without --force. */
export function blockingRefusals(refusals: readonly Refusal[], force: boolean): Refusal[] {
  return refusals.filter((r) => !r.forceable || !force);
}
