import { createHash } from 'node:crypto';
import {
  type AuditLog,
  type ModelPermissions,
  type ModelPermissionsInput,
  type Organization,
  type Project,
  type ProjectApiKey,
  type RateLimit,
  type RateLimitValues,
} from '../providers/groq/wire.js';
import { defaultCatalogue, type ModelCatalogue } from '../core/models.js';
import { redactKeyValue } from '../core/redact.js';
import { ADMIN_ACTOR, AuditTrail } from './audit.js';
import { Billing } from './billing.js';
import { SandboxError, invalid, notFound } from './errors.js';
import { IdempotencyTable } from './idempotency.js';
import { GROQ_MEMBER_RULES, MemberStore, type MemberRules } from './members.js';
import { newKeyValue, sortableId } from './ids.js';
import { paginate, type ListPage } from './pagination.js';
import { ORG_DEFAULT_LIMITS } from './rate-limits.js';
import { ServiceAccountStore } from './openai/service-accounts.js';
import { emptySnapshot, type Delta, type OrgSnapshot, type StoredKey, type StoredLimits, type StoredProject } from './snapshot.js';
import { UsageLedger } from './usage.js';
import {
  checkMetadataSize,
  validateKeyBody,
  validatePermissionsBody,
  validateProjectBody,
  validateRateLimitBody,
} from './validate-body.js';

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const RATE_LIMIT_PREFIX = 'rl-';

export interface OrgStateOptions {
  orgId?: string;
  orgName?: string;
  catalogue?: ModelCatalogue;
  /** How long `last_used_at` lags traffic. */
  usageLagSeconds?: number;
  /** How long month-to-date spend lags traffic (Groq: 10–15 minutes). */
  spendLagSeconds?: number;
  snapshot?: OrgSnapshot;
  /** A new key's value (default: Groq's `gsk_…`; the OpenAI sandbox makes `sk-svcacct-…`). */
  keyValue?: () => string;
  /** A key's `redacted_value` from its value (default: Groq's). */
  redactValue?: (value: string) => string;
  /** The organization's limits per model where none are set (default: ORG_DEFAULT_LIMITS). */
  defaultLimits?: RateLimitValues;
  /** The first owner's e-mail, whose the admin key is: seeded when the organization has no members. None: no members. */
  owner?: string;
  /** The provider's member roles (default: Groq's). */
  memberRules?: MemberRules;
}

/**
 * The stand-in organization's data and its admin operations: projects, keys, model permissions, rate
 * limits, and (through `billing`) spend. Inference reads it through `src/sandbox/inference.ts`.
 * Every change is told to `onChange` as an absolute delta, for the journal.
 */
export class OrgState {
  readonly catalogue: ModelCatalogue;
  /** Served models (those with a rate limit), sorted by id. */
  readonly models: string[];
  usageLagSeconds: number;
  spendLagSeconds: number;
  onChange: ((delta: Delta) => void) | null = null;

  private data!: OrgSnapshot;
  private projects!: StoredProject[];
  private activeProjects!: StoredProject[];
  private projectsById!: Map<string, StoredProject>;
  private keysById!: Map<string, StoredKey>;
  private keysByHash!: Map<string, StoredKey>;
  private keysByProject!: Map<string, StoredKey[]>;
  private permissionSets = new WeakMap<ModelPermissionsInput, Set<string>>();
  idempotency!: IdempotencyTable;
  usage!: UsageLedger;
  audit!: AuditTrail;
  billing!: Billing;
  serviceAccounts!: ServiceAccountStore;
  members!: MemberStore;
  private readonly owner: string | undefined;
  private readonly memberRules: MemberRules;
  private readonly keyValue: () => string;
  private readonly redactValue: (value: string) => string;
  private readonly defaultLimits: RateLimitValues;

