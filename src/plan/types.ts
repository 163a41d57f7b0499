/**
 * The plan's data (format_version 3): one stable, versioned shape (docs/plan-format.md) that every
 * renderer reads and `apply` executes. Field names are snake_case because this is the JSON users
 * script against. Reasons are enums: renderers word them, so rewording never moves a fingerprint.
 * It speaks groq-rbac's vocabulary only: policy field names, never a provider's field names or
 * how a provider stores groq-rbac's bookkeeping.
 */
import type { LimitSet } from '../core/limits.js';
import type { ModelRule } from '../policy/types.js';

/** Why a change is in the plan. */
export type ChangeReason =
  /** In the policies, not in the organization. */
  | 'new'
  /** In both; the organization differs from the policies. */
  | 'differs'
  /** Managed by groq-rbac, no longer in the policies. */
  | 'removed'
  /** In no policy, and `unmanaged` says to delete or archive such things. */
  | 'unmanaged'
  /** An unmanaged key with the policy key's name in the policy's project: taken over. */
  | 'same_name'
  /** A second live key for one policy key (e.g. two applies raced): removed. */
  | 'surplus'
  /** An older generation of a rotated key, quiet for its quiet period: retired. */
  | 'retired';

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

/**
 * What a plan shows of a key and compares: its name, whether groq-rbac manages it (it carries
 * groq-rbac's marks) and its protect flag. Rotation bookkeeping (generation, trigger, delivery,
 * targets) is not compared; a key change's `fields` name it where a change writes it.
 */
export interface KeyState {
  name: string;
  managed: boolean;
  protect: boolean;
}

/**
 * The field names a key change's `fields` use: the key's name, and groq-rbac's marks (the policy
 * key it implements becomes `managed`; adopting writes `generation`, `targets`, `trigger` and
 * `team`; a move the org admins granted rewrites `team`, the live owner mark).
 */
export type KeyField = 'name' | 'managed' | 'protect' | 'generation' | 'targets' | 'trigger' | 'team';

/** Shown to reviewers, never fingerprinted: it moves with traffic and time. */
export interface ChangeContext {
  key_count?: number;
  last_used_at?: number | null;
  /** For a difference: who last changed the thing in the organization, from its audit log. */
  changed_by?: { actor: string; at: number };
}

interface ChangeBase {
  reason: ChangeReason;
  team: string | null;
  fields: FieldChange[];
  context?: ChangeContext;
}

export interface OrgPermissionsChange extends ChangeBase {
  resource: 'org_model_permissions';
  action: 'update';
  /** `null`: no restriction. */
  before: ModelRule | null;
  after: ModelRule | null;
}

export interface SpendLimitChange extends ChangeBase {
  resource: 'spend_limit';
  action: 'create' | 'update' | 'delete';
  before: { monthly_cap_usd: number } | null;
  after: { monthly_cap_usd: number } | null;
}

export interface SpendAlertChange extends ChangeBase {
  resource: 'spend_alert';
  action: 'create' | 'update' | 'delete';
  alert_id: string | null;
  threshold_usd: number;
  before: { recipients: string[] } | null;
  after: { recipients: string[] } | null;
}

/** A project's own spend limit (providers with `projectSpending`: OpenAI), as the organization's. */
export interface ProjectSpendLimitChange extends Omit<SpendLimitChange, 'resource'> {
  resource: 'project_spend_limit';
  project: string;
  project_id: string | null;
}

/** A project's own spend alert, as the organization's. */
export interface ProjectSpendAlertChange extends Omit<SpendAlertChange, 'resource'> {
  resource: 'project_spend_alert';
  project: string;
  project_id: string | null;
}

export interface ProjectChange extends ChangeBase {
  resource: 'project';
  action: 'create' | 'archive';
  project: string;
  project_id: string | null;
}

export interface ProjectPermissionsChange extends ChangeBase {
  resource: 'project_model_permissions';
  action: 'update';
  project: string;
  project_id: string | null;
  before: ModelRule | null;
  after: ModelRule | null;
}

export interface RateLimitChange extends ChangeBase {
  resource: 'project_rate_limit';
  action: 'update';
  project: string;
  project_id: string | null;
  model: string;
  /**
   * The provider's id of the model's limit (opaque). `null`: the project is created by this plan on
   * a provider whose rate limits are made with the project (OpenAI): apply reads them after the
   * create, then sets the fields the model's limit has.
   */
  rate_limit_id: string | null;
  /** The limit fields the provider has, by the policies' names; `{}` while `rate_limit_id` is null. */
  before: LimitSet;
  after: LimitSet;
  /**
   * With `rate_limit_id: null` only: the fields the policy sets for this model itself (not through
   * `default`). Apply fails where the new project's limit for the model lacks one of them.
   */
  named_fields?: string[];
}

export type KeyAction = 'create' | 'update' | 'delete' | 'adopt' | 'rotate';

/** Why a generation is made: the key's first, or a rotation of the current one. */
export type RotationCause = 'first' | 'age' | 'trigger' | 'targets' | 'interrupted';

