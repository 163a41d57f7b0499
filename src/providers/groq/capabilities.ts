/**
 * What Groq's organization contract v2 (docs/groq-admin-api.md) can do, declared as octoDNS
 * providers declare `SUPPORTS_*`; src/policy/capabilities.ts turns a policy field it lacks into an
 * error or a warning in one place.
 */
import type { Capabilities } from '../../core/provider.js';

export const GROQ_CAPABILITIES: Capabilities = {
  // `max_requests_per_1_minute`, `max_tokens_per_1_minute`, `max_requests_per_1_day`, `max_tokens_per_1_day`.
  limitFields: ['requests_per_minute', 'tokens_per_minute', 'requests_per_day', 'tokens_per_day'],
  orgModelPermissions: true,
  orgSpending: true,
  projectSpending: false,
  keyMetadata: true,
  idempotentCreates: true,
  usagePerKey: true,
  members: false,
};