  constructor(options: OrgStateOptions = {}) {
    this.catalogue = options.catalogue ?? defaultCatalogue;
    this.models = this.catalogue.live.map((m) => m.id).sort();
    this.usageLagSeconds = options.usageLagSeconds ?? 0;
    this.spendLagSeconds = options.spendLagSeconds ?? 0;
    this.keyValue = options.keyValue ?? newKeyValue;
    this.redactValue = options.redactValue ?? redactKeyValue;
    this.defaultLimits = options.defaultLimits ?? ORG_DEFAULT_LIMITS;
    this.owner = options.owner;
    this.memberRules = options.memberRules ?? GROQ_MEMBER_RULES;
    const data = options.snapshot ?? emptySnapshot(options.orgId ?? 'org_sandbox', options.orgName ?? 'Sandbox organization');
    if (options.orgId) data.org.id = options.orgId;
    this.load(data);
    if (this.owner !== undefined) this.members.seedOwner(this.owner);
  }

  private load(data: OrgSnapshot): void {
    this.data = data;
    this.projects = [...data.projects];
    this.activeProjects = this.projects.filter((p) => p.archived_at === null);
    this.projectsById = new Map(this.projects.map((p) => [p.id, p]));
    this.keysById = new Map(data.keys.map((k) => [k.id, k]));
    this.keysByHash = new Map(data.keys.map((k) => [k.value_sha256, k]));
    this.keysByProject = new Map();
    for (const k of data.keys) this.projectKeys(k.project_id).push(k);
    this.idempotency = new IdempotencyTable(data.idempotency);
    this.usage = new UsageLedger([...data.usage]);
    this.audit = new AuditTrail([...data.audit]);
    this.billing = new Billing(this, data);
    this.serviceAccounts = new ServiceAccountStore(this, data.service_accounts ?? []);
    this.members = new MemberStore(this, data, this.memberRules);
  }

  /** The whole state, for a snapshot on disk. */
  snapshot(): OrgSnapshot {
    return {
      ...this.data,
      projects: this.projects,
      keys: [...this.keysById.values()],
      idempotency: this.idempotency.entries(),
      usage: this.usage.all(),
      spend_alerts: this.billing.alerts(),
      audit: this.audit.all(),
      service_accounts: this.serviceAccounts.all(),
      ...this.members.snapshot(),
    };
  }

  /** Empties the organization; keeps its id, clock and id sequence. */
  reset(): void {
    const { org, clock_offset_ms, seq } = this.data;
    this.load({ ...emptySnapshot(org.id, org.name), clock_offset_ms, seq });
    this.emit({ op: 'reset' });
    // An organization always has an owner: the one the admin key belongs to comes back.
    if (this.owner !== undefined) this.members.seedOwner(this.owner);
  }

  emit(delta: Delta): void {
    this.onChange?.(delta);
  }

  nextId(prefix: string): string {
    const id = sortableId(prefix, ++this.data.seq);
    this.emit({ op: 'meta', seq: this.data.seq, clock_offset_ms: this.data.clock_offset_ms });
    return id;
  }

  // --- clock
  // While frozen (`/_sandbox/clock {"freeze": true}`), time moves only when advanced, so tests need not race it. Not persisted.
  private frozenAtMs: number | null = null;

  nowMs(): number {
    return this.frozenAtMs ?? Date.now() + this.data.clock_offset_ms;
  }
  now(): number {
    return Math.floor(this.nowMs() / 1000);
  }
  get frozen(): boolean {
    return this.frozenAtMs !== null;
  }
  advanceClock(seconds: number): number {
    if (!Number.isFinite(seconds) || seconds < 0) throw invalid('advance_seconds', "'advance_seconds' must be a non-negative number.");
    const ms = Math.round(seconds * 1000);
    this.data.clock_offset_ms += ms;
    if (this.frozenAtMs !== null) this.frozenAtMs += ms;
    this.emit({ op: 'meta', seq: this.data.seq, clock_offset_ms: this.data.clock_offset_ms });
    return this.now();
  }
  /** Stops the clock where it is, or lets it run on from there. */
  freezeClock(freeze: boolean): void {
    if (freeze && this.frozenAtMs === null) this.frozenAtMs = this.nowMs();
    if (!freeze && this.frozenAtMs !== null) {
      this.data.clock_offset_ms = this.frozenAtMs - Date.now();
      this.frozenAtMs = null;
      this.emit({ op: 'meta', seq: this.data.seq, clock_offset_ms: this.data.clock_offset_ms });
    }
  }

