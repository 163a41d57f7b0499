/**
 * Contract v2.1 "Members" under Groq's base path (`/openai/v1`): OpenAI's shapes with Groq's three
 * roles; creates answer 201 and honour `Idempotency-Key`, as the contract's other creates. Plus the
 * sandbox-only `/_sandbox/info` and `/_sandbox/invites/{id}/accept`, for both providers.
 */
import type { InviteStatus, MemberStore } from './members.js';
import { INVITE_TTL_SECONDS } from './members.js';
import type { OrgState } from './org-state.js';
import type { Reply, RequestContext, RouteSpec } from './router.js';
import type { StoredInvite, StoredProjectUser, StoredUser } from './snapshot.js';

const V1 = '/openai/v1';
const ok = (body: unknown): Reply => ({ status: 200, body });
const created = (body: unknown): Reply => ({ status: 201, body });

export const presentUser = (u: StoredUser) => ({
  object: 'organization.user' as const,
  id: u.id,
  name: u.name,
  email: u.email,
  role: u.role,
  added_at: u.added_at,
});

/** The contract's invite: exactly its table's fields (no `projects`; OpenAI's adds them). */
export const presentGroqInvite = (i: StoredInvite, status: InviteStatus) => ({
  object: 'organization.invite' as const,
  id: i.id,
  email: i.email,
  role: i.role,
  status,
  invited_at: i.invited_at,
  expires_at: i.expires_at,
  accepted_at: i.accepted_at,
});

export function presentProjectUser(members: MemberStore, m: StoredProjectUser) {
  const u = members.user(m.id);
  return { object: 'organization.project.user' as const, id: m.id, name: u.name, email: u.email, role: m.role, added_at: m.added_at };
}

export function groqMemberRoutes(org: OrgState): RouteSpec[] {
  const admin = (method: string, path: string, handler: (ctx: RequestContext) => Reply, create = false): RouteSpec => ({
    method,
    template: `${V1}${path}`,
    access: 'admin',
    create,
    handler,
  });
  // Read per call: a reset makes the organization's stores afresh.
  const m = () => org.members;
  const invite = (i: StoredInvite) => presentGroqInvite(i, m().status(i));
  const member = (pu: StoredProjectUser) => presentProjectUser(m(), pu);
  const P = '/organization/projects/{project_id}/users';
  return [
    admin('GET', '/organization/users', ({ query }) => ok(listOf(m().listUsers(query), presentUser))),
    admin('GET', '/organization/users/{user_id}', ({ params }) => ok(presentUser(m().user(params[0]!)))),
    admin('POST', '/organization/users/{user_id}', ({ params, body }) => ok(presentUser(m().updateUser(params[0]!, body)))),
    admin('DELETE', '/organization/users/{user_id}', ({ params }) => ok(m().deleteUser(params[0]!))),

    admin('GET', '/organization/invites', ({ query }) => ok(listOf(m().listInvites(query), invite))),
    admin('POST', '/organization/invites', ({ body }) => created(invite(m().createInvite(body))), true),
    admin('GET', '/organization/invites/{invite_id}', ({ params }) => ok(invite(m().invite(params[0]!)))),
    admin('DELETE', '/organization/invites/{invite_id}', ({ params }) => ok(m().deleteInvite(params[0]!))),

    admin('GET', P, ({ params, query }) => ok(listOf(m().listProjectUsers(params[0]!, query), member))),
    admin('POST', P, ({ params, body }) => created(member(m().addProjectUser(params[0]!, body, false))), true),
    admin('GET', `${P}/{user_id}`, ({ params }) => ok(member(m().projectUser(params[0]!, params[1]!)))),
    admin('POST', `${P}/{user_id}`, ({ params, body }) => ok(member(m().updateProjectUser(params[0]!, params[1]!, body)))),
    admin('DELETE', `${P}/{user_id}`, ({ params }) => ok(m().deleteProjectUser(params[0]!, params[1]!))),
  ];
}

/**
 * `/_sandbox/info` says whose the admin key is (the seeded owner), so tests and groq-rbac's checks
 * can tell the identity an apply must never remove; `/_sandbox/invites/{id}/accept` plays the
 * person joining. `presentInvite` gives the provider's invite shape.
 */
export function memberControlRoutes(
  org: OrgState,
  provider: string,
  presentInvite: (i: StoredInvite, status: InviteStatus) => unknown,
): RouteSpec[] {
  // Read per call: a reset makes the organization's stores afresh.
  const m = () => org.members;
  return [
    {
      method: 'GET',
      template: '/_sandbox/info',
      access: 'control',
      handler: () => {
        const owner = m().adminUser();
        return ok({
          provider,
          organization: org.organization(),
          admin_key_owner: owner ? { id: owner.id, email: owner.email, role: owner.role } : null,
          invite_ttl_seconds: INVITE_TTL_SECONDS,
        });
      },
    },
    {
      method: 'POST',
      template: '/_sandbox/invites/{invite_id}/accept',
      access: 'control',
      handler: ({ params, body }) => {
        const { invite, user } = m().acceptInvite(params[0]!, body);
        return ok({ invite: presentInvite(invite, m().status(invite)), user: presentUser(user) });
      },
    },
  ];
}

/** A page of stored items, presented: only the page's items are mapped. */
export function listOf<S, T>(
  page: { object: 'list'; data: S[]; first_id: string | null; last_id: string | null; has_more: boolean },
  present: (s: S) => T,
) {
  return { ...page, data: page.data.map(present) };
}
