/**
 * Groq's members (issue 20) on contract v2.1 "Members" (../shared/groq-admin-api.md; all assumed
 * for Groq): users, invites and project users read into the domain (core/members.ts) and written
 * back. The contract's invite carries no `projects` when read (OpenAI's does), so a pending invite's
 * projects read as none: the plan lists them as joined after accepting.
 *
 * Whose the admin key is: contract v2.1 has no call that says (OpenAI answers it with the admin key
 * list's `owner`; Groq's Console shows no such thing in its docs). `admin` is null: removing or
 * demoting an owner is then refused unless forced (plan/member-safety.ts, `admin_identity_unknown`).
 */
import { mapLimit } from '../../core/concurrency.js';
import { isNotFound, ProviderError } from '../../core/errors.js';
import type { LiveInvite, LiveMembers, LiveProjectMember } from '../../core/members.js';
import type { InviteInput } from '../../core/provider.js';
import type { GroqAdmin } from './admin.js';
import { GroqApiError } from './errors.js';
import type { Invite } from './wire.js';

export const DEFAULT_MEMBER_READ_CONCURRENCY = 8;

/** Users and invites in parallel, then each named project's users, at most `concurrency` in flight. */
export async function readGroqMembers(
  admin: GroqAdmin,
  options: { projectIds: readonly string[]; concurrency?: number },
): Promise<LiveMembers> {
  const users = admin.listUsers();
  const invites = admin.listInvites();
  users.catch(() => {});
  invites.catch(() => {});
  const lists = await mapLimit(options.projectIds, options.concurrency ?? DEFAULT_MEMBER_READ_CONCURRENCY, (id) =>
    admin.listProjectUsers(id),
  );
  const projects: Record<string, LiveProjectMember[]> = {};
  options.projectIds.forEach((id, i) => {
    projects[id] = lists[i]!.map((m) => ({ user_id: m.id, email: m.email, role: m.role }));
  });
  return {
    members: (await users).map((u) => ({ id: u.id, email: u.email, name: u.name, role: u.role })),
    invites: (await invites).map(decodeInvite),
    projects,
    admin: null,
  };
}

export function decodeInvite(i: Invite): LiveInvite {
  return {
    id: i.id,
    email: i.email,
    role: i.role,
    projects: (i.projects ?? []).map((p) => ({ id: p.id, role: p.role })),
    status: i.status,
    expires_at: i.expires_at ?? null,
  };
}

/**
 * One invite, with the identity as its Idempotency-Key. A replay is the first answer to that key, up
 * to 24 h old: that invite may have been cancelled (or accepted) since, and then a fresh one is sent
 * under a key derived from it. A reused key with another body is another apply's invite of the same
 * person: its pending invite, when it has this role, is the one.
 */
export async function sendInvite(admin: GroqAdmin, input: InviteInput, identity: string): Promise<{ id: string }> {
  const body = { email: input.email, role: input.role, ...(input.projects.length > 0 ? { projects: input.projects } : {}) };
  try {
    const created = await admin.createInvite(body, identity);
    if (!created.replayed) return { id: created.value.id };
    const current = await admin.getInvite(created.value.id).catch(async (e: unknown) => {
      if (!isNotFound(e)) throw e;
      return (await admin.listInvites()).find((i) => i.id === created.value.id) ?? null;
    });
    if (current && current.status === 'pending') return { id: current.id };
    return { id: (await admin.createInvite(body, `${identity}-after-${created.value.id}`)).value.id };
  } catch (error) {
    if (!(error instanceof GroqApiError && error.code === 'idempotency_key_reused')) throw error;
    const theirs = (await admin.listInvites()).find((i) => i.status === 'pending' && i.email.toLowerCase() === input.email.toLowerCase());
    if (theirs && theirs.role === input.role) return { id: theirs.id };
    throw error;
  }
}

/**
 * Adds a member to a project. Sent again after a lost answer, the add is refused as a member
 * already: the membership is read then, and one with the role asked for is this add's.
 */
export async function addProjectUser(admin: GroqAdmin, projectId: string, userId: string, role: string): Promise<void> {
  try {
    await admin.addProjectUser(projectId, { user_id: userId, role });
  } catch (error) {
    if (!(error instanceof ProviderError) || error.kind !== 'invalid') throw error;
    const current = await admin.getProjectUser(projectId, userId).catch(() => null);
    if (current?.role !== role) throw error;
  }
}
