import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/canonical-json.js';
import { isNotFound, ProviderError, UserError } from '../core/errors.js';
import { usdToCents } from '../core/money.js';
import { DELIVERED_WHEN_CREATED, type CreatedKey, type KeyMarksWrite, type ProviderAdmin } from '../core/provider.js';
import type { LimitSet } from '../core/limits.js';
import type { LiveLimit } from '../core/domain.js';
import { DeliveryIncomplete } from './deliver/types.js';
import type {
  Change,
  KeyChange,
  ProjectChange,
  ProjectSpendAlertChange,
  ProjectSpendLimitChange,
  RateLimitChange,
  SpendAlertChange,
  SpendLimitChange,
} from '../plan/types.js';
import type { ApplyOptions } from './apply-plan.js';

/** Project name → id, filled from the plan and by project creates as they land. */
export type ProjectIds = Map<string, string>;

/**
 * The identity of a thing created, derived from what identifies it (never from the whole body), so
 * that a retried create, or two applies of different policy versions at once, make one, not two.
 * An idempotent provider sends it as the Idempotency-Key (Groq: `groq-rbac-` and 40 hex digits).
 */
export function idempotencyKeyFor(org: string, identity: Record<string, string | number>): string {
  return `groq-rbac-${createHash('sha256')
    .update(canonicalJson({ org, ...identity }))
    .digest('hex')
    .slice(0, 40)}`;
}

/**
 * Runs a delete or archive; true when the thing was already gone. A 404 alone is no proof (a
 * spurious one would report a delete that never happened): `stillThere` must agree, else the 404
 * is the change's failure.
 */
async function gone<T>(action: () => Promise<T>, stillThere: () => Promise<boolean>): Promise<boolean> {
  try {
    await action();
    return false;
  } catch (error) {
    if (!isNotFound(error) || (await stillThere())) throw error;
    return true;
  }
}

/** The organization's own spending (the plan's spend changes are the organization's). */
const ORG = {} as const;

export async function applyChange(
  org: string,
  change: Change,
  admin: ProviderAdmin,
  projectIds: ProjectIds,
  options: ApplyOptions,
): Promise<{ message: string; id: string | null; delivered?: boolean }> {
  const projectId = (name: string): string => {
    const id = projectIds.get(name);
    if (!id)
      throw new ProviderError({
        kind: 'not_found',
        status: 404,
        code: 'project_not_found',
        message: `project "${name}" has no id: it was not created`,
      });
    return id;
  };
  switch (change.resource) {
    case 'org_model_permissions':
      await admin.setOrgPermissions(change.after);
      return { message: "updated the organization's model permissions", id: null };
    case 'spend_limit':
      return applySpendLimit(change, admin, ORG);
    case 'spend_alert':
      return applySpendAlert(change, admin, ORG, idempotencyKeyFor(org, { spend_alert: usdToCents(change.threshold_usd) }));
    case 'project_spend_limit':
      return applySpendLimit(change, admin, { project_id: projectId(change.project) });
    case 'project_spend_alert':
      return applySpendAlert(
        change,
        admin,
        { project_id: projectId(change.project) },
        idempotencyKeyFor(org, { project: change.project, spend_alert: usdToCents(change.threshold_usd) }),
      );
    case 'project':
      if (change.action === 'create') return createProject(org, change, admin, projectIds);
      {
        const active = async () => (await admin.listProjects()).some((p) => p.id === change.project_id);
        return {
          message: (await gone(() => admin.archiveProject(change.project_id!), active))
            ? `${change.project_id} was already gone`
            : `archived ${change.project_id}`,
          id: change.project_id,
        };
      }
    case 'project_model_permissions': {
      const id = projectId(change.project);
      await admin.setProjectPermissions(id, change.after);
      return { message: 'updated model permissions', id };
    }
    case 'project_rate_limit': {
      const id = projectId(change.project);
      if (change.rate_limit_id === null) return setNewProjectLimit(change, admin, id, newProjectLimits(projectIds, admin, id));
      const values: LimitSet = Object.fromEntries(change.fields.map((f) => [f.field, f.after as number]));
      await admin.setProjectLimits(id, { id: change.rate_limit_id, model: change.model }, values);
      return { message: `updated ${change.fields.map((f) => f.field).join(', ')} for ${change.model}`, id: change.rate_limit_id };
    }
    case 'api_key':
      return applyKeyChange(org, change, admin, projectId(change.project), options);
  }
}

