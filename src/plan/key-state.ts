import type { ApiKey } from '../groq/types.js';
import type { DesiredKey } from '../policy/types.js';
import { METADATA, type FieldChange, type KeyState } from './types.js';

const OWN_METADATA = [METADATA.key, METADATA.team, METADATA.protect] as const;

const sortedModels = (models: readonly string[] | null): string[] | null => (models === null ? null : [...new Set(models)].sort());

/** What a key should look like according to its policy. */
export function desiredKeyState(key: DesiredKey): KeyState {
  return {
    name: key.name,
    allowed_models: sortedModels(key.models),
    ...key.limits,
    status: key.enabled ? 'active' : 'disabled',
    metadata: { [METADATA.key]: key.name, [METADATA.team]: key.team, ...(key.protect ? { [METADATA.protect]: 'true' } : {}) },
  };
}

/** What a live key looks like, in the same terms (groq-rbac's own metadata only). */
export function liveKeyState(key: ApiKey): KeyState {
  const metadata: Record<string, string> = {};
  for (const m of OWN_METADATA) if (key.metadata[m] !== undefined) metadata[m] = key.metadata[m];
  return {
    name: key.name,
    allowed_models: sortedModels(key.allowed_models),
    requests_per_minute: key.requests_per_minute,
    tokens_per_minute: key.tokens_per_minute,
    requests_per_day: key.requests_per_day,
    tokens_per_day: key.tokens_per_day,
    status: key.status,
    metadata,
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Field-by-field differences; `allowed_models` is compared as a set, metadata entry by entry. */
export function diffKeyStates(before: KeyState, after: KeyState): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of ['name', 'allowed_models', 'requests_per_minute', 'tokens_per_minute', 'requests_per_day', 'tokens_per_day', 'status'] as const) {
    if (!same(before[field], after[field])) changes.push({ field, before: before[field], after: after[field] });
  }
  for (const m of OWN_METADATA) {
    const b = before.metadata[m] ?? null;
    const a = after.metadata[m] ?? null;
    if (b !== a) changes.push({ field: `metadata.${m}`, before: b, after: a });
  }
  return changes;
}

/** The fields a create sets, for display. */
export function createdFields(after: KeyState): FieldChange[] {
  const fields: FieldChange[] = [];
  for (const [field, value] of Object.entries(after)) {
    // The name is in the change's title already.
    if (field === 'metadata' || field === 'name') continue;
    if (value !== null && !(field === 'status' && value === 'active')) fields.push({ field, before: null, after: value });
  }
  for (const [m, value] of Object.entries(after.metadata)) fields.push({ field: `metadata.${m}`, before: null, after: value });
  return fields;
}
