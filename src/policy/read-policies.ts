import { sortDiagnostics, type Diagnostic } from './diagnostics.js';
import { parseDuration } from './duration.js';
import { defaultCatalogue, type ModelCatalogue } from './models.js';
import type { DeliveryEntry, OrgFile, TeamFile } from './files.js';
import { checkRules, ROTATION_DEFAULTS } from './rules.js';
import { validateSchema } from './schema.js';
import { locate, readPolicySources, type PolicySource } from './source.js';
import { LIMIT_FIELDS, type Delivery, type DesiredKey, type DesiredState, type DesiredTeam, type Limits } from './types.js';

export interface PolicyResult {
  /** Present only when there are no errors. */
  desired?: DesiredState;
  diagnostics: Diagnostic[];
  /** Files read, for reporting. */
  files: string[];
}

/** Reads and validates a policies directory: YAML → schema → semantic rules → desired state. */
export function readPolicies(dir: string, options: { catalogue?: ModelCatalogue; cwd?: string } = {}): PolicyResult {
  const catalogue = options.catalogue ?? defaultCatalogue;
  const { sources, diagnostics } = readPolicySources(dir, options.cwd);
  for (const source of sources) diagnostics.push(...validateSchema(source));
  diagnostics.push(...checkRules(sources, catalogue));
  const sorted = sortDiagnostics(diagnostics);
  const files = sources.map((s) => s.file);
  if (sorted.some((d) => d.severity === 'error')) return { diagnostics: sorted, files };
  return { desired: buildDesiredState(sources), diagnostics: sorted, files };
}

// Only called on sources that passed the schema and the rules, so the files have the shapes in files.ts.
function buildDesiredState(sources: PolicySource[]): DesiredState {
  const orgSource = sources.find((s) => s.kind === 'org')!;
  const o = orgSource.data as OrgFile;
  const ceilings = Object.fromEntries(LIMIT_FIELDS.map((f) => [f, o.limits?.[f] ?? null])) as Limits;
  const seconds = (d: string | undefined, fallback: number) => (d === undefined ? fallback : parseDuration(d)!);
  const orgRotation = {
    every: seconds(o.rotation?.every, parseDuration(ROTATION_DEFAULTS.every)!),
    quietPeriod: seconds(o.rotation?.quiet_period, parseDuration(ROTATION_DEFAULTS.quiet_period)!),
    minOverlap: seconds(o.rotation?.min_overlap, parseDuration(ROTATION_DEFAULTS.min_overlap)!),
  };
  const orgModels = o.models ?? null;
  const teams: DesiredTeam[] = [];
  const keys: DesiredKey[] = [];
  for (const s of sources.filter((x) => x.kind === 'team')) {
    const t = s.data as TeamFile;
    const teamModels = t.models ?? null;
    teams.push({ name: t.team, owners: t.owners, models: teamModels, file: s.file });
    t.keys.forEach((k, i) => {
      const r = k.rotation ?? {};
      keys.push({
        name: k.name,
        team: t.team,
        description: k.description ?? null,
        models: k.models ?? teamModels ?? orgModels,
        limits: Object.fromEntries(LIMIT_FIELDS.map((f) => [f, k[f] ?? ceilings[f]])) as Limits,
        enabled: k.enabled ?? true,
        protect: k.protect ?? false,
        rotation: {
          everySeconds: seconds(r.every, orgRotation.every),
          quietPeriodSeconds: seconds(r.quiet_period, orgRotation.quietPeriod),
          minOverlapSeconds: seconds(r.min_overlap, orgRotation.minOverlap),
          trigger: r.trigger ?? null,
          deliver: (r.deliver ?? []).map(toDelivery),
        },
        source: { file: s.file, ...locate(s, ['keys', i]) },
      });
    });
  }
  return {
    org: {
      id: o.org,
      admins: o.admins,
      models: orgModels,
      ceilings,
      spending: o.spending
        ? { monthly_cap_usd: o.spending.monthly_cap_usd, alert_thresholds_usd: [...(o.spending.alert_thresholds_usd ?? [])].sort((a, b) => a - b), auto_pause: o.spending.auto_pause ?? true }
        : null,
      unmanagedKeys: o.unmanaged_keys ?? 'report',
      safety: { maxDeletes: o.safety?.max_deletes ?? 3, maxDeletePercent: o.safety?.max_delete_percent ?? 25 },
      file: orgSource.file,
    },
    teams,
    keys,
  };
}

function toDelivery(entry: DeliveryEntry): Delivery {
  if ('github' in entry) return { kind: 'github', ...entry.github };
  if ('vault' in entry) return { kind: 'vault', ...entry.vault };
  return { kind: 'file', ...entry.file };
}
