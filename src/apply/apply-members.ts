/**
 * The members section of a plan (issue 20) through the port: after the plan's other changes (a
 * project created by this apply has its id then), in the plan's own order, one phase per kind:
 * cancelled invites, invites, promotions, project memberships, demotions, removals. Within a phase
 * changes run concurrently. Removals run last, and not at all once a member change before them
 * failed: nobody is removed by a run that could not do what came first.
 *
 * Outcomes name people by the provider's ids only, never by address (they reach the apply log, the
 * pull-request comment and the audit log: e-mail addresses are personal data; see render-members.ts),
 * and an error message a provider echoed an address in is masked the same way.
 */
import { mapLimit } from '../core/concurrency.js';
import { isNotFound, ProviderError } from '../core/errors.js';
import type { ProviderAdmin } from '../core/provider.js';
import type { InviteChange, MemberChange, MemberPlanChange, Plan, ProjectMemberChange } from '../plan/types.js';
import { idempotencyKeyFor, type ProjectIds } from './apply-change.js';
import type { ChangeOutcome } from './apply-plan.js';

export interface MemberApplyContext {
  org: string;
  admin: ProviderAdmin;
  projectIds: ProjectIds;
  /** Projects whose create failed in this apply: their memberships are skipped. */
  failedProjects: ReadonlySet<string>;
  concurrency: number;
  onOutcome?: (outcome: ChangeOutcome) => void;
}

export async function applyMemberChanges(plan: Plan, ctx: MemberApplyContext): Promise<ChangeOutcome[]> {
  const outcomes: ChangeOutcome[] = [];
  let failed = false;
  for (const phase of memberPhases(plan.members?.changes ?? [])) {
    const removals = phase[0]!.resource === 'member' && phase[0]!.action === 'delete';
    const done = await mapLimit(phase, ctx.concurrency, async (change) => {
      const outcome =
        removals && failed
          ? {
              ...base(change),
              id: change.resource === 'member' ? change.user_id : null,
              status: 'skipped' as const,
              message: 'kept: a member change before it failed; run apply again once it is fixed',
            }
          : await run(change, ctx);
      ctx.onOutcome?.(outcome);
      return outcome;
    });
    if (done.some((o) => o.status === 'failed')) failed = true;
    outcomes.push(...done);
  }
  return outcomes;
}

/** Consecutive changes of one kind, in the plan's order (the plan orders them for apply). */
export function memberPhases(changes: readonly MemberPlanChange[]): MemberPlanChange[][] {
  const kind = (c: MemberPlanChange) =>
    c.resource === 'invite' ? (c.action === 'delete' ? 'cancel' : 'invite') : c.resource === 'member' ? c.action : 'project';
  const phases: MemberPlanChange[][] = [];
  for (const c of changes) {
    const last = phases.at(-1);
    if (last && kind(last[0]!) === kind(c)) last.push(c);
    else phases.push([c]);
  }
  return phases;
}

function base(change: MemberPlanChange): Pick<ChangeOutcome, 'resource' | 'action' | 'project' | 'key'> {
  return {
    resource: change.resource,
    action: change.action,
    project: change.resource === 'project_member' ? change.project : null,
    key: null,
  };
}

async function run(change: MemberPlanChange, ctx: MemberApplyContext): Promise<ChangeOutcome> {
  if (change.resource === 'project_member' && ctx.failedProjects.has(change.project)) {
    return { ...base(change), id: change.user_id, status: 'skipped', message: `skipped: project "${change.project}" could not be created` };
  }
  try {
    const { id, message } = await applyOne(change, ctx);
    return { ...base(change), id, status: 'applied', message };
  } catch (error) {
    const e = error as Error & { status?: number; code?: string | null };
    const message = maskAddresses(e.message);
    return {
      ...base(change),
      id: null,
      status: 'failed',
      message,
      error: { name: e.name, message, ...(typeof e.status === 'number' ? { status: e.status, code: e.code ?? null } : {}) },
    };
  }
}

async function applyOne(change: MemberPlanChange, ctx: MemberApplyContext): Promise<{ id: string | null; message: string }> {
  switch (change.resource) {
    case 'invite':
      return applyInvite(change, ctx);
    case 'member':
      return applyMember(change, ctx);
    case 'project_member':
      return applyProjectMember(change, ctx);
  }
}

