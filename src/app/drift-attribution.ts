import type { AuditEvent } from '../core/domain.js';
import type { ProviderAdmin } from '../core/provider.js';
import type { Change, Plan } from '../plan/types.js';

/** Who last changed, in the organization, a thing the plan finds different from the policies. */
export interface DriftAttribution {
  /** Index of the change in `plan.changes`. */
  change: number;
  /** The user's email or id, else `api key <id>`, else the actor type. */
  actor: string;
  /** Unix seconds. */
  effective_at: number;
  /** The audit log entry's id and type, to look it up. */
  audit_log_id: string;
  type: string;
}

export const DEFAULT_DRIFT_DAYS = 30;

/**
 * Reads the org's audit log for the last `days` and attributes the plan's `differs` changes.
 * One paged read; nothing when the plan has no drift.
 */
export async function readDriftAttribution(
  admin: ProviderAdmin,
  plan: Plan,
  options: { now: number; days?: number },
): Promise<DriftAttribution[]> {
  if (!plan.changes.some((c) => c.reason === 'differs')) return [];
  const events = await admin.auditEvents({ since: options.now - (options.days ?? DEFAULT_DRIFT_DAYS) * 86_400 });
  return attributeDrift(plan.changes, events);
}

/**
 * Pure: for each `differs` change, the latest audit event that touched the same thing, matched by
 * the thing's id (an event's `project` may be a default project: OpenAI logs admin-key actions so).
 */
export function attributeDrift(changes: readonly Change[], events: readonly AuditEvent[]): DriftAttribution[] {
  const out: DriftAttribution[] = [];
  changes.forEach((change, i) => {
    // A rotation is `differs` by age or trigger, not because someone changed the key.
    if (change.reason !== 'differs' || (change.resource === 'api_key' && change.action !== 'update')) return;
    let latest: AuditEvent | null = null;
    for (const e of events)
      if (touches(change, e) && (latest === null || e.at > latest.at || (e.at === latest.at && e.id > latest.id))) latest = e;
    if (latest)
      out.push({ change: i, actor: latest.actor ?? 'unknown', effective_at: latest.at, audit_log_id: latest.id, type: latest.type });
  });
  return out;
}

function touches(change: Change, e: AuditEvent): boolean {
  const { kind, id, project_id } = e.resource;
  switch (change.resource) {
    case 'org_model_permissions':
      return kind === 'permissions' && project_id === null;
    case 'spend_limit':
      return kind === 'spend' && id === null;
    case 'spend_alert':
      return kind === 'spend' && change.alert_id !== null && id === change.alert_id;
    case 'project_spend_limit':
      return change.project_id !== null && kind === 'spend' && id === null && project_id === change.project_id;
    case 'project_spend_alert':
      return change.project_id !== null && kind === 'spend' && change.alert_id !== null && id === change.alert_id;
    case 'project':
      return change.project_id !== null && kind === 'project' && id === change.project_id;
    case 'project_model_permissions':
      return change.project_id !== null && kind === 'permissions' && project_id === change.project_id;
    case 'project_rate_limit':
      return change.project_id !== null && kind === 'limit' && project_id === change.project_id && id === change.rate_limit_id;
    case 'api_key':
      return change.key_id !== null && kind === 'key' && id === change.key_id;
  }
}
