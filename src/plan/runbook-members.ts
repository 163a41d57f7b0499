/**
 * Member changes as Console steps (issue 20, `provider: groq-console`): the policies' people at the
 * base revision against the working tree's, as the plan would change them (plan-members.ts):
 * invites, role changes and, under `unmanaged.members: remove`, removals; each team project's
 * memberships likewise. Where the base had no `members:` (people were left alone), nobody knows who
 * is in the organization already: each person is a step to make sure of, inviting them if need be.
 *
 * The Console's wording here is assumed: Groq's docs describe the three roles and that projects
 * give their members role-based access capped by the organization role (console.groq.com/docs/projects),
 * not the controls of the members pages. Steps say so.
 *
 * E-mail addresses are personal data (render-members.ts): each step carries a `masked` title and
 * details for Markdown (the pull-request comment and the steps issue), naming the person by where the
 * policies list them and their domain; step ids carry locations, never addresses. `privacy.member_addresses:
 * shown` in org.yaml writes no masked form.
 */
import { isDemotion, memberCapabilitiesFor, type MemberCapabilities } from '../core/members.js';
import type { DesiredMember, DesiredMembers, DesiredState } from '../policy/types.js';
import { personLabel } from './render-members.js';
import type { RunbookStep } from './runbook.js';

type Draft = Omit<RunbookStep, 'n'>;

export interface MemberDrafts {
  /** Invites and promotions: before any project membership (a project role is never above the organization role). */
  org: Draft[];
  projects: Draft[];
  /** After the project memberships. */
  demotions: Draft[];
  /** Last, with the other removals. */
  removals: Draft[];
}

const WHERE_NOTE = "The Console's wording for this page is assumed (Groq's docs describe the roles, not this page's controls).";

export function memberDrafts(base: DesiredState | null, head: DesiredState): MemberDrafts {
  const out: MemberDrafts = { org: [], projects: [], demotions: [], removals: [] };
  const want = head.members;
  if (!want) return out;
  const caps = memberCapabilitiesFor(want.provider);
  if (!caps) return out;
  const had = base?.members ?? null;
  const masked = want.addresses === 'masked';
  const label = (m: DesiredMember, before = false) => ({
    text: `"${m.email}"`,
    masked:
      'the person ' +
      personLabel(
        { email: m.email, id: null, at: `${m.source.file}:${m.source.line}:${m.source.column}${before ? ' before this change' : ''}` },
        'masked',
      ),
  });
  const step = (d: Omit<Draft, 'masked'>, who: { text: string; masked: string }): Draft => {
    const swap = (s: string) => s.split(who.text).join(who.masked);
    return masked ? { ...d, masked: { title: swap(d.title), details: d.details.map(swap) } } : d;
  };
  const loc = (m: DesiredMember) => `${m.source.file}:${m.source.line}:${m.source.column}`;

  const before = new Map((had?.org ?? []).map((m) => [m.email, m]));
  const after = new Map(want.org.map((m) => [m.email, m]));
  for (const m of want.org) {
    const was = before.get(m.email);
    const who = label(m);
    if (!had) {
      out.org.push(
        step(
          {
            id: `member:ensure:${loc(m)}:${m.role}`,
            page: 'members',
            project: null,
            action: 'invite_member',
            title: `Make sure ${who.text} is in the organization as ${roleName(m.role)}`,
            details: [
              `org.yaml now manages the organization's people, and the policies before did not say who was in it: if ${who.text} is a member, set their role to ${roleName(m.role)}; if not, invite them (Invite, their e-mail address, the ${roleName(m.role)} role).`,
              WHERE_NOTE,
            ],
            checks: [],
            data: { email: m.email, before: null, after: m.role, adopting: true },
          },
          who,
        ),
      );
      continue;
    }
    if (!was) {
      out.org.push(
        step(
          {
            id: `member:invite:${loc(m)}:${m.role}`,
            page: 'members',
            project: null,
            action: 'invite_member',
            title: `Invite ${who.text} as ${roleName(m.role)}`,
            details: [
              `Invite a member: their e-mail address, the ${roleName(m.role)} role, send. They join once they accept the e-mail; the project steps for them wait until then.`,
              WHERE_NOTE,
            ],
            checks: [],
            data: { email: m.email, before: null, after: m.role, adopting: false },
          },
          who,
        ),
      );
      continue;
    }
    if (was.role === m.role) continue;
    const demotion = isDemotion(caps.orgRoles, was.role, m.role);
    (demotion ? out.demotions : out.org).push(
      step(
        {
          id: `member:role:${loc(m)}:${was.role}:${m.role}`,
          page: 'members',
          project: null,
          action: 'change_member_role',
          title: `Change the role of ${who.text} from ${roleName(was.role)} to ${roleName(m.role)}`,
          details: [
            `Find them in the members list and choose ${roleName(m.role)}. If their invite is still pending, cancel it and invite them again with ${roleName(m.role)}.`,
            ...(demotion && caps.projectRoleCapped
              ? [
                  `Their project roles are capped by the organization role (console.groq.com/docs/projects): a project role above ${roleName(m.role)} goes down with it.`,
                ]
              : []),
            WHERE_NOTE,
          ],
          checks: [],
          data: { email: m.email, before: was.role, after: m.role },
        },
        who,
      ),
    );
  }
  for (const was of had?.org ?? []) {
    if (after.has(was.email)) continue;
    const who = label(was, true);
    const remove = want.unmanaged === 'remove';
    out.removals.push(
      step(
        {
          id: `member:${remove ? 'remove' : 'cancel'}:${loc(was)}`,
          page: 'members',
          project: null,
          action: remove ? 'remove_member' : 'cancel_invite',
          title: remove ? `Remove ${who.text} from the organization` : `Cancel the invite of ${who.text}, if it is still pending`,
          details: remove
            ? [
                'They lose access to the organization and its projects at once. If their invite is still pending, cancel it instead.',
                WHERE_NOTE,
              ]
            : [
                'They left the policies. A pending invite grants access nobody approved: cancel it. If they have joined, they stay (unmanaged.members: report): nothing to do.',
                WHERE_NOTE,
              ],
          checks: [],
          data: { email: was.email, before: was.role, after: null },
        },
        who,
      ),
    );
  }
  projectDrafts(had, want, caps, out, step, label, loc);
  return out;
}

