/**
 * The provider port (issue 18): the one interface apply/ and app/ use to reach an organization.
 * Each provider (src/providers/<name>/) implements it and declares what it can do; one place
 * (the capability check) turns a policy field a provider lacks into an error or a warning.
 */
import type {
  AuditEvent,
  CostRow,
  DomainLimitField,
  DomainLimitSet,
  DomainLiveState,
  DomainModelRule,
  KeyMarks,
  LiveKey,
  LiveLimit,
  LiveSpending,
  UsageRow,
} from './domain.js';
import type { LiveMembers, MemberCapabilities } from './members.js';

/** What a provider can do, declared like octoDNS's `SUPPORTS_*`. */
export interface Capabilities {
  /** Limit fields a project's per-model rate limit has. */
  limitFields: readonly DomainLimitField[];
  /** The organization has model permissions of its own (else org `models` is a ceiling folded into each project). */
  orgModelPermissions: boolean;
  orgSpending: boolean;
  /** A spend limit and alerts per project. */
  projectSpending: boolean;
  /** Bookkeeping in key metadata (else encoded in a name). */
  keyMetadata: boolean;
  /** Creates honour an Idempotency-Key (else a lost answer is recovered by listing). */
  idempotentCreates: boolean;
  /** Usage can be read per key (the quiet test of rotation). */
  usagePerKey: boolean;
  /** Organization and project members (issue 20). */
  members: boolean;
}

/**
 * Marks as a write records them. `trigger` is the policy's trigger itself: a provider stores it
 * (Groq) or only its `triggerMark` (OpenAI); a read gives back the mark either way.
 * `delivered_at: DELIVERED_WHEN_CREATED` on a create: delivered when made (a generation with no
 * delivery target), read back as its `created_at`.
 */
export interface KeyMarksWrite extends Omit<KeyMarks, 'trigger'> {
  trigger: string | null;
}
export const DELIVERED_WHEN_CREATED = 0;

/**
 * A key as a plan names it: its id, and the provider's second id where the caller has it (a
 * LiveKey is one). A provider that needs the second id finds it from its own read when absent.
 */
export type KeyRef = Pick<LiveKey, 'id' | 'handle'>;

export interface CreatedKey {
  key: LiveKey;
  /** The value, seen only here. Never logged. */
  value: string;
  /** Another run's create answered (an idempotent replay): not ours to delete. */
  replayed: boolean;
}

export interface UsageQuery {
  start_time: number;
  end_time: number;
  bucket_width: '1m' | '1h' | '1d';
  key_ids?: string[];
  project_ids?: string[];
  group_by: ('project_id' | 'key_id' | 'model')[];
}

export type SpendScope = { project_id?: string };

export interface ProviderAdmin {
  readonly provider: string;
  readonly capabilities: Capabilities;
  /**
   * The organization, read once in the fewest requests. `onObserved` is called once, with the
   * organization's clock, as soon as its first answer arrives (the usage report starts its bucket
   * reads then, alongside the rest of the read).
   */
  readLiveState(options?: {
    concurrency?: number;
    onObserved?: (now: number) => void;
    /**
     * The policies' key names: a provider that keeps only a hash of a long key name (OpenAI's
     * service account names) maps it back through them; others ignore them.
     */
    keyNames?: readonly string[];
  }): Promise<DomainLiveState>;

  setOrgPermissions(rule: DomainModelRule | null): Promise<void>;
  /** The active projects, to confirm that one a 404 named is really gone. */
  listProjects(): Promise<{ id: string; name: string; created_at: number }[]>;
  /** `identity` is stable for one policy project: a retried create must not make two. */
  createProject(name: string, identity: string): Promise<{ id: string; replayed: boolean }>;
  archiveProject(projectId: string): Promise<void>;
  setProjectPermissions(projectId: string, rule: DomainModelRule | null): Promise<void>;
  setProjectLimits(projectId: string, limit: { id: string; model: string }, values: DomainLimitSet): Promise<void>;
  /** One project's per-model limits as its read gives them: a project just created has its provider's (OpenAI makes them with it). */
  listProjectLimits(projectId: string): Promise<LiveLimit[]>;