/**
 * Why a time-driven new generation waits for a reviewed apply: an unreviewed run (`apply
 * --rotations-only`, the Action's `reconcile`) delivers only to the targets a reviewed apply
 * recorded (the targets mark of the key's newest generation that records any).
 * `targets_changed`: today's targets differ from the recorded ones; `targets_unrecorded`: no
 * generation records its targets (an imported key, or one made before targets were recorded).
 */
export type ReviewReason = 'targets_changed' | 'targets_unrecorded';

/**
 * A key generation made (create, rotate) or retired (delete with reason `retired`). Time-driven
 * steps (due by age, retiring once quiet) are not fingerprinted: a plan approved on Monday still
 * applies on Tuesday. Steps a policy change starts (a new trigger, new targets) are.
 */
export interface RotationStep {
  /** The generation created, or the one retired. */
  generation: number;
  /** On a rotation: the generation in service it replaces. */
  from_generation?: number;
  cause: RotationCause | 'retire';
  time_driven: boolean;
  /** Where the new value goes (value-free descriptions); empty for a retirement. */
  targets: string[];
  /** The targets mark the new generation records (a hash of its delivery targets). */
  targets_hash?: string;
  /** The trigger the new generation records (as the policy writes it). */
  trigger?: string | null;
  /** Retire only once this run's rotation of the same key has delivered its new generation. */
  after_rotation?: boolean;
  /** On a time-driven new generation that only a reviewed apply may make (see `ReviewReason`). */
  needs_review?: ReviewReason;
}

export interface KeyChange extends ChangeBase {
  resource: 'api_key';
  action: KeyAction;
  /** The policy key's name (or the live name, for an unmanaged key). */
  key: string;
  project: string;
  project_id: string | null;
  key_id: string | null;
  redacted_value: string | null;
  before: KeyState | null;
  after: KeyState | null;
  /** On creates, rotations and retirements. */
  rotation?: RotationStep;
}

export type Change =
  | OrgPermissionsChange
  | SpendLimitChange
  | SpendAlertChange
  | ProjectChange
  | ProjectPermissionsChange
  | RateLimitChange
  | ProjectSpendLimitChange
  | ProjectSpendAlertChange
  | KeyChange;
export type ChangeAction = Change['action'];

export interface UnmanagedKey {
  key_id: string;
  name: string;
  project: string;
  redacted_value: string;
  created_at: number;
  last_used_at: number | null;
}

/** A rotation step that has to wait: shown on every run with how long is left. */
export interface PendingStep {
  project: string;
  key: string;
  /** The generation waited on; for `review`, the key in service (`null`: none is). */
  key_id: string | null;
  generation: number;
  /**
   * `in_progress`: a newer generation another run is delivering right now. `review` (only in a
   * rotations-only plan): generation `generation` is due but its targets were not recorded by a
   * reviewed apply (`needs_review` says why); the next reviewed apply makes it.
   */
  waiting_for: 'overlap' | 'quiet' | 'usage' | 'in_progress' | 'spend_limit' | 'review';
  needs_review?: ReviewReason;
  /** Seconds until it may proceed, as far as known now; `null` while the key is in use. */
  seconds_left: number | null;
  last_used_at: number | null;
}

export interface UnmanagedProject {
  project_id: string;
  name: string;
  key_count: number;
  created_at: number;
}

export type WarningCode =
  | 'model_retiring'
  | 'key_unused'
  | 'limit_raised'
  | 'ambiguous_adopt'
  | 'surplus_key_in_use'
  | 'duplicate_project_name'
  | 'no_delivery_target'
  | 'spend_limit_below_spend'
  /** Fewer owners than `safety.min_owners`, and this plan does not lower the count (issue 20). */
  | 'few_owners';

export interface Warning {
  code: WarningCode;
  message: string;
  project?: string;
  key?: string;
}

export type RefusalCode =
  | 'org_mismatch'
  | 'protected_key'
  | 'protected_project'
  | 'admin_key'
  | 'too_many_deletes'
  | 'model_not_served'
  | 'limit_above_org'
  /** A project's policy names a model, or a model's limit field, its live rate limits do not have (OpenAI: update only). */
  | 'limit_not_in_project'
  /** A team file names a live project it may not own: another team's at the base or by its keys' owner marks, or one org.yaml does not grant it (project-ownership.ts). */
  | 'project_ownership'
  /** Issue 20: the plan leaves fewer owners than `safety.min_owners` (forceable). */
  | 'min_owners'
  /** Issue 20: more members removed than `safety.max_member_removal_percent` allows (forceable). */
  | 'member_removals'
  /** Issue 20: the organization's last owner would be removed or demoted. */
  | 'last_owner'
  /** Issue 20: the identity whose admin key runs the apply would be removed or demoted. */
  | 'admin_identity'
  /** Issue 20: an owner would be removed or demoted, and whose the admin key is cannot be told (forceable). */
  | 'admin_identity_unknown';