  recordAudit(type: string, project: StoredProject | null, details: Record<string, unknown>): void {
    const entry: AuditLog = {
      id: this.nextId('audit_log-'),
      type,
      effective_at: this.now(),
      actor: ADMIN_ACTOR,
      ...(project ? { project: { id: project.id, name: project.name } } : {}),
      [type]: details,
    };
    this.audit.add(entry);
    this.emit({ op: 'audit', e: entry });
  }

  organization(): Organization {
    return { object: 'organization', id: this.data.org.id, name: this.data.org.name };
  }

  // --- model permissions
  orgPermissions(): ModelPermissions {
    return presentPermissions('organization.model_permissions', this.data.permissions);
  }
  setOrgPermissions(raw: unknown): ModelPermissions {
    this.data.permissions = validatePermissionsBody(raw, this.catalogue);
    this.emit({ op: 'org_perm', p: this.data.permissions });
    this.recordAudit('model_permissions.updated', null, { ...this.data.permissions });
    return this.orgPermissions();
  }
  deleteOrgPermissions() {
    this.data.permissions = null;
    this.emit({ op: 'org_perm', p: null });
    this.recordAudit('model_permissions.deleted', null, {});
    return { object: 'organization.model_permissions.deleted', deleted: true };
  }
  projectPermissions(projectId: string): ModelPermissions {
    return presentPermissions('project.model_permissions', this.project(projectId).permissions);
  }
  setProjectPermissions(projectId: string, raw: unknown): ModelPermissions {
    const p = this.activeProject(projectId);
    const input = validatePermissionsBody(raw, this.catalogue);
    // A project may only narrow what the organization allows: a block list always does; an allow list must stay inside.
    if (input.mode === 'allow_list') {
      const outside = input.model_ids.find((m) => !this.permits(this.data.permissions, m));
      if (outside)
        throw invalid(
          'model_ids',
          `The model \`${outside}\` is blocked at the organization level; a project may only narrow the organization's model permissions.`,
        );
    }
    p.permissions = input;
    this.saveProject(p);
    this.recordAudit('model_permissions.updated', p, { ...input });
    return this.projectPermissions(projectId);
  }
  deleteProjectPermissions(projectId: string) {
    const p = this.activeProject(projectId);
    p.permissions = null;
    this.saveProject(p);
    this.recordAudit('model_permissions.deleted', p, {});
    return { object: 'project.model_permissions.deleted', deleted: true };
  }

  /** Where a model is blocked for a project, in the order Groq checks: the organization first. */
  blockedAt(project: StoredProject, model: string): 'organization' | 'project' | null {
    if (!this.permits(this.data.permissions, model)) return 'organization';
    if (!this.permits(project.permissions, model)) return 'project';
    return null;
  }

  private permits(p: ModelPermissionsInput | null, model: string): boolean {
    if (!p) return true;
    let set = this.permissionSets.get(p);
    if (!set) this.permissionSets.set(p, (set = new Set(p.model_ids)));
    return p.mode === 'allow_list' ? set.has(model) : !set.has(model);
  }

