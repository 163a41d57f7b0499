import { LIMIT_FIELDS, MAX_LIMIT } from '../core/limits.js';
import { checkModelId, isObj, type Checker, type OrgScope, type Path } from './checker.js';
import { ref, type PolicySource } from './source.js';

const limitValue = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 && v <= MAX_LIMIT ? v : null);
const field = (set: unknown, f: string): number | null => (isObj(set) ? limitValue(set[f]) : null);

/**
 * `limits` keys other than `default` are model ids; on a project, no value may exceed the org ceiling
 * for that model (its entry's field, else the ceiling's `default` field). `project` is null for org.yaml.
 */
export function checkLimits(
  check: Checker,
  s: PolicySource,
  p: Path,
  limits: unknown,
  project: { org: OrgScope | null; usable: Set<string> } | null,
): void {
  if (!isObj(limits)) return;
  const models: string[] = [];
  for (const id of Object.keys(limits)) {
    if (id === 'default') continue;
    if ((LIMIT_FIELDS as readonly string[]).includes(id)) {
      check.error(
        s,
        [...p, id],
        `"${id}" is not a model: limits are set per model in policy v2`,
        `write limits: {default: {${id}: …}} for every model, or limits: {<model>: {${id}: …}} for one`,
        'key',
      );
      continue;
    }
    if (!checkModelId(check, s, [...p, id], id, 'key')) continue;
    models.push(id);
    if (project && !project.usable.has(id)) {
      check.warn(
        s,
        [...p, id],
        `limits for "${id}" have no effect: this project may not use it`,
        'remove the entry, or allow the model in models',
        'key',
      );
    }
  }
  const org = project?.org;
  if (!org) return;
  const ceilingOf = (model: string | null, f: string): { value: number; at: string } | null => {
    const own = model === null ? null : field(org.limits[model], f);
    if (own !== null) return { value: own, at: ref(org.source, ['limits', model!, f]) };
    const fallback = field(org.limits.default, f);
    return fallback === null ? null : { value: fallback, at: ref(org.source, ['limits', 'default', f]) };
  };
  const raise = `raise the ceiling in ${org.source.file} (admins approve)`;
  for (const model of models) {
    for (const f of LIMIT_FIELDS) {
      const value = field(limits[model], f);
      const ceiling = ceilingOf(model, f);
      if (value !== null && ceiling && value > ceiling.value) {
        check.error(
          s,
          [...p, model, f],
          `${f} ${value} for "${model}" is above the org ceiling of ${ceiling.value} (${ceiling.at})`,
          `lower it to at most ${ceiling.value}, or ${raise}`,
        );
      }
    }
  }
  for (const f of LIMIT_FIELDS) {
    const value = field(limits.default, f);
    if (value === null) continue;
    const ceiling = ceilingOf(null, f);
    if (ceiling && value > ceiling.value) {
      check.error(
        s,
        [...p, 'default', f],
        `${f} ${value} is above the org ceiling of ${ceiling.value} (${ceiling.at})`,
        `lower it to at most ${ceiling.value}, or ${raise}`,
      );
      continue;
    }
    // The default also applies to every usable model the org caps lower, unless the project sets that model's field itself.
    const tighter = Object.keys(org.limits).find(
      (m) => m !== 'default' && project.usable.has(m) && field(limits[m], f) === null && (field(org.limits[m], f) ?? Infinity) < value,
    );
    if (tighter) {
      const c = ceilingOf(tighter, f)!;
      check.error(
        s,
        [...p, 'default', f],
        `${f} ${value} is above the org ceiling of ${c.value} for "${tighter}" (${c.at})`,
        `lower it to at most ${c.value}, or set ${f} under ${tighter} to at most ${c.value}`,
      );
    }
  }
}
