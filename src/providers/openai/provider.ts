/**
 * The OpenAI provider: groq-rbac's port (src/core/provider.ts) over OpenAI's Administration API.
 * Base `https://api.openai.com/v1` (`--base-url`, `OPENAI_BASE_URL`), admin key `OPENAI_ADMIN_KEY`,
 * organization from `org:` in org.yaml, sent on every call so that OpenAI enforces it.
 */
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
import { PROVIDER_CAPABILITIES } from '../../core/capabilities.js';
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
import { auditEvents, costs, usage } from './activity.js';
import { keyLookup } from './bookkeeping.js';
import { enc, OpenAiClient, projectPath, type OpenAiClientOptions } from './client.js';
import { ProviderError } from './errors.js';
import { KeyWriter } from './keys.js';
import { OpenAiMembers } from './members.js';
import { limitFrom, listProjectKeys, liveKeyFrom, readOpenAiState, readSpending, type KeySeen, type ReadOptions } from './read.js';
import type { WireProject, WireProjectApiKey, WireRateLimit } from './wire.js';
import { Writer } from './write.js';

export interface OpenAiProviderOptions extends OpenAiClientOptions {
  /** The policy key names (hashed service account names map back to them). */
  keyNames?: readonly string[];
  /** Read project spend limits and alerts (default true): 2 requests per project. */
  projectSpending?: boolean;
  orgName?: string;
}

export class OpenAiProvider implements ProviderAdmin {
  readonly provider = 'openai';
  readonly capabilities: Capabilities = PROVIDER_CAPABILITIES.openai;
  readonly client: OpenAiClient;
  private readonly keys: KeyWriter;
  private readonly writer: Writer;
  private readonly members: OpenAiMembers;
  private keyNames: readonly string[];
  private lookup: ReadonlyMap<string, string>;

  constructor(private readonly options: OpenAiProviderOptions) {
    this.client = new OpenAiClient(options);
    const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    this.keys = new KeyWriter(this.client, {
      sleep,
      ...(options.baseDelayMs !== undefined ? { baseDelayMs: options.baseDelayMs } : {}),
      ...(options.maxDelayMs !== undefined ? { maxDelayMs: options.maxDelayMs } : {}),
    });
    this.writer = new Writer(this.client, sleep);
    this.members = new OpenAiMembers(this.client, sleep);
    this.keyNames = options.keyNames ?? [];
    this.lookup = keyLookup(this.keyNames);
    this.keys.lister = (projectId) => this.listKeys(projectId);
  }

  /** Every key a read or list sees: its service account and the rest of its live form. */
  private readonly seen: KeySeen = (key, account) => {
    if (account) this.keys.saw(key.id, account.id, account.name);
    this.keys.known.set(key.id, { created_at: key.created_at, redacted_value: key.redacted_value, last_used_at: key.last_used_at });
  };

  /** `keyNames` (the port's) replaces the constructor's for this and later reads. */
  readLiveState(
    options: { concurrency?: number; onObserved?: (now: number) => void; keyNames?: readonly string[] } = {},
  ): Promise<DomainLiveState> {
    if (options.keyNames) {
      this.keyNames = options.keyNames;
      this.lookup = keyLookup(this.keyNames);
    }
    const read: ReadOptions = {
      keyNames: this.keyNames,
      onServiceAccount: this.seen,
      ...(options.onObserved ? { onObserved: options.onObserved } : {}),
      ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
      ...(this.options.projectSpending !== undefined ? { projectSpending: this.options.projectSpending } : {}),
      ...(this.options.orgName !== undefined ? { orgName: this.options.orgName } : {}),
    };
    return readOpenAiState(this.client, read);
  }

  /** Active projects, for apply's confirmation that a project it could not find is really gone. */
  async listProjects(): Promise<{ id: string; name: string; created_at: number }[]> {
    const projects = await this.client.list<WireProject>('/organization/projects');
    return projects
      .filter((p) => (p.status ?? 'active') === 'active' && !p.archived_at)
      .map((p) => ({ id: p.id, name: p.name ?? '', created_at: p.created_at }));
  }

  readSpending(scope: SpendScope): Promise<LiveSpending> {
    return readSpending(this.client, scope.project_id === undefined ? '/organization' : projectPath(scope.project_id));
  }