  // --- rate limits
  orgLimits(model: string): RateLimitValues {
    return this.data.org_limits[model] ?? this.defaultLimits;
  }
  listOrgRateLimits(query: URLSearchParams): ListPage<RateLimit> {
    const items = this.models.map((model) => ({ id: `${RATE_LIMIT_PREFIX}${model}`, model }));
    return paginate(items, query, ({ id, model }) => ({ object: 'organization.rate_limit', id, model, ...this.orgLimits(model) }));
  }
  /** Sets the organization's own limits for a model (`/_sandbox/rate_limits`: Groq sets them by tier). */
  setOrgRateLimit(raw: unknown): RateLimit {
    const model = (raw as { model?: unknown } | null)?.model;
    if (typeof model !== 'string' || !this.models.includes(model)) throw invalid('model', "'model' must name a served model.");
    const values = { ...this.orgLimits(model), ...validateRateLimitBody(raw, ['model']) };
    this.data.org_limits[model] = values;
    this.emit({ op: 'org_limit', model, v: values });
    return { object: 'organization.rate_limit', id: `${RATE_LIMIT_PREFIX}${model}`, model, ...values };
  }
  /** A project's limits for a model: its own where set, else the organization's. */
  projectLimits(p: StoredProject, model: string): RateLimitValues {
    const own = p.limits[model];
    const org = this.orgLimits(model);
    if (!own) return org;
    return {
      max_requests_per_1_minute: own.max_requests_per_1_minute ?? org.max_requests_per_1_minute,
      max_tokens_per_1_minute: own.max_tokens_per_1_minute ?? org.max_tokens_per_1_minute,
      max_requests_per_1_day: own.max_requests_per_1_day ?? org.max_requests_per_1_day,
      max_tokens_per_1_day: own.max_tokens_per_1_day ?? org.max_tokens_per_1_day,
    };
  }
  listProjectRateLimits(projectId: string, query: URLSearchParams): ListPage<RateLimit> {
    const p = this.project(projectId);
    const items = this.models.map((model) => ({ id: `${RATE_LIMIT_PREFIX}${model}`, model }));
    return paginate(items, query, ({ id, model }) => ({ object: 'project.rate_limit', id, model, ...this.projectLimits(p, model) }));
  }
  updateProjectRateLimit(projectId: string, rateLimitId: string, raw: unknown): RateLimit {
    const { project: p, model } = this.rateLimitTarget(projectId, rateLimitId);
    const values = validateRateLimitBody(raw);
    this.checkWithinOrg(model, values, this.orgLimits(model));
    this.storeProjectLimits(p, rateLimitId, model, values);
    return { object: 'project.rate_limit', id: rateLimitId, model, ...this.projectLimits(p, model) };
  }
  /** The active project and the served model a rate-limit id (`rl-<model>`) names; 404 when it names none. */
  rateLimitTarget(projectId: string, rateLimitId: string): { project: StoredProject; model: string } {
    const project = this.activeProject(projectId);
    const model = rateLimitId.startsWith(RATE_LIMIT_PREFIX) ? rateLimitId.slice(RATE_LIMIT_PREFIX.length) : '';
    if (!this.models.includes(model))
      throw notFound('rate_limit_not_found', `No rate limit with id '${rateLimitId}' in project '${projectId}'.`, 'rate_limit_id');
    return { project, model };
  }
  /** 400 naming the first field above the organization's own limit for the model. */
  checkWithinOrg(model: string, values: Record<string, number | undefined>, org: Record<string, number>): void {
    for (const [f, v] of Object.entries(values)) {
      const ceiling = org[f];
      if (v !== undefined && ceiling !== undefined && v > ceiling)
        throw invalid(
          f,
          `'${f}' (${v}) is above the organization's limit of ${ceiling} for model \`${model}\`; a project's limits must stay within the organization's.`,
        );
    }
  }
  /** Merges a project's own limits for a model (any provider's fields), journals and audits the change. */
  storeProjectLimits(p: StoredProject, rateLimitId: string, model: string, values: StoredLimits): void {
    p.limits = { ...p.limits, [model]: { ...p.limits[model], ...values } };
    this.saveProject(p);
    this.recordAudit('rate_limit.updated', p, { id: rateLimitId, changes_requested: values });
  }

