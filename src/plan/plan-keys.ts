import type { ProjectApiKey } from '../core/contract.js';
import { METADATA } from '../core/shared.js';
import type { DesiredKey, DesiredState } from '../policy/types.js';
import type { FieldChange, KeyChange, KeyState, UnmanagedKey, Warning } from './types.js';

/** The metadata entries a policy decides; rotation bookkeeping (generation, trigger, delivered_at) is not compared. */
const OWN_METADATA = [METADATA.key, METADATA.protect] as const;

export const generationOf = (k: ProjectApiKey): number => Number.parseInt(k.metadata[METADATA.generation] ?? '1', 10) || 1;
const byAge = (a: ProjectApiKey, b: ProjectApiKey) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1);

export function desiredKeyState(key: DesiredKey): KeyState {
  return { name: key.name, metadata: { [METADATA.key]: key.name, ...(key.protect ? { [METADATA.protect]: 'true' } : {}) } };
}

export function liveKeyState(key: ProjectApiKey): KeyState {
  const metadata: Record<string, string> = {};
  for (const m of OWN_METADATA) if (key.metadata[m] !== undefined) metadata[m] = key.metadata[m];
  return { name: key.name, metadata };
}

export function diffKeyStates(before: KeyState, after: KeyState): FieldChange[] {
  const changes: FieldChange[] = [];
  if (before.name !== after.name) changes.push({ field: 'name', before: before.name, after: after.name });
  for (const m of OWN_METADATA) {
    const b = before.metadata[m] ?? null;
    const a = after.metadata[m] ?? null;
    if (b !== a) changes.push({ field: `metadata.${m}`, before: b, after: a });
  }
  return changes;
}

export interface KeyPlan {
  changes: KeyChange[];
  unmanaged: UnmanagedKey[];
  warnings: Warning[];
  /** Desired keys with the live key that implements them, for warnings. */
  matched: { desired: DesiredKey; live: ProjectApiKey }[];
}

/**
 * The keys of one project. Managed keys are matched by their `groq-rbac/key` metadata, the newest
 * generation being the one in service; an unmanaged key named like a policy key is adopted.
 */
export function planProjectKeys(input: {
  desired: DesiredState;
  project: string;
  projectId: string | null;
  team: string;
  wanted: readonly DesiredKey[];
  live: readonly ProjectApiKey[];
  now: number;
}): KeyPlan {
  const { desired, project, projectId, team, wanted, now } = input;
  const out: KeyPlan = { changes: [], unmanaged: [], warnings: [], matched: [] };
  const base = { project, project_id: projectId, team } as const;
  const ref = (k: ProjectApiKey) => ({ key_id: k.id, redacted_value: k.redacted_value });
  const lastUse = (k: ProjectApiKey) => ({ last_used_at: k.last_used_at });

  const managed = new Map<string, ProjectApiKey[]>();
  const unmanagedByName = new Map<string, ProjectApiKey[]>();
  for (const k of [...input.live].sort(byAge)) {
    const owner = k.metadata[METADATA.key];
    const map = owner !== undefined ? managed : unmanagedByName;
    const name = owner ?? k.name;
    map.set(name, [...(map.get(name) ?? []), k]);
  }
  const adopted = new Set<string>();
  const wantedNames = new Set(wanted.map((k) => k.name));

  for (const key of wanted) {
    const after = desiredKeyState(key);
    const own = managed.get(key.name) ?? [];
    if (own.length > 0) {
      // The newest generation serves; the others are surplus (two applies raced, or an interrupted rotation).
      const [current, ...surplus] = [...own].sort((a, b) => generationOf(b) - generationOf(a) || byAge(b, a));
      out.matched.push({ desired: key, live: current! });
      const before = liveKeyState(current!);
      const fields = diffKeyStates(before, after);
      if (fields.length > 0) out.changes.push({ resource: 'api_key', action: 'update', reason: 'differs', ...base, key: key.name, ...ref(current!), before, after, fields });
      for (const k of surplus) {
        // Removed once quiet: a surplus key that still sees traffic may have reached a service.
        const quiet = k.last_used_at === null || now - k.last_used_at >= key.rotation.quietPeriodSeconds;
        if (quiet) out.changes.push({ resource: 'api_key', action: 'delete', reason: 'surplus', ...base, key: key.name, ...ref(k), before: liveKeyState(k), after: null, fields: [], context: lastUse(k) });
        else out.warnings.push({ code: 'surplus_key_in_use', project, key: key.name, message: `surplus key ${k.id} of "${key.name}" was used recently; it is deleted once it has been quiet for the quiet period` });
      }
      continue;
    }
    const candidates = unmanagedByName.get(key.name) ?? [];
    if (candidates.length > 0) {
      const oldest = candidates[0]!;
      if (candidates.length > 1) {
        out.warnings.push({ code: 'ambiguous_adopt', project, key: key.name, message: `${candidates.length} unmanaged keys in project "${project}" are named "${key.name}"; adopting the oldest (${oldest.id}), the others stay unmanaged` });
      }
      adopted.add(oldest.id);
      out.matched.push({ desired: key, live: oldest });
      const before = liveKeyState(oldest);
      out.changes.push({ resource: 'api_key', action: 'adopt', reason: 'same_name', ...base, key: key.name, ...ref(oldest), before, after, fields: diffKeyStates(before, after) });
      continue;
    }
    out.changes.push({
      resource: 'api_key', action: 'create', reason: 'new', ...base, key: key.name, key_id: null, redacted_value: null, before: null, after,
      fields: Object.entries(after.metadata).map(([m, v]) => ({ field: `metadata.${m}`, before: null, after: v })),
    });
  }

  for (const [name, keys] of managed) {
    if (wantedNames.has(name)) continue;
    for (const k of keys) out.changes.push({ resource: 'api_key', action: 'delete', reason: 'removed', ...base, key: name, ...ref(k), before: liveKeyState(k), after: null, fields: [], context: lastUse(k) });
  }
  for (const keys of unmanagedByName.values()) {
    for (const k of keys) {
      if (adopted.has(k.id)) continue;
      if (desired.org.unmanaged.keys === 'delete') {
        out.changes.push({ resource: 'api_key', action: 'delete', reason: 'unmanaged', ...base, key: k.name, ...ref(k), before: liveKeyState(k), after: null, fields: [], context: lastUse(k) });
      } else {
        out.unmanaged.push({ key_id: k.id, name: k.name, project, redacted_value: k.redacted_value, created_at: k.created_at, last_used_at: k.last_used_at });
      }
    }
  }
  return out;
}