  setOrgPermissions(rule: DomainModelRule | null): Promise<void> {
    return this.writer.setOrgPermissions(rule);
  }
  createProject(name: string, identity: string): Promise<{ id: string; replayed: boolean }> {
    return this.writer.createProject(name, identity);
  }
  archiveProject(projectId: string): Promise<void> {
    return this.writer.archiveProject(projectId);
  }
  setProjectPermissions(projectId: string, rule: DomainModelRule | null): Promise<void> {
    return this.writer.setProjectPermissions(projectId, rule);
  }
  setProjectLimits(projectId: string, limit: { id: string; model: string }, values: DomainLimitSet): Promise<void> {
    return this.writer.setProjectLimits(projectId, limit, values);
  }

  /** `GET …/rate_limits`, every page: a new project's limits exist from its create (update only). */
  async listProjectLimits(projectId: string): Promise<LiveLimit[]> {
    return (await this.client.list<WireRateLimit>(`${projectPath(projectId)}/rate_limits`)).map(limitFrom);
  }

  listKeys(projectId: string): Promise<LiveKey[]> {
    return listProjectKeys(this.client, projectId, this.lookup, this.seen);
  }
  async getKey(projectId: string, keyId: string): Promise<LiveKey | null> {
    try {
      const k = await this.client.call<WireProjectApiKey>({ method: 'GET', path: `${projectPath(projectId)}/api_keys/${enc(keyId)}` });
      return liveKeyFrom(k, this.lookup, this.seen);
    } catch (error) {
      if (error instanceof ProviderError && error.kind === 'not_found') return null;
      throw error;
    }
  }
  async createKey(projectId: string, input: { name: string; marks: KeyMarksWrite }, identity: string): Promise<CreatedKey> {
    const made = await this.keys.create(projectId, input, identity);
    this.keys.known.set(made.key.id, { created_at: made.key.created_at, redacted_value: made.key.redacted_value, last_used_at: null });
    return made;
  }
  updateMarks(projectId: string, key: KeyRef, marks: Partial<KeyMarksWrite>, name?: string): Promise<LiveKey> {
    return this.keys.updateMarks(projectId, key, marks, name);
  }
  deleteKey(projectId: string, key: KeyRef): Promise<void> {
    return this.keys.delete(projectId, key);
  }

  setSpendLimit(scope: SpendScope, usd: number | null): Promise<void> {
    return this.writer.setSpendLimit(scope, usd);
  }
  createSpendAlert(
    scope: SpendScope,
    alert: { threshold_usd: number; recipients: string[] },
    identity: string,
  ): Promise<{ id: string; replaced?: boolean }> {
    return this.writer.createSpendAlert(scope, alert, identity);
  }
  updateSpendAlert(scope: SpendScope, id: string, alert: { threshold_usd: number; recipients: string[] }): Promise<void> {
    return this.writer.updateSpendAlert(scope, id, alert);
  }
  deleteSpendAlert(scope: SpendScope, id: string): Promise<void> {
    return this.writer.deleteSpendAlert(scope, id);
  }

  usage(query: UsageQuery): Promise<UsageRow[]> {
    return usage(this.client, query);
  }
  costs(query: {
    start_time: number;
    end_time: number;
    project_ids?: string[];
    group_by: ('project_id' | 'line_item' | 'key_id')[];
  }): Promise<CostRow[]> {
    return costs(this.client, query);
  }
  auditEvents(query: { since: number }): Promise<AuditEvent[]> {
    const keyOf = new Map([...this.keys.accounts].map(([key, account]) => [account, key]));
    return auditEvents(this.client, query, (account) => keyOf.get(account));
  }

  // --- Users, invites, project users (issue 20; members.ts).
  readMembers(options: { projectIds: readonly string[]; concurrency?: number }): Promise<LiveMembers> {
    return this.members.read(options);
  }
  invite(input: InviteInput, _identity: string): Promise<{ id: string }> {
    return this.members.invite(input);
  }
  cancelInvite(inviteId: string): Promise<void> {
    return this.members.cancelInvite(inviteId);
  }
  setMemberRole(userId: string, role: string): Promise<void> {
    return this.members.setRole(userId, role);
  }
  removeMember(userId: string): Promise<void> {
    return this.members.remove(userId);
  }
  addProjectMember(projectId: string, userId: string, role: string): Promise<void> {
    return this.members.addToProject(projectId, userId, role);
  }
  setProjectMemberRole(projectId: string, userId: string, role: string): Promise<void> {
    return this.members.setProjectRole(projectId, userId, role);
  }
  removeProjectMember(projectId: string, userId: string): Promise<void> {
    return this.members.removeFromProject(projectId, userId);
  }

  /** `GET /models` with the new key: the cheapest call it can make. */
  async verifyKey(value: string): Promise<void> {
    await this.client.call({ method: 'GET', path: '/models', bearer: value, retrySafe: true });
  }

  observedNow(): number | null {
    return this.client.observedNow();
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
