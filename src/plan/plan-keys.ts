import { capabilitiesFor } from '../core/capabilities.js';
import type { LiveKey } from '../core/domain.js';
import { distinctKeyName, namesByDerivation } from '../core/key-names.js';
import { isTeamMark, teamOfMark } from '../core/marks.js';
import type { DesiredKey, DesiredState } from '../policy/types.js';
import {
  deliveredAt,
  deliveryLabel,
  generationOf,
  IN_PROGRESS_GRACE_SECONDS,
  lineageOf,
  quietWindowSeconds,
  retireDecision,
  reviewNeeded,
  rotationCause,
  targetsHash,
  type KeyUsage,
} from './rotation.js';
import type { FieldChange, KeyChange, KeyField, KeyState, PendingStep, RotationStep, UnmanagedKey, Warning } from './types.js';

const byAge = (a: LiveKey, b: LiveKey) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1);

export function desiredKeyState(key: DesiredKey): KeyState {
  return { name: key.name, managed: true, protect: key.protect };
}

/** What the policies decide of a live key; rotation bookkeeping (generation, trigger, delivered, targets) is not compared. */
export function liveKeyState(key: LiveKey): KeyState {
  return { name: key.name, managed: key.marks !== null, protect: key.marks?.protect ?? false };
}

export function diffKeyStates(before: KeyState, after: KeyState): FieldChange[] {
  const changes: FieldChange[] = [];
  const field = (f: KeyField, b: unknown, a: unknown) => changes.push({ field: f, before: b, after: a });
  if (before.name !== after.name) field('name', before.name, after.name);
  if (before.managed !== after.managed) field('managed', before.managed, after.managed);
  if (before.protect !== after.protect) field('protect', before.protect, after.protect);
  return changes;
}

export interface KeyPlan {
  changes: KeyChange[];
  unmanaged: UnmanagedKey[];
  pending: PendingStep[];
  warnings: Warning[];
  /** Desired keys with the live key in service, for warnings. */
  matched: { desired: DesiredKey; live: LiveKey }[];
}

/**
 * What a new generation of `key` is made with. A time-driven one (which an unreviewed run may make)
 * says when only a reviewed apply may: its targets are not the ones the lineage `own` records.
 */
function newGeneration(
  key: DesiredKey,
  generation: number,
  cause: RotationStep['cause'],
  time_driven: boolean,
  own: readonly LiveKey[] = [],
): RotationStep {
  const targets_hash = targetsHash(key.rotation.deliver);
  const review = time_driven ? reviewNeeded(own, targets_hash) : null;
  return {
    generation,
    cause,
    time_driven,
    targets: key.rotation.deliver.map(deliveryLabel),
    targets_hash,
    trigger: key.rotation.trigger,
    ...(review ? { needs_review: review } : {}),
  };
}

/**
 * The keys of one project. Managed keys are matched by the policy key their marks name; the newest
 * delivered generation is the one in service, and it rotates when due; older generations drain
 * (see rotation.ts). An unmanaged key named like a policy key is adopted; where the provider keeps
 * marks in key names (no key metadata), so is one whose name derives to it (core/key-names.ts), as
 * `import` names it. A person's own key (`personal`) is never adopted.
 */