type SpendScope = Parameters<ProviderAdmin['setSpendLimit']>[0];

/**
 * A new project's limits, read once per run however many of its models' changes need them (they
 * run together): one run's `projectIds` map keys its reads. Each change updates only its own model.
 */
const limitReads = new WeakMap<ProjectIds, Map<string, Promise<LiveLimit[]>>>();
function newProjectLimits(run: ProjectIds, admin: ProviderAdmin, projectId: string): Promise<LiveLimit[]> {
  const reads = limitReads.get(run) ?? new Map<string, Promise<LiveLimit[]>>();
  limitReads.set(run, reads);
  let read = reads.get(projectId);
  if (!read) {
    read = admin.listProjectLimits(projectId);
    reads.set(projectId, read);
  }
  return read;
}

async function applySpendLimit(
  change: SpendLimitChange | ProjectSpendLimitChange,
  admin: ProviderAdmin,
  scope: SpendScope,
): Promise<{ message: string; id: string | null }> {
  const of = scope.project_id === undefined ? '' : ` of project "${(change as ProjectSpendLimitChange).project}"`;
  if (change.after === null) {
    return {
      message: (await gone(
        () => admin.setSpendLimit(scope, null),
        async () => (await admin.readSpending(scope)).monthly_cap_usd !== null,
      ))
        ? `the spend limit${of} was already gone`
        : `removed the spend limit${of}`,
      id: null,
    };
  }
  await admin.setSpendLimit(scope, change.after.monthly_cap_usd);
  return { message: `set the spend limit${of} to ${change.after.monthly_cap_usd} USD`, id: null };
}

async function applySpendAlert(
  change: SpendAlertChange | ProjectSpendAlertChange,
  admin: ProviderAdmin,
  scope: SpendScope,
  identity: string,
): Promise<{ message: string; id: string | null }> {
  if (change.action === 'delete') {
    const alertThere = async () => (await admin.readSpending(scope)).alerts.some((a) => a.id === change.alert_id);
    return {
      message: (await gone(() => admin.deleteSpendAlert(scope, change.alert_id!), alertThere))
        ? `${change.alert_id} was already gone`
        : `deleted ${change.alert_id}`,
      id: change.alert_id,
    };
  }
  const alert = { threshold_usd: change.threshold_usd, recipients: change.after!.recipients };
  if (change.action === 'update') {
    await admin.updateSpendAlert(scope, change.alert_id!, alert);
    return { message: `updated ${change.alert_id}`, id: change.alert_id };
  }
  const created = await admin.createSpendAlert(scope, alert, identity);
  return {
    message: created.replaced ? `updated ${created.id}, made by another apply running at the same time` : `created ${created.id}`,
    id: created.id,
  };
}

/**
 * A limit of a project this run created, on a provider that makes a project's rate limits with it
 * (OpenAI, update only): read them now, then set the planned fields the model's limit has. A field
 * only `default` gave is left out where the model has no such limit; one the policy names for the
 * model itself, or a model with no limit at all, fails the change (the next plan names its place).
 */
