import { describe, expect, it } from 'vitest';
import { renderPlanMarkdown } from '../../src/plan/render-markdown.js';
import { renderPlanText } from '../../src/plan/render-text.js';
import type { Plan } from '../../src/plan/types.js';
import { desiredMembers, invite, liveMembers, livePM, plan, projectMembers } from '../helpers/member-builders.js';
import { makePlan, makeProjectChange } from '../helpers/plan-builders.js';

const LIVE = {
  'ada@acme.example': 'owner',
  'grace@acme.example': 'owner',
  'bob@acme.example': 'developer',
  'carol@acme.example': 'reader',
  'zed@outside.example': 'reader',
  'yan@acme.example': 'reader',
};

/** A plan with one of each member change, a pending invite and an unmanaged member. */
function membersPlan(addresses: 'masked' | 'shown'): Plan {
  const desired = desiredMembers(
    {
      'ada@acme.example': 'owner',
      'grace@acme.example': 'owner',
      'bob@acme.example': 'owner',
      'carol@acme.example': 'reader',
      'yan@acme.example': 'reader',
      'dan@acme.example': 'developer',
      'erin@acme.example': 'reader',
      'fay@acme.example': 'reader',
    },
    {
      addresses,
      unmanaged: 'remove',
      projects: [
        projectMembers('chatbot-prod', { 'carol@acme.example': 'reader', 'dan@acme.example': 'developer', 'fay@acme.example': 'reader' }),
      ],
    },
  );
  const live = liveMembers(LIVE, {
    invites: [invite('erin@acme.example', 'developer'), invite('fay@acme.example', 'reader'), invite('mallory@evil.example', 'owner')],
    projects: { proj_1: livePM({ 'yan@acme.example': 'reader' }) },
  });
  const r = plan(desired, live, { 'chatbot-prod': 'proj_1' });
  return makePlan([makeProjectChange({ project: 'chatbot-new', project_id: null, action: 'create' })], {
    members: r.plan,
    refusals: r.refusals,
    warnings: r.warnings,
  });
}

const ADDRESSES = /[a-z]+@(?:acme|outside|evil)\.example/g;

describe('rendering members (issue 20)', () => {
  it("the text plan (the operator's own) shows addresses, in a section of their own", async () => {
    const text = renderPlanText(membersPlan('masked'));
    await expect(text).toMatchFileSnapshot('__snapshots__/members-plan.txt');
    expect(text).toContain('"zed@outside.example" (user_zed)');
    expect(text).toContain(
      'Members: 1 to invite, 1 to re-send, 1 invite to cancel, 1 role to change, 1 to remove; project memberships: 1 to add, 1 to remove.',
    );
  });

  it('the text plan masks addresses when asked', () => {
    expect(renderPlanText(membersPlan('shown'), undefined, { memberAddresses: 'masked' }).match(ADDRESSES)).toBeNull();
  });

  it('Markdown shows no e-mail address by default: ids, policy locations and domains instead, with the counts', async () => {
    const md = renderPlanMarkdown(membersPlan('masked'));
    await expect(md).toMatchFileSnapshot('__snapshots__/members-plan-masked.md');
    expect(md.match(ADDRESSES)).toBeNull();
    expect(md).toContain('user_zed (…@outside.example)');
    expect(md).toContain('invite-mallory (…@evil.example)');
    expect(md).toMatch(/listed at policies\/org\.yaml:\d+:3 \(…@acme\.example\)/);
    expect(md).toContain('6 members, 2 owners (3 after this plan), 3 invites pending.');
    expect(md).toContain('**1 person removed from the organization**');
  });

  it('Markdown shows addresses where org.yaml opts in (privacy.member_addresses: shown)', async () => {
    const md = renderPlanMarkdown(membersPlan('shown'));
    await expect(md).toMatchFileSnapshot('__snapshots__/members-plan-shown.md');
    expect(md).toContain('"zed@outside.example" (user_zed)');
    expect(md).toContain('"mallory@evil.example"');
  });

  it('a plan with only member changes is not "No changes"; one with none and no members section is unchanged', () => {
    const only = plan(
      desiredMembers({ 'ada@acme.example': 'owner', 'grace@acme.example': 'owner', 'bob@acme.example': 'reader' }),
      liveMembers({ 'ada@acme.example': 'owner', 'grace@acme.example': 'owner', 'bob@acme.example': 'developer' }),
    );
    const p = makePlan([], { members: only.plan });
    expect(renderPlanText(p)).toContain('groq-rbac will perform the following actions');
    expect(renderPlanMarkdown(p)).not.toContain('No changes');
    expect(renderPlanText(makePlan([]))).toBe(renderPlanText(makePlan([], { members: plan(desiredMembers({}), liveMembers({})).plan })));
  });

  it('a long members section is cut short inside its fence, within the budget', () => {
    const many = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`person${i}@acme.example`, 'reader']));
    const r = plan(
      desiredMembers({ 'ada@acme.example': 'owner', 'grace@acme.example': 'owner', ...many }),
      liveMembers({ 'ada@acme.example': 'owner', 'grace@acme.example': 'owner' }),
    );
    const md = renderPlanMarkdown(makePlan([], { members: r.plan }), { budget: 20_000 });
    expect(md.length).toBeLessThanOrEqual(20_000);
    expect(md).toMatch(/…and \d+ more/);
    // Fences stay balanced.
    expect((md.match(/^```/gm) ?? []).length % 2).toBe(0);
  });
});
