import { createHash } from 'node:crypto';
import { mapLimit } from '../concurrency.js';
import { GroqApiError } from '../groq/errors.js';
import type { CreateKeyInput, CreatedKey, GroqAdmin, UpdateKeyInput } from '../groq/types.js';
import { canonicalJson } from '../plan/fingerprint.js';
import { METADATA, type Change, type KeyChange, type Plan } from '../plan/types.js';

export interface ChangeOutcome {
  action: Change['action'];
  resource: Change['resource'];
  key: string | null;
  team: string | null;
  key_id: string | null;
  status: 'applied' | 'failed';
  message: string;
  error?: { name: string; message: string; status?: number; code?: string | null };
}

export interface ApplyReport {
  format_version: 1;
  org: string;
  fingerprint: string;
  outcomes: ChangeOutcome[];
  summary: { applied: number; failed: number };
}

export interface ApplyOptions {
  concurrency?: number;
  /** Called as each change finishes, for progress output. */
  onOutcome?: (outcome: ChangeOutcome) => void;
  /** Called with each new key while its value is in hand (delivery hooks in here). */
  onKeyCreated?: (change: KeyChange, created: CreatedKey) => Promise<void>;
}

/**
 * Executes a plan: creates, adoptions and updates first, deletes last; concurrent up to a bound.
 * A failing change does not stop the others; every change reports its outcome, and a re-run
 * (which plans again from the live org) finishes what is left.
 */
export async function applyPlan(plan: Plan, admin: GroqAdmin, options: ApplyOptions = {}): Promise<ApplyReport> {
  const concurrency = options.concurrency ?? 8;
  const run = async (change: Change): Promise<ChangeOutcome> => {
    const base = { action: change.action, resource: change.resource, key: change.key, team: change.team, key_id: change.resource === 'api_key' ? change.key_id : null };
    let outcome: ChangeOutcome;
    try {
      const { message, keyId } = await applyChange(plan.org, change, admin, options);
      outcome = { ...base, key_id: keyId ?? base.key_id, status: 'applied', message };
    } catch (error) {
      const e = error as Error & { status?: number; code?: string | null };
      outcome = {
        ...base, status: 'failed', message: e.message,
        error: { name: e.name, message: e.message, ...(error instanceof GroqApiError ? { status: error.status, code: error.code } : {}) },
      };
    }
    options.onOutcome?.(outcome);
    return outcome;
  };
  const first = plan.changes.filter((c) => c.action !== 'delete');
  const deletes = plan.changes.filter((c) => c.action === 'delete');
  const outcomes = [...(await mapLimit(first, concurrency, run)), ...(await mapLimit(deletes, concurrency, run))];
  const failed = outcomes.filter((o) => o.status === 'failed').length;
  return { format_version: 1, org: plan.org, fingerprint: plan.fingerprint, outcomes, summary: { applied: outcomes.length - failed, failed } };
}

async function applyChange(org: string, change: Change, admin: GroqAdmin, options: ApplyOptions): Promise<{ message: string; keyId?: string }> {
  if (change.resource === 'spending_limit') {
    await admin.setSpendingLimit(change.after);
    return { message: `updated ${change.fields.map((f) => f.field).join(', ')}` };
  }
  switch (change.action) {
    case 'create': {
      const created = await createKey(org, change, admin);
      await options.onKeyCreated?.(change, created);
      return { message: `created ${created.id} (${created.redacted_value})`, keyId: created.id };
    }
    case 'update':
    case 'adopt': {
      await admin.updateKey(change.key_id!, patchFor(change));
      const n = change.fields.length;
      return { message: change.action === 'adopt' ? `adopted ${change.key_id}` : `updated ${n} field${n === 1 ? '' : 's'}` };
    }
    case 'delete':
      try {
        await admin.deleteKey(change.key_id!);
        return { message: `deleted ${change.key_id}` };
      } catch (error) {
        if (error instanceof GroqApiError && error.status === 404) return { message: `${change.key_id} was already gone` };
        throw error;
      }
  }
}

/** Derived from what is created, so a retried or concurrent create of the same key returns the first one. */
export function idempotencyKeyFor(org: string, body: CreateKeyInput): string {
  return `groq-rbac-${createHash('sha256').update(canonicalJson({ org, body })).digest('hex').slice(0, 40)}`;
}

async function createKey(org: string, change: KeyChange, admin: GroqAdmin): Promise<CreatedKey> {
  const after = change.after!;
  const body: CreateKeyInput = {
    name: after.name,
    allowed_models: after.allowed_models,
    requests_per_minute: after.requests_per_minute,
    tokens_per_minute: after.tokens_per_minute,
    requests_per_day: after.requests_per_day,
    tokens_per_day: after.tokens_per_day,
    metadata: { ...after.metadata, [METADATA.generation]: '1' },
  };
  const idempotencyKey = idempotencyKeyFor(org, body);
  let created = await admin.createKey(body, idempotencyKey);
  // The same body within 24 h replays the first response, even if that key was deleted since: verify it.
  try {
    await admin.getKey(created.id);
  } catch (error) {
    if (!(error instanceof GroqApiError && error.status === 404)) throw error;
    created = await admin.createKey(body, `${idempotencyKey}-after-${created.id}`);
  }
  if (after.status === 'disabled') await admin.updateKey(created.id, { status: 'disabled' });
  return created;
}

function patchFor(change: KeyChange): UpdateKeyInput {
  const patch: UpdateKeyInput = {};
  const metadata: Record<string, string | null> = {};
  for (const f of change.fields) {
    if (f.field.startsWith('metadata.')) metadata[f.field.slice('metadata.'.length)] = f.after as string | null;
    else (patch as Record<string, unknown>)[f.field] = f.after;
  }
  if (Object.keys(metadata).length > 0) patch.metadata = metadata;
  return patch;
}