  // --- projects
  listProjects(query: URLSearchParams): ListPage<Project> {
    const all = query.get('include_archived') === 'true';
    return paginate(all ? this.projects : this.activeProjects, query, presentProject);
  }
  getProject(projectId: string): Project {
    return presentProject(this.project(projectId));
  }
  createProject(raw: unknown): Project {
    const { name } = validateProjectBody(raw, 'create');
    const p: StoredProject = {
      id: this.nextId('proj_'),
      name: name!,
      created_at: this.now(),
      archived_at: null,
      permissions: null,
      limits: {},
    };
    this.projects.push(p);
    this.activeProjects.push(p);
    this.projectsById.set(p.id, p);
    this.saveProject(p);
    this.recordAudit('project.created', p, { id: p.id, data: { name: p.name } });
    return presentProject(p);
  }
  updateProject(projectId: string, raw: unknown): Project {
    const p = this.activeProject(projectId);
    const { name } = validateProjectBody(raw, 'update');
    if (name !== undefined && name !== p.name) {
      p.name = name;
      this.saveProject(p);
      this.recordAudit('project.updated', p, { id: p.id, changes_requested: { title: name } });
    }
    return presentProject(p);
  }
  /** Final: the project's keys stop authenticating. Archiving an archived project changes nothing. */
  archiveProject(projectId: string): Project {
    const p = this.project(projectId);
    if (p.archived_at === null) {
      p.archived_at = this.now();
      this.activeProjects = this.activeProjects.filter((x) => x !== p);
      this.saveProject(p);
      this.recordAudit('project.archived', p, { id: p.id });
    }
    return presentProject(p);
  }
  project(projectId: string): StoredProject {
    const p = this.projectsById.get(projectId);
    if (!p) throw notFound('project_not_found', `No project with id '${projectId}'.`, 'project_id');
    return p;
  }
  activeProject(projectId: string): StoredProject {
    const p = this.project(projectId);
    if (p.archived_at !== null)
      throw new SandboxError(
        400,
        'project_archived',
        `The project '${projectId}' is archived; archived projects cannot be changed.`,
        'invalid_request_error',
        'project_id',
      );
    return p;
  }
  private saveProject(p: StoredProject): void {
    this.emit({ op: 'project', p });
  }

  // --- keys
  listKeys(projectId: string, query: URLSearchParams): ListPage<ProjectApiKey> {
    this.project(projectId);
    return paginate(this.projectKeys(projectId), query, (k) => this.presentKey(k));
  }
  getKey(projectId: string, keyId: string): ProjectApiKey {
    return this.presentKey(this.key(projectId, keyId));
  }
  createKey(projectId: string, raw: unknown): ProjectApiKey & { value: string } {
    const p = this.activeProject(projectId);
    const body = validateKeyBody(raw, 'create');
    const { key, value } = this.addKey(p, body.name!, { metadata: { ...(body.metadata as Record<string, string> | undefined) } });
    this.recordAudit('api_key.created', p, { id: key.id, data: { name: key.name } });
    return { ...this.presentKey(key), value };
  }
  /** Makes a key in a project (value from the `keyValue` option) and journals it; the caller audits. */
  addKey(
    p: StoredProject,
    name: string,
    extra: { metadata?: Record<string, string>; service_account_id?: string } = {},
  ): { key: StoredKey; value: string } {
    const value = this.keyValue();
    const key: StoredKey = {
      id: this.nextId('key_'),
      project_id: p.id,
      name,
      redacted_value: this.redactValue(value),
      created_at: this.now(),
      last_used_at: null,
      metadata: extra.metadata ?? {},
      value_sha256: sha256(value),
      recent_uses: [],
      ...(extra.service_account_id ? { service_account_id: extra.service_account_id } : {}),
    };
    this.keysById.set(key.id, key);
    this.keysByHash.set(key.value_sha256, key);
    this.projectKeys(p.id).push(key);
    this.emit({ op: 'key', k: key });
    return { key, value };
  }
  updateKey(projectId: string, keyId: string, raw: unknown): ProjectApiKey {
    const key = this.key(projectId, keyId);
    const body = validateKeyBody(raw, 'update');
    const metadata = { ...key.metadata };
    for (const [k, v] of Object.entries(body.metadata ?? {})) {
      if (v === null) delete metadata[k];
      else metadata[k] = v;
    }
    checkMetadataSize(metadata);
    if (body.name !== undefined) key.name = body.name;
    key.metadata = metadata;
    this.emit({ op: 'key', k: key });
    this.recordAudit('api_key.updated', this.project(projectId), { id: key.id, changes_requested: body });
    return this.presentKey(key);
  }
  deleteKey(projectId: string, keyId: string) {
    const key = this.key(projectId, keyId);
    this.removeKey(key);
    this.recordAudit('api_key.deleted', this.project(projectId), { id: key.id });
    return { object: 'organization.project.api_key.deleted', id: key.id, deleted: true };
  }
  /** Removes a key (it stops authenticating at once) and journals it; the caller audits. */
  removeKey(key: StoredKey): void {
    this.keysById.delete(key.id);
    this.keysByHash.delete(key.value_sha256);
    this.keysByProject.set(
      key.project_id,
      this.projectKeys(key.project_id).filter((k) => k !== key),
    );
    this.emit({ op: 'del_key', id: key.id });
  }
  /** A project's keys, in creation order. */
  keysOf(projectId: string): readonly StoredKey[] {
    this.project(projectId);
    return this.projectKeys(projectId);
  }
  key(projectId: string, keyId: string): StoredKey {
    this.project(projectId);
    const key = this.keysById.get(keyId);
    if (!key || key.project_id !== projectId)
      throw notFound('api_key_not_found', `No API key with id '${keyId}' in project '${projectId}'.`, 'api_key_id');
    return key;
  }
  private projectKeys(projectId: string): StoredKey[] {
    let list = this.keysByProject.get(projectId);
    if (!list) this.keysByProject.set(projectId, (list = []));
    return list;
  }

