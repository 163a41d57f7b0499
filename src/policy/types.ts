/** The validated desired state (policy v2): what the policies say the organization should be. */
import type { DomainModelRule } from '../core/domain.js';
import type { LimitField, LimitSet } from '../core/limits.js';

export { LIMIT_FIELDS, type LimitField, type LimitSet } from '../core/limits.js';

export interface SourceRef {
  file: string;
  line: number;
  column: number;
}

/**
 * Model permissions as written: a list is an allow list, `{block: [...]}` a block list (a deny
 * list). `null` anywhere means "no restriction of its own". The same shape as the live rule.
 */
export type ModelRule = DomainModelRule;

/** Per-model limits: `default` for every model the project may use; a model's entry overrides its fields. */
export interface LimitsPolicy {
  default: LimitSet;
  models: Record<string, LimitSet>;
}

export type Delivery =
  | { kind: 'github'; repository: string; secret: string; environment?: string }
  /** At the organization's Vault (`DesiredOrg.vault`, else VAULT_ADDR): a team file cannot name another. */
  | {
      kind: 'vault';
      path: string;
      field: string;
      /** @deprecated never set by the policy reader: the address is the organization's (`DesiredOrg.vault`). */ address?: string;
    }
  | { kind: 'file'; path: string; mode?: string };

export interface RotationPolicy {
  everySeconds: number;
  quietPeriodSeconds: number;
  minOverlapSeconds: number;
  /** Any new value starts a rotation. */
  trigger: string | null;
  deliver: readonly Delivery[];
}

export interface DesiredKey {
  /** Unique across the organization; the live key carries it in `groq-rbac/key`. */
  name: string;
  project: string;
  team: string;
  description: string | null;
  /** Its own `protect`, or its project's. */
  protect: boolean;
  rotation: RotationPolicy;
  source: SourceRef;
}

export interface DesiredProject {
  /** Unique across the organization; live projects are matched by name. */
  name: string;
  team: string;
  description: string | null;
  /** Resolved: its own, else its team's (as written there), else `null` (no restriction of its own). */
  models: ModelRule | null;
  /**
   * As written; fields nobody sets follow the organization's own limit for that model (Groq), or
   * stay as the project's live limit has them (OpenAI, which has no organization limits).
   */
  limits: LimitsPolicy;
  /** Where each model's entry under `limits` is written, and each of its fields: for messages. */
  limitSources?: Record<string, { entry: SourceRef; fields: Partial<Record<LimitField, SourceRef>> }>;
  /** The project's own spend limit and alerts (providers with project spending); absent: left alone. */
  spending?: SpendingPolicy;
  protect: boolean;
  source: SourceRef;
}

export interface DesiredTeam {
  name: string;
  owners: string[];
  models: ModelRule | null;
  file: string;
}

export interface SpendingPolicy {
  /** `null` removes the spend limit. */
  monthly_cap_usd: number | null;
  /** Sorted ascending. */
  alert_thresholds_usd: number[];
  alert_recipients: string[];
}

export interface DesiredOrg {
  id: string;
  admins: string[];
  /**
   * `groq` (absent): `apply` changes the organization through the admin API; `groq-console`: a
   * person does in the Console, following the runbook; `openai`: through OpenAI's Administration API.
   */
  provider?: 'groq' | 'groq-console' | 'openai';
  /** The organization's model permissions; `null`: no restriction. */
  models: ModelRule | null;
  /** Ceiling for every project, per model: validated, never applied. */
  limits: LimitsPolicy;
  /** `null`: the policies leave the spend limit and alerts alone. */
  spending: SpendingPolicy | null;
  unmanaged: { projects: 'report' | 'archive'; keys: 'report' | 'delete' };
  safety: { maxDeletes: number; maxDeletePercent: number };
  /** The organization's Vault (org.yaml `vault.address`): the only origin the Vault token goes to. `null`: VAULT_ADDR. */
  vault: { address: string } | null;
  /** What org.yaml grants each team beyond its own name space (see ownership.ts), by team name. */
  grants: Record<string, TeamGrants>;
  file: string;
}

/** org.yaml's grants for one team, as written (validated: the team exists, prefixes are clean). */
export interface TeamGrants {
  /** Live projects the team may adopt or take over from another team. */
  projects: string[];
  /** `environments: null`: the repository's own secrets and any environment. */
  github: { repository: string; environments: string[] | null }[];
  /** KV v2 path prefixes, as written. */
  vault: string[];
  /** Folders relative to the repository root, as written. */
  files: string[];
}

export interface DesiredState {
  org: DesiredOrg;
  teams: DesiredTeam[];
  projects: DesiredProject[];
  keys: DesiredKey[];
}

/** One person's role where a policy writes it (issue 20). `email` in lower case (`normaliseEmail`). */
export interface DesiredMember {
  email: string;
  role: string;
  source: SourceRef;
}

/** A project's people: its team file's `members`, with the project's own entries over them (`none` left out). */
export interface DesiredProjectMembers {
  project: string;
  team: string;
  /** Sorted by e-mail. */
  members: DesiredMember[];
}

/** Members and roles as code: present only where org.yaml has `members:` (absent: people are left alone). */
export interface DesiredMembers {
  /** `provider:` of org.yaml (`groq` when absent): whose roles these are. */
  provider: string;
  /** Sorted by e-mail. */
  org: DesiredMember[];
  /** Only the projects whose team file or own entry lists members: the others' memberships are left alone. */
  projects: DesiredProjectMembers[];
  /** `unmanaged.members`: live members in no policy are reported, or removed. */
  unmanaged: 'report' | 'remove';
  /** `safety.min_owners`. */
  minOwners: number;
  /** `safety.max_member_removal_percent`. */
  maxRemovalPercent: number;
  /** `privacy.member_addresses`: whether Markdown (comments, summaries, issues) shows e-mail addresses. */
  addresses: 'masked' | 'shown';
  /** org.yaml, for messages. */
  file: string;
}

// Merged into DesiredState above (declaration merging), kept beside its types so issue 20 and the
// provider port do not edit the same lines.
export interface DesiredState {
  /** Issue 20; absent where org.yaml has no `members:`. */
  members?: DesiredMembers;
}
