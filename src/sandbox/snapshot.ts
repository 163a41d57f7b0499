/** What the sandbox keeps: the state file's shape (version 2), and the journal's deltas over it. */
import type { AuditLog, ModelPermissionsInput, RateLimitValues, SpendAlertInput } from '../providers/groq/wire.js';

export interface StoredProject {
  id: string;
  name: string;
  created_at: number;
  archived_at: number | null;
  /** `null`: none set of its own. */
  permissions: ModelPermissionsInput | null;
  /** Per model, the fields set on the project; the rest follow the organization's. */
  limits: Record<string, StoredLimits>;
  /** OpenAI's project hard spend limit (US cents); absent or `null`: none. */
  spend_limit?: number | null;
  /** OpenAI's project spend alerts. */
  spend_alerts?: StoredAlert[];
}

/**
 * A project's own limits for one model: the contract's four fields, plus any a provider adds (OpenAI's
 * `max_images_per_1_minute`, `max_audio_megabytes_per_1_minute`, `batch_1_day_max_input_tokens`).
 */
export type StoredLimits = Partial<RateLimitValues> & { [field: string]: number | undefined };

/** An OpenAI service account: a project member that owns API keys (`src/sandbox/openai/`). */
export interface StoredServiceAccount {
  id: string;
  project_id: string;
  name: string;
  role: 'owner' | 'member' | 'none';
  created_at: number;
}

/** An organization member (`/organization/users`): the role is the provider's (Groq: owner, developer, reader; OpenAI: owner, reader). */
export interface StoredUser {
  id: string;
  name: string;
  email: string;
  role: string;
  added_at: number;
}

/** An invite; its status follows from `accepted_at` and `expires_at` on the sandbox clock. */
export interface StoredInvite {
  id: string;
  email: string;
  role: string;
  invited_at: number;
  expires_at: number;
  accepted_at: number | null;
  /** The project memberships granted on acceptance. */
  projects: { id: string; role: string }[];
}

/** A user's membership of a project: `id` is the user's id, as the API presents it. */
export interface StoredProjectUser {
  id: string;
  project_id: string;
  role: string;
  added_at: number;
}

export interface StoredKey {
  id: string;
  project_id: string;
  name: string;
  redacted_value: string;
  created_at: number;
  /** The newest use older than the usage lag. */
  last_used_at: number | null;
  metadata: Record<string, string>;
  value_sha256: string;
  /** Seconds of use not yet visible through `last_used_at` (usage lag). */
  recent_uses: number[];
  /** The service account that owns the key (OpenAI); absent for the contract's keys. */
  service_account_id?: string;
}

export interface StoredAlert extends SpendAlertInput {
  id: string;
}

export interface IdempotencyRecord {
  /** sha256 of the path and the canonical body. */
  request_sha256: string;
  status: number;
  response: unknown;
  expires_at: number;
}

/** Traffic of one key on one model in one minute. */
export interface UsageRow {
  /** Unix seconds, a multiple of 60. */
  minute: number;
  project_id: string;
  api_key_id: string;
  model: string;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
}

/** What the state file holds. */
export interface OrgSnapshot {
  version: 2;
  org: { id: string; name: string };
  clock_offset_ms: number;
  seq: number;
  permissions: ModelPermissionsInput | null;
  /** The organization's limits where set through `/_sandbox/rate_limits`; other models have the defaults. */
  org_limits: Record<string, RateLimitValues>;
  projects: StoredProject[];
  keys: StoredKey[];
  /** In insertion order, which is also expiry order. */
  idempotency: [string, IdempotencyRecord][];
  usage: UsageRow[];
  /** Month-to-date spend added through `/_sandbox/spend` (USD), by `YYYY-MM`. */
  spend_adjustments: Record<string, number>;
  /** US cents; `null`: none. */
  spend_limit: number | null;
  spend_alerts: StoredAlert[];
  audit: AuditLog[];
  /** OpenAI's service accounts; absent in files written before they existed. */
  service_accounts?: StoredServiceAccount[];
  /** Members, invites and project memberships (issue 20); absent in files written before them. */
  users?: StoredUser[];
  invites?: StoredInvite[];
  /** Sorted by project, then user id. */
  project_users?: StoredProjectUser[];
  /** The user the admin key belongs to: the owner seeded when the organization was made. */
  admin_user_id?: string | null;
}

/**
 * One change, as an absolute value (never an increment), so that replaying a journal over a
 * snapshot that already holds some of it gives the same state.
 */
export type Delta =
  | { op: 'project'; p: StoredProject }
  | { op: 'key'; k: StoredKey }
  | { op: 'del_key'; id: string }
  | { op: 'org_perm'; p: ModelPermissionsInput | null }
  | { op: 'org_limit'; model: string; v: RateLimitValues }
  | { op: 'idem'; k: string; r: IdempotencyRecord }
  | { op: 'usage'; row: UsageRow }
  | { op: 'spend_adj'; m: string; usd: number }
  | { op: 'spend_limit'; cents: number | null }
  | { op: 'alert'; a: StoredAlert }
  | { op: 'del_alert'; id: string }
  | { op: 'audit'; e: AuditLog }
  | { op: 'sa'; s: StoredServiceAccount }
  | { op: 'del_sa'; id: string }
  | { op: 'user'; u: StoredUser }
  | { op: 'del_user'; id: string }
  | { op: 'invite'; i: StoredInvite }
  | { op: 'del_invite'; id: string }
  | { op: 'puser'; m: StoredProjectUser }
  | { op: 'del_puser'; project_id: string; id: string }
  | { op: 'admin_user'; id: string | null }
  | { op: 'meta'; seq: number; clock_offset_ms: number }
  | { op: 'reset' };