export interface Refusal {
  code: RefusalCode;
  message: string;
  /** `--force` overrides it; the others refuse even then. */
  forceable: boolean;
}

export interface PlanSummary {
  create: number;
  update: number;
  delete: number;
  adopt: number;
  archive: number;
  rotate: number;
}

export interface Plan {
  format_version: 3;
  org: string;
  /** Unix seconds: the `now` the plan was computed for. Not part of the fingerprint. */
  generated_at: number;
  /** sha256 of the canonical JSON of org and changes (without their `context`): what a reviewer approved. */
  fingerprint: string;
  summary: PlanSummary;
  changes: Change[];
  unmanaged: { projects: UnmanagedProject[]; keys: UnmanagedKey[] };
  /** Rotation steps waiting for their overlap or quiet period. */
  pending: PendingStep[];
  warnings: Warning[];
  refusals: Refusal[];
}

// --- Members and roles (issue 20). Self-contained: a plan carries them in `members` (its own
// section, rendered apart), not in `changes`. Their refusals and warnings go into the plan's own
// `refusals` and `warnings`. Documented for docs/plan-format.md by the format-v3 work.

/** Why a member change is in the plan. */
export type MemberReason =
  /** In the policies, not in the organization (nor invited). */
  | 'new'
  /** In both; the role differs. */
  | 'differs'
  /** An invite for someone in no policy. */
  | 'removed'
  /** In the organization (or a managed project), in no policy, and `unmanaged.members: remove`. */
  | 'unmanaged'
  /** In the policies, and their last invite expired: invited again. */
  | 'expired';

/** Shown to reviewers, never fingerprinted. */
export interface MemberContext {
  /** Where the policies give the person this role (`policies/org.yaml:12:3`): the masked rendering's pseudonym for people with no id yet. */
  at?: string;
  /** A pending invite's expiry (Unix seconds). */
  expires_at?: number | null;
}

/** An organization member's role changed, or the member removed. A new person is an `InviteChange`. */
export interface MemberChange {
  resource: 'member';
  action: 'update' | 'delete';
  reason: MemberReason;
  /** Lower case. Personal data: Markdown shows it only under `privacy.member_addresses: shown`. */
  email: string;
  user_id: string;
  before: { role: string };
  after: { role: string } | null;
  context?: MemberContext;
}

/** A project an invite joins the person to on accepting. */
export interface InviteProject {
  project: string;
  project_id: string;
  role: string;
}

/**
 * `create`: invite someone in the policies and not in the organization. `update`: re-send a pending
 * invite whose role changed (cancel `invite_id`, then invite). `delete`: cancel a pending invite
 * for someone in no policy.
 */
export interface InviteChange {
  resource: 'invite';
  action: 'create' | 'update' | 'delete';
  reason: MemberReason;
  email: string;
  /** The pending invite cancelled (update, delete); null for a create. */
  invite_id: string | null;
  before: { role: string } | null;
  /**
   * `projects`: what the invite carries; `later`: project names the person joins only once they
   * have accepted (a project this plan creates, or a provider whose invites carry no projects).
   */
  after: { role: string; projects: InviteProject[]; later: string[] } | null;
  context?: MemberContext;
}

/** A project membership of someone already in the organization. */
export interface ProjectMemberChange {
  resource: 'project_member';
  action: 'create' | 'update' | 'delete';
  reason: MemberReason;
  team: string | null;
  project: string;
  /** null: the project is created by this plan (apply uses the id it gets). */
  project_id: string | null;
  email: string;
  user_id: string;
  before: { role: string } | null;
  after: { role: string } | null;
  context?: MemberContext;
}

export type MemberPlanChange = MemberChange | InviteChange | ProjectMemberChange;

/** Someone invited and not yet joined, whose invite this plan leaves alone. */
export interface PendingMember {
  email: string;
  invite_id: string;
  role: string;
  expires_at: number | null;
  /** Project names they join once they have accepted, by the next plan (those their invite does not carry). */
  later: string[];
  context?: MemberContext;
}

export interface UnmanagedMember {
  email: string;
  user_id: string;
  role: string;
}

export interface UnmanagedProjectMember extends UnmanagedMember {
  project: string;
  project_id: string;
}

/** The members section of a plan. Absent where org.yaml has no `members:`. */
export interface MemberPlan {
  provider: string;
  /** In apply order: cancels, invites, promotions, project memberships, demotions, removals. */
  changes: MemberPlanChange[];
  pending: PendingMember[];
  /** Reported under `unmanaged.members: report`, left alone. */
  unmanaged: { members: UnmanagedMember[]; project_members: UnmanagedProjectMember[] };
  counts: {
    /** Live organization members. */
    members: number;
    owners_before: number;
    owners_after: number;
    invites_pending: number;
  };
  /** `privacy.member_addresses`: `shown` lets Markdown (comments, summaries, issues) print e-mail addresses. */
  addresses: 'masked' | 'shown';
}

export interface Plan {
  /** Issue 20 (merged into Plan above by declaration merging, beside its types). */
  members?: MemberPlan;
}
