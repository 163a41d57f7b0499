/**
 * OpenAI's users, invites and project users (docs/openai-admin-api.md, "Users, invites, project
 * users"; openai-node 6.49.0 `admin/organization/users`, `invites`, `projects/users`) under `/v1`,
 * over the sandbox's member store. Creates answer 200; no `Idempotency-Key`. Also the admin key's
 * own record (`GET /organization/admin_api_keys`), whose `owner` says whose the key is.
 */
import { notFound } from '../errors.js';
import { listOf, presentProjectUser, presentUser } from '../member-routes.js';
import type { InviteStatus, MemberRules } from '../members.js';
import type { OrgState } from '../org-state.js';
import { paginate } from '../pagination.js';
import type { Reply, RequestContext, RouteSpec } from '../router.js';
import type { StoredInvite, StoredProjectUser } from '../snapshot.js';
import { redactOpenAiKey } from './keys.js';
import { archivedProject } from './service-accounts.js';

const V1 = '/v1';
const ok = (body: unknown): Reply => ({ status: 200, body });

/**
 * Organization roles `owner` | `reader` (openai-node `OrganizationUser.role`, `InviteCreateParams.role`;
 * spec 2.3.0's user update says "`owner` or `member`", its `User` object `owner`, `reader`); project roles
 * `owner` | `member`. The sources set no cap between them: an invite's example makes a `reader` a
 * project `owner` (openapi.yaml `inviteUser`).
 */
export const OPENAI_MEMBER_RULES: MemberRules = {
  orgRoles: ['owner', 'reader'],
  inviteRoles: ['reader', 'owner'],
  projectRoles: ['owner', 'member'],
  projectRoleAllowed: () => true,
  projectCap: () => null,
  archived: archivedProject,
};

/**
 * openapi.yaml (2.3.0) names the sending time `invited_at`; openai-node 6.49.0 types it `created_at`
 * (and developers.openai.com's CLI reference shows `created_at`): both are sent, same value.
 */
export const presentOpenAiInvite = (i: StoredInvite, status: InviteStatus) => ({
  object: 'organization.invite' as const,
  id: i.id,
  email: i.email,
  role: i.role,
  status,
  invited_at: i.invited_at,
  created_at: i.invited_at,
  expires_at: i.expires_at,
  accepted_at: i.accepted_at,
  projects: i.projects.map((p) => ({ id: p.id, role: p.role })),
});

/** The id the sandbox's admin key has (also its audit-log actor's `api_key.id`). */
export const ADMIN_KEY_ID = 'key_admin';

export function openAiMemberRoutes(org: OrgState, adminKey: string): RouteSpec[] {
  const admin = (method: string, path: string, handler: (ctx: RequestContext) => Reply): RouteSpec => ({
    method,
    template: `${V1}${path}`,
    access: 'admin',
    handler,
  });
  // Read per call: a reset makes the organization's stores afresh.
  const m = () => org.members;
  const invite = (i: StoredInvite) => presentOpenAiInvite(i, m().status(i));
  const member = (pu: StoredProjectUser) => presentProjectUser(m(), pu);
  const P = '/organization/projects/{project_id}/users';
  // openai-node `AdminAPIKey`: `owner` is the user the key belongs to (`type: "user"`, role "Always `owner`").
  const adminKeyRecord = () => {
    const owner = m().adminUser();
    return {
      object: 'organization.admin_api_key' as const,
      id: ADMIN_KEY_ID,
      name: 'Sandbox admin key',
      redacted_value: redactOpenAiKey(adminKey),
      created_at: owner?.added_at ?? 0,
      expires_at: null,
      last_used_at: null,
      owner: owner
        ? { type: 'user', object: 'organization.user', id: owner.id, name: owner.name, created_at: owner.added_at, role: 'owner' }
        : { type: 'user' },
    };
  };
  return [
    admin('GET', '/organization/users', ({ query }) => ok(listOf(m().listUsers(query), presentUser))),
    admin('GET', '/organization/users/{user_id}', ({ params }) => ok(presentUser(m().user(params[0]!)))),
    admin('POST', '/organization/users/{user_id}', ({ params, body }) => ok(presentUser(m().updateUser(params[0]!, body)))),
    admin('DELETE', '/organization/users/{user_id}', ({ params }) => ok(m().deleteUser(params[0]!))),

    admin('GET', '/organization/invites', ({ query }) => ok(listOf(m().listInvites(query), invite))),
    admin('POST', '/organization/invites', ({ body }) => ok(invite(m().createInvite(body)))),
    admin('GET', '/organization/invites/{invite_id}', ({ params }) => ok(invite(m().invite(params[0]!)))),
    admin('DELETE', '/organization/invites/{invite_id}', ({ params }) => ok(m().deleteInvite(params[0]!))),

    admin('GET', P, ({ params, query }) => ok(listOf(m().listProjectUsers(params[0]!, query), member))),
    admin('POST', P, ({ params, body }) => ok(member(m().addProjectUser(params[0]!, body, true)))),
    admin('GET', `${P}/{user_id}`, ({ params }) => ok(member(m().projectUser(params[0]!, params[1]!)))),
    admin('POST', `${P}/{user_id}`, ({ params, body }) => ok(member(m().updateProjectUser(params[0]!, params[1]!, body)))),
    admin('DELETE', `${P}/{user_id}`, ({ params }) => ok(m().deleteProjectUser(params[0]!, params[1]!))),

    admin('GET', '/organization/admin_api_keys', ({ query }) => ok(paginate([adminKeyRecord()], query, (k) => k))),
    admin('GET', '/organization/admin_api_keys/{key_id}', ({ params }) => {
      if (params[0] !== ADMIN_KEY_ID) throw notFound('admin_api_key_not_found', `No admin API key with id '${params[0]}'.`, 'key_id');
      return ok(adminKeyRecord());
    }),
  ];
}
