import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { sandboxCommand } from '../../src/cli/commands/sandbox.js';
import type { Io } from '../../src/cli/io.js';
import { UserError } from '../../src/core/errors.js';
import { INVITE_TTL_SECONDS } from '../../src/sandbox/members.js';
import { OPENAI_MEMBER_RULES } from '../../src/sandbox/openai/members.js';
import { OrgState } from '../../src/sandbox/org-state.js';
import { startSandbox } from '../../src/sandbox/server.js';
import { startTestOrg, type TestOrg } from '../helpers/sandbox.js';

// Members as the sandboxes serve them (issue 20): contract v2.1 "Members" under Groq's `/openai/v1`,
// OpenAI's users, invites and project users under `/v1` (docs/openai-admin-api.md).

interface Flavour {
  provider: 'groq' | 'openai';
  base: string;
  /** Status of a create: the contract's 201, OpenAI's 200. */
  created: number;
  orgRoles: string[];
  /** A project role, the highest first. */
  projectOwner: string;
  projectLow: string;
  /** A role the provider does not have. */
  foreignOrgRole: string;
  foreignProjectRole: string;
}

const FLAVOURS: Flavour[] = [
  {
    provider: 'groq',
    base: '/openai/v1',
    created: 201,
    orgRoles: ['owner', 'developer', 'reader'],
    projectOwner: 'owner',
    projectLow: 'reader',
    foreignOrgRole: 'member',
    foreignProjectRole: 'member',
  },
  {
    provider: 'openai',
    base: '/v1',
    created: 200,
    orgRoles: ['owner', 'reader'],
    projectOwner: 'owner',
    projectLow: 'member',
    foreignOrgRole: 'developer',
    foreignProjectRole: 'reader',
  },
];