function projectDrafts(
  had: DesiredMembers | null,
  want: DesiredMembers,
  caps: MemberCapabilities,
  out: MemberDrafts,
  step: (d: Omit<Draft, 'masked'>, who: { text: string; masked: string }) => Draft,
  label: (m: DesiredMember, before?: boolean) => { text: string; masked: string },
  loc: (m: DesiredMember) => string,
): void {
  const before = new Map((had?.projects ?? []).map((p) => [p.project, p]));
  const inOrg = new Set(want.org.map((m) => m.email));
  for (const p of want.projects) {
    const was = before.get(p.project) ?? null;
    const old = new Map((was?.members ?? []).map((m) => [m.email, m]));
    const now = new Set(p.members.map((m) => m.email));
    const where = `Select project "${p.project}" in the Projects dropdown, then its members (assumed: the docs say projects give their members role-based access, not where it is set).`;
    for (const m of p.members) {
      const prior = old.get(m.email);
      const who = label(m);
      if (prior?.role === m.role) continue;
      out.projects.push(
        step(
          {
            id: `project-member:${prior ? 'role' : 'add'}:${p.project}:${loc(m)}:${m.role}`,
            page: 'project_members',
            project: p.project,
            action: prior ? 'change_project_member_role' : 'add_project_member',
            title: prior
              ? `Change the role of ${who.text} in project "${p.project}" from ${roleName(prior.role)} to ${roleName(m.role)}`
              : `${was ? 'Add' : 'Make sure'} ${who.text} ${was ? 'to' : 'is in'} project "${p.project}" as ${roleName(m.role)}`,
            details: [
              where,
              ...(caps.projectRoleCapped
                ? [
                    `A project role is never above the organization role${prior ? '' : '; someone invited can be added once they have joined'}.`,
                  ]
                : []),
            ],
            checks: [],
            data: { project: p.project, email: m.email, before: prior?.role ?? null, after: m.role },
          },
          who,
        ),
      );
    }
    if (want.unmanaged !== 'remove') continue;
    for (const m of was?.members ?? []) {
      // Someone removed from the organization leaves its projects with it.
      if (now.has(m.email) || !inOrg.has(m.email)) continue;
      const who = label(m, true);
      out.removals.push(
        step(
          {
            id: `project-member:remove:${p.project}:${loc(m)}`,
            page: 'project_members',
            project: p.project,
            action: 'remove_project_member',
            title: `Remove ${who.text} from project "${p.project}"`,
            details: [where, "They stay in the organization; only this project's access goes."],
            checks: [],
            data: { project: p.project, email: m.email, before: m.role, after: null },
          },
          who,
        ),
      );
    }
  }
}

/** The Console's names for the roles (console.groq.com/docs/projects: Owner, Developer, Reader). */
function roleName(role: string): string {
  return role.charAt(0).toUpperCase() + role.slice(1);
}