  listKeys(projectId: string): Promise<LiveKey[]>;
  /** null when the key is confirmed gone. */
  getKey(projectId: string, keyId: string): Promise<LiveKey | null>;
  /**
   * Creates one key generation carrying `marks`. `identity` is stable for (org, project, key,
   * generation, targets), not for the trigger or protect flag, so that two applies of two policy
   * versions at once make one key: an idempotent provider sends it as the Idempotency-Key;
   * one without recovers a lost answer by listing, never leaving two unknown generations.
   * `replayed`: the key was made by an earlier create with this identity (another run's, or this
   * run's retry) and is still there. Throws a `ProviderError` of kind `conflict` whose `existingId`
   * names the key when another run made this generation (same key and generation, other marks).
   */
  createKey(projectId: string, input: { name: string; marks: KeyMarksWrite }, identity: string): Promise<CreatedKey>;
  /**
   * Writes the marks given (the rest stay; `null` clears one) and, with `name`, renames the key, in
   * one write where the provider can. Answers the key as it is after the write: the rotation race
   * reads the other run's mark from this answer.
   */
  updateMarks(projectId: string, key: KeyRef, marks: Partial<KeyMarksWrite>, name?: string): Promise<LiveKey>;
  deleteKey(projectId: string, key: KeyRef): Promise<void>;

  /** The spend limit and alerts of one scope, to confirm that a 404 is really a deleted one. */
  readSpending(scope: SpendScope): Promise<LiveSpending>;
  setSpendLimit(scope: SpendScope, usd: number | null): Promise<void>;
  /** `replaced`: another run had made the alert at this threshold; it now says what ours does. */
  createSpendAlert(
    scope: SpendScope,
    alert: { threshold_usd: number; recipients: string[] },
    identity: string,
  ): Promise<{ id: string; replaced?: boolean }>;
  updateSpendAlert(scope: SpendScope, id: string, alert: { threshold_usd: number; recipients: string[] }): Promise<void>;
  deleteSpendAlert(scope: SpendScope, id: string): Promise<void>;

  usage(query: UsageQuery): Promise<UsageRow[]>;
  costs(query: {
    start_time: number;
    end_time: number;
    project_ids?: string[];
    group_by: ('project_id' | 'line_item' | 'key_id')[];
  }): Promise<CostRow[]>;
  auditEvents(query: { since: number }): Promise<AuditEvent[]>;

  /** The cheap authenticated call that proves a new key works (Groq and OpenAI: GET /models). */
  verifyKey(value: string): Promise<void>;
  /** The organization's clock (Unix seconds) as last observed, or null before any answer. */
  observedNow(): number | null;
  close?(): Promise<void>;
}

// --- Members and roles (issue 20), merged into the interfaces above (declaration merging), kept
// apart so that the port's other work and this issue do not edit the same lines.

export interface Capabilities {
  /** Each role a provider has, and how they relate; null where `members` is false. */
  memberCapabilities: MemberCapabilities | null;
}

/** What an invite carries: the organization role and the projects joined on accepting. */
export interface InviteInput {
  email: string;
  role: string;
  projects: { id: string; role: string }[];
}

export interface ProviderAdmin {
  /**
   * The organization's people: its members, its invites, and the memberships of `projectIds` (active
   * projects the caller manages; the others are not read). `admin`: whose the admin key is, where
   * the provider can tell (else null).
   */
  readMembers(options: { projectIds: readonly string[]; concurrency?: number }): Promise<LiveMembers>;
  /**
   * Sends an invite. `identity` is stable for one planned invite: a retried send must not invite
   * twice (an idempotent provider sends it as the Idempotency-Key; one without looks for the pending
   * invite first). Answers the invite's id.
   */
  invite(input: InviteInput, identity: string): Promise<{ id: string }>;
  /** Cancels a pending invite. A second cancel is `not_found`. */
  cancelInvite(inviteId: string): Promise<void>;
  setMemberRole(userId: string, role: string): Promise<void>;
  /** Removes the person from the organization, with their project memberships. */
  removeMember(userId: string): Promise<void>;
  /** Adds an organization member to a project; a membership already there with `role` counts as done. */
  addProjectMember(projectId: string, userId: string, role: string): Promise<void>;
  setProjectMemberRole(projectId: string, userId: string, role: string): Promise<void>;
  removeProjectMember(projectId: string, userId: string): Promise<void>;
}