export const usageRowKey = (r: Pick<UsageRow, 'minute' | 'api_key_id' | 'model'>) => `${r.minute}|${r.api_key_id}|${r.model}`;

/** Applies journalled deltas, in order, to a snapshot. */
export function replay(base: OrgSnapshot, deltas: Iterable<Delta>): OrgSnapshot {
  let s = base;
  let projects = new Map(s.projects.map((p) => [p.id, p]));
  let keys = new Map(s.keys.map((k) => [k.id, k]));
  let usage = new Map(s.usage.map((r) => [usageRowKey(r), r]));
  let alerts = new Map(s.spend_alerts.map((a) => [a.id, a]));
  let idempotency = new Map(s.idempotency);
  let audit = new Map(s.audit.map((e) => [e.id, e]));
  let accounts = new Map((s.service_accounts ?? []).map((a) => [a.id, a]));
  let users = new Map((s.users ?? []).map((u) => [u.id, u]));
  let invites = new Map((s.invites ?? []).map((i) => [i.id, i]));
  let projectUsers = new Map((s.project_users ?? []).map((m) => [membershipKey(m.project_id, m.id), m]));
  for (const d of deltas) {
    switch (d.op) {
      case 'project':
        projects.set(d.p.id, d.p);
        break;
      case 'key':
        keys.set(d.k.id, d.k);
        break;
      case 'del_key':
        keys.delete(d.id);
        break;
      case 'org_perm':
        s.permissions = d.p;
        break;
      case 'org_limit':
        s.org_limits[d.model] = d.v;
        break;
      case 'idem':
        idempotency.set(d.k, d.r);
        break;
      case 'usage':
        usage.set(usageRowKey(d.row), d.row);
        break;
      case 'spend_adj':
        s.spend_adjustments[d.m] = d.usd;
        break;
      case 'spend_limit':
        s.spend_limit = d.cents;
        break;
      case 'alert':
        alerts.set(d.a.id, d.a);
        break;
      case 'del_alert':
        alerts.delete(d.id);
        break;
      case 'audit':
        audit.set(d.e.id, d.e);
        break;
      case 'sa':
        accounts.set(d.s.id, d.s);
        break;
      case 'del_sa':
        accounts.delete(d.id);
        break;
      case 'user':
        users.set(d.u.id, d.u);
        break;
      case 'del_user':
        users.delete(d.id);
        break;
      case 'invite':
        invites.set(d.i.id, d.i);
        break;
      case 'del_invite':
        invites.delete(d.id);
        break;
      case 'puser':
        projectUsers.set(membershipKey(d.m.project_id, d.m.id), d.m);
        break;
      case 'del_puser':
        projectUsers.delete(membershipKey(d.project_id, d.id));
        break;
      case 'admin_user':
        s.admin_user_id = d.id;
        break;
      case 'meta':
        s.seq = Math.max(s.seq, d.seq);
        s.clock_offset_ms = d.clock_offset_ms;
        break;
      case 'reset':
        s = { ...emptySnapshot(s.org.id, s.org.name), clock_offset_ms: s.clock_offset_ms, seq: s.seq };
        projects = new Map();
        keys = new Map();
        usage = new Map();
        alerts = new Map();
        idempotency = new Map();
        audit = new Map();
        accounts = new Map();
        users = new Map();
        invites = new Map();
        projectUsers = new Map();
        break;
    }
  }
  // Ids grow with creation: sorting restores creation order whatever order the journal set them in.
  const byId = <T extends { id: string }>(m: Map<string, T>) => [...m.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    ...s,
    projects: byId(projects),
    keys: byId(keys),
    usage: [...usage.values()].sort((a, b) => a.minute - b.minute),
    spend_alerts: byId(alerts),
    idempotency: [...idempotency.entries()].sort((a, b) => a[1].expires_at - b[1].expires_at),
    audit: byId(audit),
    service_accounts: byId(accounts),
    users: byId(users),
    invites: byId(invites),
    project_users: [...projectUsers.values()].sort((a, b) => compareIds(a.project_id, b.project_id) || compareIds(a.id, b.id)),
  };
}

const compareIds = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const membershipKey = (projectId: string, userId: string) => `${projectId}|${userId}`;

export function emptySnapshot(id: string, name: string): OrgSnapshot {
  return {
    version: 2,
    org: { id, name },
    clock_offset_ms: 0,
    seq: 0,
    permissions: null,
    org_limits: {},
    projects: [],
    keys: [],
    idempotency: [],
    usage: [],
    spend_adjustments: {},
    spend_limit: null,
    spend_alerts: [],
    audit: [],
    service_accounts: [],
    users: [],
    invites: [],
    project_users: [],
    admin_user_id: null,
  };
}
