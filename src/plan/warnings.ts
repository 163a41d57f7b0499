import type { DomainLiveState as LiveState, LiveKey } from '../core/domain.js';
import type { ModelCatalogue } from '../core/models.js';
import type { DesiredKey, DesiredState } from '../policy/types.js';
import type { Change, Warning } from './types.js';

const DAY = 86_400;
export const RETIRING_WITHIN_DAYS = 30;
export const UNUSED_AFTER_DAYS = 30;
export const LIMIT_RAISE_FACTOR = 10;

/** Advice for the reviewer; never blocks an apply. */
export function planWarnings(input: {
  desired: DesiredState;
  live: LiveState;
  matched: { desired: DesiredKey; live: LiveKey }[];
  changes: readonly Change[];
  now: number;
  catalogue: ModelCatalogue;
}): Warning[] {
  const { desired, matched, changes, now, catalogue } = input;
  const warnings: Warning[] = [];
  for (const retiring of catalogue.deprecated) {
    const shutdown = Date.parse(`${retiring.shutdown_date}T00:00:00Z`) / 1000;
    const days = Math.ceil((shutdown - now) / DAY);
    if (days < 0 || days > RETIRING_WITHIN_DAYS) continue;
    const users = desired.projects
      .filter((p) => p.models?.mode === 'allow_list' && p.models.models.includes(retiring.id))
      .map((p) => p.name);
    if (users.length === 0) continue;
    warnings.push({
      code: 'model_retiring',
      message: `model "${retiring.id}" shuts down on ${retiring.shutdown_date} (in ${days} day${days === 1 ? '' : 's'}); allowed in ${users.join(', ')}${retiring.replacement ? `; move to "${retiring.replacement}"` : ''}`,
    });
  }
  for (const { desired: key, live } of matched) {
    const since = live.last_used_at ?? live.created_at;
    const idle = Math.floor((now - since) / DAY);
    if (idle >= UNUSED_AFTER_DAYS) {
      warnings.push({
        code: 'key_unused',
        project: key.project,
        key: key.name,
        message: `key "${key.name}" has not been used for ${idle} days${live.last_used_at === null ? ' (never used)' : ''}; consider removing it`,
      });
    }
  }
  const byName = new Map(desired.keys.map((k) => [k.name, k]));
  for (const c of changes) {
    if (c.resource === 'project_rate_limit') {
      for (const f of c.fields) {
        if (typeof f.before === 'number' && typeof f.after === 'number' && f.after > f.before * LIMIT_RAISE_FACTOR) {
          warnings.push({
            code: 'limit_raised',
            project: c.project,
            message: `project "${c.project}": ${f.field} for ${c.model} rises ${Math.round(f.after / f.before)}× (${f.before} → ${f.after})`,
          });
        }
      }
    }
    if (c.resource === 'api_key' && c.action === 'create' && (byName.get(c.key)?.rotation.deliver.length ?? 0) === 0) {
      warnings.push({
        code: 'no_delivery_target',
        project: c.project,
        key: c.key,
        message: `key "${c.key}" has no delivery target: its value would be kept nowhere; add rotation.deliver (github, vault or file)`,
      });
    }
  }
  return warnings;
}

/**
 * A spend limit set below what the organization has already spent this month blocks every key
 * (`blocked_api_access`) until the month turns. `monthToDateUsd` is read only when the plan sets one.
 */
export function spendLimitWarning(changes: readonly Change[], monthToDateUsd: number, monthTurns: string): Warning | null {
  const limit = changes.find((c) => c.resource === 'spend_limit' && c.after !== null);
  if (!limit || limit.resource !== 'spend_limit' || !limit.after || limit.after.monthly_cap_usd > monthToDateUsd) return null;
  return {
    code: 'spend_limit_below_spend',
    message: `the spend limit of ${limit.after.monthly_cap_usd} USD is at or below this month's spend so far (${monthToDateUsd.toFixed(2)} USD): every key in the organization will be refused (blocked_api_access) until ${monthTurns}`,
  };
}

/** Whether the plan sets a spend limit: only then is the month's spend worth reading. */
export function setsSpendLimit(changes: readonly Change[]): boolean {
  return changes.some((c) => c.resource === 'spend_limit' && c.after !== null);
}
