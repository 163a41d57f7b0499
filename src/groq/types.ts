/** The organization as the contract describes it (docs/groq-admin-api.md). */

export interface Organization {
  id: string;
  name: string;
}

export type KeyStatus = 'active' | 'disabled';

/** What a key may do: the fields a policy sets. `null` allowed_models is every model; a `null` limit, the organization's. */
export interface KeyFields {
  name: string;
  allowed_models: string[] | null;
  requests_per_minute: number | null;
  tokens_per_minute: number | null;
  requests_per_day: number | null;
  tokens_per_day: number | null;
}

export interface ApiKey extends KeyFields {
  id: string;
  redacted_value: string;
  status: KeyStatus;
  metadata: Record<string, string>;
  created_at: number;
  last_used_at: number | null;
}

export interface CreateKeyInput extends KeyFields {
  metadata: Record<string, string>;
}

/** PATCH body: any subset; a `null` metadata value removes that entry. */
export type UpdateKeyInput = Partial<KeyFields> & { status?: KeyStatus; metadata?: Record<string, string | null> };

/** A created key: the only time its value is seen. Keep it out of logs and errors. */
export interface CreatedKey extends ApiKey {
  value: string;
}

export interface SpendingLimit {
  monthly_cap_usd: number | null;
  alert_thresholds_usd: number[];
  auto_pause: boolean;
  month_to_date_usd: number;
  status: 'active' | 'paused';
}

export type SpendingLimitInput = Pick<SpendingLimit, 'monthly_cap_usd' | 'alert_thresholds_usd' | 'auto_pause'>;

export interface Model {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  active: boolean;
  context_window: number;
  max_completion_tokens: number;
}

export interface KeyUsageToday {
  key_id: string;
  key_name: string;
  requests_today: number;
  tokens_today: number;
  estimated_cost_usd: number;
  last_used_at: number | null;
}

export interface UsageToday {
  date: string;
  usage_by_key: KeyUsageToday[];
}

export interface DailyUsage {
  date: string;
  key_id: string;
  key_name: string;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  estimated_cost_usd: number;
}

/** Groq's rate-limit headers on an inference response (requests per day, tokens per minute). */
export interface RateLimits {
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

/** Everything the reconciler reads from the organization, read once per run. */
export interface LiveState {
  org: Organization;
  keys: ApiKey[];
  spending: SpendingLimit;
  /** Model ids the organization serves. */
  models: string[];
  /** The organization's clock when it was read (Unix seconds): the `now` to plan against. */
  observed_at: number;
}

/** The organization behind one interface: the HTTP client and in-process fakes both implement it. */
export interface GroqAdmin {
  getOrganization(): Promise<Organization>;
  listKeys(): Promise<ApiKey[]>;
  getKey(id: string): Promise<ApiKey>;
  createKey(input: CreateKeyInput, idempotencyKey: string): Promise<CreatedKey>;
  updateKey(id: string, patch: UpdateKeyInput): Promise<ApiKey>;
  deleteKey(id: string): Promise<void>;
  getSpendingLimit(): Promise<SpendingLimit>;
  setSpendingLimit(input: SpendingLimitInput): Promise<SpendingLimit>;
  listModels(): Promise<Model[]>;
  getUsageToday(): Promise<UsageToday>;
  listDailyUsage(startDate: string, endDate: string): Promise<DailyUsage[]>;
  /** The organization's clock (Unix seconds) as last observed, or null before any response. */
  observedNow(): number | null;
}

/** Reads the live state with the minimum of requests: org, key pages, spending limit, models. */
export async function readLiveState(admin: GroqAdmin): Promise<LiveState> {
  const [org, keys, spending, models] = await Promise.all([admin.getOrganization(), admin.listKeys(), admin.getSpendingLimit(), admin.listModels()]);
  const observed_at = admin.observedNow() ?? Math.floor(Date.now() / 1000);
  return { org, keys, spending, models: models.filter((m) => m.active).map((m) => m.id), observed_at };
}
