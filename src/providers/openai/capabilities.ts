/**
 * What OpenAI's Administration API can do, declared (docs/openai-admin-api.md): the capability check
 * turns a policy field outside these into an error (or a warning) at its location.
 */
import type { Capabilities } from '../../core/provider.js';

export const OPENAI_CAPABILITIES: Capabilities = Object.freeze({
  /** The six fields of `ProjectRateLimit` (SDK `projects/rate-limits.ts`): no tokens per day. */
  limitFields: Object.freeze(['requests_per_minute', 'tokens_per_minute', 'requests_per_day', 'images_per_minute', 'audio_megabytes_per_minute', 'batch_input_tokens_per_day'] as const),
  /** Model permissions exist per project only: org `models` is a ceiling folded into each project. */
  orgModelPermissions: false,
  orgSpending: true,
  projectSpending: true,
  /** No key metadata: marks live in the service account's name (bookkeeping.ts). */
  keyMetadata: false,
  /** No Idempotency-Key: a lost create is recovered by listing (keys.ts). */
  idempotentCreates: false,
  /** Usage `group_by[]=api_key_id` and `api_key_ids[]` (SDK `usage.ts`), and `last_used_at`. */
  usagePerKey: true,
  /** Users, invites and project users exist (SDK) but are not managed yet (issue 20). */
  members: false,
});
