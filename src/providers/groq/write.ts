/**
 * Groq's write module: the provider port (core/provider.ts) over the contract v2 client. Domain
 * changes become calls here: marks into key metadata, an identity into the Idempotency-Key, dollars
 * into cents, rules into permission bodies; and Groq's own recovery (replayed creates whose thing
 * is gone since, `409 idempotency_key_reused`) stays here, behind neutral error kinds.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../core/canonical-json.js';
import type {
  AuditEvent,
  CostRow,
  DomainLimitSet,
  DomainLiveState,
  DomainModelRule,
  LiveKey,
  LiveLimit,
  LiveSpending,
  UsageRow,
} from '../../core/domain.js';
import { isNotFound, ProviderError } from '../../core/errors.js';
import { usdToCents } from '../../core/money.js';
import type { LiveMembers } from '../../core/members.js';
import type {
  Capabilities,
  CreatedKey,
  InviteInput,
  KeyMarksWrite,
  KeyRef,
  ProviderAdmin,
  SpendScope,
  UsageQuery,
} from '../../core/provider.js';
import type { GroqAdmin } from './admin.js';
import { GROQ_CAPABILITIES } from './capabilities.js';
import { GroqApiError } from './errors.js';
import { addProjectUser, readGroqMembers, sendInvite } from './members.js';
import { encodeMarkUpdate, encodeNewMarks, LIMIT_TO_CONTRACT } from './metadata.js';
import { decodeKey, decodeLimit, decodeSpending, readLiveState } from './read.js';
import type { AuditLog, BucketWidth, ModelPermissionsInput, RateLimitValues, SpendAlertInput } from './wire.js';

/** The contract's largest usage and costs pages (buckets per page): `limit` in docs/groq-admin-api.md. */
const MAX_BUCKETS_PER_PAGE: Record<BucketWidth, number> = { '1m': 1440, '1h': 168, '1d': 31 };
const MAX_COST_DAYS_PER_PAGE = 180;
const WIDTH_SECONDS: Record<BucketWidth, number> = { '1m': 60, '1h': 3600, '1d': 86_400 };

export class GroqProvider implements ProviderAdmin {
  readonly provider = 'groq';
  readonly capabilities: Capabilities = GROQ_CAPABILITIES;

  constructor(
    /** The contract's client (GroqClient), or a test's fake of it. */
    readonly admin: GroqAdmin & { close?(): Promise<void> },
  ) {}

  readLiveState(
    options: { concurrency?: number; onObserved?: (now: number) => void; keyNames?: readonly string[] } = {},
  ): Promise<DomainLiveState> {
    const { onObserved, ...rest } = options;
    return readLiveState(onObserved ? watchFirstAnswer(this.admin, onObserved) : this.admin, rest);
  }

  async setOrgPermissions(rule: DomainModelRule | null): Promise<void> {
    if (rule === null) await this.admin.deleteOrgModelPermissions();
    else await this.admin.setOrgModelPermissions(permissionsInput(rule));
  }

  async listProjects(): Promise<{ id: string; name: string; created_at: number }[]> {
    return (await this.admin.listProjects()).map((p) => ({ id: p.id, name: p.name, created_at: p.created_at }));
  }

  async createProject(name: string, identity: string): Promise<{ id: string; replayed: boolean }> {
    let created = await this.admin.createProject({ name }, identity);
    // A replay is the first answer to this key, up to 24 h old: that project may have been archived since.
    if (created.replayed) {
      // As for keys: a single 404 is no proof it is gone (a spurious one would make a second project),
      // so the project list, archived ones included, must agree.
      const current = await this.admin.getProject(created.value.id).catch(async (e: unknown) => {
        if (!isNotFound(e)) throw e;
        return (await this.admin.listProjects({ includeArchived: true })).find((p) => p.id === created.value.id) ?? null;
      });
      if (!current || current.status === 'archived')
        created = await this.admin.createProject({ name }, `${identity}-after-${created.value.id}`);
    }
    return { id: created.value.id, replayed: created.replayed };
  }

  async archiveProject(projectId: string): Promise<void> {
    await this.admin.archiveProject(projectId);
  }

  async setProjectPermissions(projectId: string, rule: DomainModelRule | null): Promise<void> {
    if (rule === null) await this.admin.deleteProjectModelPermissions(projectId);
    else await this.admin.setProjectModelPermissions(projectId, permissionsInput(rule));
  }

