import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/canonical-json.js';
import type { Change } from './types.js';

/**
 * The fingerprint covers what would change and where: never timestamps, advisory warnings, or a
 * change's `context` (key counts, last use), which move with traffic and time.
 */
export function fingerprintChanges(org: string, changes: readonly Change[]): string {
  const stable = changes.map(({ context: _context, ...rest }) => rest);
  return createHash('sha256').update(canonicalJson({ org, changes: stable })).digest('hex');
}
