/**
 * Safety for members (issue 20), as peribolos has `--min-admins` and `--maximum-removal-delta`:
 * - never fewer than `safety.min_owners` owners after the plan (forceable);
 * - at most `safety.max_member_removal_percent` of the members removed by one apply (forceable;
 *   one removal is always allowed, so a small organization can still let one person go);
 * - never the last owner, nor the identity whose admin key runs the apply (not even with --force:
 *   either would lock the organization or groq-rbac out).
 * Invited owners do not count until they have joined: an invite may never be accepted.
 */
import { normaliseEmail, OWNER, type LiveMembers } from '../core/members.js';
import type { DesiredMembers } from '../policy/types.js';
import type { MemberChange, MemberPlanChange, Refusal, Warning } from './types.js';

export function checkMemberSafety(input: {
  desired: DesiredMembers;
  live: LiveMembers;
  changes: readonly MemberPlanChange[];
  owners: number;
}): {
  refusals: Refusal[];
  warnings: Warning[];
  ownersAfter: number;
} {
  const { desired, live, changes, owners } = input;
  const refusals: Refusal[] = [];
  const warnings: Warning[] = [];
  const memberChanges = changes.filter((c): c is MemberChange => c.resource === 'member');
  // Owners who stop being owners, and members who become owners.
  const losing = memberChanges.filter((c) => c.before.role === OWNER && c.after?.role !== OWNER);
  const gaining = memberChanges.filter((c) => c.before.role !== OWNER && c.after?.role === OWNER);
  const ownersAfter = owners - losing.length + gaining.length;
  const file = desired.file;

  if (owners > 0 && ownersAfter === 0) {
    refusals.push({
      code: 'last_owner',
      forceable: false,
      message: `the plan leaves the organization with no owner (it removes or demotes ${count(losing.length, 'owner')}): an organization needs an owner to manage it; keep an owner who has joined in members of ${file}`,
    });
  } else if (ownersAfter < desired.minOwners && ownersAfter < owners) {
    refusals.push({
      code: 'min_owners',
      forceable: true,
      message: `the plan leaves ${count(ownersAfter, 'owner')}, fewer than safety.min_owners ${desired.minOwners} (invited owners count once they have joined; it removes or demotes ${losing.map((c) => `${c.user_id}${said(c)}`).join(', ')}): apply with --force, or keep more owners in ${file}`,
    });
  } else if (ownersAfter < desired.minOwners) {
    const invited = changes.filter((c) => c.resource === 'invite' && c.after?.role === OWNER).length;
    warnings.push({
      code: 'few_owners',
      message: `the organization has ${count(ownersAfter, 'owner')}, fewer than safety.min_owners ${desired.minOwners}${invited > 0 ? ` (${count(invited, 'invited owner')} count once they have joined)` : ''}`,
    });
  }

  const removed = memberChanges.filter((c) => c.action === 'delete').length;
  const members = live.members.length;
  // 0 % means every removal takes --force; otherwise one removal is always allowed.
  const allowed = desired.maxRemovalPercent === 0 ? 0 : Math.max(1, Math.floor((desired.maxRemovalPercent * members) / 100));
  if (removed > allowed) {
    const percent = members === 0 ? 100 : (removed / members) * 100;
    refusals.push({
      code: 'member_removals',
      forceable: true,
      message: `the plan removes ${removed} of ${count(members, 'member')} (${percent.toFixed(1)} %), over safety.max_member_removal_percent ${desired.maxRemovalPercent} % (${allowed} at most): apply with --force, or raise it in ${file} in the same pull request (admins approve)`,
    });
  }

  const admin = live.admin;
  const known = admin !== null && (admin.user_id !== null || admin.email !== null);
  const isAdmin = (c: MemberChange) =>
    known && (c.user_id === admin.user_id || (admin.email !== null && c.email === normaliseEmail(admin.email)));
  for (const c of memberChanges) {
    if (!isAdmin(c)) continue;
    refusals.push({
      code: 'admin_identity',
      forceable: false,
      message: `${c.action === 'delete' ? 'removing' : 'demoting'} ${c.user_id} (${c.before.role})${said(c)} would take the organization from the admin key this run uses: keep them ${c.before.role} in members of ${file}, or apply with another owner's admin key`,
    });
  }
  if (!known && losing.length > 0) {
    refusals.push({
      code: 'admin_identity_unknown',
      forceable: true,
      message: `the plan removes or demotes ${count(losing.length, 'owner')} (${losing.map((c) => c.user_id).join(', ')}), and the provider does not tell whose the admin key is: check that it is none of theirs, then apply with --force`,
    });
  }
  return { refusals, warnings, ownersAfter };
}

/** ` (as policies/org.yaml:12:3 says: reader)` for a demotion the policies write; a removal is in no file. */
function said(c: MemberChange): string {
  return c.context?.at && c.after ? ` (as ${c.context.at} says: ${c.after.role})` : '';
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
