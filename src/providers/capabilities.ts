/**
 * Every provider's declared capabilities by the name org.yaml's `provider:` gives it, with nothing
 * else of the provider loaded: `validate` checks policies against them with no network and no HTTP
 * client (src/policy/capabilities.ts does the checking, in one place).
 */
import type { Capabilities } from '../core/provider.js';
import { GROQ_CAPABILITIES } from './groq/capabilities.js';

/**
 * OpenAI's Administration API (issue 18; docs/openai-admin-api.md): per-project rate limits with
 * `max_requests_per_1_minute`, `max_tokens_per_1_minute`, `max_requests_per_1_day`,
 * `max_images_per_1_minute`, `max_audio_megabytes_per_1_minute`, `batch_1_day_max_input_tokens`
 * (no tokens per day); model permissions per project only; spend limits and alerts for the
 * organization and each project; service accounts instead of key metadata; no Idempotency-Key;
 * usage per key. Declared here until src/providers/openai/ declares its own (then import it).
 */
export const OPENAI_CAPABILITIES: Capabilities = {
  limitFields: ['requests_per_minute', 'tokens_per_minute', 'requests_per_day', 'images_per_minute', 'audio_megabytes_per_minute', 'batch_input_tokens_per_day'],
  orgModelPermissions: false,
  orgSpending: true,
  projectSpending: true,
  keyMetadata: false,
  idempotentCreates: false,
  usagePerKey: true,
  members: false,
};

export const PROVIDER_NAMES = ['groq', 'groq-console', 'openai'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** `groq-console` is Groq changed by hand: the same policy language as `groq`. */
const TABLE: Record<ProviderName, Capabilities> = { groq: GROQ_CAPABILITIES, 'groq-console': GROQ_CAPABILITIES, openai: OPENAI_CAPABILITIES };

export function capabilitiesFor(provider: string): Capabilities {
  const found = (TABLE as Record<string, Capabilities | undefined>)[provider];
  if (!found) throw new Error(`unknown provider "${provider}"`);
  return found;
}
