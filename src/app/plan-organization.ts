import type { DomainLiveState as LiveState } from '../core/domain.js';
import { RefusalError } from '../core/errors.js';
import type { ModelCatalogue } from '../core/models.js';
import type { ProviderAdmin } from '../core/provider.js';
import { managedProjectsByName, memberProjectIds, planChanges, usageNeeds } from '../plan/plan-changes.js';
import { checkLiveOwners, checkProjectOwnership, ownershipRefusals, type OwnershipBase } from '../plan/project-ownership.js';
import { keyUsageFromRows, type KeyUsage } from '../plan/rotation.js';
import type { Plan } from '../plan/types.js';
import { setsSpendLimit, spendLimitWarning } from '../plan/warnings.js';
import type { DesiredState } from '../policy/types.js';
import { readDriftAttribution } from './drift-attribution.js';
import type { OrgSession } from './session.js';

export interface PlanRequestOptions {
  catalogue?: ModelCatalogue;
  /**
   * Who owned which project before this change (see project-ownership.ts): `base: null` when no
   * base revision could be read (every live project a team file names then needs a grant). The CLI
   * and the Action always pass it; only callers that built the desired state themselves omit it.
   */
  ownership?: { base: OwnershipBase | null };
}

/**
 * Read the live organization once, then plan against its own clock. Retiring old key generations
 * needs their usage: it is read only when some are draining, for those keys alone. A team file
 * that names a live project it may not own makes the plan refused (nothing is applied).
 */
export async function planOrganization(
  session: OrgSession,
  desired: DesiredState,
  options: PlanRequestOptions = {},
): Promise<{ plan: Plan; live: LiveState }> {
  const live = await session.admin.readLiveState({ concurrency: session.concurrency, keyNames: desired.keys.map((k) => k.name) });
  // Against another organization every project would read as new: no plan is worth showing.
  if (live.org.id !== desired.org.id) {
    throw new RefusalError(
      `the admin key belongs to organization ${live.org.id}, but ${desired.org.file} governs ${desired.org.id}: nothing was planned or changed; use that organization's admin key, or correct \`org:\` in ${desired.org.file}`,
    );
  }
  // People (issue 20), where org.yaml manages them: members, invites, and the managed projects' memberships.
  if (desired.members && session.admin.capabilities.members) {
    live.members = await session.admin.readMembers({ projectIds: memberProjectIds(desired, live), concurrency: session.concurrency });
  }
  const usage = await readKeyUsage(session.admin, desired, live);
  const plan = planChanges(desired, live, live.observed_at, {
    adminKeyRedacted: session.adminKeyRedacted,
    usage,
    ...(options.catalogue ? { catalogue: options.catalogue } : {}),
  });
  if (options.ownership) {
    const findings = checkProjectOwnership(desired, options.ownership.base, new Set(live.projects.map((p) => p.name)));
    // One refusal per project. planChanges refused the projects whose keys carry another team's owner
    // mark; where the base shows the move too, its words (which file had it, at which revision) stand
    // instead; the mark says more than an adoption's "no team's file had it".
    const marked = checkLiveOwners(desired, managedProjectsByName(live));
    const moved = new Set(findings.filter((f) => f.kind === 'move').map((f) => f.project));
    const superseded = new Set(ownershipRefusals(marked.filter((f) => moved.has(f.project))).map((r) => r.message));
    const markedProjects = new Set(marked.map((f) => f.project));
    plan.refusals = plan.refusals.filter((r) => !(r.code === 'project_ownership' && superseded.has(r.message)));
    plan.refusals.push(...ownershipRefusals(findings.filter((f) => f.kind === 'move' || !markedProjects.has(f.project))));
  }
  // Who changed, in the Console, what now differs from the policies: from the org's audit log.
  for (const a of await readDriftAttribution(session.admin, plan, { now: live.observed_at })) {
    const change = plan.changes[a.change]!;
    change.context = { ...change.context, changed_by: { actor: a.actor, at: a.effective_at } };
  }
  if (setsSpendLimit(plan.changes)) {
    const warning = spendLimitWarning(plan.changes, await monthToDateSpend(session.admin, live.observed_at), monthTurns(live.observed_at));
    if (warning) plan.warnings.push(warning);
  }
  return { plan, live };
}

/** This month's spend so far (UTC), from the organization's own costs. */
async function monthToDateSpend(admin: ProviderAdmin, now: number): Promise<number> {
  const d = new Date(now * 1000);
  const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / 1000;
  // To the month's end, not `now`: an end is exclusive, and spend in the current second must count.
  const end = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) / 1000;
  const rows = await admin.costs({ start_time: start, end_time: end, group_by: [] });
  return rows.reduce((sum, r) => sum + r.amount_usd, 0);
}

function monthTurns(now: number): string {
  const d = new Date(now * 1000);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).toISOString().slice(0, 10);
}

async function readKeyUsage(admin: ProviderAdmin, desired: DesiredState, live: LiveState): Promise<KeyUsage> {
  const needs = usageNeeds(desired, live);
  if (!needs) return new Map();
  const now = live.observed_at;
  // Minute buckets for short windows; hours beyond (coarser, so retirement errs on the late side).
  const rows = await admin.usage({
    start_time: needs.since,
    end_time: now,
    bucket_width: now - needs.since > 6 * 3600 ? '1h' : '1m',
    key_ids: needs.keyIds,
    group_by: ['key_id'],
  });
  return keyUsageFromRows(needs.keyIds, rows, now);
}
