/** A finding about a policy file, with its location and what to write instead. */
export interface Diagnostic {
  severity: 'error' | 'warning';
  file: string;
  line: number;
  column: number;
  /** Field path in the file, e.g. `keys[0].models[1]`; empty for the whole file. */
  path: string;
  message: string;
  /** What to write instead. */
  hint?: string;
}

export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.path ? `${d.path}: ` : '';
  const head = `${d.file}:${d.line}:${d.column}: ${d.severity}: ${where}${d.message}`;
  return d.hint ? `${head}\n  hint: ${d.hint}` : head;
}

export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  // Thousands of diagnostics share a file: compare names only when they differ.
  return [...diagnostics].sort(
    (a, b) =>
      (a.file === b.file ? 0 : a.file.localeCompare(b.file)) ||
      a.line - b.line ||
      a.column - b.column ||
      (a.message === b.message ? 0 : a.message.localeCompare(b.message)),
  );
}

/** One-line quoted list: `"a", "b" or "c"`. */
export function quoteList(items: readonly string[], conjunction = 'or'): string {
  const quoted = items.map((i) => `"${i}"`);
  if (quoted.length <= 1) return quoted.join('');
  return `${quoted.slice(0, -1).join(', ')} ${conjunction} ${quoted.at(-1)}`;
}

// A file with thousands of problems is fixed a screenful at a time; printing them all helps nobody.
export const MAX_DIAGNOSTICS_PER_FILE = 50;
export const MAX_DIAGNOSTICS = 200;

/**
 * Keeps the first diagnostics of each file and of the whole run (input sorted), and says how many
 * more each file has in one closing diagnostic, so the output stays readable and bounded.
 */
export function capDiagnostics(
  sorted: readonly Diagnostic[],
  unlisted: ReadonlyMap<string, number> = new Map(),
  perFile = MAX_DIAGNOSTICS_PER_FILE,
  total = MAX_DIAGNOSTICS,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  let shown = 0;
  for (let i = 0; i < sorted.length;) {
    const file = sorted[i]!.file;
    let j = i;
    while (j < sorted.length && sorted[j]!.file === file) j++;
    const group = sorted.slice(i, j);
    const room = Math.max(0, Math.min(perFile, total - shown));
    const kept = group.slice(0, room);
    out.push(...kept);
    shown += kept.length;
    const rest = group.slice(room);
    // Problems found but never made into diagnostics (see validateSchema) are errors.
    const more = rest.length + (unlisted.get(file) ?? 0);
    if (more > 0) {
      const errors = rest.filter((d) => d.severity === 'error').length + (unlisted.get(file) ?? 0);
      const last = kept.at(-1) ?? rest[0] ?? group.at(-1)!;
      out.push({
        severity: errors > 0 ? 'error' : 'warning',
        file,
        line: last.line,
        column: last.column,
        path: '',
        message: `${more} more problem${more === 1 ? '' : 's'} in this file not shown (${errors} error${errors === 1 ? '' : 's'})`,
        hint: 'fix the ones above and run validate again',
      });
    }
    i = j;
  }
  return out;
}
