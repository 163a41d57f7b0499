/**
 * `import --dump` for people (issue 20, peribolos's `--dump`): today's members, pending invites and
 * project memberships as the `members:` of org.yaml and of the team files, so that `plan` right
 * after shows no member changes. Pure: the import command (after the provider port) reads the
 * live members and puts these mappings into the files it writes.
 *
 * A person in every project of a team with one role is written once in the team's `members`; the
 * rest per project. A pending invite is written as a member with the invite's role (and its
 * projects): the plan then shows it pending, not cancelled.
 */
import {
  MEMBER_SAFETY_DEFAULTS,
  OWNER,
  isEmailAddress,
  normaliseEmail,
  type LiveMembers,
  type MemberCapabilities,
} from '../core/members.js';

export interface MemberDump {
  /** org.yaml `members`, sorted by address. */
  org: Record<string, string>;
  /** Per team: its `members` (absent: none in all its projects alike) and each project's own. */
  teams: Record<string, { members?: Record<string, string>; projects: Record<string, Record<string, string>> }>;
  /** `safety.min_owners` to write where the organization has fewer owners than the default; null: the default holds. */
  minOwners: number | null;
  notes: string[];
}

/** `projects`: the live projects the import writes, each with its team (import-policies.ts groups them). */
export function dumpMembers(
  live: LiveMembers,
  projects: readonly { id: string; name: string; team: string }[],
  caps: MemberCapabilities,
): MemberDump {
  const notes: string[] = [];
  const org = new Map<string, string>();
  const take = (email: string, role: string, what: string): string | null => {
    const address = normaliseEmail(email);
    if (!isEmailAddress(address))
      return (notes.push(`left out ${what}: ${JSON.stringify(email)} is not an e-mail address groq-rbac accepts`), null);
    if (org.has(address)) return (notes.push(`left out ${what}: ${address} is listed already (addresses are compared without case)`), null);
    if (!caps.orgRoles.includes(role))
      return (
        notes.push(
          `left out ${what}: its role ${JSON.stringify(role)} is not one of ${caps.label}'s organization roles; plan will report them as unmanaged`,
        ),
        null
      );
    org.set(address, role);
    return address;
  };
  const users = new Map<string, string>();
  for (const m of [...live.members].sort((a, b) => cmp(a.id, b.id))) {
    const address = take(m.email, m.role, `member ${m.id}`);
    if (address) users.set(m.id, address);
  }
  // Project id → address → role, from memberships and from what pending invites carry.
  const byProject = new Map<string, Map<string, string>>();
  const join = (projectId: string, address: string, role: string) => {
    let list = byProject.get(projectId);
    if (!list) byProject.set(projectId, (list = new Map()));
    list.set(address, role);
  };
  for (const i of [...live.invites].sort((a, b) => cmp(a.id, b.id))) {
    if (i.status !== 'pending') continue;
    const address = take(i.email, i.role, `invite ${i.id}`);
    if (address) for (const p of i.projects) if (caps.projectRoles.includes(p.role)) join(p.id, address, p.role);
  }
  for (const [projectId, list] of Object.entries(live.projects)) {
    for (const m of list) {
      const address = users.get(m.user_id);
      if (!address) continue;
      if (!caps.projectRoles.includes(m.role)) {
        notes.push(
          `left out ${m.user_id}'s membership of ${projectId}: its role ${JSON.stringify(m.role)} is not one of ${caps.label}'s project roles`,
        );
        continue;
      }
      join(projectId, address, m.role);
    }
  }

  const teams: MemberDump['teams'] = {};
  const byTeam = new Map<string, { id: string; name: string }[]>();
  for (const p of projects) byTeam.set(p.team, [...(byTeam.get(p.team) ?? []), p]);
  for (const [team, list] of [...byTeam].sort(([a], [b]) => cmp(a, b))) {
    const roles = list.map((p) => byProject.get(p.id) ?? new Map<string, string>());
    // Everyone with one role in all the team's projects is the team's; the rest is each project's own.
    const shared = new Map([...roles[0]!].filter(([address, role]) => roles.every((r) => r.get(address) === role)));
    const entry: MemberDump['teams'][string] = { projects: {} };
    if (shared.size > 0) entry.members = sorted(shared);
    list.forEach((p, n) => {
      const own = new Map([...roles[n]!].filter(([address]) => !shared.has(address)));
      if (own.size > 0 || shared.size === 0) entry.projects[p.name] = sorted(own);
    });
    teams[team] = entry;
  }
  const owners = [...org.values()].filter((r) => r === OWNER).length;
  const minOwners = owners < MEMBER_SAFETY_DEFAULTS.minOwners ? Math.max(1, owners) : null;
  if (minOwners !== null)
    notes.push(
      `the organization has ${owners} owner${owners === 1 ? '' : 's'}: safety.min_owners is set to ${minOwners}; raise it to ${MEMBER_SAFETY_DEFAULTS.minOwners} once there are more`,
    );
  return { org: sorted(org), teams, minOwners, notes };
}

function sorted(map: ReadonlyMap<string, string>): Record<string, string> {
  return Object.fromEntries([...map].sort(([a], [b]) => cmp(a, b)));
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
