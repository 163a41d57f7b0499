import { redactSecrets } from '../core/redact.js';
import type { Plan } from './types.js';

/**
 * The documented, versioned JSON shape (docs/plan-format.md); also the file `apply --plan` reads.
 * Top-level fields in the documented order, whatever order the plan was built in.
 */
export function renderPlanJson(plan: Plan): string {
  const { format_version, org, generated_at, fingerprint, summary, changes, unmanaged, pending, warnings, refusals } = plan;
  const ordered: Plan = {
    format_version,
    org,
    generated_at,
    fingerprint,
    summary,
    changes,
    unmanaged,
    pending: pending ?? [],
    warnings,
    refusals,
    ...(plan.members ? { members: plan.members } : {}),
  };
  // Redaction is the caller's job; this is the last line of defence. `gsk_[REDACTED]` needs no JSON escaping.
  return redactSecrets(`${JSON.stringify(ordered, null, 2)}\n`);
}
