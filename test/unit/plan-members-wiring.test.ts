import { describe, expect, it } from 'vitest';
import { planCommentParts } from '../../src/action/plan-comment.js';
import { maskAddresses, memberPhases } from '../../src/apply/apply-members.js';
import { memberProjectIds, planChanges } from '../../src/plan/plan-changes.js';
import { planHasChanges, rotationStepsOnly } from '../../src/plan/summary.js';
import { liveProjectFor, makeDesired, makeDesiredProject, makeLive, makeLiveProject, NOW } from '../helpers/builders.js';
import { desiredMembers, liveMembers, projectMembers } from '../helpers/member-builders.js';

// The members section inside the whole plan (issue 20): planChanges, the fingerprint, exit codes'
// "changes present", rotations-only, and apply's phases.

const project = makeDesiredProject('chatbot-prod');
const people = { 'ada@acme.example': 'owner', 'grace@acme.example': 'owner', 'bob@acme.example': 'developer' };

function setup(desiredPeople: Record<string, string>, team: Record<string, string> = {}) {
  const desired = {
    ...makeDesired([project], []),
    members: desiredMembers(desiredPeople, { projects: [projectMembers('chatbot-prod', team)] }),
  };
  const live = makeLive([liveProjectFor(project, [])], { members: liveMembers(people) });
  return { desired, live };
}

describe('planChanges with members', () => {
  it('has no members section unless org.yaml manages people and they were read', () => {
    const { desired, live } = setup(people);
    const { members: _d, ...withoutPolicy } = desired;
    const { members: _l, ...unread } = live;
    expect(planChanges(withoutPolicy, live, NOW).members).toBeUndefined();
    expect(planChanges(desired, unread, NOW).members).toBeUndefined();
    const plan = planChanges(desired, live, NOW);
    expect(plan.members?.changes).toEqual([]);
    expect(planHasChanges(plan)).toBe(false);
  });

  it('counts member changes alone as changes, and fingerprints them (a plan without any keeps its fingerprint)', () => {
    const same = setup(people);
    const without = { ...same.desired, members: undefined };
    const base = planChanges(same.desired, same.live, NOW);
    expect(base.fingerprint).toBe(planChanges(without, same.live, NOW).fingerprint);

    const promoted = setup({ ...people, 'bob@acme.example': 'owner' });
    const plan = planChanges(promoted.desired, promoted.live, NOW);
    expect(plan.summary).toEqual(base.summary);
    expect(plan.members!.changes.map((c) => `${c.resource} ${c.action}`)).toEqual(['member update']);
    expect(planHasChanges(plan)).toBe(true);
    expect(plan.fingerprint).not.toBe(base.fingerprint);
    // Another role is another approval.
    const reader = setup({ ...people, 'bob@acme.example': 'reader' });
    expect(planChanges(reader.desired, reader.live, NOW).fingerprint).not.toBe(plan.fingerprint);
    // Where the policies list the person (context) is not approved: moving a line keeps the fingerprint.
    const moved = {
      ...promoted.desired,
      members: {
        ...promoted.desired.members,
        org: promoted.desired.members.org.map((m) => ({ ...m, source: { ...m.source, line: m.source.line + 7 } })),
      },
    };
    expect(planChanges(moved, promoted.live, NOW).fingerprint).toBe(plan.fingerprint);
  });

  it("puts the members' refusals and warnings in the plan's own", () => {
    const { desired, live } = setup({
      'ada@acme.example': 'owner',
      'grace@acme.example': 'reader',
      'bob@acme.example': 'developer',
      'hal@acme.example': 'owner',
    });
    const plan = planChanges(desired, live, NOW);
    expect(plan.refusals.map((r) => r.code)).toEqual(['min_owners']);
  });

  it('manages a project this plan creates by name (its memberships wait for the id), and reads only managed projects', () => {
    const fresh = makeDesiredProject('chatbot-new');
    const desired = {
      ...makeDesired([project, fresh], []),
      members: desiredMembers(people, {
        projects: [projectMembers('chatbot-new', { 'bob@acme.example': 'developer' }), projectMembers('chatbot-prod', {})],
      }),
    };
    const live = makeLive([liveProjectFor(project, []), makeLiveProject('other')], { members: liveMembers(people) });
    expect(memberProjectIds(desired, live)).toEqual([live.projects[0]!.id]);
    const plan = planChanges(desired, live, NOW);
    expect(plan.members!.changes).toMatchObject([
      { resource: 'project_member', action: 'create', project: 'chatbot-new', project_id: null, email: 'bob@acme.example' },
    ]);
  });

  it("the Action's plan comment shows a members-only plan's section, addresses masked", () => {
    const { desired, live } = setup({ ...people, 'bob@acme.example': 'owner', 'dan@acme.example': 'reader' });
    const plan = planChanges(desired, live, NOW);
    const { full } = planCommentParts(plan, { sha: '6dcb09b5b57875f334f61aebed695e2e4193db5e', runUrl: null }, { requireApproval: true });
    expect(full).toContain('<b>members (groq)</b>: 1 to invite, 1 role to change');
    expect(full).toMatch(/member user_bob \(…@acme\.example\) role developer -> owner/);
    expect(full).toContain('invite listed at policies/org.yaml:');
    expect(full).not.toMatch(/[a-z]+@acme\.example/);
    expect(full).not.toContain('No changes');
  });

  it('rotations-only leaves people out, with their refusals', () => {
    const { desired, live } = setup({
      'ada@acme.example': 'owner',
      'grace@acme.example': 'reader',
      'bob@acme.example': 'developer',
      'hal@acme.example': 'owner',
    });
    const plan = planChanges(desired, live, NOW);
    expect(plan.members).toBeDefined();
    const rotations = rotationStepsOnly(plan);
    expect(rotations.members).toBeUndefined();
    expect(rotations.refusals).toEqual([]);
    expect(planHasChanges(rotations)).toBe(false);
  });
});