async function setNewProjectLimit(
  change: RateLimitChange,
  admin: ProviderAdmin,
  projectId: string,
  limits: Promise<LiveLimit[]>,
): Promise<{ message: string; id: string | null }> {
  const named = change.named_fields ?? [];
  const limit = (await limits).find((l) => l.model === change.model);
  if (!limit) {
    if (named.length === 0) return { message: `no rate limit for ${change.model} in the new project: nothing to set`, id: null };
    throw new UserError(
      `project "${change.project}" (${projectId}) has no rate limit for ${change.model}: its rate limits can be updated, not created; remove ${change.model} from the project's limits (run plan to see where)`,
    );
  }
  const values: LimitSet = {};
  const skipped: string[] = [];
  for (const f of change.fields) {
    const field = f.field as keyof LimitSet;
    if (limit.values[field] === undefined) skipped.push(f.field);
    else if (limit.values[field] !== f.after) values[field] = f.after as number;
  }
  if (Object.keys(values).length > 0) await admin.setProjectLimits(projectId, { id: limit.id, model: change.model }, values);
  const missing = skipped.filter((f) => named.includes(f));
  if (missing.length > 0) {
    throw new UserError(
      `the rate limit for ${change.model} of project "${change.project}" has no ${missing.join(', ')}${Object.keys(values).length > 0 ? ` (set: ${Object.keys(values).join(', ')})` : ''}: remove ${missing.length === 1 ? 'it' : 'them'} from the project's limits (run plan to see where)`,
    );
  }
  const set = Object.keys(values);
  const lacks = `${change.model} has no ${skipped.join(', ')}`;
  if (set.length > 0)
    return { message: `set ${set.join(', ')} for ${change.model}${skipped.length > 0 ? `; ${lacks}` : ''}`, id: limit.id };
  return { message: skipped.length > 0 ? `nothing to set: ${lacks}` : `${change.model} already had these limits`, id: limit.id };
}

async function createProject(
  org: string,
  change: ProjectChange,
  admin: ProviderAdmin,
  projectIds: ProjectIds,
): Promise<{ message: string; id: string }> {
  // The provider makes sure the project it answers is there (a replay may name one archived since).
  const created = await admin.createProject(change.project, idempotencyKeyFor(org, { project: change.project }));
  projectIds.set(change.project, created.id);
  return { message: `created ${created.id}`, id: created.id };
}

/** The marks an update or adoption writes, from its fields (plan/types.ts `KeyField`). */
function markUpdate(change: KeyChange): { marks: Partial<KeyMarksWrite>; name?: string } {
  const marks: Partial<KeyMarksWrite> = {};
  let name: string | undefined;
  for (const f of change.fields) {
    switch (f.field) {
      case 'name':
        name = f.after as string;
        break;
      case 'managed':
        if (f.after === true) marks.key = change.key;
        break;
      case 'protect':
        marks.protect = f.after === true;
        break;
      case 'generation':
        marks.generation = f.after as number;
        break;
      case 'targets':
        marks.targets = f.after as string | null;
        break;
      case 'trigger':
        marks.trigger = f.after as string | null;
        break;
      case 'team':
        marks.team = f.after as string | null;
        break;
    }
  }
  return name === undefined ? { marks } : { marks, name };
}

async function applyKeyChange(
  org: string,
  change: KeyChange,
  admin: ProviderAdmin,
  projectId: string,
  options: ApplyOptions,
): Promise<{ message: string; id: string | null; delivered?: boolean }> {
  switch (change.action) {
    case 'create':
    case 'rotate':
      return makeGeneration(org, change, admin, projectId, options);
    case 'update':
    case 'adopt': {
      const { marks, name } = markUpdate(change);
      // Adopting says its users already hold it: delivered as of now.
      if (change.action === 'adopt') marks.delivered_at = orgNow(admin);
      await admin.updateMarks(projectId, { id: change.key_id! }, marks, name);
      const n = change.fields.length;
      return {
        message: change.action === 'adopt' ? `adopted ${change.key_id}` : `updated ${n} field${n === 1 ? '' : 's'}`,
        id: change.key_id,
      };
    }
    case 'delete': {
      const keyThere = async () => (await admin.listKeys(projectId)).some((k) => k.id === change.key_id);
      return {
        message: (await gone(() => admin.deleteKey(projectId, { id: change.key_id! }), keyThere))
          ? `${change.key_id} was already gone`
          : `deleted ${change.key_id}`,
        id: change.key_id,
      };
    }
  }
}

const orgNow = (admin: ProviderAdmin): number => admin.observedNow() ?? Math.floor(Date.now() / 1000);

/**
 * How long one generation's create → verify → deliver → mark may take: well inside the grace in
 * which other runs take an undelivered generation for one in progress (rotation.ts).
 */
export const GENERATION_DEADLINE_MS = 10 * 60 * 1000;

