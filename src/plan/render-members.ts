/**
 * The members section of a plan (issue 20), for the text and the Markdown renderings.
 *
 * E-mail addresses are personal data. The text plan goes to the operator's own terminal and shows
 * them (`shown`). Markdown goes where more people read it (pull-request comments, e-mailed
 * notifications of them, job summaries, issues), so by default (`masked`) it names a person by a
 * pseudonym no outsider can resolve and every reviewer can: the provider's id (`user_…`,
 * `invite-…`) where they have one, else where the policies list them (`policies/org.yaml:12:3`,
 * which the pull request's diff shows); with the address's domain, so an outside domain made owner
 * stands out. No hash of an address: addresses are guessable, and a hash of one is a lookup away.
 * `privacy.member_addresses: shown` in org.yaml lets Markdown print addresses.
 */
import { clean, quote, type Line, type Sign } from './render-lines.js';
import { formatDate } from './render-reason.js';
import type { MemberPlan, MemberPlanChange, MemberReason, PendingMember, UnmanagedMember } from './types.js';

export type AddressMode = 'masked' | 'shown';

/** How a person is named: `"ada@acme.example" (user_1)`, or masked `user_1 (…@acme.example)`. */
export function personLabel(p: { email: string; id: string | null; at?: string | undefined }, mode: AddressMode): string {
  if (mode === 'shown') return `${quote(p.email)}${p.id ? ` (${clean(p.id)})` : ''}`;
  const domain = p.email.includes('@') ? p.email.slice(p.email.lastIndexOf('@') + 1) : '?';
  const pseudonym = p.id ?? (p.at ? `listed at ${p.at}` : 'someone');
  return `${clean(pseudonym)} (…@${clean(domain)})`;
}

const REASON: Record<MemberReason, string> = {
  new: 'in the policies, not in the organization',
  differs: 'role to match the policies',
  removed: 'in no policy',
  unmanaged: 'in no policy (unmanaged.members: remove)',
  expired: 'their last invite expired',
};

const SIGN: Record<MemberPlanChange['action'], Exclude<Sign, ' '>> = { create: '+', update: '~', delete: '-' };

// A project membership's reasons are about the project, not the organization.
const PROJECT_REASON: Partial<Record<MemberReason, string>> = {
  new: 'in the policies, not in the project',
  unmanaged: "not in the project's members (unmanaged.members: remove)",
};

function changeLine(c: MemberPlanChange, mode: AddressMode, depth: number): Line {
  const note = (c.resource === 'project_member' ? PROJECT_REASON[c.reason] : undefined) ?? REASON[c.reason];
  const sign = SIGN[c.action];
  switch (c.resource) {
    case 'member': {
      const who = personLabel({ email: c.email, id: c.user_id }, mode);
      const text =
        c.action === 'delete'
          ? `remove member ${who}, ${clean(c.before.role)}`
          : `member ${who} role ${clean(c.before.role)} -> ${clean(c.after!.role)}`;
      return { sign, depth, text, note };
    }
    case 'invite': {
      const who = personLabel({ email: c.email, id: c.action === 'create' ? null : c.invite_id, at: c.context?.at }, mode);
      if (c.action === 'delete') return { sign, depth, text: `cancel invite ${who}, ${clean(c.before!.role)}`, note };
      const joins = [
        ...c.after!.projects.map((p) => `${quote(p.project)} as ${clean(p.role)}`),
        ...c.after!.later.map((p) => `${quote(p)} after accepting`),
      ];
      const role = c.action === 'update' ? `${clean(c.before!.role)} -> ${clean(c.after!.role)}, re-sent` : clean(c.after!.role);
      return { sign, depth, text: `invite ${who} as ${role}${joins.length > 0 ? `, joining ${joins.join(', ')}` : ''}`, note };
    }
    case 'project_member': {
      const who = personLabel({ email: c.email, id: c.user_id }, mode);
      const role = c.action === 'update' ? `${clean(c.before!.role)} -> ${clean(c.after!.role)}` : clean((c.after ?? c.before)!.role);
      return {
        sign,
        depth,
        text: `${c.action === 'create' ? 'add' : c.action === 'delete' ? 'remove' : 'member'} ${who} ${c.action === 'update' ? 'role ' : 'as '}${role}`,
        note,
      };
    }
  }
}

