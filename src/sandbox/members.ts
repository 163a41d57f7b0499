/**
 * The organization's people (issue 20): users, invites and project memberships, with each provider's
 * roles (`MemberRules`). Contract v2.1 "Members" for Groq (all assumed there); OpenAI's
 * Administration API for OpenAI (docs/openai-admin-api.md, "Users, invites, project users").
 *
 * Sized for 5,000 members and 1,000 projects: lists are id-sorted arrays paged by binary search
 * (`paginate`), lookups are maps, so a page costs O(log n + page) and a change O(its memberships).
 */
import { SandboxError, invalid, notFound } from './errors.js';
import type { OrgState } from './org-state.js';
import { paginate, type ListPage } from './pagination.js';
import type { OrgSnapshot, StoredInvite, StoredProject, StoredProjectUser, StoredUser } from './snapshot.js';
import { parseArray } from './usage.js';
import { requireObject } from './validate-body.js';

/** The roles a provider has, and how a project role relates to the organization role. */
export interface MemberRules {
  orgRoles: readonly string[];
  inviteRoles: readonly string[];
  projectRoles: readonly string[];
  /** Whether someone with `orgRole` may hold `projectRole` in a project (Groq: never above it). */
  projectRoleAllowed(orgRole: string, projectRole: string): boolean;
  /** The highest project role `orgRole` allows, for a demotion that caps memberships (null: no cap). */
  projectCap(orgRole: string): string | null;
  /** An archived project's refusal, in the provider's words. */
  archived(projectId: string): SandboxError;
}

// Groq: Reader < Developer < Owner; "a project member's permissions are capped by their organization
// role" (console.groq.com/docs/projects; contract v2.1).
const GROQ_RANK: Record<string, number> = { reader: 0, developer: 1, owner: 2 };
export const GROQ_MEMBER_RULES: MemberRules = {
  orgRoles: ['owner', 'developer', 'reader'],
  inviteRoles: ['owner', 'developer', 'reader'],
  projectRoles: ['owner', 'developer', 'reader'],
  projectRoleAllowed: (orgRole, projectRole) => GROQ_RANK[projectRole]! <= GROQ_RANK[orgRole]!,
  projectCap: (orgRole) => orgRole,
  archived: (projectId) =>
    new SandboxError(
      400,
      'project_archived',
      `The project '${projectId}' is archived; archived projects cannot be changed.`,
      'invalid_request_error',
      'project_id',
    ),
};

/** Invites expire this long after they are sent: 7 days (assumed; neither provider's sources give a duration). */
export const INVITE_TTL_SECONDS = 7 * 24 * 3600;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX_EMAIL = 254;
export const DEFAULT_OWNER_EMAIL = 'owner@sandbox.example';

export const isEmail = (s: unknown): s is string => typeof s === 'string' && s.length <= MAX_EMAIL && EMAIL.test(s);
const norm = (email: string) => email.toLowerCase();

export type InviteStatus = 'pending' | 'accepted' | 'expired';

export class MemberStore {
  /** In id (= creation) order. */
  private readonly users: StoredUser[];
  private readonly usersById: Map<string, StoredUser>;
  private readonly usersByEmail: Map<string, StoredUser>;
  private readonly invites: StoredInvite[];
  private readonly invitesById: Map<string, StoredInvite>;
  /** Per e-mail, its newest invite: at most one is pending at a time, and it is the newest. */
  private readonly latestInvite = new Map<string, StoredInvite>();
  /** Per project, its memberships in user-id order. */
  private readonly byProject = new Map<string, StoredProjectUser[]>();
  /** Per user, the projects they are a member of. */
  private readonly projectsOfUser = new Map<string, Set<string>>();
  private owners = 0;
  private adminUserId: string | null;

  constructor(
    private readonly org: OrgState,
    data: OrgSnapshot,
    readonly rules: MemberRules,
  ) {
    this.users = [...(data.users ?? [])];
    this.usersById = new Map(this.users.map((u) => [u.id, u]));
    this.usersByEmail = new Map(this.users.map((u) => [norm(u.email), u]));
    this.owners = this.users.filter((u) => u.role === 'owner').length;
    this.invites = [...(data.invites ?? [])];
    this.invitesById = new Map(this.invites.map((i) => [i.id, i]));
    for (const i of this.invites) this.latestInvite.set(norm(i.email), i);
    for (const m of data.project_users ?? []) {
      this.memberships(m.project_id).push(m);
      this.userProjects(m.id).add(m.project_id);
    }
    // Files written in project-then-user order already; sort anyway, so a hand-edited file still pages right.
    for (const list of this.byProject.values()) list.sort((a, b) => cmp(a.id, b.id));
    this.adminUserId = data.admin_user_id ?? null;
  }

