/**
 * The wire shapes of the Groq organization contract v2 (docs/groq-admin-api.md): OpenAI's
 * Administration API objects under Groq's `/openai/v1` base. Types only; `./client.ts` is the
 * one module that knows paths, and the sandbox is the one that serves them.
 */

export interface Organization {
  object: 'organization';
  id: string;
  name: string;
}

export type PermissionMode = 'allow_list' | 'deny_list';

/** Model permissions of the organization or of a project. None set reads as `deny_list` with `[]`. */
export interface ModelPermissions {
  object: 'organization.model_permissions' | 'project.model_permissions';
  mode: PermissionMode;
  model_ids: string[];
}

export interface ModelPermissionsInput {
  mode: PermissionMode;
  model_ids: string[];
}

/** The four limit fields of a rate limit, in the contract's names. */
export const RATE_LIMIT_FIELDS = [
  'max_requests_per_1_minute',
  'max_tokens_per_1_minute',
  'max_requests_per_1_day',
  'max_tokens_per_1_day',
] as const;
export type RateLimitField = (typeof RATE_LIMIT_FIELDS)[number];
export type RateLimitValues = Record<RateLimitField, number>;

/** One model's limits on the organization (read-only, set by Groq's tier) or on a project. `id` is `rl-<model>`. */
export interface RateLimit extends RateLimitValues {
  object: 'organization.rate_limit' | 'project.rate_limit';
  id: string;
  model: string;
}

export type ProjectStatus = 'active' | 'archived';

export interface Project {
  object: 'organization.project';
  id: string;
  name: string;
  created_at: number;
  archived_at: number | null;
  status: ProjectStatus;
}

/** A project's API key. `metadata` is string → string (≤ 16 entries, values ≤ 512 characters). */
export interface ProjectApiKey {
  object: 'organization.project.api_key';
  id: string;
  name: string;
  redacted_value: string;
  created_at: number;
  last_used_at: number | null;
  metadata: Record<string, string>;
}

export interface CreateKeyInput {
  name: string;
  metadata: Record<string, string>;
}

/** Update body: either field; a `null` metadata value removes that entry, the rest are merged. */
export interface UpdateKeyInput {
  name?: string;
  metadata?: Record<string, string | null>;
}

/** The only time a key's value is seen. Keep it out of logs, errors, plans and reports. */
export interface CreatedProjectApiKey extends ProjectApiKey {
  value: string;
}

export interface SpendLimit {
  object: 'organization.spend_limit';
  /** US cents. */
  threshold_amount: number;
  currency: 'USD';
  interval: 'month';
  enforcement: { status: 'inactive' | 'enforcing' };
}

export interface SpendAlert {
  object: 'organization.spend_alert';
  id: string;
  /** US cents. */
  threshold_amount: number;
  currency: 'USD';
  interval: 'month';
  notification_channel: { type: 'email'; recipients: string[] };
}

export interface SpendAlertInput {
  threshold_amount: number;
  currency: 'USD';
  interval: 'month';
  notification_channel: { type: 'email'; recipients: string[] };
}

export interface Model {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  active: boolean;
  context_window: number;
  max_completion_tokens: number;
  public_apps: unknown;
}

export type BucketWidth = '1m' | '1h' | '1d';

export interface UsageResult {
  object: 'organization.usage.completions.result';
  input_tokens: number;
  output_tokens: number;
  num_model_requests: number;
  project_id: string | null;
  api_key_id: string | null;
  model: string | null;
}

export interface CostResult {
  object: 'organization.costs.result';
  amount: { value: number; currency: 'usd' };
  line_item: string | null;
  project_id: string | null;
}

export interface Bucket<R> {
  object: 'bucket';
  start_time: number;
  end_time: number;
  results: R[];
}

export interface UsageQuery {
  start_time: number;
  end_time?: number;
  bucket_width?: BucketWidth;
  project_ids?: string[];
  api_key_ids?: string[];
  models?: string[];
  group_by?: ('project_id' | 'api_key_id' | 'model')[];
  /** Buckets per page. */
  limit?: number;
}

export interface CostsQuery {
  start_time: number;
  end_time?: number;
  project_ids?: string[];
  group_by?: ('project_id' | 'line_item')[];
  /** Buckets per page. */
  limit?: number;
}

export interface AuditLog {
  id: string;
  type: string;
  effective_at: number;
  actor: { type: string; session?: { user?: { id?: string; email?: string } }; api_key?: { id?: string; type?: string } } | null;
  project?: { id: string; name: string } | null;
  [detail: string]: unknown;
}

export interface AuditLogQuery {
  effective_at_gte?: number;
  event_types?: string[];
}

/** Groq's rate-limit headers on an inference response (requests per day, tokens per minute). */
export interface RateLimitHeaders {
  limitRequests: number | null;
  remainingRequests: number | null;
  limitTokens: number | null;
  remainingTokens: number | null;
  /** Go-style durations as sent, e.g. `2m59.56s`. */
  resetRequests: string | null;
  resetTokens: string | null;
  /** Seconds, on a 429 only. */
  retryAfter: number | null;
}

export interface ChatCompletion {
  id: string;
  model: string;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

// --- Members (contract v2.1): OpenAI's shapes with Groq's three roles (all assumed for Groq).

export interface User {
  object: 'organization.user';
  /** `user_…`. */
  id: string;
  name: string;
  email: string;
  /** `owner` | `developer` | `reader`. */
  role: string;
  added_at: number;
}

/** The contract's invite has no `projects` (OpenAI's has): what an invite carries is not read back. */
export interface Invite {
  object: 'organization.invite';
  /** `invite-…`. */
  id: string;
  email: string;
  role: string;
  status: 'pending' | 'accepted' | 'expired';
  invited_at: number;
  expires_at: number | null;
  accepted_at: number | null;
  projects?: { id: string; role: string }[];
}

export interface InviteInput {
  email: string;
  role: string;
  projects?: { id: string; role: string }[];
}

/** `id` is the user's. */
export interface ProjectUser {
  object: 'organization.project.user';
  id: string;
  name: string;
  email: string;
  role: string;
  added_at: number;
}
