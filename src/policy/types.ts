/** The validated desired state: what the policies say the organization should be. */

export const LIMIT_FIELDS = ['requests_per_minute', 'tokens_per_minute', 'requests_per_day', 'tokens_per_day'] as const;
export type LimitField = (typeof LIMIT_FIELDS)[number];
/** `null` means "the organization's own limit applies" (the contract's meaning). */
export type Limits = Record<LimitField, number | null>;

export interface SourceRef {
  file: string;
  line: number;
  column: number;
}

export type Delivery =
  | { kind: 'github'; repository: string; secret: string; environment?: string }
  | { kind: 'vault'; path: string; field: string; address?: string }
  | { kind: 'file'; path: string; mode?: string };

export interface RotationPolicy {
  everySeconds: number;
  quietPeriodSeconds: number;
  minOverlapSeconds: number;
  /** Any new value starts a rotation. */
  trigger: string | null;
  deliver: Delivery[];
}

export interface DesiredKey {
  name: string;
  team: string;
  description: string | null;
  /** Resolved allow-list: the key's own, else the team's, else the org's; `null` is every model. */
  models: string[] | null;
  /** Resolved limits: the key's own, else the org ceiling, else `null`. */
  limits: Limits;
  enabled: boolean;
  protect: boolean;
  rotation: RotationPolicy;
  source: SourceRef;
}

export interface DesiredTeam {
  name: string;
  owners: string[];
  models: string[] | null;
  file: string;
}

export interface SpendingPolicy {
  monthly_cap_usd: number | null;
  alert_thresholds_usd: number[];
  auto_pause: boolean;
}

export interface DesiredOrg {
  id: string;
  admins: string[];
  models: string[] | null;
  ceilings: Limits;
  /** `null`: the policies do not manage the spending limit. */
  spending: SpendingPolicy | null;
  unmanagedKeys: 'report' | 'delete';
  safety: { maxDeletes: number; maxDeletePercent: number };
  file: string;
}

export interface DesiredState {
  org: DesiredOrg;
  teams: DesiredTeam[];
  keys: DesiredKey[];
}
