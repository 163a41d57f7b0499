import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/canonical-json.js';
import type { CreatedProjectApiKey, SpendAlertInput, UpdateKeyInput } from '../providers/groq/wire.js';
import { DELIVERED_ON_CREATE, LIMIT_TO_CONTRACT, METADATA } from '../providers/groq/metadata.js';
import { usdToCents } from '../core/money.js';
import { type LimitField } from '../core/limits.js';
import { UserError } from '../core/errors.js';
import { GroqApiError } from '../providers/groq/errors.js';
import { DeliveryIncomplete } from './deliver/types.js';
import type { GroqAdmin } from '../providers/groq/admin.js';
import { permissionsInput } from '../plan/model-rules.js';
import type { Change, KeyChange, ProjectChange } from '../plan/types.js';
import type { ApplyOptions } from './apply-plan.js';

/** Project name → id, filled from the plan and by project creates as they land. */
export type ProjectIds = Map<string, string>;

/**
 * An Idempotency-Key derived from what identifies the thing created (never from the whole body), so
 * that a retried create, or two applies of different policy versions at once, make one, not two.
 */
export function idempotencyKeyFor(org: string, identity: Record<string, string | number>): string {
  return `groq-rbac-${createHash('sha256').update(canonicalJson({ org, ...identity })).digest('hex').slice(0, 40)}`;
}

const isNotFound = (e: unknown) => e instanceof GroqApiError && e.status === 404;

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

export async function applyChange(org: string, change: Change, admin: GroqAdmin, projectIds: ProjectIds, options: ApplyOptions): Promise<{ message: string; id: string | null; delivered?: boolean }> {
  const projectId = (name: string): string => {
    const id = projectIds.get(name);
    if (!id) throw new GroqApiError({ status: 404, code: 'project_not_found', type: null, serverMessage: `project "${name}" has no id: it was not created`, requestId: null, method: 'POST', path: '/openai/v1/organization/projects' });
    return id;
  };
  switch (change.resource) {
    case 'org_model_permissions':
      if (change.after === null) await admin.deleteOrgModelPermissions();
      else await admin.setOrgModelPermissions(permissionsInput(change.after));
      return { message: 'updated the organization\'s model permissions', id: null };
    case 'spend_limit':
      if (change.after === null) {
        return { message: (await gone(() => admin.deleteSpendLimit(), async () => (await admin.getSpendLimit()) !== null)) ? 'the spend limit was already gone' : 'removed the spend limit', id: null };
      }
      await admin.setSpendLimit(usdToCents(change.after.monthly_cap_usd));
      return { message: `set the spend limit to ${change.after.monthly_cap_usd} USD`, id: null };
    case 'spend_alert': {
      if (change.action === 'delete') {
        const alertThere = async () => (await admin.listSpendAlerts()).some((a) => a.id === change.alert_id);
        return { message: (await gone(() => admin.deleteSpendAlert(change.alert_id!), alertThere)) ? `${change.alert_id} was already gone` : `deleted ${change.alert_id}`, id: change.alert_id };
      }
      const input: SpendAlertInput = { threshold_amount: usdToCents(change.threshold_usd), currency: 'USD', interval: 'month', notification_channel: { type: 'email', recipients: change.after!.recipients } };
      if (change.action === 'update') {
        await admin.updateSpendAlert(change.alert_id!, input);
        return { message: `updated ${change.alert_id}`, id: change.alert_id };
      }
      try {
        const created = await admin.createSpendAlert(input, idempotencyKeyFor(org, { spend_alert: input.threshold_amount }));
        return { message: `created ${created.value.id}`, id: created.value.id };
      } catch (error) {
        // Same key, other recipients: another apply, of another policy version, made this alert first. Ours wins.
        if (!(error instanceof GroqApiError && error.code === 'idempotency_key_reused')) throw error;
        const theirs = (await admin.listSpendAlerts()).find((a) => a.threshold_amount === input.threshold_amount);
        if (!theirs) throw error;
        await admin.updateSpendAlert(theirs.id, input);
        return { message: `updated ${theirs.id}, made by another apply running at the same time`, id: theirs.id };
      }
    }
    case 'project':
      if (change.action === 'create') return createProject(org, change, admin, projectIds);
      {
        const active = async () => (await admin.listProjects()).some((p) => p.id === change.project_id);
        return { message: (await gone(() => admin.archiveProject(change.project_id!), active)) ? `${change.project_id} was already gone` : `archived ${change.project_id}`, id: change.project_id };
      }
    case 'project_model_permissions': {
      const id = projectId(change.project);
      if (change.after === null) await admin.deleteProjectModelPermissions(id);
      else await admin.setProjectModelPermissions(id, permissionsInput(change.after));
      return { message: 'updated model permissions', id };
    }
    case 'project_rate_limit': {
      const id = projectId(change.project);
      const values = Object.fromEntries(change.fields.map((f) => [LIMIT_TO_CONTRACT[f.field as LimitField], f.after as number]));
      await admin.updateProjectRateLimit(id, change.rate_limit_id, values);
      return { message: `updated ${change.fields.map((f) => f.field).join(', ')} for ${change.model}`, id: change.rate_limit_id };
    }
    case 'api_key':
      return applyKeyChange(org, change, admin, projectId(change.project), options);
  }
}

