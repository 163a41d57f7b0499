/**
 * The policy files (v2) as the JSON Schemas (schemas/*.schema.json) describe them: what a file holds
 * once it has validated. Keep in step with the schemas.
 */
import type { LimitSet } from './types.js';

/** A list is an allow list; `{block: [...]}` a block list. */
export type ModelsField = string[] | { block: string[] };

/** `default` and one entry per model id. */
export type LimitsField = Record<string, LimitSet>;

interface RotationFields {
  every?: string;
  quiet_period?: string;
  min_overlap?: string;
}

/** A spend limit and its alerts: the organization's in org.yaml, a project's in its team file. */
export interface SpendingField {
  monthly_cap_usd: number | null;
  alert_thresholds_usd?: number[];
  alert_recipients?: string[];
}

export interface OrgFile {
  version: 2;
  org: string;
  admins: string[];
  provider?: 'groq' | 'groq-console' | 'openai';
  models?: ModelsField;
  limits?: LimitsField;
  spending?: SpendingField;
  unmanaged?: { projects?: 'report' | 'archive'; keys?: 'report' | 'delete'; members?: 'report' | 'remove' };
  safety?: { max_deletes?: number; max_delete_percent?: number; min_owners?: number; max_member_removal_percent?: number };
  /** E-mail address → organization role (issue 20). */
  members?: Record<string, string>;
  privacy?: { member_addresses?: 'masked' | 'shown' };
  rotation?: RotationFields;
  vault?: { address: string };
  grants?: Record<string, GrantEntry>;
}

/** What org.yaml grants one team beyond its own name space. */
export interface GrantEntry {
  projects?: string[];
  github?: { repository: string; environments?: string[] }[];
  vault?: string[];
  files?: string[];
}

export type DeliveryEntry =
  | { github: { repository: string; secret: string; environment?: string } }
  | { vault: { path: string; field: string } }
  | { file: { path: string; mode?: string } };

export interface KeyEntry {
  name: string;
  description?: string;
  protect?: boolean;
  rotation?: RotationFields & { trigger?: string; deliver?: DeliveryEntry[] };
}

export interface ProjectEntry {
  name: string;
  description?: string;
  models?: ModelsField;
  limits?: LimitsField;
  spending?: SpendingField;
  protect?: boolean;
  keys?: KeyEntry[];
  /** E-mail address → project role, or `none` (issue 20). */
  members?: Record<string, string>;
}

export interface TeamFile {
  team: string;
  description?: string;
  owners: string[];
  models?: ModelsField;
  /** E-mail address → project role in each of the team's projects (issue 20). */
  members?: Record<string, string>;
  projects: ProjectEntry[];
}
