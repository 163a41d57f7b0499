import path from 'node:path';
import { redactSecrets } from '../core/redact.js';
import { oneLine, sanitizeText } from '../core/sanitize.js';
import type { Diagnostic } from '../policy/diagnostics.js';

export interface AnnotationProperties {
  title: string;
  file: string;
  startLine: number;
  startColumn: number;
}

/** What `core.error` and `core.warning` take; passed in so this stays testable without the runner. */
export interface Annotator {
  error(message: string, properties: AnnotationProperties): void;
  warning(message: string, properties: AnnotationProperties): void;
}

/**
 * Marks each diagnostic on its file and line in the pull request's diff. Paths are made relative to
 * the workspace (the repository root), which is how GitHub matches them to the diff. GitHub shows
 * the first ten of each kind per step; the comment and the log list them all.
 */
export function annotateDiagnostics(
  diagnostics: readonly Diagnostic[],
  annotator: Annotator,
  options: { cwd: string; workspace: string },
): number {
  let shown = 0;
  for (const d of diagnostics) {
    const absolute = path.resolve(options.cwd, d.file);
    // A file's name and its text are a writer's: control characters shown escaped (core escapes `%`, `:`, `,` and newlines).
    const file = oneLine(path.relative(options.workspace, absolute).split(path.sep).join('/'));
    const where = d.path ? `${d.path}: ` : '';
    const message = sanitizeText(redactSecrets(`${where}${d.message}${d.hint ? `\nhint: ${d.hint}` : ''}`));
    const properties = {
      title: `groq-rbac: ${d.severity === 'error' ? 'invalid policy' : 'policy warning'}`,
      file,
      startLine: Math.max(1, d.line),
      startColumn: Math.max(1, d.column),
    };
    if (d.severity === 'error') annotator.error(message, properties);
    else annotator.warning(message, properties);
    shown += 1;
  }
  return shown;
}
