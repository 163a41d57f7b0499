import type { ApiKey } from '../groq/types.js';
import type { ModelCatalogue } from '../policy/models.js';
import type { DesiredKey, DesiredState } from '../policy/types.js';
import type { KeyChange, Warning } from './types.js';

const DAY = 86_400;
export const RETIRING_WITHIN_DAYS = 30;
export const UNUSED_AFTER_DAYS = 30;
export const LIMIT_RAISE_FACTOR = 10;

/** Advice for the reviewer; never blocks an apply. */
export function planWarnings(input: { desired: DesiredState; matched: { desired: DesiredKey; live: ApiKey }[]; changes: readonly KeyChange[]; now: number; catalogue: ModelCatalogue }): Warning[] {
  const { desired, matched, changes, now, catalogue } = input;
  const warnings: Warning[] = [];
  for (const retiring of catalogue.deprecated) {
    const shutdown = Date.parse(`${retiring.shutdown_date}T00:00:00Z`) / 1000;
    const days = Math.ceil((shutdown - now) / DAY);
    if (days < 0 || days > RETIRING_WITHIN_DAYS) continue;
    const users = desired.keys.filter((k) => k.models?.includes(retiring.id)).map((k) => k.name);
    if (users.length === 0) continue;
    warnings.push({
      code: 'model_retiring',
      message: `model "${retiring.id}" shuts down on ${retiring.shutdown_date} (in ${days} day${days === 1 ? '' : 's'}); used by ${users.join(', ')}${retiring.replacement ? `; move to "${retiring.replacement}"` : ''}`,
    });
  }
  for (const { desired: key, live } of matched) {
    const since = live.last_used_at ?? live.created_at;
    const idle = Math.floor((now - since) / DAY);
    if (idle >= UNUSED_AFTER_DAYS) {
      warnings.push({ code: 'key_unused', key: key.name, message: `key "${key.name}" has not been used for ${idle} days${live.last_used_at === null ? ' (never used)' : ''}; consider removing it` });
    }
  }
  for (const c of changes) {
    for (const f of c.fields) {
      if (typeof f.before === 'number' && typeof f.after === 'number' && f.after > f.before * LIMIT_RAISE_FACTOR) {
        warnings.push({ code: 'limit_raised', key: c.key, message: `key "${c.key}": ${f.field} rises ${Math.round(f.after / f.before)}× (${f.before} → ${f.after})` });
      }
    }
  }
  return warnings;
}