async function createProject(org: string, change: ProjectChange, admin: GroqAdmin, projectIds: ProjectIds): Promise<{ message: string; id: string }> {
  const key = idempotencyKeyFor(org, { project: change.project });
  let created = await admin.createProject({ name: change.project }, key);
  // A replay is the first answer to this key, up to 24 h old: that project may have been archived since.
  if (created.replayed) {
    // As for keys: a single 404 is no proof it is gone (a spurious one would make a second project),
    // so the project list, archived ones included, must agree.
    const current = await admin.getProject(created.value.id).catch(async (e: unknown) => {
      if (!isNotFound(e)) throw e;
      return (await admin.listProjects({ includeArchived: true })).find((p) => p.id === created.value.id) ?? null;
    });
    if (!current || current.status === 'archived') created = await admin.createProject({ name: change.project }, `${key}-after-${created.value.id}`);
  }
  projectIds.set(change.project, created.value.id);
  return { message: `created ${created.value.id}`, id: created.value.id };
}

async function applyKeyChange(org: string, change: KeyChange, admin: GroqAdmin, projectId: string, options: ApplyOptions): Promise<{ message: string; id: string | null; delivered?: boolean }> {
  switch (change.action) {
    case 'create':
    case 'rotate':
      return makeGeneration(org, change, admin, projectId, options);
    case 'update':
    case 'adopt': {
      const patch: UpdateKeyInput = {};
      const metadata: Record<string, string | null> = {};
      for (const f of change.fields) {
        if (f.field === 'name') patch.name = f.after as string;
        else if (f.field.startsWith('metadata.')) metadata[f.field.slice('metadata.'.length)] = f.after as string | null;
      }
      // Adopting says its users already hold it: delivered as of now.
      if (change.action === 'adopt') metadata[METADATA.deliveredAt] = String(orgNow(admin));
      if (Object.keys(metadata).length > 0) patch.metadata = metadata;
      await admin.updateProjectKey(projectId, change.key_id!, patch);
      const n = change.fields.length;
      return { message: change.action === 'adopt' ? `adopted ${change.key_id}` : `updated ${n} field${n === 1 ? '' : 's'}`, id: change.key_id };
    }
    case 'delete':
      {
        const keyThere = async () => (await admin.listProjectKeys(projectId)).some((k) => k.id === change.key_id);
        return { message: (await gone(() => admin.deleteProjectKey(projectId, change.key_id!), keyThere)) ? `${change.key_id} was already gone` : `deleted ${change.key_id}`, id: change.key_id };
      }
  }
}

const orgNow = (admin: GroqAdmin): number => admin.observedNow() ?? Math.floor(Date.now() / 1000);

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
async function makeGeneration(org: string, change: KeyChange, admin: GroqAdmin, projectId: string, options: ApplyOptions): Promise<{ message: string; id: string | null; delivered: boolean }> {
  // Both clocks count: this machine's, and the organization's (which other runs judge the grace by).
  const started = Date.now();
  const orgStarted = orgNow(admin);
  const checkDeadline = () => {
    if (Date.now() - started > GENERATION_DEADLINE_MS || (orgNow(admin) - orgStarted) * 1000 > GENERATION_DEADLINE_MS) {
      throw new UserError(`generation took longer than ${GENERATION_DEADLINE_MS / 60_000} minutes to deliver; stopped so that another run can take over`);
    }
  };
  const step = change.rotation ?? { generation: 1, cause: 'first' as const, time_driven: false, targets: [] };
  const generation = String(step.generation);
  const targets = step.targets_hash ?? '';
  const metadata: Record<string, string> = { ...change.after!.metadata, [METADATA.generation]: generation, [METADATA.targets]: targets };
  if (step.trigger) metadata[METADATA.trigger] = step.trigger;
  const untargeted = step.targets.length === 0;
  if (untargeted) metadata[METADATA.deliveredAt] = DELIVERED_ON_CREATE;
  const body = { name: change.after!.name, metadata };
  // The targets are part of what is created: a create for other targets is another create (the same
  // key with another body would be refused for 24 h: `idempotency_key_reused`). A trigger or protect
  // flag is not: two applies of two policy versions at once, for the same targets, make one key.
  const made = await createKey(admin, projectId, body, idempotencyKeyFor(org, { project: projectId, key: change.key, generation, targets }), change.key, generation);
  // Another run made (and delivers) this generation: ours is not to deliver, nor to retire its predecessor.
  if (made.kind === 'concurrent') return { message: `generation ${generation} (${made.id}) was made by another apply running at the same time`, id: made.id, delivered: false };
  const created = made.key;
  if (untargeted && !made.replayed) {
    // Marked delivered by its own create. `deliver` still sees the value (it masks it), though it has
    // no target to reach (nor could a replaying run's: the same identity has the same no targets).
    try {
      await options.deliver?.(change, created, projectId, checkDeadline);
    } catch (error) {
      await admin.deleteProjectKey(projectId, created.id).catch(() => undefined);
      throw error;
    }
    return { message: `created generation ${generation}: ${created.id} (${created.redacted_value}), no delivery target`, id: created.id, delivered: true };
  }
  const discard = async () => {
    // A replay is another run's key, or ours retried: its creator may be delivering it. Never ours to delete.
    if (made.replayed) return;
    const marked = await admin.updateProjectKey(projectId, created.id, { metadata: { [METADATA.discardedAt]: String(orgNow(admin)) } }).catch(() => null);
    // A claim: a replaying run may be delivering it; a delivery mark: one has. Kept, unmarked by us, to drain.
    if (!marked || marked.metadata[METADATA.claimedAt] !== undefined || marked.metadata[METADATA.deliveredAt] !== undefined) return;
    await admin.deleteProjectKey(projectId, created.id).catch(() => undefined);
  };
  // With no target, nothing could hold the key if its creator deleted it: no claim needed.
  if (made.replayed && !untargeted) await claim(admin, projectId, created.id, generation);
  try {
    await admin.listModels(created.value);
  } catch (error) {
    await discard();
    throw error;
  }
  try {
    await options.deliver?.(change, created, projectId, checkDeadline);
    checkDeadline();
  } catch (error) {
    if (!(error instanceof DeliveryIncomplete && !error.written)) {
      throw new UserError(`${(error as Error).message}; the new key ${created.id} is kept unmarked because a target may hold it: it is retired once quiet, and the next run starts over`, { cause: error });
    }
    await discard();
    throw error;
  }
  await admin.updateProjectKey(projectId, created.id, { metadata: { [METADATA.deliveredAt]: String(orgNow(admin)) } });
  const where = step.targets.length === 0 ? 'no delivery target' : `delivered to ${step.targets.length} target${step.targets.length === 1 ? '' : 's'}`;
  return { message: `created generation ${generation}: ${created.id} (${created.redacted_value}), verified, ${where}`, id: created.id, delivered: true };
}