  /** For the state file. */
  snapshot(): Pick<OrgSnapshot, 'users' | 'invites' | 'project_users' | 'admin_user_id'> {
    const projectUsers = [...this.byProject.entries()].sort((a, b) => cmp(a[0], b[0])).flatMap(([, list]) => list);
    return { users: [...this.users], invites: [...this.invites], project_users: projectUsers, admin_user_id: this.adminUserId };
  }

  /**
   * An organization with no members gets its first owner, whose the admin key is (a new sandbox, a
   * reset, or a state file from before members). Not an audited change: the organization starts so.
   */
  seedOwner(email: string): void {
    if (this.users.length > 0) return;
    const user = this.addUser(email, 'owner', nameFrom(email));
    this.adminUserId = user.id;
    this.org.emit({ op: 'admin_user', id: user.id });
  }

  /** The user the admin key belongs to, while they are a member. */
  adminUser(): StoredUser | null {
    return this.adminUserId ? (this.usersById.get(this.adminUserId) ?? null) : null;
  }

  // --- users
  listUsers(query: URLSearchParams): ListPage<StoredUser> {
    const emails = parseArray(query, 'emails');
    if (emails.length === 0) return paginate(this.users, query, (u) => u);
    const found = [...new Set(emails.map(norm))].flatMap((e) => this.usersByEmail.get(e) ?? []).sort((a, b) => cmp(a.id, b.id));
    return paginate(found, query, (u) => u);
  }

  user(id: string): StoredUser {
    const u = this.usersById.get(id);
    if (!u) throw notFound('user_not_found', `No user with id '${id}' in the organization.`, 'user_id');
    return u;
  }

  userByEmail(email: string): StoredUser | null {
    return this.usersByEmail.get(norm(email)) ?? null;
  }

  updateUser(id: string, raw: unknown): StoredUser {
    const u = this.user(id);
    const body = requireObject(raw);
    for (const field of Object.keys(body)) if (field !== 'role') throw invalid(field, `Unknown parameter: '${field}'.`);
    const role = this.role(body.role, this.rules.orgRoles, 'role');
    if (role === u.role) return u;
    if (u.role === 'owner' && this.owners === 1) throw lastOwner('demote');
    this.setUserRole(u, role);
    this.org.recordAudit('user.updated', null, { id: u.id, changes_requested: { role } });
    // A project role above the new organization role is lowered to it (Groq: "capped by their organization role").
    const cap = this.rules.projectCap(role);
    if (cap !== null) {
      for (const projectId of this.userProjects(u.id)) {
        const m = this.membership(projectId, u.id)!;
        if (this.rules.projectRoleAllowed(role, m.role)) continue;
        const next = { ...m, role: cap };
        this.saveMembership(next);
        this.org.recordAudit('user.updated', this.org.project(projectId), { id: u.id, changes_requested: { role: cap } });
      }
    }
    return this.user(id);
  }

  deleteUser(id: string): { object: 'organization.user.deleted'; id: string; deleted: true } {
    const u = this.user(id);
    if (u.role === 'owner' && this.owners === 1) throw lastOwner('remove');
    for (const projectId of [...this.userProjects(u.id)]) this.dropMembership(projectId, u.id);
    this.users.splice(indexOf(this.users, u.id), 1);
    this.usersById.delete(u.id);
    this.usersByEmail.delete(norm(u.email));
    this.projectsOfUser.delete(u.id);
    if (u.role === 'owner') this.owners -= 1;
    this.org.emit({ op: 'del_user', id: u.id });
    this.org.recordAudit('user.deleted', null, { id: u.id });
    return { object: 'organization.user.deleted', id: u.id, deleted: true };
  }