  async setProjectLimits(projectId: string, limit: { id: string; model: string }, values: DomainLimitSet): Promise<void> {
    const body: Partial<RateLimitValues> = {};
    for (const [f, v] of Object.entries(values)) {
      const wire = LIMIT_TO_CONTRACT[f as keyof typeof LIMIT_TO_CONTRACT];
      if (!wire)
        throw new ProviderError({
          kind: 'invalid',
          status: 400,
          code: 'unsupported_limit_field',
          message: `Groq has no ${f} limit (contract v2 has requests and tokens per minute and per day)`,
        });
      if (v !== undefined) body[wire] = v;
    }
    await this.admin.updateProjectRateLimit(projectId, limit.id.startsWith('rl-') ? limit.id : `rl-${limit.model}`, body);
  }

  async listProjectLimits(projectId: string): Promise<LiveLimit[]> {
    return (await this.admin.listProjectRateLimits(projectId)).map(decodeLimit);
  }

  async listKeys(projectId: string): Promise<LiveKey[]> {
    return (await this.admin.listProjectKeys(projectId)).map(decodeKey);
  }

  async getKey(projectId: string, keyId: string): Promise<LiveKey | null> {
    try {
      return decodeKey(await this.admin.getProjectKey(projectId, keyId));
    } catch (error) {
      // A single 404 is no proof (a spurious one would make a duplicate): the key list must agree.
      if (!isNotFound(error)) throw error;
      return (await this.listKeys(projectId)).find((k) => k.id === keyId) ?? null;
    }
  }

  /**
   * One create with the identity as its Idempotency-Key (a retried or concurrent create returns the
   * first key instead of a second). A replay is checked: its key may have been deleted since, and a
   * replay of a create under a derived key is another run's too (it may be delivering it). A reused
   * key with another body (`idempotency_key_reused`) is another run of another policy version that
   * made this generation first: a `conflict` naming its key; where no such key is left (deleted
   * outside groq-rbac), a key derived from this body is this body's own, and a retry with it replays.
   */
  async createKey(projectId: string, input: { name: string; marks: KeyMarksWrite }, identity: string): Promise<CreatedKey> {
    const body = { name: input.name, metadata: encodeNewMarks(input.marks) };
    const attempt = async (key: string, retried: boolean): Promise<CreatedKey> => {
      try {
        const created = await this.admin.createProjectKey(projectId, body, key);
        const made = (replayed: boolean, value: typeof created.value): CreatedKey => ({
          key: decodeKey(value),
          value: value.value,
          replayed,
        });
        if (!created.replayed) return made(false, created.value);
        if ((await this.getKey(projectId, created.value.id)) !== null) return made(true, created.value);
        const again = await this.admin.createProjectKey(projectId, body, `${key}-after-${created.value.id}`);
        return made(again.replayed, again.value);
      } catch (error) {
        if (!(error instanceof GroqApiError && error.code === 'idempotency_key_reused')) throw error;
        const theirs = (await this.listKeys(projectId)).find(
          (k) => k.marks?.key === input.marks.key && k.marks.generation === input.marks.generation,
        );
        if (theirs)
          throw new ProviderError(
            { kind: 'conflict', status: 409, code: error.code, message: error.message, existingId: theirs.id },
            { cause: error },
          );
        if (retried) throw error;
        return attempt(`${key}-${createHash('sha256').update(canonicalJson(body)).digest('hex').slice(0, 16)}`, true);
      }
    };
    return attempt(identity, false);
  }

  // Metadata is merged and `null` removes an entry: the same body twice gives the same key.
  async updateMarks(projectId: string, key: KeyRef, marks: Partial<KeyMarksWrite>, name?: string): Promise<LiveKey> {
    const metadata = encodeMarkUpdate(marks);
    const patch = { ...(name !== undefined ? { name } : {}), ...(Object.keys(metadata).length > 0 ? { metadata } : {}) };
    return decodeKey(await this.admin.updateProjectKey(projectId, key.id, patch));
  }

  async deleteKey(projectId: string, key: KeyRef): Promise<void> {
    await this.admin.deleteProjectKey(projectId, key.id);
  }

  async readSpending(scope: SpendScope): Promise<LiveSpending> {
    orgOnly(scope);
    const [limit, alerts] = await Promise.all([this.admin.getSpendLimit(), this.admin.listSpendAlerts()]);
    return decodeSpending(limit, alerts);
  }