/**
 * Before a run delivers a key its create was replayed (see makeGeneration): record the claim, and
 * stop if the run that made the key is discarding it. Nothing has been verified or delivered yet.
 */
async function claim(admin: GroqAdmin, projectId: string, keyId: string, generation: string): Promise<void> {
  let after;
  try {
    after = await admin.updateProjectKey(projectId, keyId, { metadata: { [METADATA.claimedAt]: String(orgNow(admin)) } });
  } catch (error) {
    throw new UserError(`generation ${generation} (${keyId}) was made by a create of another run (or an earlier try of this one), and this run could not record that it delivers it (${(error as Error).message}); nothing was delivered, and the next run starts over`, { cause: error });
  }
  if (after.metadata[METADATA.discardedAt] !== undefined) {
    throw new UserError(`generation ${generation} (${keyId}) was made by another apply running at the same time, which is discarding it (its verification or first delivery target failed); nothing was delivered, and the next run starts over`);
  }
}

type CreateOutcome = { kind: 'created'; key: CreatedProjectApiKey; replayed: boolean } | { kind: 'concurrent'; id: string };

async function createKey(admin: GroqAdmin, projectId: string, body: { name: string; metadata: Record<string, string> }, key: string, policyKey: string, generation: string, retried = false): Promise<CreateOutcome> {
  try {
    const created = await admin.createProjectKey(projectId, body, key);
    if (!created.replayed) return { kind: 'created', key: created.value, replayed: false };
    // Only a replay needs a second look: its key may have been deleted since. A single 404 is not
    // proof (a spurious one would make a duplicate), so the project's key list must agree.
    const stillThere = await admin.getProjectKey(projectId, created.value.id).then(() => true, async (e: unknown) => {
      if (!isNotFound(e)) throw e;
      return (await admin.listProjectKeys(projectId)).some((k) => k.id === created.value.id);
    });
    if (stillThere) return { kind: 'created', key: created.value, replayed: true };
    // A replay of this create too is another run's (which saw the same deleted key): it may be delivering it.
    const again = await admin.createProjectKey(projectId, body, `${key}-after-${created.value.id}`);
    return { kind: 'created', key: again.value, replayed: again.replayed };
  } catch (error) {
    // Same key, other body: another apply of another policy version made this generation first.
    if (!(error instanceof GroqApiError && error.code === 'idempotency_key_reused')) throw error;
    const theirs = (await admin.listProjectKeys(projectId)).find((k) => k.metadata[METADATA.key] === policyKey && (k.metadata[METADATA.generation] ?? '1') === generation);
    if (theirs) return { kind: 'concurrent', id: theirs.id };
    // No such key: the one first made under this Idempotency-Key was deleted since (outside
    // groq-rbac), and its record, up to 24 h old, holds another trigger or protect flag. A key
    // derived from this body is this body's own; retried, it replays.
    if (retried) throw error;
    return createKey(admin, projectId, body, `${key}-${createHash('sha256').update(canonicalJson(body)).digest('hex').slice(0, 16)}`, policyKey, generation, true);
  }
}
