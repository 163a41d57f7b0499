import { canonicalDigest } from '../core/canonical-json.js';
import type { Change } from './types.js';

/**
 * The fingerprint covers what would change and where: never timestamps, advisory warnings, or a
 * change's `context` (key counts, last use), which move with traffic and time; nor time-driven
 * rotation steps (due by age, retiring once quiet), so an approved plan stays valid for days.
 */
export function fingerprintChanges(
  org: string,
  changes: readonly Change[],
  rotation: readonly unknown[] = [],
  members: readonly unknown[] = [],
): string {
  const stable = changes
    .filter((c) => !(c.resource === 'api_key' && c.rotation?.time_driven))
    .map(({ context: _context, ...rest }) => rest);
  // Each key's rotation settings are approved with the plan (rotation.ts `rotationSettings`); member
  // changes (plan-members.ts `memberFingerprintInput`) too, only where there are any, so that a plan
  // without them keeps the fingerprint it had before members were planned.
  return canonicalDigest({
    org,
    changes: stable,
    ...(rotation.length > 0 ? { rotation } : {}),
    ...(members.length > 0 ? { members } : {}),
  });
}