describe("apply's member phases", () => {
  it('runs each kind in the plan order, one phase each: cancels, invites, promotions, project memberships, demotions, removals', () => {
    const desired = desiredMembers(
      {
        'ada@acme.example': 'owner',
        'grace@acme.example': 'owner',
        'bob@acme.example': 'owner',
        'carol@acme.example': 'reader',
        'dan@acme.example': 'developer',
      },
      {
        unmanaged: 'remove',
        maxRemovalPercent: 100,
        projects: [projectMembers('chatbot-prod', { 'carol@acme.example': 'reader' })],
      },
    );
    const live = liveMembers(
      {
        'ada@acme.example': 'owner',
        'grace@acme.example': 'owner',
        'bob@acme.example': 'developer',
        'carol@acme.example': 'owner',
        'zed@acme.example': 'reader',
      },
      {
        invites: [{ id: 'invite-old', email: 'old@acme.example', role: 'reader', projects: [], status: 'pending', expires_at: null }],
      },
    );
    const plan = planChanges(
      { ...makeDesired([project], []), members: desired },
      makeLive([liveProjectFor(project, [])], { members: { ...live, projects: {} } }),
      NOW,
    );
    const phases = memberPhases(plan.members!.changes).map((p) => p.map((c) => `${c.resource} ${c.action} ${c.email}`));
    expect(phases).toEqual([
      ['invite delete old@acme.example'],
      ['invite create dan@acme.example'],
      ['member update bob@acme.example'],
      ['project_member create carol@acme.example'],
      ['member update carol@acme.example'],
      ['member delete zed@acme.example'],
    ]);
  });

  it('masks e-mail addresses a provider echoed in an error', () => {
    expect(maskAddresses("POST /organization/invites → 400: bob.o'neil@acme.example is already a member; Ada+x@sub.acme.example too")).toBe(
      'POST /organization/invites → 400: …@acme.example is already a member; …@sub.acme.example too',
    );
  });
});