let org: TestOrg | null = null;
const dirs: string[] = [];
afterEach(async () => {
  await org?.close();
  org = null;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe.each(FLAVOURS)('members in the $provider sandbox', (f) => {
  const ORG = `${f.base}/organization`;
  const start = async (options: Parameters<typeof startTestOrg>[0] = {}) =>
    (org = await startTestOrg({ provider: f.provider, ...options }));
  const req = (method: string, p: string, body?: unknown, headers?: Record<string, string>) =>
    org!.request(method, p, { ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });
  const project = async (name: string) => {
    const r = await req('POST', `${ORG}/projects`, { name });
    expect(r.status).toBe(f.created);
    return r.body.id as string;
  };
  /** Invites and accepts: the person joins with the invite's role and projects. */
  const join = async (email: string, role: string, projects?: { id: string; role: string }[]) => {
    const invite = await req('POST', `${ORG}/invites`, { email, role, ...(projects ? { projects } : {}) });
    expect(invite.status).toBe(f.created);
    const accepted = await req('POST', `/_sandbox/invites/${invite.body.id}/accept`);
    expect(accepted.status).toBe(200);
    return accepted.body.user as { id: string; email: string; role: string };
  };
  const expect400 = (
    r: { status: number; body: { error: { param?: string | null; message: string } } },
    param: string,
    message: RegExp,
  ) => {
    expect(r.status).toBe(400);
    expect(r.body.error.param).toBe(param);
    expect(r.body.error.message).toMatch(message);
  };
  const auditTypes = async () => (await req('GET', `${ORG}/audit_logs?limit=100`)).body.data.map((e: { type: string }) => e.type).reverse();

  it('seeds the owner the admin key belongs to (default owner@sandbox.example), and /_sandbox/info says so', async () => {
    await start();
    const users = await req('GET', `${ORG}/users`);
    expect(users.status).toBe(200);
    expect(users.body).toMatchObject({ object: 'list', has_more: false });
    expect(users.body.data).toEqual([
      {
        object: 'organization.user',
        id: expect.stringMatching(/^user_/),
        name: 'owner',
        email: 'owner@sandbox.example',
        role: 'owner',
        added_at: expect.any(Number),
      },
    ]);
    const info = await req('GET', '/_sandbox/info');
    expect(info.body).toMatchObject({
      provider: f.provider,
      admin_key_owner: { id: users.body.data[0].id, email: 'owner@sandbox.example', role: 'owner' },
      invite_ttl_seconds: INVITE_TTL_SECONDS,
    });
    // The seed is how the organization starts, not a change: nothing audited.
    expect(await auditTypes()).toEqual([]);
    // Reset empties the organization and brings its owner back.
    await project('p');
    await join('dana@acme.example', 'reader');
    await req('POST', '/_sandbox/reset');
    const after = await req('GET', `${ORG}/users`);
    expect(after.body.data.map((u: { email: string }) => u.email)).toEqual(['owner@sandbox.example']);
    expect((await req('GET', '/_sandbox/info')).body.admin_key_owner.id).toBe(after.body.data[0].id);
  });

  it('takes another owner from startSandbox({ owner }) and refuses one that is no e-mail address', async () => {
    await start({ owner: 'Ada@Acme.example' });
    expect((await req('GET', `${ORG}/users`)).body.data.map((u: { email: string; role: string }) => [u.email, u.role])).toEqual([
      ['Ada@Acme.example', 'owner'],
    ]);
    await expect(startSandbox({ provider: f.provider, port: 0, owner: 'not-an-address' })).rejects.toThrow(
      /owner must be an e-mail address/,
    );
  });

  it('invites: create, get, list, accept (the person joins with the role and projects), and an accepted invite cannot be deleted', async () => {
    await start();
    const p1 = await project('one');
    const p2 = await project('two');
    const made = await req('POST', `${ORG}/invites`, {
      email: 'dana@acme.example',
      role: f.orgRoles.at(-1),
      projects: [
        { id: p1, role: f.projectLow },
        { id: p2, role: f.projectLow },
      ],
    });
    expect(made.status).toBe(f.created);
    const shape: Record<string, unknown> = {
      object: 'organization.invite',
      id: expect.stringMatching(/^invite-/),
      email: 'dana@acme.example',
      role: f.orgRoles.at(-1),
      status: 'pending',
      invited_at: expect.any(Number),
      expires_at: made.body.invited_at + INVITE_TTL_SECONDS,
      accepted_at: null,
    };
    // The contract's invite has exactly its table's fields; OpenAI's also `created_at` (openai-node) and `projects`.
    if (f.provider === 'openai')
      Object.assign(shape, {
        created_at: made.body.invited_at,
        projects: [
          { id: p1, role: 'member' },
          { id: p2, role: 'member' },
        ],
      });
    expect(made.body).toEqual(shape);
    expect((await req('GET', `${ORG}/invites/${made.body.id}`)).body).toEqual(made.body);
    expect((await req('GET', `${ORG}/invites`)).body).toMatchObject({
      object: 'list',
      data: [made.body],
      first_id: made.body.id,
      last_id: made.body.id,
      has_more: false,
    });
    // Not yet a member.
    expect((await req('GET', `${ORG}/users?emails[]=dana@acme.example`)).body.data).toEqual([]);

    const accepted = await req('POST', `/_sandbox/invites/${made.body.id}/accept`, { name: 'Dana Scully' });
    expect(accepted.status).toBe(200);
    expect(accepted.body.invite).toMatchObject({ id: made.body.id, status: 'accepted', accepted_at: expect.any(Number) });
    const user = accepted.body.user;
    expect(user).toEqual({
      object: 'organization.user',
      id: expect.stringMatching(/^user_/),
      name: 'Dana Scully',
      email: 'dana@acme.example',
      role: f.orgRoles.at(-1),
      added_at: expect.any(Number),
    });
    expect((await req('GET', `${ORG}/users/${user.id}`)).body).toEqual(user);
    for (const p of [p1, p2]) {
      expect((await req('GET', `${ORG}/projects/${p}/users/${user.id}`)).body).toEqual({
        object: 'organization.project.user',
        id: user.id,
        name: 'Dana Scully',
        email: 'dana@acme.example',
        role: f.projectLow,
        added_at: expect.any(Number),
      });
    }
    expect((await req('GET', `${ORG}/invites/${made.body.id}`)).body.status).toBe('accepted');
    expect400(await req('DELETE', `${ORG}/invites/${made.body.id}`), 'invite_id', /already been accepted/);
    expect400(await req('POST', `/_sandbox/invites/${made.body.id}/accept`), 'invite_id', /is accepted/);
    expect(await auditTypes()).toEqual([
      'project.created',
      'project.created',
      'invite.sent',
      'invite.accepted',
      'user.added',
      'user.added',
      'user.added',
    ]);
  });

  it('invites: deleting a pending one; every 400 (e-mail, role, projects, a member, a second pending invite) and 404', async () => {
    await start();
    const p = await project('p');
    const invite = await req('POST', `${ORG}/invites`, { email: 'eve@acme.example', role: 'owner' });
    const gone = await req('DELETE', `${ORG}/invites/${invite.body.id}`);
    expect(gone.body).toEqual({ object: 'organization.invite.deleted', id: invite.body.id, deleted: true });
    expect((await req('GET', `${ORG}/invites/${invite.body.id}`)).status).toBe(404);
    expect((await req('DELETE', `${ORG}/invites/${invite.body.id}`)).status).toBe(404);
    expect((await req('POST', `/_sandbox/invites/${invite.body.id}/accept`)).status).toBe(404);

    expect400(await req('POST', `${ORG}/invites`, { role: 'owner' }), 'email', /Missing required parameter: 'email'/);
    expect400(await req('POST', `${ORG}/invites`, { email: 'no-at-sign', role: 'owner' }), 'email', /e-mail address/);
    expect400(await req('POST', `${ORG}/invites`, { email: 'x@acme.example' }), 'role', /Missing required/);
    expect400(await req('POST', `${ORG}/invites`, { email: 'x@acme.example', role: f.foreignOrgRole }), 'role', /must be one of/);
    expect400(await req('POST', `${ORG}/invites`, { email: 'x@acme.example', role: 'owner', team: 'a' }), 'team', /Unknown parameter/);
    expect400(await req('POST', `${ORG}/invites`, { email: 'x@acme.example', role: 'owner', projects: 'p' }), 'projects', /array/);
    expect400(
      await req('POST', `${ORG}/invites`, { email: 'x@acme.example', role: 'owner', projects: [{ id: p, role: f.foreignProjectRole }] }),
      'projects[0].role',
      /must be one of/,
    );
    expect400(
      await req('POST', `${ORG}/invites`, {
        email: 'x@acme.example',
        role: 'owner',
        projects: [
          { id: p, role: f.projectLow },
          { id: p, role: f.projectLow },
        ],
      }),
      'projects[1].id',
      /twice/,
    );
    expect(
      (await req('POST', `${ORG}/invites`, { email: 'x@acme.example', role: 'owner', projects: [{ id: 'proj_nope', role: f.projectLow }] }))
        .status,
    ).toBe(404);
    expect400(await req('POST', `${ORG}/invites`, { email: 'OWNER@sandbox.example', role: 'reader' }), 'email', /already a member/);
    await req('POST', `${ORG}/invites`, { email: 'x@acme.example', role: 'reader' });
    expect400(await req('POST', `${ORG}/invites`, { email: 'X@acme.example', role: 'owner' }), 'email', /pending invite/);
    const archived = await project('old');
    await req('POST', `${ORG}/projects/${archived}/archive`);
    const refused = await req('POST', `${ORG}/invites`, {
      email: 'y@acme.example',
      role: 'owner',
      projects: [{ id: archived, role: f.projectLow }],
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/archived/);
    // Nothing was made by the refused calls: one pending invite (x), nobody new.
    expect((await req('GET', `${ORG}/invites`)).body.data.map((i: { email: string }) => i.email)).toEqual(['x@acme.example']);
    expect((await req('GET', `${ORG}/users`)).body.data).toHaveLength(1);
  });

  it('invites expire on the sandbox clock: expired cannot be accepted, can be deleted, and the person can be invited again', async () => {
    await start();
    const invite = (await req('POST', `${ORG}/invites`, { email: 'late@acme.example', role: 'reader' })).body;
    await req('POST', '/_sandbox/clock', { advance_seconds: INVITE_TTL_SECONDS - 60 });
    expect((await req('GET', `${ORG}/invites/${invite.id}`)).body.status).toBe('pending');
    await req('POST', '/_sandbox/clock', { advance_seconds: 60 });
    expect((await req('GET', `${ORG}/invites/${invite.id}`)).body).toMatchObject({
      status: 'expired',
      accepted_at: null,
      expires_at: invite.expires_at,
    });
    expect400(await req('POST', `/_sandbox/invites/${invite.id}/accept`), 'invite_id', /is expired/);
    const again = await req('POST', `${ORG}/invites`, { email: 'late@acme.example', role: 'reader' });
    expect(again.status).toBe(f.created);
    expect((await req('DELETE', `${ORG}/invites/${invite.id}`)).status).toBe(200);
    expect((await req('GET', `${ORG}/invites`)).body.data.map((i: { id: string; status: string }) => [i.id, i.status])).toEqual([
      [again.body.id, 'pending'],
    ]);
  });

  it('users: change a role, remove; the last owner can be neither removed nor demoted', async () => {
    await start();
    const owner = (await req('GET', `${ORG}/users`)).body.data[0];
    expect400(await req('POST', `${ORG}/users/${owner.id}`, { role: 'reader' }), 'role', /last owner/);
    expect400(await req('DELETE', `${ORG}/users/${owner.id}`), 'user_id', /last owner/);
    expect400(await req('POST', `${ORG}/users/${owner.id}`, { role: f.foreignOrgRole }), 'role', /must be one of/);
    expect400(await req('POST', `${ORG}/users/${owner.id}`, { role: 'owner', name: 'x' }), 'name', /Unknown parameter/);
    expect((await req('GET', `${ORG}/users/user_nope`)).status).toBe(404);

    const dana = await join('dana@acme.example', 'reader');
    const promoted = await req('POST', `${ORG}/users/${dana.id}`, { role: 'owner' });
    expect(promoted.body).toMatchObject({ id: dana.id, role: 'owner' });
    // Two owners: the first may now go (the sandbox's admin key stays usable; /_sandbox/info says its owner is gone).
    const removed = await req('DELETE', `${ORG}/users/${owner.id}`);
    expect(removed.body).toEqual({ object: 'organization.user.deleted', id: owner.id, deleted: true });
    expect((await req('GET', '/_sandbox/info')).body.admin_key_owner).toBeNull();
    expect400(await req('POST', `${ORG}/users/${dana.id}`, { role: 'reader' }), 'role', /last owner/);
    expect((await req('GET', `${ORG}/users`)).body.data.map((u: { email: string; role: string }) => [u.email, u.role])).toEqual([
      ['dana@acme.example', 'owner'],
    ]);
    expect(await auditTypes()).toEqual(['invite.sent', 'invite.accepted', 'user.added', 'user.updated', 'user.deleted']);
    const updated = (await req('GET', `${ORG}/audit_logs?event_types[]=user.updated`)).body.data[0];
    expect(updated['user.updated']).toEqual({ id: dana.id, changes_requested: { role: 'owner' } });
  });

  it('project users: add, get, change, remove; a user outside the organization, a duplicate, an archived project are 400', async () => {
    await start();
    const p = await project('p');
    const dana = await join('dana@acme.example', 'owner');
    const added = await req('POST', `${ORG}/projects/${p}/users`, { user_id: dana.id, role: f.projectLow });
    expect(added.status).toBe(f.created);
    expect(added.body).toEqual({
      object: 'organization.project.user',
      id: dana.id,
      name: 'dana',
      email: 'dana@acme.example',
      role: f.projectLow,
      added_at: expect.any(Number),
    });
    expect((await req('GET', `${ORG}/projects/${p}/users`)).body).toMatchObject({
      object: 'list',
      data: [added.body],
      first_id: dana.id,
      last_id: dana.id,
      has_more: false,
    });
    expect((await req('POST', `${ORG}/projects/${p}/users/${dana.id}`, { role: f.projectOwner })).body.role).toBe(f.projectOwner);
    expect((await req('GET', `${ORG}/projects/${p}/users/${dana.id}`)).body.role).toBe(f.projectOwner);

    expect400(
      await req('POST', `${ORG}/projects/${p}/users`, { user_id: 'user_stranger', role: f.projectLow }),
      'user_id',
      /must already be members of the organization/,
    );
    expect400(await req('POST', `${ORG}/projects/${p}/users`, { user_id: dana.id, role: f.projectLow }), 'user_id', /already a member/);
    expect400(await req('POST', `${ORG}/projects/${p}/users`, { role: f.projectLow }), 'user_id', /Missing required/);
    expect400(await req('POST', `${ORG}/projects/${p}/users`, { user_id: dana.id, role: f.foreignProjectRole }), 'role', /must be one of/);
    expect((await req('POST', `${ORG}/projects/proj_nope/users`, { user_id: dana.id, role: f.projectLow })).status).toBe(404);
    expect((await req('GET', `${ORG}/projects/${p}/users/user_nope`)).status).toBe(404);

    const removed = await req('DELETE', `${ORG}/projects/${p}/users/${dana.id}`);
    expect(removed.body).toEqual({ object: 'organization.project.user.deleted', id: dana.id, deleted: true });
    expect((await req('GET', `${ORG}/projects/${p}/users/${dana.id}`)).status).toBe(404);

    // An archived project refuses every member change, and keeps what it had.
    await req('POST', `${ORG}/projects/${p}/users`, { user_id: dana.id, role: f.projectLow });
    await req('POST', `${ORG}/projects/${p}/archive`);
    for (const r of [
      await req('POST', `${ORG}/projects/${p}/users`, { user_id: (await req('GET', `${ORG}/users`)).body.data[0].id, role: f.projectLow }),
      await req('POST', `${ORG}/projects/${p}/users/${dana.id}`, { role: f.projectOwner }),
      await req('DELETE', `${ORG}/projects/${p}/users/${dana.id}`),
    ]) {
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ param: 'project_id', code: 'project_archived' });
    }
    expect((await req('GET', `${ORG}/projects/${p}/users`)).body.data.map((m: { id: string; role: string }) => [m.id, m.role])).toEqual([
      [dana.id, f.projectLow],
    ]);
  });

  it('removing a user takes them out of every project', async () => {
    await start();
    const [a, b] = [await project('a'), await project('b')];
    const dana = await join('dana@acme.example', 'reader', [
      { id: a, role: f.projectLow },
      { id: b, role: f.projectLow },
    ]);
    await req('DELETE', `${ORG}/users/${dana.id}`);
    for (const p of [a, b]) expect((await req('GET', `${ORG}/projects/${p}/users`)).body.data).toEqual([]);
    expect((await req('GET', `${ORG}/users/${dana.id}`)).status).toBe(404);
    const inProject = (await req('GET', `${ORG}/audit_logs?event_types[]=user.deleted`)).body.data.filter(
      (e: { project?: unknown }) => e.project,
    );
    expect(inProject).toHaveLength(2);
  });

  it('pages users, invites and project users by cursor, and filters users by emails[]', async () => {
    await start();
    const p = await project('p');
    const people: string[] = [];
    for (let i = 0; i < 23; i++)
      people.push((await join(`u${String(i).padStart(2, '0')}@acme.example`, 'reader', [{ id: p, role: f.projectLow }])).id);
    for (let i = 0; i < 3; i++) await req('POST', `${ORG}/invites`, { email: `pending${i}@acme.example`, role: 'reader' });
    const walk = async (first: string) => {
      const ids: string[] = [];
      let page = (await req('GET', first)).body;
      for (;;) {
        ids.push(...page.data.map((x: { id: string }) => x.id));
        expect(page.last_id).toBe(page.data.at(-1)?.id ?? null);
        if (!page.has_more) return ids;
        page = (await req('GET', `${first}&after=${page.last_id}`)).body;
      }
    };
    const users = await walk(`${ORG}/users?limit=5`);
    expect(users).toHaveLength(24);
    expect(users.slice(1)).toEqual(people);
    expect(await walk(`${ORG}/projects/${p}/users?limit=7`)).toEqual(people);
    expect(await walk(`${ORG}/invites?limit=4`)).toHaveLength(26);
    expect((await req('GET', `${ORG}/users`)).body.data).toHaveLength(20);
    expect((await req('GET', `${ORG}/users?limit=0`)).status).toBe(400);
    const some = await req('GET', `${ORG}/users?emails[]=u03@acme.example&emails[]=U07@ACME.example&emails[]=nobody@acme.example`);
    expect(some.body.data.map((u: { id: string }) => u.id)).toEqual([people[3], people[7]]);
  });

  it('persists members in the state file; a state file from before members loads and gets its owner', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'members-'));
    dirs.push(dir);
    const statePath = path.join(dir, 'state.json');
    await start({ statePath });
    const p = await project('p');
    const dana = await join('dana@acme.example', 'reader', [{ id: p, role: f.projectLow }]);
    const pending = (await req('POST', `${ORG}/invites`, { email: 'x@acme.example', role: 'owner' })).body;
    const before = {
      users: (await req('GET', `${ORG}/users`)).body,
      members: (await req('GET', `${ORG}/projects/${p}/users`)).body,
      invites: (await req('GET', `${ORG}/invites`)).body,
      info: (await req('GET', '/_sandbox/info')).body,
    };
    await org!.close();
    // Restarted with another --owner: the file's members stay, its owner keeps the admin key.
    await start({ statePath, owner: 'other@acme.example' });
    expect((await req('GET', `${ORG}/users`)).body).toEqual(before.users);
    expect((await req('GET', `${ORG}/projects/${p}/users`)).body).toEqual(before.members);
    expect((await req('GET', `${ORG}/invites`)).body).toEqual(before.invites);
    expect((await req('GET', '/_sandbox/info')).body).toEqual(before.info);
    expect(pending.status).toBe('pending');
    expect(before.members.data[0].id).toBe(dana.id);
    await org!.close();

    // An old file: no users, invites, project users or admin user.
    const old = JSON.parse(fs.readFileSync(statePath, 'utf8'));
    for (const k of ['users', 'invites', 'project_users', 'admin_user_id']) delete old[k];
    fs.writeFileSync(statePath, JSON.stringify(old));
    fs.writeFileSync(`${statePath}.journal`, '');
    await start({ statePath, owner: 'heir@acme.example' });
    expect((await req('GET', `${ORG}/projects`)).body.data.map((x: { id: string }) => x.id)).toEqual([p]);
    expect((await req('GET', `${ORG}/users`)).body.data.map((u: { email: string; role: string }) => [u.email, u.role])).toEqual([
      ['heir@acme.example', 'owner'],
    ]);
    expect((await req('GET', '/_sandbox/info')).body.admin_key_owner.email).toBe('heir@acme.example');
  });
});

