import { locate, readPolicySources, type PolicySource } from './source.js';

/**
 * `file:line:column` of a field in the policies, for reports that point at what says otherwise
 * (verify's differences). The desired state keeps a position per project and key only; this reads
 * the files once more and finds the field itself, or the nearest parent that is written.
 */
export interface FieldLocator {
  /** A field of org.yaml, e.g. `['models']`, `['limits', 'default', 'tokens_per_minute']`. */
  org(path: readonly (string | number)[]): string;
  /** A field of a project's entry, e.g. `['limits', 'openai/gpt-oss-20b', 'requests_per_day']`; null for a project no file names. */
  project(name: string, path: readonly (string | number)[]): string | null;
}

export function fieldLocator(dir: string, cwd?: string): FieldLocator {
  const { sources } = readPolicySources(dir, cwd);
  const org = sources.find((s) => s.kind === 'org') ?? null;
  const projects = new Map<string, { source: PolicySource; index: number }>();
  for (const s of sources) {
    if (s.kind !== 'team') continue;
    const list = (s.data as { projects?: unknown } | null)?.projects;
    if (!Array.isArray(list)) continue;
    list.forEach((p, index) => {
      const name = (p as { name?: unknown } | null)?.name;
      if (typeof name === 'string' && !projects.has(name)) projects.set(name, { source: s, index });
    });
  }
  const at = (source: PolicySource, path: readonly (string | number)[]) => {
    const { line, column } = locate(source, path);
    return `${source.file}:${line}:${column}`;
  };
  return {
    org: (path) => (org ? at(org, path) : 'policies/org.yaml'),
    project: (name, path) => {
      const found = projects.get(name);
      return found ? at(found.source, ['projects', found.index, ...path]) : null;
    },
  };
}
