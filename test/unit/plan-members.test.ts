import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { GROQ_MEMBERS, OPENAI_MEMBERS, type LiveMembers } from '../../src/core/members.js';
import { blockingRefusals } from '../../src/plan/safety.js';
import { memberFingerprintInput } from '../../src/plan/plan-members.js';
import type { InviteChange, MemberPlanChange } from '../../src/plan/types.js';
import { MEMBER_NOW, desiredMembers, invite, liveMembers, livePM, plan, projectMembers, userId } from '../helpers/member-builders.js';

const TEAM = {
  'ada@acme.example': 'owner',
  'grace@acme.example': 'owner',
  'bob@acme.example': 'developer',
  'carol@acme.example': 'reader',
};
const brief = (c: MemberPlanChange) =>
  `${c.resource} ${c.action} ${c.email}${'project' in c ? ` ${c.project}` : ''} ${c.before?.role ?? '-'}->${c.after?.role ?? '-'} (${c.reason})`;

describe('planning members (issue 20)', () => {
  it('changes nothing where the organization matches the policies', () => {
    const r = plan(desiredMembers(TEAM), liveMembers(TEAM));
    expect(r.plan.changes).toEqual([]);
    expect(r.refusals).toEqual([]);
    expect(r.plan.counts).toEqual({ members: 4, owners_before: 2, owners_after: 2, invites_pending: 0 });
  });

  it('invites someone not in the organization, with the projects the invite can carry; a project this plan creates waits for them to join', () => {
    const desired = desiredMembers(
      { ...TEAM, 'dan@acme.example': 'developer' },
      {
        projects: [
          projectMembers('chatbot-prod', { 'dan@acme.example': 'developer' }),
          projectMembers('chatbot-new', { 'dan@acme.example': 'reader' }),
        ],
      },
    );
    const r = plan(desired, liveMembers(TEAM), { 'chatbot-prod': 'proj_1', 'chatbot-new': null });
    expect(r.plan.changes).toEqual([
      {
        resource: 'invite',
        action: 'create',
        reason: 'new',
        email: 'dan@acme.example',
        invite_id: null,
        before: null,
        after: {
          role: 'developer',
          projects: [{ project: 'chatbot-prod', project_id: 'proj_1', role: 'developer' }],
          later: ['chatbot-new'],
        },
        context: {
          at:
            desired.org.find((m) => m.email === 'dan@acme.example')!.source.file +
            ':' +
            desired.org.find((m) => m.email === 'dan@acme.example')!.source.line +
            ':3',
        },
      },
    ]);
  });

  it('where invites carry no projects, every project waits for the person to join', () => {
    const desired = desiredMembers(
      { ...TEAM, 'dan@acme.example': 'developer' },
      { projects: [projectMembers('chatbot-prod', { 'dan@acme.example': 'developer' })] },
    );
    const r = plan(desired, liveMembers(TEAM), { 'chatbot-prod': 'proj_1' }, { ...GROQ_MEMBERS, inviteProjects: false });
    expect((r.plan.changes[0] as InviteChange).after).toEqual({ role: 'developer', projects: [], later: ['chatbot-prod'] });
  });

  it('shows a pending invite as pending and re-sends it only when its role changed', () => {
    const desired = desiredMembers(
      { ...TEAM, 'dan@acme.example': 'developer', 'erin@acme.example': 'reader' },
      { projects: [projectMembers('chatbot-prod', { 'dan@acme.example': 'developer' })] },
    );
    const live = liveMembers(TEAM, {
      invites: [
        invite('dan@acme.example', 'developer'),
        invite('erin@acme.example', 'developer', { projects: [{ id: 'proj_1', role: 'reader' }] }),
      ],
    });
    const r = plan(desired, live, { 'chatbot-prod': 'proj_1' });
    expect(r.plan.changes.map(brief)).toEqual(['invite update erin@acme.example developer->reader (differs)']);
    expect((r.plan.changes[0] as InviteChange).invite_id).toBe('invite-erin');
    // Dan's invite stands; chatbot-prod (which it does not carry) follows once he has joined.
    expect(r.plan.pending).toEqual([
      {
        email: 'dan@acme.example',
        invite_id: 'invite-dan',
        role: 'developer',
        expires_at: MEMBER_NOW + 3600,
        later: ['chatbot-prod'],
        context: expect.objectContaining({ expires_at: MEMBER_NOW + 3600 }),
      },
    ]);
    expect(r.plan.counts.invites_pending).toBe(2);
  });

  it('invites again someone whose invite expired (by status or by its expiry), and ignores accepted invites', () => {
    const desired = desiredMembers({ ...TEAM, 'dan@acme.example': 'developer', 'erin@acme.example': 'reader' });
    const live = liveMembers(TEAM, {
      invites: [
        invite('dan@acme.example', 'developer', { status: 'expired' }),
        invite('erin@acme.example', 'reader', { expires_at: MEMBER_NOW }),
        invite('bob@acme.example', 'developer', { status: 'accepted' }),
      ],
    });
    expect(plan(desired, live).plan.changes.map(brief)).toEqual([
      'invite create dan@acme.example -->developer (expired)',
      'invite create erin@acme.example -->reader (expired)',
    ]);
  });

  it('cancels a pending invite for someone in no policy, whatever unmanaged.members says', () => {
    const live = liveMembers(TEAM, { invites: [invite('mallory@elsewhere.example', 'owner')] });
    for (const unmanaged of ['report', 'remove'] as const) {
      const r = plan(desiredMembers(TEAM, { unmanaged }), live);
      expect(r.plan.changes).toEqual([
        {
          resource: 'invite',
          action: 'delete',
          reason: 'removed',
          email: 'mallory@elsewhere.example',
          invite_id: 'invite-mallory',
          before: { role: 'owner' },
          after: null,
          context: { expires_at: MEMBER_NOW + 3600 },
        },
      ]);
    }
  });

  it('changes roles in apply order: promotions, then project roles, then demotions (Groq caps project roles by the organization role)', () => {
    const desired = desiredMembers(
      {
        ...TEAM,
        'bob@acme.example': 'owner',
        'carol@acme.example': 'developer',
        'grace@acme.example': 'developer',
        'fay@acme.example': 'owner',
      },
      {
        projects: [projectMembers('chatbot-prod', { 'bob@acme.example': 'owner', 'grace@acme.example': 'reader' })],
      },
    );
    const live = liveMembers(
      { ...TEAM, 'fay@acme.example': 'owner' },
      { projects: { proj_1: livePM({ 'bob@acme.example': 'developer', 'grace@acme.example': 'owner' }) } },
    );
    const r = plan(desired, live, { 'chatbot-prod': 'proj_1' });
    expect(r.plan.changes.map(brief)).toEqual([
      'member update bob@acme.example developer->owner (differs)',
      'member update carol@acme.example reader->developer (differs)',
      'project_member update bob@acme.example chatbot-prod developer->owner (differs)',
      'project_member update grace@acme.example chatbot-prod owner->reader (differs)',
      'member update grace@acme.example owner->developer (differs)',
    ]);
    expect(r.plan.counts).toMatchObject({ owners_before: 3, owners_after: 3 });
    expect(r.refusals).toEqual([]);
  });

  it('reports people in no policy, or removes them under unmanaged.members: remove (their project memberships go with them)', () => {
    const live = liveMembers(
      { ...TEAM, 'zed@acme.example': 'reader' },
      { projects: { proj_1: livePM({ 'zed@acme.example': 'reader', 'bob@acme.example': 'developer' }) } },
    );
    const projects = [projectMembers('chatbot-prod', { 'bob@acme.example': 'developer' })];
    const reported = plan(desiredMembers(TEAM, { projects }), live, { 'chatbot-prod': 'proj_1' });
    expect(reported.plan.changes).toEqual([]);
    expect(reported.plan.unmanaged).toEqual({
      members: [{ email: 'zed@acme.example', user_id: 'user_zed', role: 'reader' }],
      project_members: [{ email: 'zed@acme.example', user_id: 'user_zed', role: 'reader', project: 'chatbot-prod', project_id: 'proj_1' }],
    });
    const removed = plan(desiredMembers(TEAM, { projects, unmanaged: 'remove' }), live, { 'chatbot-prod': 'proj_1' });
    expect(removed.plan.changes.map(brief)).toEqual(['member delete zed@acme.example reader->- (unmanaged)']);
    expect(removed.plan.unmanaged).toEqual({ members: [], project_members: [] });
  });

  it('adds, changes and removes project memberships of managed projects only', () => {
    const live = liveMembers(TEAM, {
      projects: {
        proj_1: livePM({ 'carol@acme.example': 'reader', 'grace@acme.example': 'developer' }),
        proj_2: livePM({ 'carol@acme.example': 'reader' }),
      },
    });
    const desired = desiredMembers(TEAM, {
      unmanaged: 'remove',
      projects: [
        projectMembers('chatbot-prod', { 'bob@acme.example': 'developer', 'grace@acme.example': 'owner' }),
        projectMembers('chatbot-new', { 'ada@acme.example': 'owner' }),
      ],
    });
    // proj_2 (search-prod) has no members in the policies: left alone. chatbot-new is created by this plan.
    const r = plan(desired, live, { 'chatbot-prod': 'proj_1', 'chatbot-new': null, 'search-prod': 'proj_2' });
    expect(r.plan.changes.map(brief)).toEqual([
      'project_member delete carol@acme.example chatbot-prod reader->- (unmanaged)',
      'project_member update grace@acme.example chatbot-prod developer->owner (differs)',
      'project_member create ada@acme.example chatbot-new -->owner (new)',
      'project_member create bob@acme.example chatbot-prod -->developer (new)',
    ]);
    expect(r.plan.changes.find((c) => c.resource === 'project_member' && c.project === 'chatbot-new')).toMatchObject({
      project_id: null,
      user_id: 'user_ada',
      team: 'chatbot',
    });
  });

  it('refuses (forceably) a plan leaving fewer than min_owners owners; only warns when the plan does not lower the count', () => {
    const demote = plan(desiredMembers({ ...TEAM, 'grace@acme.example': 'developer' }), liveMembers(TEAM));
    expect(demote.refusals.map((r) => [r.code, r.forceable])).toEqual([['min_owners', true]]);
    expect(demote.refusals[0]!.message).toContain('fewer than safety.min_owners 2');
    expect(blockingRefusals(demote.refusals, true)).toEqual([]);
    const one = { 'ada@acme.example': 'owner', 'bob@acme.example': 'developer' };
    const few = plan(desiredMembers({ ...one, 'dan@acme.example': 'owner' }), liveMembers(one));
    expect(few.refusals).toEqual([]);
    expect(few.warnings.map((w) => [w.code, w.message])).toEqual([
      ['few_owners', 'the organization has 1 owner, fewer than safety.min_owners 2 (1 invited owner count once they have joined)'],
    ]);
  });

  it('never removes or demotes the last owner, even with --force', () => {
    const one = { 'ada@acme.example': 'owner', 'bob@acme.example': 'developer' };
    const r = plan(
      desiredMembers({ 'ada@acme.example': 'reader', 'bob@acme.example': 'developer', 'new@acme.example': 'owner' }, { minOwners: 1 }),
      liveMembers(one, { admin: { user_id: 'user_other', email: null } }),
    );
    expect(r.refusals.map((x) => [x.code, x.forceable])).toEqual([['last_owner', false]]);
    expect(blockingRefusals(r.refusals, true).map((x) => x.code)).toEqual(['last_owner']);
  });

  it('refuses removals over max_member_removal_percent (forceable), always allowing one, and every one at 0 %', () => {
    const many = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`m${i}@acme.example`, i < 2 ? 'owner' : 'reader']));
    const keep = (n: number) => Object.fromEntries(Object.entries(many).slice(0, 12 - n));
    // 25 % of 12 is 3.
    expect(plan(desiredMembers(keep(3), { unmanaged: 'remove' }), liveMembers(many)).refusals).toEqual([]);
    const four = plan(desiredMembers(keep(4), { unmanaged: 'remove' }), liveMembers(many));
    expect(four.refusals.map((r) => [r.code, r.forceable])).toEqual([['member_removals', true]]);
    expect(four.refusals[0]!.message).toBe(
      'the plan removes 4 of 12 members (33.3 %), over safety.max_member_removal_percent 25 % (3 at most): apply with --force, or raise it in policies/org.yaml in the same pull request (admins approve)',
    );
    const small = { 'ada@acme.example': 'owner', 'grace@acme.example': 'owner', 'bob@acme.example': 'reader' };
    expect(
      plan(desiredMembers({ 'ada@acme.example': 'owner', 'grace@acme.example': 'owner' }, { unmanaged: 'remove' }), liveMembers(small))
        .refusals,
    ).toEqual([]);
    expect(
      plan(
        desiredMembers({ 'ada@acme.example': 'owner', 'grace@acme.example': 'owner' }, { unmanaged: 'remove', maxRemovalPercent: 0 }),
        liveMembers(small),
      ).refusals.map((r) => r.code),
    ).toEqual(['member_removals']);
  });

  it("never removes or demotes the admin key's identity (matched by id or by address), even with --force", () => {
    const three = { ...TEAM, 'fay@acme.example': 'owner' };
    const byId = plan(desiredMembers({ ...TEAM, 'ada@acme.example': 'developer', 'fay@acme.example': 'owner' }), liveMembers(three));
    expect(byId.refusals.map((r) => [r.code, r.forceable])).toEqual([['admin_identity', false]]);
    expect(byId.refusals[0]!.message).not.toContain('@');
    const { 'grace@acme.example': _grace, ...withoutGrace } = three;
    const byEmail = plan(
      desiredMembers(withoutGrace, { unmanaged: 'remove' }),
      liveMembers(three, { admin: { user_id: null, email: 'Grace@Acme.example' } }),
    );
    expect(byEmail.plan.changes.map(brief)).toEqual(['member delete grace@acme.example owner->- (unmanaged)']);
    expect(blockingRefusals(byEmail.refusals, true).map((r) => r.code)).toEqual(['admin_identity']);
  });

  it('refuses (forceably) removing or demoting an owner when whose the admin key is cannot be told', () => {
    const three = { ...TEAM, 'fay@acme.example': 'owner' };
    const r = plan(desiredMembers({ ...TEAM, 'fay@acme.example': 'developer' }), liveMembers(three, { admin: null }));
    expect(r.refusals.map((x) => [x.code, x.forceable])).toEqual([['admin_identity_unknown', true]]);
    expect(r.refusals[0]!.message).toContain('user_fay');
    // Other changes need no identity.
    expect(plan(desiredMembers({ ...TEAM, 'carol@acme.example': 'developer' }), liveMembers(TEAM, { admin: null })).refusals).toEqual([]);
  });

  it("uses the provider's roles: on OpenAI reader -> owner is a promotion and a reader may own a project", () => {
    const team = { 'ada@acme.example': 'owner', 'grace@acme.example': 'owner', 'bob@acme.example': 'reader' };
    const desired = desiredMembers(
      { ...team, 'grace@acme.example': 'reader', 'bob@acme.example': 'owner' },
      { provider: 'openai', projects: [projectMembers('p', { 'grace@acme.example': 'owner' })] },
    );
    const r = plan(
      desired,
      liveMembers(team, { projects: { proj_1: livePM({ 'grace@acme.example': 'member' }) } }),
      { p: 'proj_1' },
      OPENAI_MEMBERS,
    );
    expect(r.plan.changes.map(brief)).toEqual([
      'member update bob@acme.example reader->owner (differs)',
      'project_member update grace@acme.example p member->owner (differs)',
      'member update grace@acme.example owner->reader (differs)',
    ]);
    expect(r.plan.provider).toBe('openai');
  });

  it('fingerprints what changes, not where the policies list it', () => {
    const desired = desiredMembers({ ...TEAM, 'dan@acme.example': 'reader' });
    const moved = { ...desired, org: desired.org.map((m) => ({ ...m, source: { ...m.source, line: m.source.line + 7 } })) };
    const a = plan(desired, liveMembers(TEAM)).plan;
    const b = plan(moved, liveMembers(TEAM)).plan;
    expect(a.changes[0]!.context).not.toEqual(b.changes[0]!.context);
    expect(memberFingerprintInput(a)).toEqual(memberFingerprintInput(b));
  });

  const emails = fc.uniqueArray(
    fc.stringMatching(/^[a-z]{1,6}$/).map((s) => `${s}@acme.example`),
    { minLength: 2, maxLength: 12 },
  );
  const org = emails.chain((list) =>
    fc.tuple(...list.map((e, i) => fc.constantFrom(...(i < 2 ? ['owner'] : GROQ_MEMBERS.orgRoles)).map((role) => [e, role] as const))),
  );
  test.prop([
    org,
    fc.integer({ min: 0, max: 4 }),
    fc.boolean(),
    fc.constantFrom('report' as const, 'remove' as const),
    fc.integer({ min: 0, max: 3 }),
  ])('plan(x, x) has no member changes and no refusals', (people, projectCount, pendingSome, unmanaged, pendingCount) => {
    const all = Object.fromEntries(people);
    // The last few are invited, not joined yet; their invites match the policies.
    const pendingPeople = pendingSome ? people.slice(2).slice(0, pendingCount) : [];
    const joined = Object.fromEntries(people.filter((p) => !pendingPeople.includes(p)));
    const capped = (role: string) => GROQ_MEMBERS.projectRoles[Math.max(GROQ_MEMBERS.orgRoles.indexOf(role), 0)]!;
    const names = Array.from({ length: projectCount }, (_, i) => `p${i}`);
    const projects = names.map((name, i) =>
      projectMembers(name, Object.fromEntries(people.filter((_, j) => (i + j) % 2 === 0).map(([e, r]) => [e, capped(r)]))),
    );
    const live: LiveMembers = liveMembers(joined, {
      invites: pendingPeople.map(([e, r]) =>
        invite(e, r, {
          projects: projects
            .filter((p) => p.members.some((m) => m.email === e))
            .map((p) => ({ id: `proj_${p.project}`, role: p.members.find((m) => m.email === e)!.role })),
        }),
      ),
      projects: Object.fromEntries(
        projects.map((p) => [
          `proj_${p.project}`,
          p.members.filter((m) => m.email in joined).map((m) => ({ user_id: userId(m.email), email: m.email, role: m.role })),
        ]),
      ),
    });
    const r = plan(desiredMembers(all, { projects, unmanaged }), live, Object.fromEntries(names.map((n) => [n, `proj_${n}`])));
    expect(r.plan.changes).toEqual([]);
    expect(r.refusals).toEqual([]);
    expect(r.plan.pending.map((p) => p.email).sort()).toEqual(pendingPeople.map(([e]) => e).sort());
    expect(r.plan.pending.every((p) => p.later.length === 0)).toBe(true);
  });
});
