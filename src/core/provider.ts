/**
 * The provider port (issue 18): the one interface apply/ and app/ use to reach an organization.
 * Each provider (src/providers/<name>/) implements it and declares what it can do; one place
 * (the capability check) turns a policy field a provider lacks into an error or a warning.
 */
import type { AuditEvent, CostRow, DomainLimitField, DomainLimitSet, DomainLiveState, DomainModelRule, KeyMarks, LiveKey, UsageRow } from './domain.js';

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
  readLiveState(options?: { concurrency?: number }): Promise<DomainLiveState>;

  setOrgPermissions(rule: DomainModelRule | null): Promise<void>;
  /** `identity` is stable for one policy project: a retried create must not make two. */
  createProject(name: string, identity: string): Promise<{ id: string; replayed: boolean }>;
  archiveProject(projectId: string): Promise<void>;
  setProjectPermissions(projectId: string, rule: DomainModelRule | null): Promise<void>;
  setProjectLimits(projectId: string, limit: { id: string; model: string }, values: DomainLimitSet): Promise<void>;

  listKeys(projectId: string): Promise<LiveKey[]>;
  /** null when the key is confirmed gone. */
  getKey(projectId: string, keyId: string): Promise<LiveKey | null>;
  /**
   * Creates one key generation carrying `marks`. `identity` is stable for (org, project, key,
   * generation, targets, trigger, protect): an idempotent provider sends it as the Idempotency-Key;
   * one without recovers a lost answer by listing, never leaving two unknown generations.
   */
  createKey(projectId: string, input: { name: string; marks: KeyMarks }, identity: string): Promise<CreatedKey>;
  updateMarks(projectId: string, key: LiveKey, marks: Partial<KeyMarks>): Promise<LiveKey>;
  deleteKey(projectId: string, key: LiveKey): Promise<void>;

  setSpendLimit(scope: SpendScope, usd: number | null): Promise<void>;
  createSpendAlert(scope: SpendScope, alert: { threshold_usd: number; recipients: string[] }, identity: string): Promise<{ id: string }>;
  updateSpendAlert(scope: SpendScope, id: string, alert: { threshold_usd: number; recipients: string[] }): Promise<void>;
  deleteSpendAlert(scope: SpendScope, id: string): Promise<void>;

  usage(query: UsageQuery): Promise<UsageRow[]>;
  costs(query: { start_time: number; end_time: number; project_ids?: string[]; group_by: ('project_id' | 'line_item' | 'key_id')[] }): Promise<CostRow[]>;
  auditEvents(query: { since: number }): Promise<AuditEvent[]>;

  /** The cheap authenticated call that proves a new key works (Groq and OpenAI: GET /models). */
  verifyKey(value: string): Promise<void>;
  /** The organization's clock (Unix seconds) as last observed, or null before any answer. */
  observedNow(): number | null;
  close?(): Promise<void>;
}
