/**
 * Every provider's declared capabilities, by the name org.yaml's `provider:` gives it: a static
 * table, so that `validate` checks the policies against the provider with no network and no
 * provider code loaded (src/policy/capabilities.ts does the checking, in one place). Each
 * provider's port (`ProviderAdmin.capabilities`) is its entry here; a unit test keeps them equal.
 */
import { GROQ_MEMBERS, OPENAI_MEMBERS } from './members.js';
import type { Capabilities } from './provider.js';

/** Groq's organization contract v2 (docs/groq-admin-api.md). */
const GROQ: Capabilities = {
  // `max_requests_per_1_minute`, `max_tokens_per_1_minute`, `max_requests_per_1_day`, `max_tokens_per_1_day`.
  limitFields: ['requests_per_minute', 'tokens_per_minute', 'requests_per_day', 'tokens_per_day'],
  orgModelPermissions: true,
  orgSpending: true,
  projectSpending: false,
  keyMetadata: true,
  idempotentCreates: true,
  usagePerKey: true,
  // Contract v2.1 "Members": users, invites, project users with Groq's three roles (assumed for Groq).
  members: true,
  memberCapabilities: GROQ_MEMBERS,
};

/**
 * OpenAI's Administration API (issue 18; docs/openai-admin-api.md): project rate limits with
 * `max_requests_per_1_minute`, `max_tokens_per_1_minute`, `max_requests_per_1_day`,
 * `max_images_per_1_minute`, `max_audio_megabytes_per_1_minute`, `batch_1_day_max_input_tokens`
 * (no tokens per day); model permissions per project only; spend limits and alerts for the
 * organization and each project; service accounts instead of key metadata; no Idempotency-Key;
 * usage per key.
 */
const OPENAI: Capabilities = {
  limitFields: [
    'requests_per_minute',
    'tokens_per_minute',
    'requests_per_day',
    'images_per_minute',
    'audio_megabytes_per_minute',
    'batch_input_tokens_per_day',
  ],
  orgModelPermissions: false,
  orgSpending: true,
  projectSpending: true,
  keyMetadata: false,
  idempotentCreates: false,
  usagePerKey: true,
  // Users, invites and project users (openai-node `admin/organization/users`, `invites`, `projects/users`).
  members: true,
  memberCapabilities: OPENAI_MEMBERS,
};

export const PROVIDER_CAPABILITIES = {
  groq: GROQ,
  // Groq changed by hand in the Console (groq-rbac runbook): the same organization, the same fields.
  'groq-console': GROQ,
  openai: OPENAI,
} as const satisfies Record<string, Capabilities>;

export type ProviderName = keyof typeof PROVIDER_CAPABILITIES;
export const PROVIDER_NAMES = Object.keys(PROVIDER_CAPABILITIES) as ProviderName[];

/** What people call each provider in messages. */
export const PROVIDER_TITLES: Record<ProviderName, string> = { groq: 'Groq', 'groq-console': 'Groq', openai: 'OpenAI' };

export function capabilitiesFor(provider: string): Capabilities {
  const found = (PROVIDER_CAPABILITIES as Record<string, Capabilities | undefined>)[provider];
  if (!found) throw new Error(`unknown provider "${provider}"`);
  return found;
}
