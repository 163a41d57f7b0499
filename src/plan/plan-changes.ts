import type { ApiKey, LiveState } from '../groq/types.js';
import { defaultCatalogue, type ModelCatalogue } from '../policy/models.js';
import type { DesiredKey, DesiredState } from '../policy/types.js';
import { fingerprintChanges } from './fingerprint.js';
import { createdFields, desiredKeyState, diffKeyStates, liveKeyState } from './key-state.js';
import { checkSafety } from './safety.js';
import { METADATA, type Change, type KeyChange, type Plan, type SpendingChange, type UnmanagedKey, type Warning } from './types.js';
import { planWarnings } from './warnings.js';

export interface PlanOptions {
  catalogue?: ModelCatalogue;
  /** `redacted_value` form of the admin key this run uses: it must never be deleted. */
  adminKeyRedacted?: string | null;
}

const byAge = (a: ApiKey, b: ApiKey) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1);
const generation = (k: ApiKey) => Number.parseInt(k.metadata[METADATA.generation] ?? '1', 10) || 1;

/**
 * What must change in the live organization to match the policies. Pure and deterministic: the same
 * inputs give the same plan, in the same order. `now` is Unix seconds.
 */
export function planChanges(desired: DesiredState, live: LiveState, now: number, options: PlanOptions = {}): Plan {
  const catalogue = options.catalogue ?? defaultCatalogue;
  const warnings: Warning[] = [];
  const keyChanges: KeyChange[] = [];
  const liveKeys = [...live.keys].sort(byAge);

  const managed = new Map<string, ApiKey[]>();
  const unmanagedByName = new Map<string, ApiKey[]>();
  for (const k of liveKeys) {
    const owner = k.metadata[METADATA.key];
    const map = owner !== undefined ? managed : unmanagedByName;
    const name = owner ?? k.name;
    map.set(name, [...(map.get(name) ?? []), k]);
  }
  const desiredNames = new Set(desired.keys.map((k) => k.name));
  const adopted = new Set<string>();
  const matched: { desired: DesiredKey; live: ApiKey }[] = [];

  for (const key of desired.keys) {
    const after = desiredKeyState(key);
    const own = managed.get(key.name);
    if (own && own.length > 0) {
      // The newest generation is the key in service; older ones belong to a rotation in progress.
      const current = [...own].sort((a, b) => generation(b) - generation(a) || byAge(b, a))[0]!;
      if (own.length > 1) {
        warnings.push({ code: 'duplicate_managed_key', key: key.name, message: `${own.length} live keys carry groq-rbac/key "${key.name}"; ${current.id} is treated as current and the others are left alone` });
      }
      matched.push({ desired: key, live: current });
      const before = liveKeyState(current);
      const fields = diffKeyStates(before, after);
      if (fields.length > 0) keyChanges.push(keyChange('update', key.name, key.team, current, before, after, fields, 'drift'));
      continue;
    }
    const candidates = unmanagedByName.get(key.name) ?? [];
    if (candidates.length > 0) {
      const oldest = candidates[0]!;
      if (candidates.length > 1) {
        warnings.push({ code: 'ambiguous_adopt', key: key.name, message: `${candidates.length} unmanaged keys are named "${key.name}"; adopting the oldest (${oldest.id}), the others stay unmanaged` });
      }
      adopted.add(oldest.id);
      matched.push({ desired: key, live: oldest });
      const before = liveKeyState(oldest);
      keyChanges.push(keyChange('adopt', key.name, key.team, oldest, before, after, diffKeyStates(before, after), 'unmanaged key with this name'));
      continue;
    }
    keyChanges.push({ resource: 'api_key', action: 'create', key: key.name, team: key.team, key_id: null, redacted_value: null, before: null, after, fields: createdFields(after), reason: 'new in policies' });
  }

  for (const [name, keys] of managed) {
    if (desiredNames.has(name)) continue;
    for (const k of keys) {
      const before = liveKeyState(k);
      keyChanges.push(keyChange('delete', name, k.metadata[METADATA.team] ?? null, k, before, null, [], 'removed from policies'));
    }
  }

  const unmanaged: UnmanagedKey[] = [];
  for (const k of liveKeys) {
    if (k.metadata[METADATA.key] !== undefined || adopted.has(k.id)) continue;
    if (desired.org.unmanagedKeys === 'delete') {
      keyChanges.push(keyChange('delete', k.name, null, k, liveKeyState(k), null, [], 'unmanaged_keys: delete'));
    } else {
      unmanaged.push({ key_id: k.id, name: k.name, redacted_value: k.redacted_value, created_at: k.created_at, last_used_at: k.last_used_at });
    }
  }

  const changes: Change[] = [];
  const spending = planSpending(desired, live);
  if (spending) changes.push(spending);
  const order = { create: 0, adopt: 1, update: 2, delete: 3 };
  keyChanges.sort((a, b) => (a.team ?? '\uffff').localeCompare(b.team ?? '\uffff') || a.key.localeCompare(b.key) || order[a.action] - order[b.action] || (a.key_id ?? '').localeCompare(b.key_id ?? ''));
  changes.push(...keyChanges);

  warnings.push(...planWarnings({ desired, matched, changes: keyChanges, now, catalogue }));
  const refusals = checkSafety({ desired, live, changes: keyChanges, adminKeyRedacted: options.adminKeyRedacted ?? null });
  const count = (a: KeyChange['action']) => keyChanges.filter((c) => c.action === a).length;
  return {
    format_version: 1,
    org: desired.org.id,
    generated_at: now,
    fingerprint: fingerprintChanges(desired.org.id, changes),
    summary: { create: count('create'), update: count('update') + (spending ? 1 : 0), delete: count('delete'), adopt: count('adopt'), rotate: 0 },
    changes,
    unmanaged,
    warnings,
    refusals,
  };
}

function keyChange(action: KeyChange['action'], name: string, team: string | null, live: ApiKey, before: KeyChange['before'], after: KeyChange['after'], fields: KeyChange['fields'], reason: string): KeyChange {
  return { resource: 'api_key', action, key: name, team, key_id: live.id, redacted_value: live.redacted_value, before, after, fields, reason };
}

function planSpending(desired: DesiredState, live: LiveState): SpendingChange | null {
  const want = desired.org.spending;
  if (!want) return null;
  const before = { monthly_cap_usd: live.spending.monthly_cap_usd, alert_thresholds_usd: [...live.spending.alert_thresholds_usd].sort((a, b) => a - b), auto_pause: live.spending.auto_pause };
  const after = { monthly_cap_usd: want.monthly_cap_usd, alert_thresholds_usd: [...want.alert_thresholds_usd].sort((a, b) => a - b), auto_pause: want.auto_pause };
  const fields = (Object.keys(after) as (keyof typeof after)[])
    .filter((f) => JSON.stringify(before[f]) !== JSON.stringify(after[f]))
    .map((field) => ({ field, before: before[field], after: after[field] }));
  return fields.length > 0 ? { resource: 'spending_limit', action: 'update', key: null, team: null, before, after, fields, reason: 'drift' } : null;
}
