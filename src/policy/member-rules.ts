/**
 * Members and roles as code (issue 20): the rules a schema cannot express. Roles are the
 * provider's (`provider:` in org.yaml, read here without the network), a project member must be an
 * organization member, on Groq a project role is never above the organization role, and one
 * person is listed once per mapping (addresses compared without case).
 *
 * A team's `members` reach only the projects in its own file (and a project's own `members` only
 * that project): a team cannot add people to another team's projects, because it cannot name them.
 */
import { closestMatches } from '../core/models.js';
import {
  MEMBER_SAFETY_DEFAULTS,
  NO_PROJECT_ROLE,
  OWNER,
  isEmailAddress,
  memberCapabilitiesFor,
  normaliseEmail,
  projectRoleAllowed,
  type MemberCapabilities,
} from '../core/members.js';
import { isObj, type Checker, type Obj, type Path } from './checker.js';
import { quoteList } from './diagnostics.js';
import { ref, type PolicySource } from './source.js';

interface OrgMember {
  role: string;
  at: string;
}

export function checkMembers(check: Checker, sources: readonly PolicySource[]): void {
  const org = sources.find((s) => s.kind === 'org');
  const orgData: Obj = org && isObj(org.data) ? org.data : {};
  // An unknown provider has its own schema error; its roles are unknown, so nothing is checked here.
  const caps = memberCapabilitiesFor(typeof orgData.provider === 'string' ? orgData.provider : undefined);
  if (!caps) return;
  const orgMembers = org && isObj(orgData.members) ? checkOrgMembers(check, org, orgData, caps) : null;
  for (const s of sources) {
    if (s.kind !== 'team' || !isObj(s.data)) continue;
    const scope = { caps, orgMembers, orgFile: org?.file ?? null };
    const teamMembers = isObj(s.data.members) ? s.data.members : null;
    if (teamMembers) checkProjectMembers(check, s, ['members'], teamMembers, scope, null);
    const projects = Array.isArray(s.data.projects) ? s.data.projects : [];
    projects.forEach((project, i) => {
      if (isObj(project) && isObj(project.members))
        checkProjectMembers(check, s, ['projects', i, 'members'], project.members, scope, teamMembers ?? {});
    });
  }
}

function checkOrgMembers(check: Checker, s: PolicySource, data: Obj, caps: MemberCapabilities): Map<string, OrgMember> {
  const members = data.members as Obj;
  const out = new Map<string, OrgMember>();
  for (const [address, role] of Object.entries(members)) {
    const email = checkAddress(check, s, ['members'], address, out);
    if (email === null || typeof role !== 'string') continue;
    if (!caps.orgRoles.includes(role)) {
      check.error(
        s,
        ['members', address],
        `unknown organization role "${role}": ${caps.label}'s organization roles are ${quoteList(caps.orgRoles)}`,
        roleHint(role, caps.orgRoles, caps.orgRoles, address),
      );
      // Listed all the same: a team file naming this person has no second error about it.
    }
    out.set(email, { role, at: ref(s, ['members', address], 'key') });
  }
  const safety = isObj(data.safety) ? data.safety : {};
  const minOwners = typeof safety.min_owners === 'number' ? safety.min_owners : MEMBER_SAFETY_DEFAULTS.minOwners;
  const owners = [...out.values()].filter((m) => m.role === OWNER).length;
  if (owners < minOwners) {
    check.error(
      s,
      ['members'],
      `members lists ${owners} owner${owners === 1 ? '' : 's'}, fewer than safety.min_owners ${minOwners}${'min_owners' in safety ? '' : ' (the default)'}: an apply would be refused before leaving the organization with so few`,
      `make ${minOwners - owners === 1 ? 'one more person' : `${minOwners - owners} more people`} owner, or set safety: {min_owners: ${Math.max(1, owners)}}`,
      'key',
    );
  }
  return out;
}

/**
 * A team's or a project's `members`. `team` is the team's own mapping when checking a project's,
 * where `none` leaves one of the team's people out of the project.
 */
function checkProjectMembers(
  check: Checker,
  s: PolicySource,
  p: Path,
  members: Obj,
  scope: { caps: MemberCapabilities; orgMembers: Map<string, OrgMember> | null; orgFile: string | null },
  team: Obj | null,
): void {
  const { caps, orgMembers, orgFile } = scope;
  const seen = new Map<string, OrgMember>();
  const teamEmails = team ? new Set(Object.keys(team).map(normaliseEmail)) : null;
  const roles = team ? [...caps.projectRoles, NO_PROJECT_ROLE] : caps.projectRoles;
  for (const [address, role] of Object.entries(members)) {
    const email = checkAddress(check, s, p, address, seen);
    if (email === null || typeof role !== 'string') continue;
    seen.set(email, { role, at: ref(s, [...p, address], 'key') });
    const at = [...p, address];
    if (!roles.includes(role)) {
      const more = team ? `, or "${NO_PROJECT_ROLE}" to leave one of the team's members out of this project` : '';
      check.error(
        s,
        at,
        `unknown project role "${role}": ${caps.label}'s project roles are ${quoteList(caps.projectRoles)}${more}`,
        roleHint(role, roles, caps.projectRoles, address),
      );
      continue;
    }
    if (role === NO_PROJECT_ROLE) {
      if (!teamEmails!.has(email))
        check.error(
          s,
          at,
          `"${address}" is not among the team's members, so "${NO_PROJECT_ROLE}" leaves nobody out`,
          'remove this entry',
          'key',
        );
      continue;
    }
    // Without org.yaml there is nothing to check against (its absence is an error of its own).
    if (orgFile === null) continue;
    const member = orgMembers?.get(email);
    if (!member) {
      check.error(
        s,
        at,
        `"${address}" is not a member of the organization: a project member must be in members of ${orgFile}`,
        orgMembers
          ? `add ${address}: <role> to members in ${orgFile} (admins approve), or remove this entry`
          : `add members: {${address}: <role>} to ${orgFile} (admins approve), or remove this entry`,
        'key',
      );
      continue;
    }
    if (caps.orgRoles.includes(member.role) && !projectRoleAllowed(caps, member.role, role)) {
      const allowed = caps.projectRoles.filter((r) => projectRoleAllowed(caps, member.role, r));
      check.error(
        s,
        at,
        `project role "${role}" is above ${address}'s organization role "${member.role}" (${member.at}): ${caps.label} caps a project member's permissions at their organization role`,
        `write ${quoteList(allowed)}, or raise the organization role in ${orgFile} (admins approve)`,
      );
    }
  }
}

/** The normalised address, or null (with an error) when it is malformed or listed already in `seen`. */
function checkAddress(check: Checker, s: PolicySource, p: Path, address: string, seen: ReadonlyMap<string, OrgMember>): string | null {
  if (!isEmailAddress(address)) {
    check.error(
      s,
      [...p, address],
      `${JSON.stringify(address)} is not an e-mail address`,
      'write the address the person signs in with, such as ada@your-org.example: <role>',
      'key',
    );
    return null;
  }
  const email = normaliseEmail(address);
  const previous = seen.get(email);
  if (previous) {
    check.error(
      s,
      [...p, address],
      `"${address}" is listed twice: also at ${previous.at} (addresses are compared without case)`,
      'keep one entry',
      'key',
    );
    return null;
  }
  return email;
}

/** The nearest allowed role, else the least powerful role as an example. */
function roleHint(role: string, allowed: readonly string[], roles: readonly string[], address: string): string {
  const near = closestMatches(role, allowed, 1);
  return near.length > 0 ? `did you mean "${near[0]}"?` : `write one of ${quoteList(roles)} after "${address}:"`;
}
