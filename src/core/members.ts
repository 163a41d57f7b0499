/**
 * The organization's people in groq-rbac's own terms (issue 20): members, pending invites and
 * project memberships as every provider's read module produces them, and each provider's roles.
 * Kept apart from domain.ts so the port (issue 18) and this issue do not edit one file; the port
 * adds `members?: LiveMembers` to `DomainLiveState` and `memberCapabilities` to `Capabilities`.
 *
 * Sources: Groq — contract v2.1 "Members" (../shared/groq-admin-api.md; OpenAI's shapes with Groq's
 * three roles; console.groq.com/docs/projects: a project member's permissions are capped by the
 * organization role; all assumed for Groq). OpenAI — docs/openai-admin-api.md "Users, invites,
 * project users" (openai-node 6.49.0 `users.d.ts`: user role `owner` | `reader`; `invites.d.ts`:
 * invite role `reader` | `owner`, `projects?: [{id, role: 'member' | 'owner'}]`; `projects/users`:
 * project roles `owner` | `member`; no cap of a project role by the organization role is stated,
 * and the spec's invite example makes a `reader` a project `owner`).
 */

/** A person in the organization. `email` as the provider spells it; compare with `normaliseEmail`. */
export interface LiveMember {
  /** The provider's user id (`user_…`): opaque, stable, and what the member writes address. */
  id: string;
  email: string;
  name: string;
  role: string;
}

export type InviteStatus = 'pending' | 'accepted' | 'expired';

/** An invitation to join; an accepted one is a member already, an expired one invites nobody. */
export interface LiveInvite {
  id: string;
  email: string;
  role: string;
  /** Projects the person joins on accepting (`[]`: none). */
  projects: { id: string; role: string }[];
  status: InviteStatus;
  /** Unix seconds; null where the provider does not say (OpenAI's SDK types it optional). */
  expires_at: number | null;
}

/** One project membership. `user_id` is a `LiveMember.id`. */
export interface LiveProjectMember {
  user_id: string;
  email: string;
  role: string;
}

/**
 * Whose the admin key is: the identity apply must never remove or demote. `null` as a whole: the
 * provider could not tell (then removing or demoting an owner is refused unless forced).
 */
export interface AdminIdentity {
  user_id: string | null;
  email: string | null;
}

export interface LiveMembers {
  members: LiveMember[];
  invites: LiveInvite[];
  /** Per active project id, its members. A project missing here has none. */
  projects: Record<string, LiveProjectMember[]>;
  admin: AdminIdentity | null;
}

/** What a provider can do with people, declared next to its other capabilities. */
export interface MemberCapabilities {
  /** Organization roles, most powerful first. */
  orgRoles: readonly string[];
  /** Project roles, most powerful first. */
  projectRoles: readonly string[];
  /**
   * Groq: a project role is never above the organization role, ranked by position in the two
   * lists (which then must be the same). OpenAI: no cap (not stated in its sources).
   */
  projectRoleCapped: boolean;
  /** An invite can name projects to join on accepting (`POST /organization/invites {projects}`). */
  inviteProjects: boolean;
  /** The provider can tell whose the admin key is (OpenAI: the admin key list's `owner`; Groq: assumed unknown outside the sandbox). */
  adminIdentity: boolean;
  /** The provider's name for messages ("Groq", "OpenAI"). */
  label: string;
}

export const GROQ_MEMBERS: MemberCapabilities = {
  orgRoles: ['owner', 'developer', 'reader'],
  projectRoles: ['owner', 'developer', 'reader'],
  projectRoleCapped: true,
  inviteProjects: true,
  adminIdentity: false,
  label: 'Groq',
};

export const OPENAI_MEMBERS: MemberCapabilities = {
  orgRoles: ['owner', 'reader'],
  projectRoles: ['owner', 'member'],
  projectRoleCapped: false,
  inviteProjects: true,
  adminIdentity: true,
  label: 'OpenAI',
};

/**
 * The member capabilities of a provider by the name `provider:` in org.yaml gives (absent: `groq`).
 * A static table, so `validate` needs no network; `openai` is listed before the schema accepts it
 * (the port adds it there). null: a provider this table does not know.
 */
export function memberCapabilitiesFor(provider: string | undefined): MemberCapabilities | null {
  switch (provider ?? 'groq') {
    case 'groq':
    case 'groq-console':
      return GROQ_MEMBERS;
    case 'openai':
      return OPENAI_MEMBERS;
    default:
      return null;
  }
}

/** The owner role every provider has. */
export const OWNER = 'owner';

/** Whether `projectRole` is allowed for someone whose organization role is `orgRole`. */
export function projectRoleAllowed(caps: MemberCapabilities, orgRole: string, projectRole: string): boolean {
  if (!caps.projectRoleCapped) return true;
  const org = caps.orgRoles.indexOf(orgRole);
  const project = caps.projectRoles.indexOf(projectRole);
  return org >= 0 && project >= org;
}

/** Whether `after` ranks below `before` in `roles` (most powerful first). */
export function isDemotion(roles: readonly string[], before: string, after: string): boolean {
  return roles.indexOf(after) > roles.indexOf(before);
}

/**
 * E-mail addresses are compared without case: both sandboxes do, and people write them either way.
 * (RFC 5321 lets a local part be case-sensitive; no provider source says either treats it so: assumed.)
 */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

// One `@`, a local part without spaces, a domain of dot-separated labels with a dot in it: what both
// providers accept for an invite (the sandbox's check; the providers' own rules are not published).
const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
export const MAX_EMAIL_LENGTH = 254;

export function isEmailAddress(s: string): boolean {
  return s.length <= MAX_EMAIL_LENGTH && EMAIL.test(s) && !s.startsWith('.') && !s.includes('..') && !s.split('@')[0]!.endsWith('.');
}

/** `safety.min_owners` and `safety.max_member_removal_percent` when org.yaml does not set them. */
export const MEMBER_SAFETY_DEFAULTS = { minOwners: 2, maxRemovalPercent: 25 } as const;

/** A project-level entry that leaves one of the team's members out of that project. */
export const NO_PROJECT_ROLE = 'none';