/**
 * A key's next generation, in one run: create it, verify its value with one authenticated call,
 * deliver it to every target, and only then mark it delivered. If verification fails, or a delivery
 * fails before any target could hold the value, the new key is discarded (below) and nothing else
 * changes. Once a target may hold it, it is never deleted here: it stays unmarked and drains once
 * quiet, like a generation a crash left behind. Either way the change fails and the next run starts over.
 *
 * The create's body records the targets this run delivers to (`groq-rbac/targets`): what a reviewed
 * apply approved, or, in an unreviewed run, what the key's newest generation already recorded (the
 * plan leaves any other out: summary.ts `rotationStepsOnly`). Nothing else writes it after the create.
 *
 * Discarding races with replays. Two runs that planned the same generation send the same create; the
 * second gets the first's key back (a replay) and delivers that value too. So the creator must never
 * delete a key a replaying run may be writing to a target at that moment (that target would hold a
 * deleted key: an outage), and the replaying run must never write a key its creator is deleting. The
 * invariant: **a key is deleted only if no run that replayed it delivers it**, kept by two marks
 * and the order of their writes and reads (metadata updates are merged, and each answers the key as
 * it is after that write): a replaying run writes `groq-rbac/claimed_at` and reads the answer before
 * it verifies or delivers anything, and stops if `groq-rbac/discarded_at` is there; the creator writes
 * `groq-rbac/discarded_at` and reads the answer before it deletes, and keeps the key (unmarked, to
 * drain) if a claim or a delivery mark is there. Whichever of the two writes lands second sees the
 * first, so at most one of them proceeds. A replaying run never deletes (its creator may be delivering).
 *
 * A generation with no delivery target reaches no one: verifying it would protect nothing, and there
 * is nothing to deliver. Its create carries the mark itself (`DELIVERED_ON_CREATE`, no time, so that
 * the body, and so its Idempotency-Key, stays the same on every retry): one request. A replayed
 * create is handled as before (verified and marked), whatever its targets.
 */
