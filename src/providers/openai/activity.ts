/**
 * Usage, costs and the audit log in domain terms (docs/openai-admin-api.md, "Usage and costs",
 * "Audit logs"). Audit events are matched to what they touched by the resource id in their details
 * (`"project.archived": {"id": …}`), never by their `project`, which for admin-key actions may be
 * the default project (issue 18; not in the sources).
 */
import type { AuditEvent, CostRow, UsageRow } from '../../core/domain.js';
import type { UsageQuery } from '../../core/provider.js';
import type { OpenAiClient } from './client.js';
import type { WireAuditLog, WireCostResult, WireUsageResult } from './wire.js';

/** The most buckets one page may hold per width (SDK `usage.ts`: 1d 31, 1h 168, 1m 1440): fewest pages. */
const MAX_BUCKETS = { '1d': 31, '1h': 168, '1m': 1440 } as const;
const GROUP_TO_WIRE = { project_id: 'project_id', key_id: 'api_key_id', model: 'model' } as const;

export async function usage(client: OpenAiClient, q: UsageQuery): Promise<UsageRow[]> {
  const buckets = await client.buckets<WireUsageResult>('/organization/usage/completions', {
    start_time: q.start_time,
    end_time: q.end_time,
    bucket_width: q.bucket_width,
    limit: MAX_BUCKETS[q.bucket_width],
    api_key_ids: q.key_ids,
    project_ids: q.project_ids,
    group_by: q.group_by.map((g) => GROUP_TO_WIRE[g]),
  });
  return buckets.flatMap((b) =>
    (b.results ?? []).map((r) => ({
      start_time: b.start_time,
      end_time: b.end_time,
      project_id: r.project_id ?? null,
      key_id: r.api_key_id ?? null,
      model: r.model ?? null,
      requests: r.num_model_requests ?? 0,
      input_tokens: r.input_tokens ?? 0,
      output_tokens: r.output_tokens ?? 0,
    })),
  );
}

/** Costs have daily buckets only, up to 180 a page (SDK `usage.costs`). Amounts are USD (assumed: the only currency seen). */
export async function costs(
  client: OpenAiClient,
  q: { start_time: number; end_time: number; project_ids?: string[]; group_by: ('project_id' | 'line_item' | 'key_id')[] },
): Promise<CostRow[]> {
  const buckets = await client.buckets<WireCostResult>('/organization/costs', {
    start_time: q.start_time,
    end_time: q.end_time,
    bucket_width: '1d',
    limit: 180,
    project_ids: q.project_ids,
    group_by: q.group_by.map((g) => (g === 'key_id' ? 'api_key_id' : g)),
  });
  return buckets.flatMap((b) =>
    (b.results ?? []).map((r) => ({
      start_time: b.start_time,
      end_time: b.end_time,
      project_id: r.project_id ?? null,
      key_id: r.api_key_id ?? null,
      line_item: r.line_item ?? null,
      amount_usd: Number(r.amount?.value ?? 0),
    })),
  );
}

/**
 * `keyOfAccount`: the API key a service account holds, where a read saw it. A service account is
 * one key generation, and a plan names keys by their key's id: its `service_account.*` events (a
 * rename outside groq-rbac that changes its marks) are then that key's, matched as drift is.
 */
export async function auditEvents(
  client: OpenAiClient,
  q: { since: number },
  keyOfAccount: (accountId: string) => string | undefined = () => undefined,
): Promise<AuditEvent[]> {
  const entries = await client.list<WireAuditLog>('/organization/audit_logs', { 'effective_at[gte]': q.since });
  return entries.map((e) => {
    const event = auditEventFrom(e);
    const key = e.type.startsWith('service_account.') && event.resource.id !== null ? keyOfAccount(event.resource.id) : undefined;
    return key === undefined ? event : { ...event, resource: { ...event.resource, id: key } };
  });
}

/** OpenAI's event type → the kind of resource it touched. Service accounts are keys (one per generation). */
export function kindOfEvent(type: string): AuditEvent['resource']['kind'] {
  if (type.startsWith('api_key.') || type.startsWith('service_account.')) return 'key';
  if (type.startsWith('project.')) return 'project';
  if (type.startsWith('rate_limit.')) return 'limit';
  if (type.startsWith('tenant.billing.')) return 'spend';
  if (type.startsWith('user.') || type.startsWith('invite.')) return 'member';
  return 'other';
}

export function auditEventFrom(e: WireAuditLog): AuditEvent {
  const details = e[e.type] as { id?: unknown } | undefined;
  const id = typeof details?.id === 'string' ? details.id : null;
  const kind = kindOfEvent(e.type);
  const actor = e.actor?.api_key?.id ?? e.actor?.session?.user?.email ?? e.actor?.session?.user?.id ?? null;
  // A project event's project is its own id; for the rest `project` is what OpenAI logged (possibly the default project).
  const project = kind === 'project' ? id : (e.project?.id ?? null);
  return { id: e.id, type: e.type, resource: { kind, id, project_id: project }, actor, at: e.effective_at };
}
