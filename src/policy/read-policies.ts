import { catalogueFor, type ModelCatalogue } from '../core/models.js';
import { SAFETY_DEFAULTS } from '../core/defaults.js';
import { checkCapabilities } from './capabilities.js';
import { isObj } from './checker.js';
import { toDelivery } from './delivery-rules.js';
import { buildDesiredMembers } from './desired-members.js';
import { capDiagnostics, sortDiagnostics, type Diagnostic } from './diagnostics.js';
import { parseDuration } from './duration.js';
import type { LimitsField, OrgFile, SpendingField, TeamFile } from './files.js';
import { readGrants } from './grant-rules.js';
import { toModelRule } from './model-rules.js';
import { rotationDefaults, type RotationSeconds } from './rotation-rules.js';
import { checkRules } from './rules.js';
import { validateSchema } from './schema.js';
import { locate, readPolicySources, type PolicySource } from './source.js';
import {
  LIMIT_FIELDS,
  type DesiredKey,
  type DesiredProject,
  type DesiredState,
  type DesiredTeam,
  type LimitField,
  type LimitSet,
  type LimitsPolicy,
  type SourceRef,
  type SpendingPolicy,
} from './types.js';

export interface PolicyResult {
  /** Present only when there are no errors. */
  desired?: DesiredState;
  /** Sorted; at most 50 per file and 200 in all, each file's rest counted in one closing diagnostic. */
  diagnostics: Diagnostic[];
  /** Every problem found, including those not listed. */
  counts: { errors: number; warnings: number };
  /** Files read, for reporting. */
  files: string[];
}

/** Reads and validates a policies directory: YAML → schema → semantic rules → desired state. */
export function readPolicies(dir: string, options: { catalogue?: ModelCatalogue; cwd?: string } = {}): PolicyResult {
  const { sources, diagnostics } = readPolicySources(dir, options.cwd);
  const files = sources.map((s) => s.file);
  const org = sources.find((s) => s.kind === 'org');
  // The models of the provider org.yaml names: OpenAI's ids under `provider: openai`.
  const provider = org && isObj(org.data) && typeof org.data.provider === 'string' ? org.data.provider : undefined;
  const catalogue = options.catalogue ?? catalogueFor(provider);
  const v1 = org ? versionOneError(org) : null;
  const unlisted = new Map<string, number>();
  // A file that could not be read (YAML it cannot parse, a missing org.yaml) leaves the rules
  // that look across files without half their facts: their findings would only follow from it.
  const unreadable = !org || diagnostics.some((d) => d.severity === 'error');
  if (v1) {
    // The whole language changed: one error that says how to move beats hundreds about each field.
    diagnostics.push(v1);
  } else {
    for (const source of sources) {
      const stale = source.kind === 'team' ? teamKeysWithoutProjects(source) : null;
      if (stale) {
        diagnostics.push(stale);
        continue;
      }
      const schema = validateSchema(source);
      diagnostics.push(...schema.diagnostics);
      if (schema.unlisted > 0) unlisted.set(source.file, schema.unlisted);
    }
    if (!unreadable) {
      diagnostics.push(...checkRules(sources, catalogue));
      // What the provider org.yaml names can hold: one place (capabilities.ts).
      diagnostics.push(...checkCapabilities(sources));
    }
  }
  const sorted = sortDiagnostics(diagnostics);
  const errors = sorted.filter((d) => d.severity === 'error').length;
  const unlistedErrors = [...unlisted.values()].reduce((a, b) => a + b, 0);
  const result = {
    diagnostics: capDiagnostics(sorted, unlisted),
    counts: { errors: errors + unlistedErrors, warnings: sorted.length - errors },
    files,
  };
  if (result.counts.errors > 0) return result;
  const desired = buildDesiredState(sources);
  const members = buildDesiredMembers(sources);
  return { ...result, desired: members ? { ...desired, members } : desired };
}

function versionOneError(org: PolicySource): Diagnostic | null {
  if (!isObj(org.data) || org.data.version !== 1) return null;
  return {
    severity: 'error',
    file: org.file,
    ...locate(org, ['version']),
    path: 'version',
    message: 'this is a version 1 policy; groq-rbac reads version 2, where an organization holds projects and projects hold keys',
    hint:
      'write version: 2; in each team file put keys under projects: (- name: <project>, keys: [...]); per-key models and limits move to the project ' +
      '(models: [...] or {block: [...]}, limits: {default: {...}, <model>: {...}}); in org.yaml, limits move under limits.default, ' +
      'unmanaged_keys becomes unmanaged: {keys: ...}, and spending drops auto_pause and adds alert_recipients',
  };
}

function teamKeysWithoutProjects(team: PolicySource): Diagnostic | null {
  if (!isObj(team.data) || !('keys' in team.data) || 'projects' in team.data) return null;
  return {
    severity: 'error',
    file: team.file,
    ...locate(team, ['keys'], 'key'),
    path: 'keys',
    message: 'keys belong to projects in policy v2',
    hint: 'write projects: [{name: <project>, models: [...], limits: {default: {...}}, keys: [...]}] and move these keys into a project',
  };
}

