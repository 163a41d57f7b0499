/**
 * The live organization in groq-rbac's own terms (issue 18): what every provider's read module
 * produces and what plan/, report/ and apply/ consume. No provider's field names, paths or
 * bookkeeping encoding appear here; each provider (src/providers/<name>/) maps its wire format to
 * these types in one read module and back in one write module.
 */

import type { LiveMembers } from './members.js';

/** Limit fields in the policies' names. A provider declares which of them it has (`Capabilities.limitFields`). */
export const DOMAIN_LIMIT_FIELDS = [
  'requests_per_minute',
  'tokens_per_minute',
  'requests_per_day',
  'tokens_per_day',
  'images_per_minute',
  'audio_megabytes_per_minute',
  'batch_input_tokens_per_day',
] as const;
export type DomainLimitField = (typeof DOMAIN_LIMIT_FIELDS)[number];
export type DomainLimitSet = Partial<Record<DomainLimitField, number>>;

/** Model permissions as a rule; `null` where one is expected means "no restriction of its own". */
export interface DomainModelRule {
  mode: 'allow_list' | 'deny_list';
  /** Sorted, without repeats. */
  models: string[];
}

/**
 * groq-rbac's bookkeeping on a live key, decoded by its provider (Groq: key metadata; OpenAI: the
 * service account's name). A live key without marks is unmanaged.
 */
export interface KeyMarks {
  /** The policy key this live key implements. */
  key: string;
  /** 1 for a key's first generation. */
  generation: number;
  /** `triggerMark(trigger)` of the trigger the generation was made for, or null. */
  trigger: string | null;
  /** When the generation was marked delivered (org seconds); null: never (an interrupted rotation). */
  delivered_at: number | null;
  /** The targets hash an approved apply recorded for this generation; null: none recorded. */
  targets: string | null;
  protect: boolean;
  /**
   * The live owner mark: the team whose file had the key's project when an approved apply last wrote
   * the key (made it, adopted it, or moved the project with the org admins' grant), as its name or,
   * where a provider has no room for the name, its hashed form (core/marks.ts `hashedTeamMark`; compare
   * with `isTeamMark`). Absent or null: not written (a key made before owner marks, or unmanaged); the
   * base revision alone then says who owns the project (plan/project-ownership.ts).
   */
  team?: string | null;
  /**
   * The rotation race's marks (apply-change.ts, makeGeneration): when a run whose create was
   * replayed claimed the generation to deliver it, and when its creator began discarding it. Absent
   * or null: not written. Only the presence counts; the time is for people reading the organization.
   */
  claimed_at?: number | null;
  discarded_at?: number | null;
}

export interface LiveKey {
  /** The provider's id of the key (what usage rows and audit events name). */
  id: string;
  /** A provider-private second id (OpenAI: the service account's); opaque to core. */
  handle?: string;
  /** The key's name as groq-rbac reads it (decoded where the provider encodes marks in names). */
  name: string;
  redacted_value: string;
  created_at: number;
  last_used_at: number | null;
  marks: KeyMarks | null;
  /**
   * A person's own key, which groq-rbac cannot mark (OpenAI: a user's project key, owned by no
   * service account): never adopted, only reported. Absent: a key groq-rbac can mark.
   */
  personal?: true;
}

/** One model's limits on a project or on the organization; `id` is the provider's, opaque. */
export interface LiveLimit {
  id: string;
  model: string;
  values: DomainLimitSet;
}

export interface LiveSpendAlert {
  id: string;
  threshold_usd: number;
  recipients: string[];
}

export interface LiveSpending {
  /** `null`: no spend limit set. */
  monthly_cap_usd: number | null;
  /** The spend limit is reached and refusing traffic now (refused calls leave no usage to judge quiet keys by). */
  enforcing?: boolean;
  alerts: LiveSpendAlert[];
}

export interface DomainLiveProject {
  id: string;
  name: string;
  created_at: number;
  permissions: DomainModelRule | null;
  limits: LiveLimit[];
  keys: LiveKey[];
  /** Present where the provider has project spending. */
  spending?: LiveSpending;
}

export interface DomainLiveState {
  /** The provider's name, as `provider:` in org.yaml says it. */
  provider: string;
  org: { id: string; name: string };
  /** The organization's own rule; null also where the provider has none (OpenAI). */
  permissions: DomainModelRule | null;
  /** The organization's own limits per model: every project's ceiling and default. */
  limits: LiveLimit[];
  spending: LiveSpending;
  /** Active projects only. */
  projects: DomainLiveProject[];
  /** The organization's clock when read (Unix seconds): the `now` to plan against. */
  observed_at: number;
}

/** One usage row, any bucket width. */
export interface UsageRow {
  start_time: number;
  end_time: number;
  project_id: string | null;
  key_id: string | null;
  model: string | null;
  requests: number;
  input_tokens: number;
  output_tokens: number;
}

export interface CostRow {
  start_time: number;
  end_time: number;
  project_id: string | null;
  key_id: string | null;
  line_item: string | null;
  amount_usd: number;
}

/** An audit-log event, matched to what it touched by the resource's id (not by its `project`). */
export interface AuditEvent {
  id: string;
  /** The provider's event type, for display. */
  type: string;
  resource: {
    kind: 'key' | 'project' | 'limit' | 'permissions' | 'spend' | 'member' | 'other';
    id: string | null;
    project_id: string | null;
  };
  actor: string | null;
  at: number;
}

/** Model ids the organization serves: those it has a limit for. */
export function servedModels(live: Pick<DomainLiveState, 'limits'>): string[] {
  return live.limits.map((l) => l.model);
}

// Issue 20, merged into DomainLiveState above (declaration merging), beside the members' own types.
export interface DomainLiveState {
  /** The organization's people, read apart (`ProviderAdmin.readMembers`) where the policies manage them. */
  members?: LiveMembers;
}