describe('Groq contract v2.1 specifics', () => {
  const ORG = '/openai/v1/organization';
  const req = (method: string, p: string, body?: unknown, headers?: Record<string, string>) =>
    org!.request(method, p, { ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });
  const join = async (email: string, role: string) => {
    const invite = await req('POST', `${ORG}/invites`, { email, role });
    return (await req('POST', `/_sandbox/invites/${invite.body.id}/accept`)).body.user as { id: string };
  };

  it('has three organization roles; a project role above the organization role is 400, in invites too', async () => {
    org = await startTestOrg();
    const p = (await req('POST', `${ORG}/projects`, { name: 'p' })).body.id;
    const dev = await join('dev@acme.example', 'developer');
    const reader = await join('reader@acme.example', 'reader');
    const refused = await req('POST', `${ORG}/projects/${p}/users`, { user_id: reader.id, role: 'developer' });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toEqual({
      message: expect.stringMatching(/'developer' is above the user's organization role 'reader'/),
      type: 'invalid_request_error',
      code: 'invalid_request_error',
      param: 'role',
    });
    expect((await req('POST', `${ORG}/projects/${p}/users`, { user_id: dev.id, role: 'owner' })).status).toBe(400);
    expect((await req('POST', `${ORG}/projects/${p}/users`, { user_id: dev.id, role: 'developer' })).status).toBe(201);
    expect((await req('POST', `${ORG}/projects/${p}/users/${dev.id}`, { role: 'owner' })).status).toBe(400);
    // OpenAI's project `member` is not a Groq role; nor is `email` a field of Groq's add.
    expect((await req('POST', `${ORG}/projects/${p}/users`, { user_id: reader.id, role: 'member' })).status).toBe(400);
    expect((await req('POST', `${ORG}/projects/${p}/users`, { email: 'reader@acme.example', role: 'reader' })).body.error.param).toBe(
      'email',
    );
    const invite = await req('POST', `${ORG}/invites`, {
      email: 'new@acme.example',
      role: 'reader',
      projects: [{ id: p, role: 'developer' }],
    });
    expect(invite.status).toBe(400);
    expect(invite.body.error.param).toBe('projects[0].role');
  });

  it('demoting a user lowers their project roles above the new one to it (capped by the organization role)', async () => {
    org = await startTestOrg();
    const p = (await req('POST', `${ORG}/projects`, { name: 'p' })).body.id;
    const q = (await req('POST', `${ORG}/projects`, { name: 'q' })).body.id;
    const ada = await join('ada@acme.example', 'owner');
    await req('POST', `${ORG}/projects/${p}/users`, { user_id: ada.id, role: 'owner' });
    await req('POST', `${ORG}/projects/${q}/users`, { user_id: ada.id, role: 'reader' });
    expect((await req('POST', `${ORG}/users/${ada.id}`, { role: 'developer' })).body.role).toBe('developer');
    expect((await req('GET', `${ORG}/projects/${p}/users/${ada.id}`)).body.role).toBe('developer');
    expect((await req('GET', `${ORG}/projects/${q}/users/${ada.id}`)).body.role).toBe('reader');
    const events = (await req('GET', `${ORG}/audit_logs?event_types[]=user.updated`)).body.data;
    expect(events.map((e: { project?: { id: string } }) => e.project?.id ?? null)).toEqual([p, null]);
  });

  it("replays an invite create with the same Idempotency-Key, as the contract's other creates", async () => {
    org = await startTestOrg();
    const first = await req('POST', `${ORG}/invites`, { email: 'x@acme.example', role: 'reader' }, { 'idempotency-key': 'invite-x' });
    const again = await req('POST', `${ORG}/invites`, { email: 'x@acme.example', role: 'reader' }, { 'idempotency-key': 'invite-x' });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    expect((await req('GET', `${ORG}/invites`)).body.data).toHaveLength(1);
  });

  it("answers Groq's error shape (no null param or code) and refuses a project key on member paths", async () => {
    org = await startTestOrg();
    const missing = await req('GET', `${ORG}/users/user_nope`);
    expect(missing.body).toEqual({
      error: {
        message: "No user with id 'user_nope' in the organization.",
        type: 'invalid_request_error',
        code: 'user_not_found',
        param: 'user_id',
      },
    });
    expect((await org.request('GET', `${ORG}/users`, { token: null })).status).toBe(401);
  });
});

describe('OpenAI specifics', () => {
  const ORG = '/v1/organization';
  const req = (method: string, p: string, body?: unknown) => org!.request(method, p, body !== undefined ? { body } : {});

  it("answers OpenAI's error shape (param and code always present) and lists member events in the audit log", async () => {
    org = await startTestOrg({ provider: 'openai' });
    const missing = await req('GET', `${ORG}/invites/invite-nope`);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      error: { message: "No invite with id 'invite-nope'.", type: 'invalid_request_error', param: 'invite_id', code: 'invite_not_found' },
    });
    const invite = await req('POST', `${ORG}/invites`, { email: 'x@acme.example', role: 'reader' });
    await req('POST', `/_sandbox/invites/${invite.body.id}/accept`);
    const log = (await req('GET', `${ORG}/audit_logs?event_types[]=invite.sent&event_types[]=invite.accepted&event_types[]=user.added`))
      .body.data;
    expect(log.map((e: { type: string }) => e.type)).toEqual(['user.added', 'invite.accepted', 'invite.sent']);
    expect(log[2]['invite.sent']).toEqual({ id: invite.body.id, data: { email: 'x@acme.example', role: 'reader' } });
    // A reader may own a project on OpenAI (openapi.yaml's invite example does so): no cap.
    const p = (await req('POST', `${ORG}/projects`, { name: 'p' })).body.id;
    const user = (await req('GET', `${ORG}/users?emails[]=x@acme.example`)).body.data[0];
    expect((await req('POST', `${ORG}/projects/${p}/users`, { email: 'x@acme.example', role: 'owner' })).body).toMatchObject({
      id: user.id,
      role: 'owner',
    });
  });

  it('tells whose the admin key is: GET /organization/admin_api_keys lists it with its owner', async () => {
    org = await startTestOrg({ provider: 'openai', owner: 'root@acme.example' });
    const owner = (await req('GET', `${ORG}/users`)).body.data[0];
    const keys = await req('GET', `${ORG}/admin_api_keys`);
    expect(keys.body).toMatchObject({ object: 'list', has_more: false });
    expect(keys.body.data).toEqual([
      {
        object: 'organization.admin_api_key',
        id: 'key_admin',
        name: 'Sandbox admin key',
        redacted_value: expect.stringMatching(/\.\.\./),
        created_at: owner.added_at,
        expires_at: null,
        last_used_at: null,
        owner: { type: 'user', object: 'organization.user', id: owner.id, name: 'root', created_at: owner.added_at, role: 'owner' },
      },
    ]);
    expect(JSON.stringify(keys.body)).not.toContain(org.sandbox.adminKey);
    expect((await req('GET', `${ORG}/admin_api_keys/key_admin`)).body.owner.id).toBe(owner.id);
    expect((await req('GET', `${ORG}/admin_api_keys/key_other`)).status).toBe(404);
  });

  it("service accounts: an update's role (member | owner) is kept", async () => {
    org = await startTestOrg({ provider: 'openai' });
    const p = (await req('POST', `${ORG}/projects`, { name: 'p' })).body.id;
    const sa = (await req('POST', `${ORG}/projects/${p}/service_accounts`, { name: 'ci' })).body;
    expect((await req('POST', `${ORG}/projects/${p}/service_accounts/${sa.id}`, { role: 'owner' })).body.role).toBe('owner');
    expect((await req('GET', `${ORG}/projects/${p}/service_accounts/${sa.id}`)).body.role).toBe('owner');
  });

  it('after a reset, service accounts and members go to the new organization (routes read its stores per call)', async () => {
    org = await startTestOrg({ provider: 'openai' });
    await req('POST', '/_sandbox/reset');
    const p = (await req('POST', `${ORG}/projects`, { name: 'p' })).body.id;
    const sa = (await req('POST', `${ORG}/projects/${p}/service_accounts`, { name: 'ci' })).body;
    const keys = (await req('GET', `${ORG}/projects/${p}/api_keys`)).body.data;
    expect(keys[0].owner).toMatchObject({ type: 'service_account', service_account: { id: sa.id } });
    expect(org.sandbox.state.snapshot().service_accounts!.map((a) => a.id)).toEqual([sa.id]);
    await req('POST', `${ORG}/invites`, { email: 'x@acme.example', role: 'reader' });
    expect(org.sandbox.state.snapshot().invites!.map((i) => i.email)).toEqual(['x@acme.example']);
  });

  it("serves the official openai SDK's admin resources (users, invites, projects.users) unchanged", async () => {
    org = await startTestOrg({ provider: 'openai' });
    const client = new OpenAI({ adminAPIKey: org.sandbox.adminKey, apiKey: null, baseURL: `${org.sandbox.url}/v1`, maxRetries: 0 });
    const { users, invites, projects } = client.admin.organization;
    const p = await projects.create({ name: 'sdk' });
    const invite = await invites.create({ email: 'sdk@acme.example', role: 'reader', projects: [{ id: p.id, role: 'member' }] });
    expect(invite).toMatchObject({
      object: 'organization.invite',
      email: 'sdk@acme.example',
      role: 'reader',
      status: 'pending',
      projects: [{ id: p.id, role: 'member' }],
    });
    expect(typeof invite.created_at).toBe('number');
    expect((await invites.retrieve(invite.id)).id).toBe(invite.id);
    const listed = [];
    for await (const i of invites.list({ limit: 1 })) listed.push(i.id);
    expect(listed).toEqual([invite.id]);
    await org.request('POST', `/_sandbox/invites/${invite.id}/accept`);

    const seen = [];
    for await (const u of users.list({ limit: 1 })) seen.push(u.email);
    expect(seen).toEqual(['owner@sandbox.example', 'sdk@acme.example']);
    const [joined] = (await users.list({ emails: ['sdk@acme.example'] })).data;
    expect(joined).toMatchObject({ object: 'organization.user', role: 'reader' });
    expect((await users.retrieve(joined!.id)).email).toBe('sdk@acme.example');
    expect((await users.update(joined!.id, { role: 'owner' })).role).toBe('owner');

    const members = projects.users;
    expect((await members.retrieve(joined!.id, { project_id: p.id })).role).toBe('member');
    expect((await members.update(joined!.id, { project_id: p.id, role: 'owner' })).role).toBe('owner');
    const owner = (await users.list({ emails: ['owner@sandbox.example'] })).data[0]!;
    expect(await members.create(p.id, { user_id: owner.id, role: 'member' })).toMatchObject({
      object: 'organization.project.user',
      id: owner.id,
      role: 'member',
    });
    const inProject = [];
    for await (const m of members.list(p.id, { limit: 1 })) inProject.push(m.id);
    expect(inProject).toEqual([owner.id, joined!.id].sort());
    expect(await members.delete(owner.id, { project_id: p.id })).toEqual({
      object: 'organization.project.user.deleted',
      id: owner.id,
      deleted: true,
    });

    const second = await invites.create({ email: 'later@acme.example', role: 'owner' });
    expect(await invites.delete(second.id)).toEqual({ object: 'organization.invite.deleted', id: second.id, deleted: true });
    expect(await users.delete(joined!.id)).toEqual({ object: 'organization.user.deleted', id: joined!.id, deleted: true });
    // The SDK's errors carry OpenAI's body: the last owner cannot go.
    const refused = await users.delete(owner.id).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('user_id');
  });
});

