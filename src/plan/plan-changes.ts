import type { DomainLiveProject as LiveProject, DomainLiveState as LiveState } from '../core/domain.js';
import { memberCapabilitiesFor } from '../core/members.js';
import { catalogueFor, type ModelCatalogue } from '../core/models.js';
import type { DesiredKey, DesiredState } from '../policy/types.js';
import { fingerprintChanges } from './fingerprint.js';
import { keysNeedingUsage, planProjectKeys } from './plan-keys.js';
import { memberFingerprintInput, planMembers, type MemberPlanResult } from './plan-members.js';
import { rotationSettings, type KeyUsage } from './rotation.js';
import { planOrgPermissions, planSpending } from './plan-org.js';
import { planLeftoverProject, planProjectSettings } from './plan-projects.js';
import { checkLiveOwners, ownershipRefusals } from './project-ownership.js';
import { checkSafety } from './safety.js';
import { summarise } from './summary.js';
import type { Change, KeyChange, PendingStep, Plan, Refusal, UnmanagedKey, UnmanagedProject, Warning } from './types.js';
import { planWarnings } from './warnings.js';

export interface PlanOptions {
  catalogue?: ModelCatalogue;
  /** `redacted_value` form of the admin key this run uses: it must never be deleted. */
  adminKeyRedacted?: string | null;
  /** Usage of old key generations, read for the keys `usageNeeds` names; a key missing here is not retired. */
  usage?: KeyUsage;
}

/** Which keys' usage the plan needs to decide retirements, and from when: read it, then plan with it. */
export function usageNeeds(desired: DesiredState, live: LiveState): { keyIds: string[]; since: number } | null {
  // The oldest project of a name is the one managed (as in planChanges).
  const byName = new Map<string, LiveProject>();
  for (const p of [...live.projects].sort(byAge)) if (!byName.has(p.name)) byName.set(p.name, p);
  const keysByProject = groupKeysByProject(desired.keys);
  const needs = desired.projects.flatMap((p) =>
    keysNeedingUsage({ wanted: keysByProject.get(p.name) ?? [], live: byName.get(p.name)?.keys ?? [], now: live.observed_at }),
  );
  if (needs.length === 0) return null;
  return { keyIds: needs.map((n) => n.keyId).sort(), since: live.observed_at - Math.max(...needs.map((n) => n.windowSeconds)) };
}

/**
 * The live projects whose memberships the plan needs (issue 20): those a team file manages the
 * members of, by the id planChanges manages them by (the oldest of a name). Empty where org.yaml has
 * no `members:`.
 */
export function memberProjectIds(desired: DesiredState, live: Pick<LiveState, 'projects'>): string[] {
  if (!desired.members) return [];
  const byName = new Map<string, LiveProject>();
  for (const p of [...live.projects].sort(byAge)) if (!byName.has(p.name)) byName.set(p.name, p);
  return desired.members.projects.flatMap((p) => byName.get(p.project)?.id ?? []);
}

/** The policy's keys by project, in policy order: one pass (a filter per project was quadratic at 5,000 projects). */
function groupKeysByProject(keys: readonly DesiredKey[]): Map<string, DesiredKey[]> {
  const out = new Map<string, DesiredKey[]>();
  for (const k of keys) {
    const list = out.get(k.project);
    if (list) list.push(k);
    else out.set(k.project, [k]);
  }
  return out;
}

const byAge = (a: LiveProject, b: LiveProject) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1);

/** The live projects by name: the oldest of a name is the one managed (as in planChanges). */
export function managedProjectsByName(live: Pick<LiveState, 'projects'>): Map<string, LiveProject> {
  const byName = new Map<string, LiveProject>();
  for (const p of [...live.projects].sort(byAge)) if (!byName.has(p.name)) byName.set(p.name, p);
  return byName;
}

/**
 * What must change in the live organization to match the policies. Pure and deterministic: the same
 * inputs give the same plan, in the same order. `now` is the organization's clock, Unix seconds.
 */