  async setSpendLimit(scope: SpendScope, usd: number | null): Promise<void> {
    orgOnly(scope);
    if (usd === null) await this.admin.deleteSpendLimit();
    else await this.admin.setSpendLimit(usdToCents(usd));
  }

  async createSpendAlert(
    scope: SpendScope,
    alert: { threshold_usd: number; recipients: string[] },
    identity: string,
  ): Promise<{ id: string; replaced?: boolean }> {
    orgOnly(scope);
    const input = alertInput(alert);
    try {
      return { id: (await this.admin.createSpendAlert(input, identity)).value.id };
    } catch (error) {
      // Same key, other recipients: another apply, of another policy version, made this alert first. Ours wins.
      if (!(error instanceof GroqApiError && error.code === 'idempotency_key_reused')) throw error;
      const theirs = (await this.admin.listSpendAlerts()).find((a) => a.threshold_amount === input.threshold_amount);
      if (!theirs) throw error;
      await this.admin.updateSpendAlert(theirs.id, input);
      return { id: theirs.id, replaced: true };
    }
  }

  async updateSpendAlert(scope: SpendScope, id: string, alert: { threshold_usd: number; recipients: string[] }): Promise<void> {
    orgOnly(scope);
    await this.admin.updateSpendAlert(id, alertInput(alert));
  }

  async deleteSpendAlert(scope: SpendScope, id: string): Promise<void> {
    orgOnly(scope);
    await this.admin.deleteSpendAlert(id);
  }

  /** Every page, each as large as the range needs (up to the contract's largest): the fewest requests. */
  async usage(query: UsageQuery): Promise<UsageRow[]> {
    const limit = Math.min(
      MAX_BUCKETS_PER_PAGE[query.bucket_width],
      bucketsIn(query.start_time, query.end_time, WIDTH_SECONDS[query.bucket_width]),
    );
    const buckets = await this.admin.listCompletionsUsage({
      start_time: query.start_time,
      end_time: query.end_time,
      bucket_width: query.bucket_width,
      limit,
      ...(query.key_ids ? { api_key_ids: query.key_ids } : {}),
      ...(query.project_ids ? { project_ids: query.project_ids } : {}),
      group_by: query.group_by.map((g) => (g === 'key_id' ? 'api_key_id' : g)),
    });
    const rows: UsageRow[] = [];
    for (const b of buckets) {
      for (const r of b.results) {
        rows.push({
          start_time: b.start_time,
          end_time: b.end_time,
          project_id: r.project_id,
          key_id: r.api_key_id,
          model: r.model,
          requests: r.num_model_requests,
          input_tokens: r.input_tokens,
          output_tokens: r.output_tokens,
        });
      }
    }
    return rows;
  }

  /** Contract v2 groups costs by project and line item (not by key): a `key_id` grouping is left out. */
  async costs(query: {
    start_time: number;
    end_time: number;
    project_ids?: string[];
    group_by: ('project_id' | 'line_item' | 'key_id')[];
  }): Promise<CostRow[]> {
    const limit = Math.min(MAX_COST_DAYS_PER_PAGE, bucketsIn(query.start_time, query.end_time, 86_400));
    const group_by = query.group_by.filter((g): g is 'project_id' | 'line_item' => g !== 'key_id');
    const buckets = await this.admin.listCosts({
      start_time: query.start_time,
      end_time: query.end_time,
      limit,
      ...(query.project_ids ? { project_ids: query.project_ids } : {}),
      ...(group_by.length ? { group_by } : {}),
    });
    const rows: CostRow[] = [];
    for (const b of buckets)
      for (const r of b.results)
        rows.push({
          start_time: b.start_time,
          end_time: b.end_time,
          project_id: r.project_id,
          key_id: null,
          line_item: r.line_item,
          amount_usd: r.amount.value,
        });
    return rows;
  }

  async auditEvents(query: { since: number }): Promise<AuditEvent[]> {
    return (await this.admin.listAuditLogs({ effective_at_gte: query.since })).map(auditEvent);
  }

  // --- Members (contract v2.1; members.ts).
  readMembers(options: { projectIds: readonly string[]; concurrency?: number }): Promise<LiveMembers> {
    return readGroqMembers(this.admin, options);
  }

  invite(input: InviteInput, identity: string): Promise<{ id: string }> {
    return sendInvite(this.admin, input, identity);
  }