async function applyInvite(change: InviteChange, ctx: MemberApplyContext): Promise<{ id: string | null; message: string }> {
  const { admin } = ctx;
  const pending = async (id: string) =>
    (await admin.readMembers({ projectIds: [] })).invites.some((i) => i.id === id && i.status === 'pending');
  if (change.action === 'delete') {
    const already = await gone(
      () => admin.cancelInvite(change.invite_id!),
      () => pending(change.invite_id!),
    );
    return { id: change.invite_id, message: already ? `${change.invite_id} was already gone` : `cancelled ${change.invite_id}` };
  }
  let cancelled = '';
  if (change.action === 'update') {
    // A re-send: the old invite goes first (one pending invite per person), then the new one.
    const already = await gone(
      () => admin.cancelInvite(change.invite_id!),
      () => pending(change.invite_id!),
    );
    cancelled = already ? `${change.invite_id} was already gone; ` : `cancelled ${change.invite_id}; `;
  }
  const after = change.after!;
  const identity = idempotencyKeyFor(ctx.org, { invite: change.email, role: after.role, replaces: change.invite_id ?? '' });
  const sent = await admin.invite(
    { email: change.email, role: after.role, projects: after.projects.map((p) => ({ id: p.project_id, role: p.role })) },
    identity,
  );
  const joins =
    after.projects.length > 0 ? `, joining ${after.projects.length} project${after.projects.length === 1 ? '' : 's'} on accepting` : '';
  return { id: sent.id, message: `${cancelled}sent ${sent.id} as ${after.role}${joins}` };
}

async function applyMember(change: MemberChange, ctx: MemberApplyContext): Promise<{ id: string | null; message: string }> {
  const { admin } = ctx;
  if (change.action === 'delete') {
    const there = async () => (await admin.readMembers({ projectIds: [] })).members.some((m) => m.id === change.user_id);
    const already = await gone(() => admin.removeMember(change.user_id), there);
    return {
      id: change.user_id,
      message: already
        ? `${change.user_id} was already gone`
        : `removed ${change.user_id} (${change.before.role}) and their project memberships`,
    };
  }
  await admin.setMemberRole(change.user_id, change.after!.role);
  return { id: change.user_id, message: `${change.user_id}: ${change.before.role} -> ${change.after!.role}` };
}

async function applyProjectMember(change: ProjectMemberChange, ctx: MemberApplyContext): Promise<{ id: string | null; message: string }> {
  const { admin } = ctx;
  const projectId = change.project_id ?? ctx.projectIds.get(change.project);
  if (!projectId)
    throw new ProviderError({
      kind: 'not_found',
      status: 404,
      code: 'project_not_found',
      message: `project "${change.project}" has no id: it was not created`,
    });
  switch (change.action) {
    case 'create':
      await admin.addProjectMember(projectId, change.user_id, change.after!.role);
      return { id: change.user_id, message: `added ${change.user_id} as ${change.after!.role}` };
    case 'update':
      await admin.setProjectMemberRole(projectId, change.user_id, change.after!.role);
      return { id: change.user_id, message: `${change.user_id}: ${change.before!.role} -> ${change.after!.role}` };
    case 'delete': {
      const there = async () =>
        ((await admin.readMembers({ projectIds: [projectId] })).projects[projectId] ?? []).some((m) => m.user_id === change.user_id);
      const already = await gone(() => admin.removeProjectMember(projectId, change.user_id), there);
      return {
        id: change.user_id,
        message: already ? `${change.user_id} had already left` : `removed ${change.user_id} (${change.before!.role})`,
      };
    }
  }
}

/** Runs a delete; true when the thing was already gone. A 404 alone is no proof: `stillThere` must agree. */
async function gone(action: () => Promise<void>, stillThere: () => Promise<boolean>): Promise<boolean> {
  try {
    await action();
    return false;
  } catch (error) {
    if (!isNotFound(error) || (await stillThere())) throw error;
    return true;
  }
}

/** An e-mail address in a message as `…@domain`, as the masked Markdown shows it. */
export function maskAddresses(text: string): string {
  return text.replace(/[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)/g, '…@$1');
}
