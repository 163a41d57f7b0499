import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/canonical-json.js';
import type { CreatedProjectApiKey, SpendAlertInput, UpdateKeyInput } from '../core/contract.js';
import { DELIVERED_ON_CREATE, LIMIT_TO_CONTRACT, METADATA, usdToCents, type LimitField } from '../core/shared.js';
import { UserError } from '../core/errors.js';
import { GroqApiError } from '../groq/errors.js';
import { DeliveryIncomplete } from './deliver/types.js';
import type { GroqAdmin } from '../groq/types.js';
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
 * fails before any target could hold the value, the new key is deleted (unless another run made it
 * or has marked it since) and nothing else changes. Once a target may hold it, it is never deleted
 * here: it stays unmarked and drains once quiet, like a generation a crash left behind. Either way
 * the change fails and the next run starts over.
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
  const metadata: Record<string, string> = { ...change.after!.metadata, [METADATA.generation]: generation };
  if (step.trigger) metadata[METADATA.trigger] = step.trigger;
  const untargeted = step.targets.length === 0;
  if (untargeted) Object.assign(metadata, { [METADATA.deliveredAt]: DELIVERED_ON_CREATE, [METADATA.targets]: step.targets_hash ?? '' });
  const body = { name: change.after!.name, metadata };
  const made = await createKey(admin, projectId, body, idempotencyKeyFor(org, { project: projectId, key: change.key, generation }), change.key, generation);
  // Another run made (and delivers) this generation: ours is not to deliver, nor to retire its predecessor.
  if (made.kind === 'concurrent') return { message: `generation ${generation} (${made.id}) was made by another apply running at the same time`, id: made.id, delivered: false };
  const created = made.key;
  if (untargeted && !made.replayed) {
    // Marked delivered by its own create. `deliver` still sees the value (it masks it), though it has no target to reach.
    try {
      await options.deliver?.(change, created, projectId, checkDeadline);
    } catch (error) {
      await admin.deleteProjectKey(projectId, created.id).catch(() => undefined);
      throw error;
    }
    return { message: `created generation ${generation}: ${created.id} (${created.redacted_value}), no delivery target`, id: created.id, delivered: true };
  }
  const discard = async () => {
    // A replay is another run's key, and one marked since was delivered by another run: neither is ours to delete.
    if (made.replayed) return;
    const now = await admin.getProjectKey(projectId, created.id).catch(() => null);
    if (now && now.metadata[METADATA.deliveredAt] === undefined) await admin.deleteProjectKey(projectId, created.id).catch(() => undefined);
  };
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
  await admin.updateProjectKey(projectId, created.id, { metadata: { [METADATA.deliveredAt]: String(orgNow(admin)), [METADATA.targets]: step.targets_hash ?? '' } });
  const where = step.targets.length === 0 ? 'no delivery target' : `delivered to ${step.targets.length} target${step.targets.length === 1 ? '' : 's'}`;
  return { message: `created generation ${generation}: ${created.id} (${created.redacted_value}), verified, ${where}`, id: created.id, delivered: true };
}

type CreateOutcome = { kind: 'created'; key: CreatedProjectApiKey; replayed: boolean } | { kind: 'concurrent'; id: string };

async function createKey(admin: GroqAdmin, projectId: string, body: { name: string; metadata: Record<string, string> }, key: string, policyKey: string, generation: string): Promise<CreateOutcome> {
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
    return { kind: 'created', key: (await admin.createProjectKey(projectId, body, `${key}-after-${created.value.id}`)).value, replayed: false };
  } catch (error) {
    // Same key, other body: another apply of another policy version made this generation first.
    if (!(error instanceof GroqApiError && error.code === 'idempotency_key_reused')) throw error;
    const theirs = (await admin.listProjectKeys(projectId)).find((k) => k.metadata[METADATA.key] === policyKey && (k.metadata[METADATA.generation] ?? '1') === generation);
    if (!theirs) throw error;
    return { kind: 'concurrent', id: theirs.id };
  }
}