  async cancelInvite(inviteId: string): Promise<void> {
    await this.admin.deleteInvite(inviteId);
  }

  async setMemberRole(userId: string, role: string): Promise<void> {
    await this.admin.updateUser(userId, role);
  }

  async removeMember(userId: string): Promise<void> {
    await this.admin.deleteUser(userId);
  }

  addProjectMember(projectId: string, userId: string, role: string): Promise<void> {
    return addProjectUser(this.admin, projectId, userId, role);
  }

  async setProjectMemberRole(projectId: string, userId: string, role: string): Promise<void> {
    await this.admin.updateProjectUser(projectId, userId, role);
  }

  async removeProjectMember(projectId: string, userId: string): Promise<void> {
    await this.admin.deleteProjectUser(projectId, userId);
  }

  /** `GET /openai/v1/models` with the new key: the cheapest authenticated call. */
  async verifyKey(value: string): Promise<void> {
    await this.admin.listModels(value);
  }

  observedNow(): number | null {
    return this.admin.observedNow();
  }

  async close(): Promise<void> {
    await this.admin.close?.();
  }
}

/** The body that sets a rule; `null` is a DELETE, not a body. */
export function permissionsInput(rule: DomainModelRule): ModelPermissionsInput {
  return { mode: rule.mode, model_ids: [...rule.models] };
}

const alertInput = (alert: { threshold_usd: number; recipients: string[] }): SpendAlertInput => ({
  threshold_amount: usdToCents(alert.threshold_usd),
  currency: 'USD',
  interval: 'month',
  notification_channel: { type: 'email', recipients: alert.recipients },
});

/** Contract v2 has the organization's spend limit and alerts only (capabilities: no project spending). */
function orgOnly(scope: SpendScope): void {
  if (scope.project_id !== undefined)
    throw new ProviderError({
      kind: 'invalid',
      status: 400,
      code: 'unsupported',
      message: 'Groq has no spend limits or alerts per project (contract v2): set spending in org.yaml',
    });
}

/** Buckets of `width` seconds a range touches, counted from the bucket its start falls in. */
const bucketsIn = (start: number, end: number, width: number) => Math.max(1, Math.ceil((end - (start - (start % width))) / width));

/** OpenAI's audit log puts an event's details under a key named as its type: `{"type": "api_key.updated", "api_key.updated": {id, …}}`. */
function detailId(log: AuditLog): string | null {
  const details = log[log.type] as { id?: unknown } | undefined;
  return typeof details?.id === 'string' ? details.id : null;
}

/** An audit-log entry as what it touched, by the thing's id (contract v2 logs OpenAI's event types). */
export function auditEvent(log: AuditLog): AuditEvent {
  const project_id = log.project?.id ?? null;
  const t = log.type;
  const resource: AuditEvent['resource'] = t.startsWith('model_permissions.')
    ? { kind: 'permissions', id: null, project_id }
    : t.startsWith('spend_limit.')
      ? { kind: 'spend', id: null, project_id }
      : t.startsWith('spend_alert.')
        ? { kind: 'spend', id: detailId(log), project_id }
        : t.startsWith('project.')
          ? { kind: 'project', id: detailId(log) ?? project_id, project_id }
          : t === 'rate_limit.updated'
            ? { kind: 'limit', id: detailId(log), project_id }
            : t.startsWith('api_key.')
              ? { kind: 'key', id: detailId(log), project_id }
              : { kind: 'other', id: detailId(log), project_id };
  return { id: log.id, type: t, resource, actor: describeActor(log.actor), at: log.effective_at };
}

function describeActor(actor: AuditLog['actor']): string {
  if (!actor) return 'unknown';
  const user = actor.session?.user;
  if (user?.email) return user.email;
  if (user?.id) return user.id;
  if (actor.api_key?.id) return `api key ${actor.api_key.id}`;
  return actor.type;
}

/** The same admin, calling `seen` with the organization's clock once any of its calls has an answer (an error's too). */
function watchFirstAnswer(admin: GroqAdmin, seen: (now: number) => void): GroqAdmin {
  let called = false;
  const once = () => {
    if (called) return;
    called = true;
    seen(admin.observedNow() ?? Math.floor(Date.now() / 1000));
  };
  return new Proxy(admin, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result: unknown = value.apply(target, args);
        if (result instanceof Promise) result.then(once, once);
        return result;
      };
    },
  });
}