// Only called on sources that passed the schema and the rules, so the files have the shapes in files.ts.
function buildDesiredState(sources: PolicySource[]): DesiredState {
  const orgSource = sources.find((s) => s.kind === 'org')!;
  const o = orgSource.data as OrgFile;
  const seconds = (d: string | undefined, fallback: number) => (d === undefined ? fallback : parseDuration(d)!);
  const defaults = rotationDefaults();
  const orgRotation: RotationSeconds = {
    every: seconds(o.rotation?.every, defaults.every),
    quiet_period: seconds(o.rotation?.quiet_period, defaults.quiet_period),
    min_overlap: seconds(o.rotation?.min_overlap, defaults.min_overlap),
  };
  const teams: DesiredTeam[] = [];
  const projects: DesiredProject[] = [];
  const keys: DesiredKey[] = [];
  for (const s of sources) {
    if (s.kind !== 'team') continue;
    const t = s.data as TeamFile;
    const teamModels = toModelRule(t.models);
    teams.push({ name: t.team, owners: [...t.owners], models: teamModels, file: s.file });
    t.projects.forEach((p, i) => {
      const protect = p.protect ?? false;
      const spending = p.spending ? toSpendingPolicy(p.spending) : null;
      projects.push({
        name: p.name,
        team: t.team,
        description: p.description ?? null,
        models: toModelRule(p.models) ?? teamModels,
        limits: toLimitsPolicy(p.limits),
        limitSources: limitSources(s, ['projects', i, 'limits'], p.limits),
        protect,
        ...(spending ? { spending } : {}),
        source: { file: s.file, ...locate(s, ['projects', i]) },
      });
      (p.keys ?? []).forEach((k, j) => {
        const r = k.rotation ?? {};
        keys.push({
          name: k.name,
          project: p.name,
          team: t.team,
          description: k.description ?? null,
          protect: (k.protect ?? false) || protect,
          rotation: {
            everySeconds: seconds(r.every, orgRotation.every),
            quietPeriodSeconds: seconds(r.quiet_period, orgRotation.quiet_period),
            minOverlapSeconds: seconds(r.min_overlap, orgRotation.min_overlap),
            trigger: r.trigger ?? null,
            // Frozen: a plan memoises each list's targets hash (rotation.ts), so a list must not change once read.
            deliver: Object.freeze(
              (r.deliver ?? []).map((d) => Object.freeze(toDelivery(d as unknown as Record<string, Record<string, string>>))),
            ),
          },
          source: { file: s.file, ...locate(s, ['projects', i, 'keys', j]) },
        });
      });
    });
  }
  const spending = o.spending ? toSpendingPolicy(o.spending) : null;
  return {
    org: {
      id: o.org,
      admins: [...o.admins],
      provider: o.provider ?? 'groq',
      models: toModelRule(o.models),
      limits: toLimitsPolicy(o.limits),
      spending,
      unmanaged: { projects: o.unmanaged?.projects ?? 'report', keys: o.unmanaged?.keys ?? 'report' },
      safety: {
        maxDeletes: o.safety?.max_deletes ?? SAFETY_DEFAULTS.maxDeletes,
        maxDeletePercent: o.safety?.max_delete_percent ?? SAFETY_DEFAULTS.maxDeletePercent,
      },
      vault: o.vault ? { address: o.vault.address } : null,
      grants: Object.fromEntries([...readGrants(o)].sort(([a], [b]) => a.localeCompare(b))),
      file: orgSource.file,
    },
    teams,
    projects,
    keys,
  };
}

function toSpendingPolicy(spending: SpendingField): SpendingPolicy {
  return {
    monthly_cap_usd: spending.monthly_cap_usd,
    alert_thresholds_usd: [...(spending.alert_thresholds_usd ?? [])].sort((a, b) => a - b),
    alert_recipients: [...(spending.alert_recipients ?? [])],
  };
}

/** Where each model's entry under a project's `limits` is, and each of its fields (for plan messages). */
function limitSources(
  s: PolicySource,
  at: (string | number)[],
  limits: LimitsField | undefined,
): NonNullable<DesiredProject['limitSources']> {
  const out: NonNullable<DesiredProject['limitSources']> = {};
  for (const [model, set] of Object.entries(limits ?? {})) {
    if (model === 'default') continue;
    const fields: Partial<Record<LimitField, SourceRef>> = {};
    for (const f of LIMIT_FIELDS) if (set[f] !== undefined) fields[f] = { file: s.file, ...locate(s, [...at, model, f], 'key') };
    out[model] = { entry: { file: s.file, ...locate(s, [...at, model], 'key') }, fields };
  }
  return out;
}

function toLimitsPolicy(limits: LimitsField | undefined): LimitsPolicy {
  const pick = (set: LimitSet | undefined): LimitSet => {
    const out: LimitSet = {};
    for (const f of LIMIT_FIELDS) if (set?.[f] !== undefined) out[f] = set[f];
    return out;
  };
  const models: Record<string, LimitSet> = {};
  for (const id of Object.keys(limits ?? {}).sort()) if (id !== 'default') models[id] = pick(limits![id]);
  return { default: pick(limits?.default), models };
}
