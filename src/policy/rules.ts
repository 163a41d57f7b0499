import { DURATION_HINT, formatDuration, parseDuration } from './duration.js';
import { formatPath, quoteList, type Diagnostic } from './diagnostics.js';
import { lookUpModel, type ModelCatalogue } from './models.js';
import { locate, type PolicySource } from './source.js';
import { LIMIT_FIELDS } from './types.js';

export const ROTATION_DEFAULTS = { every: '90d', quiet_period: '24h', min_overlap: '1h' } as const;

type Path = (string | number)[];
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const strings = (v: unknown): string[] | null => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : null);
const int = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * Rules a schema cannot express: across files (duplicate names, model subsets, ceilings) and on values
 * (models, durations). Written defensively: it runs on files with schema errors too, so all errors show at once.
 */
export function checkRules(sources: PolicySource[], catalogue: ModelCatalogue): Diagnostic[] {
  const out: Diagnostic[] = [];
  const where = (s: PolicySource, p: Path, target: 'key' | 'value' = 'value') => ({ file: s.file, ...locate(s, p, target), path: formatPath(p) });
  const ref = (s: PolicySource, p: Path) => {
    const { line, column } = locate(s, p);
    return `${s.file}:${line}:${column}`;
  };
  const error = (s: PolicySource, p: Path, message: string, hint?: string) => out.push({ severity: 'error', ...where(s, p), message, ...(hint ? { hint } : {}) });
  const warn = (s: PolicySource, p: Path, message: string, hint?: string) => out.push({ severity: 'warning', ...where(s, p), message, ...(hint ? { hint } : {}) });

  const org = sources.find((s) => s.kind === 'org');
  const orgData = org && isObj(org.data) ? org.data : {};
  const orgModels = strings(orgData.models);
  const ceilings = isObj(orgData.limits) ? orgData.limits : {};

  const checkModels = (s: PolicySource, p: Path, models: unknown) => {
    if (!Array.isArray(models)) return;
    models.forEach((m, i) => {
      if (typeof m !== 'string') return;
      const status = lookUpModel(catalogue, m);
      if (status.kind === 'decommissioned') {
        const { shutdown_date, replacement } = status.entry;
        error(s, [...p, i], `model "${m}" was decommissioned on ${shutdown_date}`,
          replacement ? `use its replacement "${replacement}"` : 'remove it; Groq names no replacement (see https://console.groq.com/docs/deprecations)');
      } else if (status.kind === 'unknown') {
        error(s, [...p, i], `unknown model "${m}"`,
          status.suggestions.length > 0 ? `did you mean ${quoteList(status.suggestions)}?` : `known models: ${catalogue.live.map((x) => x.id).join(', ')}`);
      } else if (status.retiring) {
        const r = status.retiring;
        warn(s, [...p, i], `model "${m}" shuts down on ${r.shutdown_date}`, r.replacement ? `move to "${r.replacement}"` : 'plan to remove it');
      }
    });
  };

  const durations = (s: PolicySource, p: Path, rotation: unknown, fallback: Record<string, number>): Record<string, number> => {
    const result = { ...fallback };
    if (!isObj(rotation)) return result;
    for (const field of ['every', 'quiet_period', 'min_overlap'] as const) {
      const raw = rotation[field];
      if (typeof raw !== 'string') continue;
      const seconds = parseDuration(raw);
      if (seconds === null) error(s, [...p, field], `"${raw}" is not a duration`, DURATION_HINT);
      else if (field === 'every' && seconds === 0) error(s, [...p, field], 'must be longer than zero', 'for example every: 90d');
      else result[field] = seconds;
    }
    return result;
  };
  const checkRotationOrder = (s: PolicySource, p: Path, r: Record<string, number>, own: unknown) => {
    const at = (f: string): Path => (isObj(own) && f in own ? [...p, f] : p);
    if (r.min_overlap! > r.quiet_period!) {
      error(s, at('min_overlap'), `min_overlap ${formatDuration(r.min_overlap!)} is longer than quiet_period ${formatDuration(r.quiet_period!)}`,
        'the old key must stay quiet for at least the overlap: shorten min_overlap or lengthen quiet_period');
    } else if (r.every! <= r.quiet_period! + r.min_overlap!) {
      error(s, at('every'), `every ${formatDuration(r.every!)} leaves no time between rotations (quiet_period + min_overlap is ${formatDuration(r.quiet_period! + r.min_overlap!)})`,
        'make every longer than quiet_period plus min_overlap');
    }
  };

  // --- org.yaml
  const defaults: Record<string, number> = { every: parseDuration(ROTATION_DEFAULTS.every)!, quiet_period: parseDuration(ROTATION_DEFAULTS.quiet_period)!, min_overlap: parseDuration(ROTATION_DEFAULTS.min_overlap)! };
  let orgRotation = defaults;
  if (org) {
    checkModels(org, ['models'], orgData.models);
    orgRotation = durations(org, ['rotation'], orgData.rotation, defaults);
    if (isObj(orgData.rotation)) checkRotationOrder(org, ['rotation'], orgRotation, orgData.rotation);
    const spending = isObj(orgData.spending) ? orgData.spending : null;
    const cap = spending ? int(spending.monthly_cap_usd) : null;
    if (spending && cap !== null && Array.isArray(spending.alert_thresholds_usd)) {
      spending.alert_thresholds_usd.forEach((t, i) => {
        if (typeof t === 'number' && t >= cap) {
          error(org, ['spending', 'alert_thresholds_usd', i], `alert at ${t} USD is not below the monthly cap of ${cap} USD`, `use an amount under ${cap}, or raise monthly_cap_usd`);
        }
      });
    }
  }

  // --- team files
  const teamsByName = new Map<string, { s: PolicySource }>();
  const keysByName = new Map<string, { s: PolicySource; p: Path }>();
  const targets = new Map<string, { s: PolicySource; p: Path }>();
  for (const s of sources.filter((x) => x.kind === 'team')) {
    if (!isObj(s.data)) continue;
    const data = s.data;
    const teamName = typeof data.team === 'string' ? data.team : null;
    if (teamName) {
      const previous = teamsByName.get(teamName);
      if (previous) error(s, ['team'], `team "${teamName}" is also defined in ${ref(previous.s, ['team'])}`, 'rename one team, or merge the two files');
      else teamsByName.set(teamName, { s });
      const base = s.file.split('/').at(-1)!.replace(/\.ya?ml$/, '');
      if (base !== teamName && /^[a-z0-9][a-z0-9-]{0,62}$/.test(teamName)) warn(s, ['team'], `team "${teamName}" is in a file named "${base}"`, `rename the file to ${teamName}.yaml, so CODEOWNERS and reviewers find it`);
    }
    const teamModels = strings(data.models);
    checkModels(s, ['models'], data.models);
    // A model that is gone or unknown already has its own error; a subset error on top would be noise.
    const isLive = (m: string) => lookUpModel(catalogue, m).kind === 'live';
    if (teamModels && orgModels) {
      teamModels.forEach((m, i) => {
        if (isLive(m) && !orgModels.includes(m)) error(s, ['models', i], `model "${m}" is not in the org's models`, `add it to models in ${org!.file} (admins approve), or remove it here`);
      });
    }
    const keys = Array.isArray(data.keys) ? data.keys : [];
    keys.forEach((key, k) => {
      if (!isObj(key)) return;
      const p: Path = ['keys', k];
      const name = typeof key.name === 'string' ? key.name : null;
      if (name) {
        const previous = keysByName.get(name);
        if (previous) error(s, [...p, 'name'], `key "${name}" is also defined in ${ref(previous.s, [...previous.p, 'name'])}`, 'key names are unique across all teams: rename one of them');
        else keysByName.set(name, { s, p });
      }
      checkModels(s, [...p, 'models'], key.models);
      const ceilingModels = teamModels ?? orgModels;
      const ceilingOwner = teamModels ? `team "${teamName ?? '?'}"` : 'the org';
      strings(key.models)?.forEach((m, i) => {
        if (ceilingModels && isLive(m) && !ceilingModels.includes(m)) {
          error(s, [...p, 'models', i], `model "${m}" is not in ${ceilingOwner}'s models (${ceilingModels.join(', ')})`,
            teamModels ? "add it to the team's models in this file, or remove it from the key" : `add it to models in ${org?.file ?? 'org.yaml'}, or remove it from the key`);
        }
      });
      for (const field of LIMIT_FIELDS) {
        const value = int(key[field]);
        const ceiling = int(ceilings[field]);
        if (value !== null && ceiling !== null && ceiling >= 1 && value > ceiling) {
          error(s, [...p, field], `${field} ${value} is above the org ceiling of ${ceiling} (${ref(org!, ['limits', field])})`, `lower it to at most ${ceiling}, or raise the ceiling in ${org!.file} (admins approve)`);
        }
      }
      const rotation = isObj(key.rotation) ? key.rotation : null;
      const r = durations(s, [...p, 'rotation'], rotation, orgRotation);
      if (rotation && ['every', 'quiet_period', 'min_overlap'].some((f) => f in rotation)) checkRotationOrder(s, [...p, 'rotation'], r, rotation);
      const deliver = rotation && Array.isArray(rotation.deliver) ? rotation.deliver : [];
      deliver.forEach((entry, d) => {
        const id = deliveryIdentity(entry);
        if (!id) return;
        const dp: Path = [...p, 'rotation', 'deliver', d];
        const previous = targets.get(id);
        if (previous) error(s, dp, `delivers to the same place as ${ref(previous.s, previous.p)}`, 'two keys cannot share one secret: give each its own target');
        else targets.set(id, { s, p: dp });
      });
    });
  }
  return out;
}

function deliveryIdentity(entry: unknown): string | null {
  if (!isObj(entry)) return null;
  const [kind] = Object.keys(entry);
  const target = kind ? entry[kind] : null;
  if (!isObj(target)) return null;
  if (kind === 'github' && typeof target.repository === 'string' && typeof target.secret === 'string')
    return `github:${target.repository.toLowerCase()}:${String(target.environment ?? '')}:${target.secret.toUpperCase()}`;
  if (kind === 'vault' && typeof target.path === 'string') return `vault:${String(target.address ?? '')}:${target.path}:${String(target.field)}`;
  if (kind === 'file' && typeof target.path === 'string') return `file:${target.path}`;
  return null;
}