export function planProjectKeys(input: {
  desired: DesiredState;
  project: string;
  projectId: string | null;
  team: string;
  wanted: readonly DesiredKey[];
  live: readonly LiveKey[];
  now: number;
  usage: KeyUsage;
  /** The spend limit is refusing traffic: refused calls leave no usage, so nothing can be seen to be quiet. */
  retirementsPaused?: boolean;
}): KeyPlan {
  const { desired, project, projectId, team, wanted, now, usage } = input;
  const out: KeyPlan = { changes: [], unmanaged: [], pending: [], warnings: [], matched: [] };
  const base = { project, project_id: projectId, team } as const;
  const ref = (k: LiveKey) => ({ key_id: k.id, redacted_value: k.redacted_value });

  const managed = new Map<string, LiveKey[]>();
  const unmanagedByName = new Map<string, LiveKey[]>();
  for (const k of [...input.live].sort(byAge)) {
    const owner = k.marks?.key;
    const map = owner !== undefined ? managed : unmanagedByName;
    const name = owner ?? k.name;
    map.set(name, [...(map.get(name) ?? []), k]);
  }
  const adopted = new Set<string>();
  const wantedNames = new Set(wanted.map((k) => k.name));
  // Adopting renames such a key anyway: its free-text name may stand for the name it derives to.
  const derived = !capabilitiesFor(desired.org.provider ?? 'groq').keyMetadata;
  const adoptable = (k: LiveKey) => !k.personal && !adopted.has(k.id);
  const candidatesFor = (name: string): LiveKey[] => {
    const exact = (unmanagedByName.get(name) ?? []).filter(adoptable);
    if (exact.length > 0 || !derived) return exact;
    // A key another policy key names by its distinct form is that one's.
    const elsewhere = (k: LiveKey) => {
      const d = distinctKeyName(k.name, k.id);
      return d !== name && wantedNames.has(d);
    };
    return [...unmanagedByName.values()]
      .flat()
      .filter((k) => adoptable(k) && namesByDerivation(name, k) && !elsewhere(k))
      .sort(byAge);
  };

  const retire = (key: DesiredKey, old: LiveKey, replacementDeliveredAt: number, afterRotation: boolean, timeDriven: boolean) => {
    if (input.retirementsPaused && !afterRotation) {
      out.pending.push({
        project,
        key: key.name,
        key_id: old.id,
        generation: generationOf(old),
        waiting_for: 'spend_limit',
        seconds_left: null,
        last_used_at: old.last_used_at,
      });
      return;
    }
    const decision = retireDecision({ old, key, replacementDeliveredAt, now, usage });
    if (!decision.retire) {
      out.pending.push({ project, key: key.name, ...decision.pending });
      return;
    }
    out.changes.push({
      resource: 'api_key',
      action: 'delete',
      reason: 'retired',
      ...base,
      key: key.name,
      ...ref(old),
      before: liveKeyState(old),
      after: null,
      fields: [],
      context: { last_used_at: old.last_used_at },
      rotation: {
        generation: generationOf(old),
        cause: 'retire',
        time_driven: timeDriven,
        targets: [],
        ...(afterRotation ? { after_rotation: true } : {}),
      },
    });
  };

  for (const key of wanted) {
    const after = desiredKeyState(key);
    const own = managed.get(key.name) ?? [];
    const lineage = lineageOf(own, now);
    const { current, inProgress } = lineage;
    if (inProgress) {
      // Another run is delivering a newer generation right now: start nothing, retire nothing.
      if (current) out.matched.push({ desired: key, live: current });
      out.pending.push({
        project,
        key: key.name,
        key_id: inProgress.id,
        generation: generationOf(inProgress),
        waiting_for: 'in_progress',
        seconds_left: inProgress.created_at + IN_PROGRESS_GRACE_SECONDS - now,
        last_used_at: inProgress.last_used_at,
      });
      continue;
    }
    if (current) {
      out.matched.push({ desired: key, live: current });
      const before = liveKeyState(current);
      const fields = diffKeyStates(before, after);
      if (fields.length > 0)
        out.changes.push({
          resource: 'api_key',
          action: 'update',
          reason: 'differs',
          ...base,
          key: key.name,
          ...ref(current),
          before,
          after,
          fields,
        });
      let due = rotationCause(key, current, now);
      if (due && key.rotation.deliver.length === 0) {
        // A new value nobody receives, and the old one retired after it: never. Say so instead.
        out.warnings.push({
          code: 'no_delivery_target',
          project,
          key: key.name,
          message: `key "${key.name}" is due for rotation (${due.cause}) but has no delivery target, so it is not rotated: add rotation.deliver (github, vault or file)`,
        });
        due = null;
      }
      if (due) {
        const rotation = {
          ...newGeneration(key, lineage.nextGeneration, due.cause, due.time_driven, own),
          from_generation: generationOf(current),
        };
        out.changes.push({
          resource: 'api_key',
          action: 'rotate',
          reason: 'differs',
          ...base,
          key: key.name,
          ...ref(current),
          before,
          after,
          fields: [],
          rotation,
        });
      }
      for (const old of lineage.old) retire(key, old, deliveredAt(current)!, false, true);
      // With no quiet period, the replaced generation goes as soon as its successor is delivered.
      if (due && key.rotation.quietPeriodSeconds === 0 && key.rotation.minOverlapSeconds === 0)
        retire(key, current, now, true, due.time_driven);
      continue;
    }
    if (own.length > 0) {
      // Generations exist but none was delivered: an earlier run stopped mid-way. Start again at the next generation.
      out.changes.push({
        resource: 'api_key',
        action: 'create',
        reason: 'new',
        ...base,
        key: key.name,
        key_id: null,
        redacted_value: null,
        before: null,
        after,
        fields: [],
        rotation: newGeneration(key, lineage.nextGeneration, 'interrupted', true, own),
      });
      for (const old of lineage.old) retire(key, old, now, true, true);
      continue;
    }
    const candidates = candidatesFor(key.name);
    if (candidates.length > 0) {
      const oldest = candidates[0]!;
      if (candidates.length > 1) {
        out.warnings.push({
          code: 'ambiguous_adopt',
          project,
          key: key.name,
          message: `${candidates.length} unmanaged keys in project "${project}" are named "${key.name}"; adopting the oldest (${oldest.id}), the others stay unmanaged`,
        });
      }
      adopted.add(oldest.id);
      out.matched.push({ desired: key, live: oldest });
      const before = liveKeyState(oldest);
      // Adopting says its users already hold it: it is marked generation 1, delivered to the policy's
      // targets, under its trigger, owned by the project's team (an unmanaged key carries no marks: each is new).
      const fields = diffKeyStates(before, after);
      fields.push(
        { field: 'generation', before: null, after: 1 },
        { field: 'targets', before: null, after: targetsHash(key.rotation.deliver) },
      );
      if (key.rotation.trigger !== null) fields.push({ field: 'trigger', before: null, after: key.rotation.trigger });
      fields.push({ field: 'team', before: null, after: team });
      out.changes.push({
        resource: 'api_key',
        action: 'adopt',
        reason: 'same_name',
        ...base,
        key: key.name,
        ...ref(oldest),
        before,
        after,
        fields,
      });
      continue;
    }
    out.changes.push({
      resource: 'api_key',
      action: 'create',
      reason: 'new',
      ...base,
      key: key.name,
      key_id: null,
      redacted_value: null,
      before: null,
      after,
      fields: [
        { field: 'managed', before: null, after: true },
        ...(after.protect ? [{ field: 'protect', before: null, after: true }] : []),
      ],
      rotation: newGeneration(key, 1, 'first', false),
    });
  }

  for (const [name, keys] of managed) {
    if (wantedNames.has(name)) continue;
    for (const k of keys)
      out.changes.push({
        resource: 'api_key',
        action: 'delete',
        reason: 'removed',
        ...base,
        key: name,
        ...ref(k),
        before: liveKeyState(k),
        after: null,
        fields: [],
        context: { last_used_at: k.last_used_at },
      });
  }
  remarkGrantedMove(input, out, base);
  for (const keys of unmanagedByName.values()) {
    for (const k of keys) {
      if (adopted.has(k.id)) continue;
      if (desired.org.unmanaged.keys === 'delete') {
        out.changes.push({
          resource: 'api_key',
          action: 'delete',
          reason: 'unmanaged',
          ...base,
          key: k.name,
          ...ref(k),
          before: liveKeyState(k),
          after: null,
          fields: [],
          context: { last_used_at: k.last_used_at },
        });
      } else {
        out.unmanaged.push({
          key_id: k.id,
          name: k.name,
          project,
          redacted_value: k.redacted_value,
          created_at: k.created_at,
          last_used_at: k.last_used_at,
        });
      }
    }
  }
  return out;
}

