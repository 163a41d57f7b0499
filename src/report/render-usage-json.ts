import { redactSecrets } from '../core/redact.js';
import type { UsageReport } from './types.js';

/** The report as documented in docs/usage-format.md (`format_version` 1). */
export function renderUsageJson(report: UsageReport): string {
  return redactSecrets(`${JSON.stringify(report, null, 2)}\n`);
}