/** Blocks of lines: the organization's people first, then each project's memberships. */
export function memberBlocks(plan: MemberPlan, mode: AddressMode): Line[][] {
  const org = plan.changes.filter((c) => c.resource !== 'project_member');
  const blocks: Line[][] = [];
  if (org.length > 0) blocks.push([{ sign: '~', depth: 0, text: 'organization members' }, ...org.map((c) => changeLine(c, mode, 1))]);
  const projects = new Map<string, MemberPlanChange[]>();
  for (const c of plan.changes) if (c.resource === 'project_member') projects.set(c.project, [...(projects.get(c.project) ?? []), c]);
  for (const [name, list] of [...projects].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const first = list[0]! as Extract<MemberPlanChange, { resource: 'project_member' }>;
    const id = first.project_id ? ` (${clean(first.project_id)})` : '';
    blocks.push([
      { sign: '~', depth: 0, text: `members of project ${quote(name)}${id}${first.team ? `, team ${clean(first.team)}` : ''}` },
      ...list.map((c) => changeLine(c, mode, 1)),
    ]);
  }
  return blocks;
}

/** `Members: 2 to invite, 1 to re-send, 1 invite to cancel, 1 role to change, 1 to remove; project memberships: 3 to add.` */
export function memberSummaryLine(plan: MemberPlan): string {
  const n = (resource: MemberPlanChange['resource'], action: MemberPlanChange['action']) =>
    plan.changes.filter((c) => c.resource === resource && c.action === action).length;
  const parts = (items: [number, string][]) =>
    items
      .filter(([k]) => k > 0)
      .map(([k, what]) => `${k} ${what}`)
      .join(', ');
  const org = parts([
    [n('invite', 'create'), 'to invite'],
    [n('invite', 'update'), 'to re-send'],
    [n('invite', 'delete'), n('invite', 'delete') === 1 ? 'invite to cancel' : 'invites to cancel'],
    [n('member', 'update'), n('member', 'update') === 1 ? 'role to change' : 'roles to change'],
    [n('member', 'delete'), 'to remove'],
  ]);
  const projects = parts([
    [n('project_member', 'create'), 'to add'],
    [n('project_member', 'update'), 'to change'],
    [n('project_member', 'delete'), 'to remove'],
  ]);
  const text = [org, projects && `project memberships: ${projects}`].filter(Boolean).join('; ');
  return `Members: ${text || 'no changes'}.`;
}

/** `12 members, 3 owners (2 after this plan), 1 invite pending.` */
export function memberCountsLine(plan: MemberPlan): string {
  const { members, owners_before, owners_after, invites_pending } = plan.counts;
  const after = owners_after === owners_before ? '' : ` (${owners_after} after this plan)`;
  return `${count(members, 'member')}, ${count(owners_before, 'owner')}${after}, ${count(invites_pending, 'invite')} pending.`;
}

export function pendingLine(p: PendingMember, mode: AddressMode): string {
  const who = personLabel({ email: p.email, id: p.invite_id }, mode);
  const until = p.expires_at === null ? '' : `, expires ${formatDate(p.expires_at)}`;
  const later = p.later.length > 0 ? `; joins ${p.later.map(quote).join(', ')} after accepting (the next plan)` : '';
  return `invite ${who} as ${clean(p.role)} pending${until}${later}`;
}

export function unmanagedLine(m: UnmanagedMember & { project?: string }, mode: AddressMode): string {
  return `${m.project === undefined ? 'member' : `member of project ${quote(m.project)}`} ${personLabel({ email: m.email, id: m.user_id }, mode)}, ${clean(m.role)}`;
}

/** A plan's one-line summary, with the members' after it where they change (counts only: no person named). */
export function withMemberSummary(line: string, members: MemberPlan | undefined): string {
  return members && members.changes.length > 0 ? `${line} ${memberSummaryLine(members)}` : line;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
