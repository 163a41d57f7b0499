/**
 * OpenAI's users, invites and project users (issue 20; docs/openai-admin-api.md "Users, invites,
 * project users"; openai-node `admin/organization/users`, `invites`, `projects/users`), read into
 * the domain (core/members.ts) and written back.
 *
 * - Invites always send `projects` (`[]` for none): omitted, OpenAI invites to the default project (SDK).
 * - Creates are not idempotent on OpenAI: a send whose answer was lost looks for the person's
 *   pending invite before it is sent again; an add to a project sent twice is refused as a member
 *   already, and the membership is read then.
 * - Whose the admin key is: `GET /organization/admin_api_keys` lists admin keys with their
 *   `redacted_value` and `owner` (SDK `admin-api-keys.ts`); the one whose shown start and end are
 *   this key's is it (an inference: the redaction is only shown by example). Not exactly one such
 *   key, an owner that is not a user, or a key that may not list admin keys: unknown (null).
 * - An archived project refuses member changes (spec: 400); the plan only touches active projects.
 */
import { mapLimit } from '../../core/concurrency.js';
import type { AdminIdentity, LiveMembers } from '../../core/members.js';
import type { InviteInput } from '../../core/provider.js';
import { enc, projectPath, type OpenAiClient } from './client.js';
import { ProviderError } from './errors.js';
import type { WireAdminApiKey, WireInvite, WireProjectUser, WireUser } from './wire.js';

export const DEFAULT_MEMBER_READ_CONCURRENCY = 8;

export class OpenAiMembers {
  constructor(
    private readonly client: OpenAiClient,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  async read(options: { projectIds: readonly string[]; concurrency?: number }): Promise<LiveMembers> {
    const users = this.client.list<WireUser>('/organization/users');
    const invites = this.client.list<WireInvite>('/organization/invites');
    const admin = this.adminIdentity();
    for (const p of [users, invites, admin]) p.catch(() => {});
    const lists = await mapLimit(options.projectIds, options.concurrency ?? DEFAULT_MEMBER_READ_CONCURRENCY, (id) =>
      this.client.list<WireProjectUser>(`${projectPath(id)}/users`),
    );
    const projects: LiveMembers['projects'] = {};
    options.projectIds.forEach((id, i) => {
      projects[id] = lists[i]!.map((m) => ({ user_id: m.id, email: m.email, role: m.role }));
    });
    return {
      members: (await users).map((u) => ({ id: u.id, email: u.email, name: u.name ?? '', role: u.role })),
      invites: (await invites).map((i) => ({
        id: i.id,
        email: i.email,
        role: i.role,
        projects: (i.projects ?? []).map((p) => ({ id: p.id, role: p.role })),
        status: i.status,
        expires_at: i.expires_at ?? null,
      })),
      projects,
      admin: await admin,
    };
  }

  private async adminIdentity(): Promise<AdminIdentity | null> {
    let keys: WireAdminApiKey[];
    try {
      keys = await this.client.list<WireAdminApiKey>('/organization/admin_api_keys');
    } catch (error) {
      // A key that may not list admin keys (or an API without the call): whose it is stays unknown.
      if (error instanceof ProviderError && (error.kind === 'refused' || error.kind === 'not_found')) return null;
      throw error;
    }
    const ours = keys.filter((k) => typeof k.redacted_value === 'string' && this.client.couldBeOwnKey(k.redacted_value));
    const owner = ours.length === 1 ? ours[0]!.owner : undefined;
    return owner?.type === 'user' && typeof owner.id === 'string' ? { user_id: owner.id, email: null } : null;
  }

  /** `POST /organization/invites` → 200. A lost answer: the person's pending invite with this role, if one appeared, is it. */
  async invite(input: InviteInput, attempts = 5): Promise<{ id: string }> {
    const body = { email: input.email, role: input.role, projects: input.projects.map((p) => ({ id: p.id, role: p.role })) };
    let uncertain = false;
    for (let attempt = 1; ; attempt++) {
      if (uncertain) {
        const found = (await this.client.list<WireInvite>('/organization/invites')).find(
          (i) => i.status === 'pending' && i.email.toLowerCase() === input.email.toLowerCase() && i.role === input.role,
        );
        if (found) return { id: found.id };
      }
      try {
        const made = await this.client.call<WireInvite>({ method: 'POST', path: '/organization/invites', body, retrySafe: false });
        return { id: made.id };
      } catch (error) {
        if (!(error instanceof ProviderError) || !error.retryable || attempt >= attempts) throw error;
        uncertain = uncertain || error.kind === 'unavailable';
        await this.sleep(error.retryAfterMs ?? Math.min(8_000, 250 * 2 ** (attempt - 1)));
      }
    }
  }

  async cancelInvite(inviteId: string): Promise<void> {
    await this.client.call({ method: 'DELETE', path: `/organization/invites/${enc(inviteId)}` });
  }

  async setRole(userId: string, role: string): Promise<void> {
    await this.client.call({ method: 'POST', path: `/organization/users/${enc(userId)}`, body: { role }, retrySafe: true });
  }

  async remove(userId: string): Promise<void> {
    await this.client.call({ method: 'DELETE', path: `/organization/users/${enc(userId)}` });
  }

  async addToProject(projectId: string, userId: string, role: string): Promise<void> {
    const path = `${projectPath(projectId)}/users`;
    try {
      await this.client.call({ method: 'POST', path, body: { user_id: userId, role }, retrySafe: true });
    } catch (error) {
      if (!(error instanceof ProviderError) || error.kind !== 'invalid') throw error;
      const current = await this.client.call<WireProjectUser>({ method: 'GET', path: `${path}/${enc(userId)}` }).catch(() => null);
      if (current?.role !== role) throw error;
    }
  }

  async setProjectRole(projectId: string, userId: string, role: string): Promise<void> {
    await this.client.call({ method: 'POST', path: `${projectPath(projectId)}/users/${enc(userId)}`, body: { role }, retrySafe: true });
  }

  async removeFromProject(projectId: string, userId: string): Promise<void> {
    await this.client.call({ method: 'DELETE', path: `${projectPath(projectId)}/users/${enc(userId)}` });
  }
}
