import type { AuditLog } from '../providers/groq/wire.js';
import type { GroqAdmin } from '../providers/groq/admin.js';
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
export async function readDriftAttribution(admin: GroqAdmin, plan: Plan, options: { now: number; days?: number }): Promise<DriftAttribution[]> {
  if (!plan.changes.some((c) => c.reason === 'differs')) return [];
  const logs = await admin.listAuditLogs({ effective_at_gte: options.now - (options.days ?? DEFAULT_DRIFT_DAYS) * 86_400 });
  return attributeDrift(plan.changes, logs);
}

/** Pure: for each `differs` change, the latest audit log entry that touched the same thing. */
export function attributeDrift(changes: readonly Change[], logs: readonly AuditLog[]): DriftAttribution[] {
  const out: DriftAttribution[] = [];
  changes.forEach((change, i) => {
    // A rotation is `differs` by age or trigger, not because someone changed the key.
    if (change.reason !== 'differs' || (change.resource === 'api_key' && change.action !== 'update')) return;
    let latest: AuditLog | null = null;
    for (const log of logs) if (touches(change, log) && (latest === null || log.effective_at > latest.effective_at || (log.effective_at === latest.effective_at && log.id > latest.id))) latest = log;
    if (latest) out.push({ change: i, actor: describeActor(latest.actor), effective_at: latest.effective_at, audit_log_id: latest.id, type: latest.type });
  });
  return out;
}

/** OpenAI's audit log puts an event's details under a key named as its type: `{"type": "api_key.updated", "api_key.updated": {id, …}}`. */
function detailId(log: AuditLog): string | null {
  const details = log[log.type] as { id?: unknown } | undefined;
  return typeof details?.id === 'string' ? details.id : null;
}

function touches(change: Change, log: AuditLog): boolean {
  const projectId = log.project?.id ?? null;
  switch (change.resource) {
    case 'org_model_permissions':
      return log.type.startsWith('model_permissions.') && projectId === null;
    case 'spend_limit':
      return log.type.startsWith('spend_limit.');
    case 'spend_alert':
      return log.type.startsWith('spend_alert.') && change.alert_id !== null && detailId(log) === change.alert_id;
    case 'project':
      return change.project_id !== null && log.type.startsWith('project.') && (detailId(log) ?? projectId) === change.project_id;
    case 'project_model_permissions':
      return change.project_id !== null && log.type.startsWith('model_permissions.') && projectId === change.project_id;
    case 'project_rate_limit':
      return change.project_id !== null && log.type === 'rate_limit.updated' && projectId === change.project_id && detailId(log) === change.rate_limit_id;
    case 'api_key':
      return change.key_id !== null && log.type.startsWith('api_key.') && detailId(log) === change.key_id;
  }
}

function describeActor(actor: AuditLog['actor']): string {
  if (!actor) return 'unknown';
  const user = actor.session?.user;
  if (user?.email) return user.email;
  if (user?.id) return user.id;
  if (actor.api_key?.id) return `api key ${actor.api_key.id}`;
  return actor.type;
}