describe('scale', () => {
  it('holds 5,000 members and 1,000 projects, and pages them by cursor', () => {
    const state = new OrgState({ owner: 'owner@sandbox.example', memberRules: OPENAI_MEMBER_RULES });
    const m = state.members;
    const projects = Array.from({ length: 1000 }, (_, i) => state.createProject({ name: `p${i}` }).id);
    for (let i = 1; i < 5000; i++) {
      const invite = m.createInvite({
        email: `u${i}@acme.example`,
        role: 'reader',
        projects: [
          { id: projects[i % 1000]!, role: 'member' },
          { id: projects[(i * 7) % 1000]!, role: 'owner' },
        ].filter((g, n, all) => all.findIndex((x) => x.id === g.id) === n),
      });
      m.acceptInvite(invite.id, undefined);
    }
    const walk = (list: (q: URLSearchParams) => { data: { id: string }[]; last_id: string | null; has_more: boolean }) => {
      const ids: string[] = [];
      let after: string | null = null;
      for (;;) {
        const page = list(new URLSearchParams({ limit: '100', ...(after ? { after } : {}) }));
        ids.push(...page.data.map((x) => x.id));
        if (!page.has_more) return ids;
        after = page.last_id;
      }
    };
    const users = walk((q) => m.listUsers(q));
    expect(users).toHaveLength(5000);
    expect(new Set(users).size).toBe(5000);
    expect([...users].sort()).toEqual(users);
    const inProject = walk((q) => m.listProjectUsers(projects[1]!, q));
    expect(inProject.length).toBeGreaterThanOrEqual(5);
    expect([...inProject].sort()).toEqual(inProject);
    let memberships = 0;
    for (const p of projects) memberships += walk((q) => m.listProjectUsers(p, q)).length;
    expect(memberships).toBe(state.snapshot().project_users!.length);
    expect(m.listUsers(new URLSearchParams({ 'emails[]': 'u4999@acme.example' })).data.map((u) => u.email)).toEqual(['u4999@acme.example']);
  });
});