  private addUser(email: string, role: string, name: string): StoredUser {
    const user: StoredUser = { id: this.org.nextId('user_'), name, email, role, added_at: this.org.now() };
    this.users.push(user);
    this.usersById.set(user.id, user);
    this.usersByEmail.set(norm(email), user);
    if (role === 'owner') this.owners += 1;
    this.org.emit({ op: 'user', u: user });
    return user;
  }

  private setUserRole(u: StoredUser, role: string): void {
    const next = { ...u, role };
    this.users[indexOf(this.users, u.id)] = next;
    this.usersById.set(u.id, next);
    this.usersByEmail.set(norm(u.email), next);
    this.owners += (role === 'owner' ? 1 : 0) - (u.role === 'owner' ? 1 : 0);
    this.org.emit({ op: 'user', u: next });
  }

  // --- invites
  listInvites(query: URLSearchParams): ListPage<StoredInvite> {
    return paginate(this.invites, query, (i) => i);
  }

  invite(id: string): StoredInvite {
    const i = this.invitesById.get(id);
    if (!i) throw notFound('invite_not_found', `No invite with id '${id}'.`, 'invite_id');
    return i;
  }

  status(i: StoredInvite): InviteStatus {
    if (i.accepted_at !== null) return 'accepted';
    return this.org.now() >= i.expires_at ? 'expired' : 'pending';
  }

  createInvite(raw: unknown): StoredInvite {
    const body = requireObject(raw);
    for (const field of Object.keys(body))
      if (!['email', 'role', 'projects'].includes(field)) throw invalid(field, `Unknown parameter: '${field}'.`);
    if (body.email === undefined) throw invalid('email', "Missing required parameter: 'email'.");
    if (!isEmail(body.email)) throw invalid('email', "'email' must be an e-mail address.");
    const email = body.email;
    const role = this.role(body.role, this.rules.inviteRoles, 'role');
    const projects = this.inviteProjects(body.projects, role);
    // Assumed (neither source says): one person is invited once at a time, and a member is not invited.
    if (this.usersByEmail.has(norm(email))) throw invalid('email', `${email} is already a member of the organization.`);
    const latest = this.latestInvite.get(norm(email));
    if (latest && this.status(latest) === 'pending') {
      throw invalid('email', `${email} already has a pending invite; delete it first to invite them again.`);
    }
    const now = this.org.now();
    const invite: StoredInvite = {
      id: this.org.nextId('invite-'),
      email,
      role,
      invited_at: now,
      expires_at: now + INVITE_TTL_SECONDS,
      accepted_at: null,
      projects,
    };
    this.invites.push(invite);
    this.invitesById.set(invite.id, invite);
    this.latestInvite.set(norm(email), invite);
    this.org.emit({ op: 'invite', i: invite });
    this.org.recordAudit('invite.sent', null, { id: invite.id, data: { email, role } });
    return invite;
  }

  /** "If the invite has already been accepted, it cannot be deleted" (openapi.yaml, openai-node `invites.ts`). */
  deleteInvite(id: string): { object: 'organization.invite.deleted'; id: string; deleted: true } {
    const i = this.invite(id);
    if (i.accepted_at !== null) throw invalid('invite_id', `The invite '${id}' has already been accepted and cannot be deleted.`);
    this.invites.splice(indexOf(this.invites, i.id), 1);
    this.invitesById.delete(i.id);
    if (this.latestInvite.get(norm(i.email))?.id === i.id) this.latestInvite.delete(norm(i.email));
    this.org.emit({ op: 'del_invite', id: i.id });
    this.org.recordAudit('invite.deleted', null, { id: i.id });
    return { object: 'organization.invite.deleted', id: i.id, deleted: true };
  }