async function makeGeneration(
  org: string,
  change: KeyChange,
  admin: ProviderAdmin,
  projectId: string,
  options: ApplyOptions,
): Promise<{ message: string; id: string | null; delivered: boolean }> {
  // Both clocks count: this machine's, and the organization's (which other runs judge the grace by).
  const started = Date.now();
  const orgStarted = orgNow(admin);
  const checkDeadline = () => {
    if (Date.now() - started > GENERATION_DEADLINE_MS || (orgNow(admin) - orgStarted) * 1000 > GENERATION_DEADLINE_MS) {
      throw new UserError(
        `generation took longer than ${GENERATION_DEADLINE_MS / 60_000} minutes to deliver; stopped so that another run can take over`,
      );
    }
  };
  const step = change.rotation ?? { generation: 1, cause: 'first' as const, time_driven: false, targets: [] };
  const generation = String(step.generation);
  const targets = step.targets_hash ?? '';
  const untargeted = step.targets.length === 0;
  const marks: KeyMarksWrite = {
    key: change.key,
    generation: step.generation,
    trigger: step.trigger ?? null,
    targets,
    protect: change.after!.protect,
    delivered_at: untargeted ? DELIVERED_WHEN_CREATED : null,
    // The live owner mark: the team whose file has the project in the policies this apply runs.
    ...(change.team ? { team: change.team } : {}),
  };
  // The targets are part of what is created: a create for other targets is another create (the same
  // key with another body would be refused for 24 h: `idempotency_key_reused`). A trigger or protect
  // flag is not: two applies of two policy versions at once, for the same targets, make one key.
  const made = await createKey(
    admin,
    projectId,
    { name: change.after!.name, marks },
    idempotencyKeyFor(org, { project: projectId, key: change.key, generation, targets }),
  );
  // Another run made (and delivers) this generation: ours is not to deliver, nor to retire its predecessor.
  if (made.kind === 'concurrent')
    return {
      message: `generation ${generation} (${made.id}) was made by another apply running at the same time`,
      id: made.id,
      delivered: false,
    };
  const created = made.key;
  if (untargeted && !made.replayed) {
    // Marked delivered by its own create. `deliver` still sees the value (it masks it), though it has
    // no target to reach (nor could a replaying run's: the same identity has the same no targets).
    try {
      await options.deliver?.(change, created, projectId, checkDeadline);
    } catch (error) {
      await admin.deleteKey(projectId, created.key).catch(() => undefined);
      throw error;
    }
    return {
      message: `created generation ${generation}: ${created.key.id} (${created.key.redacted_value}), no delivery target`,
      id: created.key.id,
      delivered: true,
    };
  }
  const discard = async () => {
    // A replay is another run's key, or ours retried: its creator may be delivering it. Never ours to delete.
    if (made.replayed) return;
    const marked = await admin.updateMarks(projectId, created.key, { discarded_at: orgNow(admin) }).catch(() => null);
    // A claim: a replaying run may be delivering it; a delivery mark: one has. Kept, unmarked by us, to drain.
    if (!marked || marked.marks === null || isMarked(marked.marks.claimed_at) || marked.marks.delivered_at !== null) return;
    await admin.deleteKey(projectId, created.key).catch(() => undefined);
  };
  // With no target, nothing could hold the key if its creator deleted it: no claim needed.
  if (made.replayed && !untargeted) await claim(admin, projectId, created, generation);
  try {
    await admin.verifyKey(created.value);
  } catch (error) {
    await discard();
    throw error;
  }
  try {
    await options.deliver?.(change, created, projectId, checkDeadline);
    checkDeadline();
  } catch (error) {
    if (!(error instanceof DeliveryIncomplete && !error.written)) {
      throw new UserError(
        `${(error as Error).message}; the new key ${created.key.id} is kept unmarked because a target may hold it: it is retired once quiet, and the next run starts over`,
        { cause: error },
      );
    }
    await discard();
    throw error;
  }
  await admin.updateMarks(projectId, created.key, { delivered_at: orgNow(admin) });
  const where =
    step.targets.length === 0 ? 'no delivery target' : `delivered to ${step.targets.length} target${step.targets.length === 1 ? '' : 's'}`;
  return {
    message: `created generation ${generation}: ${created.key.id} (${created.key.redacted_value}), verified, ${where}`,
    id: created.key.id,
    delivered: true,
  };
}

/**
 * Before a run delivers a key its create was replayed (see makeGeneration): record the claim, and
 * stop if the run that made the key is discarding it. Nothing has been verified or delivered yet.
 */
async function claim(admin: ProviderAdmin, projectId: string, created: CreatedKey, generation: string): Promise<void> {
  const keyId = created.key.id;
  let after;
  try {
    after = await admin.updateMarks(projectId, created.key, { claimed_at: orgNow(admin) });
  } catch (error) {
    throw new UserError(
      `generation ${generation} (${keyId}) was made by a create of another run (or an earlier try of this one), and this run could not record that it delivers it (${(error as Error).message}); nothing was delivered, and the next run starts over`,
      { cause: error },
    );
  }
  if (isMarked(after.marks?.discarded_at)) {
    throw new UserError(
      `generation ${generation} (${keyId}) was made by another apply running at the same time, which is discarding it (its verification or first delivery target failed); nothing was delivered, and the next run starts over`,
    );
  }
}

/** A claim or discard mark: its presence counts, whatever time it holds. */
const isMarked = (mark: number | null | undefined): boolean => mark !== null && mark !== undefined;

type CreateOutcome = { kind: 'created'; key: CreatedKey; replayed: boolean } | { kind: 'concurrent'; id: string };

/** The provider's create; a `conflict` naming a key is another run's create of this generation. */
async function createKey(
  admin: ProviderAdmin,
  projectId: string,
  input: { name: string; marks: KeyMarksWrite },
  identity: string,
): Promise<CreateOutcome> {
  try {
    const created = await admin.createKey(projectId, input, identity);
    return { kind: 'created', key: created, replayed: created.replayed };
  } catch (error) {
    if (error instanceof ProviderError && error.kind === 'conflict' && error.existingId !== null)
      return { kind: 'concurrent', id: error.existingId };
    throw error;
  }
}