describe('groq-rbac sandbox --owner', () => {
  const testIo = (): Io & { output: () => string } => {
    let text = '';
    return {
      out: (t) => void (text += t),
      err: (t) => void (text += t),
      color: false,
      interactive: false,
      env: {},
      cwd: process.cwd(),
      prompt: () => Promise.resolve(''),
      logger: { debug() {}, info() {}, warn() {}, error() {} } as unknown as Io['logger'],
      output: () => text,
    };
  };

  it('seeds the owner it names, says whose the admin key is, and refuses a value that is no e-mail address', async () => {
    const io = testIo();
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const done = sandboxCommand(
      ['--port', '0', '--state', '', '--owner', 'root@acme.example', '--admin-key', 'cli-owner-test-key'],
      io,
      () => stopped,
    );
    for (let i = 0; i < 500 && !/Stop with Ctrl-C/.test(io.output()); i++) await new Promise((r) => setTimeout(r, 10));
    const url = /listening on (\S+)/.exec(io.output())![1]!;
    try {
      expect(io.output()).toContain("Admin key's owner: root@acme.example.");
      const res = await fetch(`${url}/openai/v1/organization/users`, { headers: { authorization: 'Bearer cli-owner-test-key' } });
      expect(((await res.json()) as { data: { email: string; role: string }[] }).data.map((u) => [u.email, u.role])).toEqual([
        ['root@acme.example', 'owner'],
      ]);
    } finally {
      stop();
      expect(await done).toBe(0);
    }
    await expect(sandboxCommand(['--port', '0', '--state', '', '--owner', 'root'], testIo(), () => Promise.resolve())).rejects.toThrow(
      UserError,
    );
    await expect(sandboxCommand(['--port', '0', '--state', '', '--owner', 'root'], testIo(), () => Promise.resolve())).rejects.toThrow(
      /--owner must be an e-mail address/,
    );
    expect(io.output()).not.toContain('cli-owner-test-key');
  });
});