  /**
   * The person joining (`POST /_sandbox/invites/{id}/accept`): they become a user with the invite's
   * role and its project memberships. A project archived since the invite is skipped (assumed).
   */
  acceptInvite(id: string, raw: unknown): { invite: StoredInvite; user: StoredUser } {
    const i = this.invite(id);
    const status = this.status(i);
    if (status !== 'pending') throw invalid('invite_id', `The invite '${id}' is ${status}; only a pending invite can be accepted.`);
    const body = raw === undefined ? {} : requireObject(raw);
    const name = body.name === undefined ? nameFrom(i.email) : body.name;
    if (typeof name !== 'string' || name.trim() === '' || name.length > 128)
      throw invalid('name', "'name' must be a string of 1 to 128 characters.");
    if (this.usersByEmail.has(norm(i.email))) throw invalid('invite_id', `${i.email} is already a member of the organization.`);
    const accepted = { ...i, accepted_at: this.org.now() };
    this.invites[indexOf(this.invites, i.id)] = accepted;
    this.invitesById.set(i.id, accepted);
    if (this.latestInvite.get(norm(i.email))?.id === i.id) this.latestInvite.set(norm(i.email), accepted);
    this.org.emit({ op: 'invite', i: accepted });
    this.org.recordAudit('invite.accepted', null, { id: i.id });
    const user = this.addUser(i.email, i.role, name);
    this.org.recordAudit('user.added', null, { id: user.id, data: { role: user.role } });
    for (const grant of i.projects) {
      const p = this.org.project(grant.id);
      if (p.archived_at !== null) continue;
      this.addMembership(p, user, grant.role);
    }
    return { invite: accepted, user };
  }