export function planChanges(desired: DesiredState, live: LiveState, now: number, options: PlanOptions = {}): Plan {
  const catalogue = options.catalogue ?? catalogueFor(desired.org.provider);
  const warnings: Warning[] = [];
  const refusals: Refusal[] = [];
  const orgChanges: Change[] = [];
  const orgPermissions = planOrgPermissions(desired, live);
  if (orgPermissions) orgChanges.push(orgPermissions);
  orgChanges.push(...planSpending(desired, live));

  const liveByName = new Map<string, LiveProject>();
  const duplicates: LiveProject[] = [];
  for (const p of [...live.projects].sort(byAge)) {
    if (liveByName.has(p.name)) duplicates.push(p);
    else liveByName.set(p.name, p);
  }
  const keysByProject = groupKeysByProject(desired.keys);
  // A new project's limits (where the organization has none of its own) are planned for the models
  // the provider serves: its catalogue, and any model another project has a limit for (OpenAI gives
  // every project one per model the organization may use).
  const servedIds =
    live.limits.length > 0
      ? []
      : [...new Set([...catalogue.live.map((m) => m.id), ...live.projects.flatMap((p) => p.limits.map((l) => l.model))])];

  const projectChanges: Change[] = [];
  const unmanagedKeys: UnmanagedKey[] = [];
  const pending: PendingStep[] = [];
  const usage = options.usage ?? new Map();
  const matched: { desired: DesiredKey; live: LiveProject['keys'][number] }[] = [];
  for (const project of [...desired.projects].sort((a, b) => a.team.localeCompare(b.team) || a.name.localeCompare(b.name))) {
    const current = liveByName.get(project.name) ?? null;
    if (!current)
      projectChanges.push({
        resource: 'project',
        action: 'create',
        reason: 'new',
        team: project.team,
        project: project.name,
        project_id: null,
        fields: [],
      });
    const settings = planProjectSettings({ desired, project, live: current, org: live, catalogue: servedIds });
    projectChanges.push(...settings.changes);
    refusals.push(...settings.refusals);
    const keys = planProjectKeys({
      desired,
      project: project.name,
      projectId: current?.id ?? null,
      team: project.team,
      wanted: keysByProject.get(project.name) ?? [],
      live: current?.keys ?? [],
      now,
      usage,
      retirementsPaused: live.spending.enforcing === true,
    });
    projectChanges.push(...sortKeyChanges(keys.changes));
    unmanagedKeys.push(...keys.unmanaged);
    pending.push(...keys.pending);
    warnings.push(...keys.warnings);
    matched.push(...keys.matched);
  }

  // Keys that carry another team's owner mark: the project moves only with the org admins' grant.
  refusals.push(...ownershipRefusals(checkLiveOwners(desired, liveByName)));

  const desiredNames = new Set(desired.projects.map((p) => p.name));
  const unmanagedProjects: UnmanagedProject[] = [];
  for (const p of duplicates) {
    warnings.push({
      code: 'duplicate_project_name',
      project: p.name,
      message: `${p.id} is a second active project named "${p.name}"; groq-rbac manages the oldest and leaves this one alone: rename or archive it in ${consoleOf(live.provider)}`,
    });
  }
  for (const p of [...liveByName.values()].filter((x) => !desiredNames.has(x.name)).sort((a, b) => a.name.localeCompare(b.name))) {
    const { archive } = planLeftoverProject(desired, p);
    if (archive) projectChanges.push(archive);
    else unmanagedProjects.push({ project_id: p.id, name: p.name, key_count: p.keys.length, created_at: p.created_at });
  }

  const changes = [...orgChanges, ...projectChanges];
  warnings.push(...planWarnings({ desired, live, matched, changes, now, catalogue }));
  refusals.push(...checkSafety({ desired, live, changes, adminKeyRedacted: options.adminKeyRedacted ?? null }));
  const members = planMemberSection(desired, live, liveByName, now);
  if (members) {
    refusals.push(...members.refusals);
    warnings.push(...members.warnings);
  }
  return {
    format_version: 3,
    org: desired.org.id,
    generated_at: now,
    fingerprint: fingerprintChanges(desired.org.id, changes, rotationSettings(desired.keys), memberFingerprintInput(members?.plan)),
    summary: summarise(changes),
    changes,
    unmanaged: { projects: unmanagedProjects, keys: unmanagedKeys },
    pending,
    warnings,
    refusals: dedupeRefusals(refusals),
    ...(members ? { members: members.plan } : {}),
  };
}

/**
 * The members section (issue 20): where org.yaml has `members:` and the organization's people were
 * read (`live.members`). A team's project is managed by its live id, or by none when this plan
 * creates it (its memberships wait for the id); one neither live nor in the policies is skipped.
 */
function planMemberSection(
  desired: DesiredState,
  live: LiveState,
  liveByName: ReadonlyMap<string, LiveProject>,
  now: number,
): MemberPlanResult | null {
  if (!desired.members || !live.members) return null;
  const caps = memberCapabilitiesFor(desired.members.provider);
  if (!caps) return null;
  const wanted = new Set(desired.projects.map((p) => p.name));
  const projectIds = new Map<string, string | null>();
  for (const p of desired.members.projects) {
    const current = liveByName.get(p.project);
    if (current) projectIds.set(p.project, current.id);
    else if (wanted.has(p.project)) projectIds.set(p.project, null);
  }
  return planMembers({ desired: desired.members, live: live.members, caps, projectIds, now });
}

const KEY_ORDER = { create: 0, adopt: 1, update: 2, rotate: 3, delete: 4 } as const;
function sortKeyChanges(changes: KeyChange[]): KeyChange[] {
  return [...changes].sort(
    (a, b) => KEY_ORDER[a.action] - KEY_ORDER[b.action] || a.key.localeCompare(b.key) || (a.key_id ?? '').localeCompare(b.key_id ?? ''),
  );
}

function dedupeRefusals(refusals: Refusal[]): Refusal[] {
  const seen = new Set<string>();
  return refusals.filter((r) => (seen.has(r.message) ? false : (seen.add(r.message), true)));
}

/** Where a person changes the organization by hand, for messages. */
export const consoleOf = (provider: string): string =>
  provider === 'openai' ? 'the OpenAI dashboard' : provider === 'groq' ? 'the Groq Console' : `${provider}'s console`;
