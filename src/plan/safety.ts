import type { LiveState } from '../groq/types.js';
import type { DesiredState } from '../policy/types.js';
import { METADATA, type KeyChange, type Refusal } from './types.js';

// As octoDNS does: a percentage of a handful of keys says little, so below this the count limit alone applies.
export const MIN_KEYS_FOR_PERCENT_CHECK = 10;

/** Reasons to refuse an apply; part of the plan, so every renderer and the apply see the same verdict. */
export function checkSafety(input: { desired: DesiredState; live: LiveState; changes: readonly KeyChange[]; adminKeyRedacted: string | null }): Refusal[] {
  const { desired, live, changes, adminKeyRedacted } = input;
  const refusals: Refusal[] = [];
  if (live.org.id !== desired.org.id) {
    refusals.push({
      code: 'org_mismatch', forceable: false,
      message: `the admin key belongs to organization ${live.org.id}, but ${desired.org.file} governs ${desired.org.id}: use that organization's admin key, or correct \`org:\``,
    });
  }
  const deletes = changes.filter((c) => c.action === 'delete');
  for (const c of deletes) {
    if (c.before?.metadata[METADATA.protect] === 'true') {
      refusals.push({
        code: 'protected_key', forceable: false,
        message: `key "${c.key}" (${c.key_id}) is protected and would be deleted: first merge a change that sets \`protect: false\` and apply it, then remove the key`,
      });
    }
    if (adminKeyRedacted && c.redacted_value === adminKeyRedacted) {
      refusals.push({ code: 'admin_key', forceable: false, message: `key "${c.key}" (${c.key_id}, ${c.redacted_value}) looks like the admin key this run uses; deleting it would lock groq-rbac out` });
    }
  }
  const managedCount = live.keys.filter((k) => k.metadata[METADATA.key] !== undefined).length;
  const { maxDeletes, maxDeletePercent } = desired.org.safety;
  if (deletes.length > maxDeletes) {
    refusals.push({ code: 'too_many_deletes', forceable: true, message: `${deletes.length} delete${deletes.length === 1 ? ' is' : 's are'} over safety.max_deletes ${maxDeletes}; --force required` });
  }
  if (deletes.length > 0 && managedCount >= MIN_KEYS_FOR_PERCENT_CHECK) {
    const percent = (deletes.length / managedCount) * 100;
    if (percent > maxDeletePercent) {
      refusals.push({
        code: 'too_many_deletes', forceable: true,
        message: `${percent.toFixed(2)} is over ${maxDeletePercent.toFixed(2)} % (${deletes.length}/${managedCount}) of managed keys (safety.max_delete_percent); --force required`,
      });
    }
  }
  const served = new Set(live.models);
  const missing = new Set<string>();
  for (const c of changes) for (const m of c.after?.allowed_models ?? []) if (!served.has(m)) missing.add(m);
  for (const m of [...missing].sort()) {
    refusals.push({ code: 'model_not_served', forceable: false, message: `model "${m}" is not served by organization ${live.org.id} (GET /openai/v1/models): remove it from the policies` });
  }
  return refusals;
}

/** The refusals that stop an apply: every non-forceable one, and the forceable ones without --force. */
export function blockingRefusals(refusals: readonly Refusal[], force: boolean): Refusal[] {
  return refusals.filter((r) => !r.forceable || !force);
}