  private inviteProjects(raw: unknown, orgRole: string): { id: string; role: string }[] {
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw) || raw.length > 1000) throw invalid('projects', "'projects' must be an array of {id, role} (at most 1000).");
    const seen = new Set<string>();
    return raw.map((entry, n) => {
      const e = requireObject(entry, `projects[${n}]`);
      for (const field of Object.keys(e))
        if (field !== 'id' && field !== 'role') throw invalid(`projects[${n}].${field}`, `Unknown parameter: 'projects[${n}].${field}'.`);
      if (typeof e.id !== 'string' || e.id === '') throw invalid(`projects[${n}].id`, `'projects[${n}].id' must be a project id.`);
      if (seen.has(e.id)) throw invalid(`projects[${n}].id`, `The project '${e.id}' is listed twice.`);
      seen.add(e.id);
      const p = this.org.project(e.id);
      if (p.archived_at !== null) throw this.rules.archived(p.id);
      const role = this.role(e.role, this.rules.projectRoles, `projects[${n}].role`);
      if (!this.rules.projectRoleAllowed(orgRole, role)) throw aboveOrgRole(`projects[${n}].role`, role, orgRole);
      return { id: p.id, role };
    });
  }

  // --- project users
  listProjectUsers(projectId: string, query: URLSearchParams): ListPage<StoredProjectUser> {
    this.org.project(projectId);
    return paginate(this.memberships(projectId), query, (m) => m);
  }

  projectUser(projectId: string, userId: string): StoredProjectUser {
    this.org.project(projectId);
    const m = this.membership(projectId, userId);
    if (!m) throw notFound('project_user_not_found', `No user with id '${userId}' in project '${projectId}'.`, 'user_id');
    return m;
  }

  /** `POST …/projects/{id}/users {user_id, role}` (OpenAI's SDK also takes `email` instead of `user_id`). */
  addProjectUser(projectId: string, raw: unknown, allowEmail: boolean): StoredProjectUser {
    const p = this.org.project(projectId);
    const body = requireObject(raw);
    const fields = allowEmail ? ['user_id', 'email', 'role'] : ['user_id', 'role'];
    for (const field of Object.keys(body)) if (!fields.includes(field)) throw invalid(field, `Unknown parameter: '${field}'.`);
    if (p.archived_at !== null) throw this.rules.archived(p.id);
    const role = this.role(body.role, this.rules.projectRoles, 'role');
    let user: StoredUser | null | undefined;
    if (typeof body.user_id === 'string' && body.user_id !== '') user = this.usersById.get(body.user_id);
    else if (allowEmail && isEmail(body.email)) user = this.userByEmail(body.email);
    else
      throw invalid(
        'user_id',
        allowEmail ? "Missing required parameter: 'user_id' (or 'email')." : "Missing required parameter: 'user_id'.",
      );
    // openapi.yaml: "Users must already be members of the organization to be added to a project."
    if (!user) throw invalid('user_id', 'Users must already be members of the organization to be added to a project.');
    if (this.membership(p.id, user.id)) throw invalid('user_id', `The user '${user.id}' is already a member of project '${p.id}'.`);
    if (!this.rules.projectRoleAllowed(user.role, role)) throw aboveOrgRole('role', role, user.role);
    return this.addMembership(p, user, role);
  }

  updateProjectUser(projectId: string, userId: string, raw: unknown): StoredProjectUser {
    const p = this.org.project(projectId);
    const m = this.projectUser(projectId, userId);
    const body = requireObject(raw);
    for (const field of Object.keys(body)) if (field !== 'role') throw invalid(field, `Unknown parameter: '${field}'.`);
    if (p.archived_at !== null) throw this.rules.archived(p.id);
    const role = this.role(body.role, this.rules.projectRoles, 'role');
    const orgRole = this.user(userId).role;
    if (!this.rules.projectRoleAllowed(orgRole, role)) throw aboveOrgRole('role', role, orgRole);
    if (role === m.role) return m;
    const next = { ...m, role };
    this.saveMembership(next);
    this.org.recordAudit('user.updated', p, { id: userId, changes_requested: { role } });
    return next;
  }

  deleteProjectUser(projectId: string, userId: string): { object: 'organization.project.user.deleted'; id: string; deleted: true } {
    const p = this.org.project(projectId);
    this.projectUser(projectId, userId);
    // openai-node: "an error if the project is archived (archived projects have no users)".
    if (p.archived_at !== null) throw this.rules.archived(p.id);
    this.dropMembership(p.id, userId);
    return { object: 'organization.project.user.deleted', id: userId, deleted: true };
  }

  private addMembership(p: StoredProject, user: StoredUser, role: string): StoredProjectUser {
    const m: StoredProjectUser = { id: user.id, project_id: p.id, role, added_at: this.org.now() };
    const list = this.memberships(p.id);
    list.splice(insertionPoint(list, m.id), 0, m);
    this.userProjects(user.id).add(p.id);
    this.org.emit({ op: 'puser', m });
    this.org.recordAudit('user.added', p, { id: user.id, data: { role } });
    return m;
  }

  private saveMembership(m: StoredProjectUser): void {
    const list = this.memberships(m.project_id);
    list[indexOf(list, m.id)] = m;
    this.org.emit({ op: 'puser', m });
  }

  private dropMembership(projectId: string, userId: string): void {
    const list = this.memberships(projectId);
    list.splice(indexOf(list, userId), 1);
    this.userProjects(userId).delete(projectId);
    this.org.emit({ op: 'del_puser', project_id: projectId, id: userId });
    this.org.recordAudit('user.deleted', this.org.project(projectId), { id: userId });
  }

  private membership(projectId: string, userId: string): StoredProjectUser | undefined {
    const list = this.byProject.get(projectId);
    if (!list) return undefined;
    const i = insertionPoint(list, userId);
    return list[i]?.id === userId ? list[i] : undefined;
  }

  private memberships(projectId: string): StoredProjectUser[] {
    let list = this.byProject.get(projectId);
    if (!list) this.byProject.set(projectId, (list = []));
    return list;
  }

  private userProjects(userId: string): Set<string> {
    let set = this.projectsOfUser.get(userId);
    if (!set) this.projectsOfUser.set(userId, (set = new Set()));
    return set;
  }

  private role(raw: unknown, allowed: readonly string[], param: string): string {
    if (raw === undefined) throw invalid(param, `Missing required parameter: '${param}'.`);
    if (typeof raw !== 'string' || !allowed.includes(raw))
      throw invalid(param, `'${param}' must be one of ${allowed.map((r) => `'${r}'`).join(', ')}.`);
    return raw;
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The first index whose id is not below `id`, in an id-sorted list. */
function insertionPoint(list: readonly { id: string }[], id: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.id < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function indexOf(list: readonly { id: string }[], id: string): number {
  const i = insertionPoint(list, id);
  if (list[i]?.id !== id) throw new Error(`sandbox member index lost ${id}`);
  return i;
}

/** A new member's display name: the e-mail's local part (assumed; people set their own name when they sign up). */
const nameFrom = (email: string) => email.slice(0, email.indexOf('@'));

const lastOwner = (what: 'remove' | 'demote') =>
  invalid(what === 'remove' ? 'user_id' : 'role', `Cannot ${what} the organization's last owner; make another member an owner first.`);

const aboveOrgRole = (param: string, role: string, orgRole: string) =>
  invalid(
    param,
    `The project role '${role}' is above the user's organization role '${orgRole}'; a project role may not exceed the organization role.`,
  );