/**
 * A move the org admins granted (org.yaml `grants.<team>.projects`): every managed key of the project
 * that carries another team's owner mark is marked for the new team, in the update the key already
 * gets or one of its own; keys this plan deletes are left as they are. Without the grant the plan is
 * refused (project-ownership.ts `checkLiveOwners`), so nothing here runs unapproved.
 */
function remarkGrantedMove(
  input: { desired: DesiredState; project: string; team: string; live: readonly LiveKey[] },
  out: KeyPlan,
  base: { project: string; project_id: string | null; team: string },
): void {
  const { desired, project, team } = input;
  if (!desired.org.grants[team]?.projects.includes(project)) return;
  const deleted = new Set(out.changes.filter((c) => c.action === 'delete').map((c) => c.key_id));
  const teams = desired.teams.map((t) => t.name);
  for (const k of [...input.live].sort(byAge)) {
    const mark = k.marks?.team;
    if (!k.marks || typeof mark !== 'string' || mark === '' || isTeamMark(mark, team) || deleted.has(k.id)) continue;
    const field = { field: 'team', before: teamOfMark(mark, teams) ?? mark, after: team };
    const existing = out.changes.find((c) => c.key_id === k.id && c.action === 'update');
    if (existing) existing.fields.push(field);
    else
      out.changes.push({
        resource: 'api_key',
        action: 'update',
        reason: 'differs',
        ...base,
        key: k.marks.key,
        key_id: k.id,
        redacted_value: k.redacted_value,
        before: liveKeyState(k),
        after: liveKeyState(k),
        fields: [field],
      });
  }
}

/** Ids of old generations whose retirement needs usage data, and how far back: the app reads those buckets. */
export function keysNeedingUsage(input: {
  wanted: readonly DesiredKey[];
  live: readonly LiveKey[];
  now: number;
}): { keyId: string; windowSeconds: number }[] {
  const out: { keyId: string; windowSeconds: number }[] = [];
  for (const key of input.wanted) {
    if (key.rotation.quietPeriodSeconds === 0) continue;
    const { old } = lineageOf(
      input.live.filter((k) => k.marks?.key === key.name),
      input.now,
    );
    for (const k of old) out.push({ keyId: k.id, windowSeconds: quietWindowSeconds(key) });
  }
  return out;
}
