/**
 * The policies' people as the desired state (issue 20). Only called on sources that passed the
 * schema and the rules (member-rules.ts), so addresses are valid and each is listed once.
 */
import { MEMBER_SAFETY_DEFAULTS, NO_PROJECT_ROLE, normaliseEmail } from '../core/members.js';
import type { OrgFile, TeamFile } from './files.js';
import { locate, type PolicySource } from './source.js';
import type { DesiredMember, DesiredMembers, DesiredProjectMembers } from './types.js';

/** `undefined` where org.yaml has no `members:`: groq-rbac then leaves people alone. */
export function buildDesiredMembers(sources: readonly PolicySource[]): DesiredMembers | undefined {
  const orgSource = sources.find((s) => s.kind === 'org');
  const o = orgSource?.data as OrgFile | undefined;
  if (!orgSource || !o?.members) return undefined;
  const entries = (s: PolicySource, path: (string | number)[], members: Record<string, string>): DesiredMember[] =>
    Object.entries(members).map(([address, role]) => ({
      email: normaliseEmail(address),
      role,
      source: { file: s.file, ...locate(s, [...path, address], 'key') },
    }));
  const projects: DesiredProjectMembers[] = [];
  for (const s of sources) {
    if (s.kind !== 'team') continue;
    const t = s.data as TeamFile;
    const team = t.members ? entries(s, ['members'], t.members) : null;
    t.projects.forEach((p, i) => {
      if (!team && !p.members) return;
      // The project's own entries win over the team's; `none` leaves the person out.
      const merged = new Map((team ?? []).map((m) => [m.email, m]));
      for (const m of p.members ? entries(s, ['projects', i, 'members'], p.members) : []) merged.set(m.email, m);
      const members = [...merged.values()].filter((m) => m.role !== NO_PROJECT_ROLE).sort(byEmail);
      projects.push({ project: p.name, team: t.team, members });
    });
  }
  return {
    provider: o.provider ?? 'groq',
    org: entries(orgSource, ['members'], o.members).sort(byEmail),
    projects: projects.sort((a, b) => (a.project < b.project ? -1 : a.project > b.project ? 1 : 0)),
    unmanaged: o.unmanaged?.members ?? 'report',
    minOwners: o.safety?.min_owners ?? MEMBER_SAFETY_DEFAULTS.minOwners,
    maxRemovalPercent: o.safety?.max_member_removal_percent ?? MEMBER_SAFETY_DEFAULTS.maxRemovalPercent,
    addresses: o.privacy?.member_addresses ?? 'masked',
    file: orgSource.file,
  };
}

const byEmail = (a: DesiredMember, b: DesiredMember) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0);
