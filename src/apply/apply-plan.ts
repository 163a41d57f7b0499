import { mapLimit } from '../core/concurrency.js';
import type { CreatedKey, ProviderAdmin } from '../core/provider.js';
import type { Change, KeyChange, MemberPlanChange, Plan } from '../plan/types.js';
import { applyChange, type ProjectIds } from './apply-change.js';
import { applyMemberChanges } from './apply-members.js';

export interface ChangeOutcome {
  /** A change's resource, or a member change's (issue 20: `member`, `invite`, `project_member`). */
  resource: Change['resource'] | MemberPlanChange['resource'];
  action: Change['action'];
  project: string | null;
  key: string | null;
  /** The id of what was changed or created (key, project, alert), when there is one. */
  id: string | null;
  status: 'applied' | 'failed' | 'skipped';
  message: string;
  error?: { name: string; message: string; status?: number; code?: string | null };
}

export interface ApplyReport {
  format_version: 2;
  org: string;
  fingerprint: string;
  outcomes: ChangeOutcome[];
  summary: { applied: number; failed: number; skipped: number };
}

export interface ApplyOptions {
  concurrency?: number;
  /** Called as each change finishes, for progress output. */
  onOutcome?: (outcome: ChangeOutcome) => void;
  /**
   * Delivers a new key generation while its value is in hand, after it was verified and before it
   * is marked delivered. A throw fails the change; a `DeliveryIncomplete` that wrote nothing also
   * discards the new key (unless a replaying run claimed it: apply-change.ts). A generation with no
   * delivery target is neither verified nor marked afterwards (its create carries the mark): it is
   * still handed over, right after the create, so that its value can be masked.
   */
  deliver?: (change: KeyChange, created: CreatedKey, projectId: string, checkDeadline: () => void) => Promise<void>;
}

/**
 * Executes a plan in phases: organization settings; project creates; each project's permissions,
 * limits, spending and key creates/updates; then key deletes; archives; then the members section's changes
 * (apply-members.ts). Within a phase changes run
 * concurrently up to a bound. A failing change does not stop the others (but a project that could
 * not be created skips its own changes); every change reports its outcome, and a re-run, which
 * plans again from the live org, finishes what is left.
 */
export async function applyPlan(plan: Plan, admin: ProviderAdmin, options: ApplyOptions = {}): Promise<ApplyReport> {
  const concurrency = options.concurrency ?? 8;
  const projectIds: ProjectIds = new Map();
  for (const c of plan.changes) if ('project_id' in c && c.project_id) projectIds.set(c.project, c.project_id);
  const failedProjects = new Set<string>();
  // Keys whose new generation this run delivered and marked: only those retire their predecessor now.
  const deliveredKeys = new Set<string>();

  const run = async (change: Change): Promise<ChangeOutcome> => {
    const project = 'project' in change ? change.project : null;
    const base = { resource: change.resource, action: change.action, project, key: change.resource === 'api_key' ? change.key : null };
    let outcome: ChangeOutcome;
    if (project !== null && failedProjects.has(project) && !(change.resource === 'project' && change.action === 'create')) {
      outcome = { ...base, id: null, status: 'skipped', message: `skipped: project "${project}" could not be created` };
    } else if (change.resource === 'api_key' && change.rotation?.after_rotation && !deliveredKeys.has(`${change.project}/${change.key}`)) {
      outcome = { ...base, id: change.key_id, status: 'skipped', message: `kept ${change.key_id}: its successor was not delivered` };
    } else {
      try {
        const { message, id, delivered } = await applyChange(plan.org, change, admin, projectIds, options);
        if (delivered && change.resource === 'api_key') deliveredKeys.add(`${change.project}/${change.key}`);
        outcome = { ...base, id, status: 'applied', message };
      } catch (error) {
        if (change.resource === 'project' && change.action === 'create') failedProjects.add(change.project);
        const e = error as Error & { status?: number; code?: string | null };
        outcome = {
          ...base,
          id: null,
          status: 'failed',
          message: e.message,
          error: { name: e.name, message: e.message, ...(typeof e.status === 'number' ? { status: e.status, code: e.code ?? null } : {}) },
        };
      }
    }
    options.onOutcome?.(outcome);
    return outcome;
  };

  const outcomes: ChangeOutcome[] = [];
  for (const phase of phases(plan.changes)) outcomes.push(...(await mapLimit(phase, concurrency, run)));
  // People last (apply-members.ts): a project this apply created has its id by now.
  outcomes.push(
    ...(await applyMemberChanges(plan, {
      org: plan.org,
      admin,
      projectIds,
      failedProjects,
      concurrency,
      ...(options.onOutcome ? { onOutcome: options.onOutcome } : {}),
    })),
  );
  const count = (s: ChangeOutcome['status']) => outcomes.filter((o) => o.status === s).length;
  return {
    format_version: 2,
    org: plan.org,
    fingerprint: plan.fingerprint,
    outcomes,
    summary: { applied: count('applied'), failed: count('failed'), skipped: count('skipped') },
  };
}

/** Organization first (a project may only narrow what the org allows), deletes and archives last. */
function phases(changes: readonly Change[]): Change[][] {
  const org: Change[] = [];
  const creates: Change[] = [];
  const settings: Change[] = [];
  const deletes: Change[] = [];
  const archives: Change[] = [];
  for (const c of changes) {
    if (c.resource === 'org_model_permissions' || c.resource === 'spend_limit' || c.resource === 'spend_alert') org.push(c);
    else if (c.resource === 'project') (c.action === 'create' ? creates : archives).push(c);
    else if (c.resource === 'api_key' && c.action === 'delete') deletes.push(c);
    else settings.push(c);
  }
  return [org, creates, settings, deletes, archives].filter((p) => p.length > 0);
}
