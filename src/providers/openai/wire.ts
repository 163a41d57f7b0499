/**
 * OpenAI's Administration API on the wire: only the fields groq-rbac reads or sends. Every shape is
 * from docs/openai-admin-api.md (openai-node 6.49.0 `src/resources/admin/organization/**` and
 * openai-openapi 2.3.0); nothing outside src/providers/openai/ sees these types.
 */
import type { DomainLimitField } from '../../core/domain.js';

/** A cursor page (SDK `ConversationCursorPage`): ask again with `after=<last_id>` while `has_more`. */
export interface WireList<T> {
  object: 'list';
  data: T[];
  last_id: string | null;
  has_more: boolean;
}

/** Usage and costs page with `page=<next_page>` instead (SDK `usage.ts`). */
export interface WireBucketPage<R> {
  object: 'page';
  data: WireBucket<R>[];
  has_more: boolean;
  next_page: string | null;
}
export interface WireBucket<R> {
  start_time: number;
  end_time: number;
  results: R[];
}

/** `{"error": {"message", "type", "param", "code"}}`, `param` and `code` nullable (spec `ErrorResponse`). */
export interface WireError {
  error?: { message?: string; type?: string; param?: string | null; code?: string | null };
}

export interface WireProject {
  id: string;
  name?: string;
  created_at: number;
  /** `active` | `archived` (SDK: optional). */
  status?: string;
  archived_at?: number | null;
}

/** `GET/POST …/model_permissions` (SDK `projects/model-permissions.ts`). */
export interface WireModelPermissions {
  mode: 'allow_list' | 'deny_list';
  model_ids: string[];
}

/** The six rate-limit fields (SDK `projects/rate-limits.ts`); no tokens per day. */
export interface WireRateLimitValues {
  max_requests_per_1_minute?: number;
  max_tokens_per_1_minute?: number;
  max_requests_per_1_day?: number;
  max_images_per_1_minute?: number;
  max_audio_megabytes_per_1_minute?: number;
  batch_1_day_max_input_tokens?: number;
}
export interface WireRateLimit extends WireRateLimitValues {
  id: string;
  model: string;
}

/** Domain limit field → OpenAI's field. `tokens_per_day` has none (the capability says so). */
export const LIMIT_TO_WIRE: Partial<Record<DomainLimitField, keyof WireRateLimitValues>> = {
  requests_per_minute: 'max_requests_per_1_minute',
  tokens_per_minute: 'max_tokens_per_1_minute',
  requests_per_day: 'max_requests_per_1_day',
  images_per_minute: 'max_images_per_1_minute',
  audio_megabytes_per_minute: 'max_audio_megabytes_per_1_minute',
  batch_input_tokens_per_day: 'batch_1_day_max_input_tokens',
};

export interface WireServiceAccount {
  id: string;
  name: string;
  created_at: number;
}

/** `POST …/service_accounts` → 200 with the key's value, shown once (spec example). */
export interface WireServiceAccountCreated extends WireServiceAccount {
  api_key: { id: string; value: string; created_at: number } | null;
}

/** `GET …/api_keys` items (SDK `projects/api-keys.ts`). */
export interface WireProjectApiKey {
  id: string;
  name: string;
  redacted_value: string;
  created_at: number;
  last_used_at: number | null;
  owner?: { type?: 'user' | 'service_account'; service_account?: WireServiceAccount };
}

/** Spend limits (SDK `spend-limit.ts`, `projects/spend-limit.ts`): cents. */
export interface WireSpendLimit {
  threshold_amount: number;
}
/** Spend alerts (SDK `spend-alerts.ts`, `projects/spend-alerts.ts`): cents, e-mail recipients. */
export interface WireSpendAlert {
  id: string;
  threshold_amount: number;
  notification_channel?: { type?: string; recipients?: string[] };
}

/** `GET /organization/usage/completions` result (SDK `usage.ts`). */
export interface WireUsageResult {
  input_tokens?: number;
  output_tokens?: number;
  num_model_requests?: number;
  project_id?: string | null;
  api_key_id?: string | null;
  model?: string | null;
}

/** `GET /organization/costs` result (SDK `usage.ts`). */
export interface WireCostResult {
  amount?: { value?: number; currency?: string };
  line_item?: string | null;
  project_id?: string | null;
  api_key_id?: string | null;
}

/** `GET /organization/audit_logs` entry (SDK `audit-logs.ts`): details under a field named by the type. */
export interface WireAuditLog {
  id: string;
  type: string;
  effective_at: number;
  project?: { id?: string; name?: string } | null;
  actor?: {
    type?: 'session' | 'api_key';
    session?: { user?: { id?: string; email?: string } };
    api_key?: { id?: string };
  } | null;
  [details: string]: unknown;
}

// --- Users, invites, project users (issue 20; docs/openai-admin-api.md "Users, invites, project users").

/** `GET /organization/users` items (SDK `users/users.ts`): role `owner` | `reader`. */
export interface WireUser {
  id: string;
  name?: string;
  email: string;
  role: string;
  added_at?: number;
}

/** `GET /organization/invites` items (SDK `invites.ts`; the spec names the sending time `invited_at`, the SDK `created_at`). */
export interface WireInvite {
  id: string;
  email: string;
  role: string;
  status: 'accepted' | 'expired' | 'pending';
  expires_at?: number | null;
  projects?: { id: string; role: string }[];
}

/** `GET …/projects/{id}/users` items (SDK `projects/users/users.ts`): `id` is the user's; role `owner` | `member`. */
export interface WireProjectUser {
  id: string;
  email: string;
  role: string;
}

/** `GET /organization/admin_api_keys` items (SDK `admin-api-keys.ts`): `owner` is whose the key is. */
export interface WireAdminApiKey {
  id: string;
  redacted_value?: string;
  owner?: { type?: string; id?: string; role?: string };
}