  /** The key and project an inference token belongs to, if it authenticates: known, and its project active. */
  authenticate(token: string): { key: StoredKey; project: StoredProject } | null {
    const key = this.keysByHash.get(sha256(token));
    if (!key) return null;
    const project = this.projectsById.get(key.project_id);
    return project && project.archived_at === null ? { key, project } : null;
  }

  /** Notes a use of a key; `last_used_at` shows it once it is older than the usage lag. */
  touchKey(key: StoredKey, now: number): void {
    const before = key.last_used_at;
    const pending = key.recent_uses.length;
    if (this.usageLagSeconds === 0) key.last_used_at = now;
    else {
      const cutoff = now - this.usageLagSeconds;
      if (pending && key.recent_uses[0]! <= cutoff) {
        for (const t of key.recent_uses) if (t <= cutoff) key.last_used_at = Math.max(key.last_used_at ?? 0, t);
        key.recent_uses = key.recent_uses.filter((t) => t > cutoff);
      }
      if (key.recent_uses.at(-1) !== now) key.recent_uses.push(now);
    }
    if (key.last_used_at !== before || key.recent_uses.length !== pending) this.emit({ op: 'key', k: key });
  }

  /** `last_used_at` as clients see it: the newest use older than the usage lag. */
  lastUsedAt(k: StoredKey): number | null {
    let lastUsed = k.last_used_at;
    if (k.recent_uses.length) {
      const cutoff = this.now() - this.usageLagSeconds;
      for (const t of k.recent_uses) if (t <= cutoff && t > (lastUsed ?? 0)) lastUsed = t;
    }
    return lastUsed;
  }

  private presentKey(k: StoredKey): ProjectApiKey {
    return {
      object: 'organization.project.api_key',
      id: k.id,
      name: k.name,
      redacted_value: k.redacted_value,
      created_at: k.created_at,
      last_used_at: this.lastUsedAt(k),
      metadata: { ...k.metadata },
    };
  }
}

function presentProject(p: StoredProject): Project {
  return {
    object: 'organization.project',
    id: p.id,
    name: p.name,
    created_at: p.created_at,
    archived_at: p.archived_at,
    status: p.archived_at === null ? 'active' : 'archived',
  };
}

function presentPermissions(object: ModelPermissions['object'], p: ModelPermissionsInput | null): ModelPermissions {
  return { object, mode: p?.mode ?? 'deny_list', model_ids: [...(p?.model_ids ?? [])] };
}
