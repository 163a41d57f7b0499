/**
 * The plan's data: one stable, versioned shape (docs/plan-format.md) that every renderer reads and
 * `apply` executes. Field names are snake_case because this is the JSON users script against.
 */

import type { KeyFields, KeyStatus } from '../groq/types.js';

export const METADATA = {
  key: 'groq-rbac/key',
  team: 'groq-rbac/team',
  protect: 'groq-rbac/protect',
  generation: 'groq-rbac/generation',
} as const;

/** The fields of a key that the policies decide, as compared and shown; `allowed_models` sorted. */
export interface KeyState extends KeyFields {
  status: KeyStatus;
  /** Only groq-rbac's own metadata entries. */
  metadata: Record<string, string>;
}

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

export type KeyAction = 'create' | 'update' | 'delete' | 'adopt';

export interface KeyChange {
  resource: 'api_key';
  action: KeyAction;
  /** The key's name in the policies (or live, for an unmanaged key). */
  key: string;
  team: string | null;
  key_id: string | null;
  redacted_value: string | null;
  before: KeyState | null;
  after: KeyState | null;
  fields: FieldChange[];
  /** Why this change: `new in policies`, `drift`, `removed from policies`, `unmanaged_keys: delete`, … */
  reason: string;
}

export interface SpendingState {
  monthly_cap_usd: number | null;
  alert_thresholds_usd: number[];
  auto_pause: boolean;
}

export interface SpendingChange {
  resource: 'spending_limit';
  action: 'update';
  key: null;
  team: null;
  before: SpendingState;
  after: SpendingState;
  fields: FieldChange[];
  reason: string;
}

export type Change = KeyChange | SpendingChange;

export interface UnmanagedKey {
  key_id: string;
  name: string;
  redacted_value: string;
  created_at: number;
  last_used_at: number | null;
}

export interface Warning {
  code: 'model_retiring' | 'key_unused' | 'limit_raised' | 'ambiguous_adopt' | 'duplicate_managed_key';
  message: string;
  key?: string;
}

export interface Refusal {
  code: 'org_mismatch' | 'protected_key' | 'admin_key' | 'too_many_deletes' | 'model_not_served';
  message: string;
  /** `--force` overrides it; the others refuse even then. */
  forceable: boolean;
}

export interface PlanSummary {
  create: number;
  update: number;
  delete: number;
  adopt: number;
  rotate: number;
}

export interface Plan {
  format_version: 1;
  org: string;
  /** Unix seconds: the `now` the plan was computed for. Not part of the fingerprint. */
  generated_at: number;
  /** sha256 of the canonical JSON of org and changes: what a reviewer approved. */
  fingerprint: string;
  summary: PlanSummary;
  changes: Change[];
  unmanaged: UnmanagedKey[];
  warnings: Warning[];
  refusals: Refusal[];
}
