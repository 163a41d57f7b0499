import { GROQ_MEMBERS, type LiveInvite, type LiveMembers, type MemberCapabilities } from '../../src/core/members.js';
import { planMembers, type MemberPlanResult } from '../../src/plan/plan-members.js';
import type { DesiredMember, DesiredMembers } from '../../src/policy/types.js';

export const MEMBER_NOW = 1_795_000_000;

/** Listed at line `line` of org.yaml. */
export function member(email: string, role: string, line = 10): DesiredMember {
  return { email, role, source: { file: 'policies/org.yaml', line, column: 3 } };
}

export function desiredMembers(org: Record<string, string>, overrides: Partial<DesiredMembers> = {}): DesiredMembers {
  return {
    provider: 'groq',
    org: Object.entries(org)
      .map(([e, r], i) => member(e, r, 10 + i))
      .sort((a, b) => (a.email < b.email ? -1 : 1)),
    projects: [],
    unmanaged: 'report',
    minOwners: 2,
    maxRemovalPercent: 25,
    addresses: 'masked',
    file: 'policies/org.yaml',
    ...overrides,
  };
}

export function projectMembers(project: string, members: Record<string, string>, team = 'chatbot'): DesiredMembers['projects'][number] {
  return {
    project,
    team,
    members: Object.entries(members).map(([e, r], i) => ({
      email: e,
      role: r,
      source: { file: `policies/teams/${team}.yaml`, line: 5 + i, column: 3 },
    })),
  };
}

/** Live members with ids `user_<local part>`; the admin key is the first's unless said otherwise. */
export function liveMembers(org: Record<string, string>, overrides: Partial<LiveMembers> = {}): LiveMembers {
  const members = Object.entries(org).map(([email, role]) => ({ id: userId(email), email, name: email.split('@')[0]!, role }));
  return {
    members,
    invites: [],
    projects: {},
    admin: members[0] ? { user_id: members[0].id, email: members[0].email } : null,
    ...overrides,
  };
}

export const userId = (email: string) => `user_${email.split('@')[0]!.toLowerCase()}`;

export function invite(email: string, role: string, overrides: Partial<LiveInvite> = {}): LiveInvite {
  return { id: `invite-${email.split('@')[0]}`, email, role, projects: [], status: 'pending', expires_at: MEMBER_NOW + 3600, ...overrides };
}

export function livePM(members: Record<string, string>): LiveMembers['projects'][string] {
  return Object.entries(members).map(([email, role]) => ({ user_id: userId(email), email, role }));
}

export function plan(
  desired: DesiredMembers,
  live: LiveMembers,
  projectIds: Record<string, string | null> = {},
  caps: MemberCapabilities = GROQ_MEMBERS,
): MemberPlanResult {
  return planMembers({ desired, live, caps, projectIds: new Map(Object.entries(projectIds)), now: MEMBER_NOW });
}
