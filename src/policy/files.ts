/**
 * The policy files as the JSON Schemas (schemas/*.schema.json) describe them: what a file holds
 * once it has validated. Keep in step with the schemas.
 */
import type { LimitField } from './types.js';

type LimitFields = Partial<Record<LimitField, number>>;

interface RotationFields {
  every?: string;
  quiet_period?: string;
  min_overlap?: string;
}

export interface OrgFile {
  version: 1;
  org: string;
  admins: string[];
  models?: string[];
  limits?: LimitFields;
  spending?: { monthly_cap_usd: number | null; alert_thresholds_usd?: number[]; auto_pause?: boolean };
  unmanaged_keys?: 'report' | 'delete';
  safety?: { max_deletes?: number; max_delete_percent?: number };
  rotation?: RotationFields;
}

export type DeliveryEntry =
  | { github: { repository: string; secret: string; environment?: string } }
  | { vault: { path: string; field: string; address?: string } }
  | { file: { path: string; mode?: string } };

export interface KeyEntry extends LimitFields {
  name: string;
  description?: string;
  models?: string[];
  enabled?: boolean;
  protect?: boolean;
  rotation?: RotationFields & { trigger?: string; deliver?: DeliveryEntry[] };
}

export interface TeamFile {
  team: string;
  description?: string;
  owners: string[];
  models?: string[];
  keys: KeyEntry[];
}
