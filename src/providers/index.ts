/**
 * The provider registry: from org.yaml's `provider:` to the port (core/provider.ts) that app/, the
 * CLI and the Action use. Only this module and each provider's folder know which providers exist.
 */
import { UserError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { ProviderAdmin } from '../core/provider.js';
import { capabilitiesFor } from '../core/capabilities.js';
import { DEFAULT_BASE_URL as GROQ_BASE_URL, GroqClient } from './groq/client.js';
import { GroqProvider } from './groq/write.js';

export interface ProviderEntry {
  name: string;
  /** Where its admin API is, unless --base-url or `baseUrlEnv` says otherwise. */
  defaultBaseUrl: string;
  adminKeyEnv: string;
  baseUrlEnv: string;
  open(options: { baseUrl: string; adminKey: string; logger: Logger }): ProviderAdmin;
}

const GROQ: ProviderEntry = {
  name: 'groq', defaultBaseUrl: GROQ_BASE_URL, adminKeyEnv: 'GROQ_ADMIN_KEY', baseUrlEnv: 'GROQ_BASE_URL',
  open: (o) => new GroqProvider(new GroqClient({ baseUrl: o.baseUrl, adminKey: o.adminKey, logger: o.logger })),
};

/**
 * The provider for org.yaml's `provider:`. `groq-console` has no admin API (changed by hand): its
 * plan reads nothing, so only its capabilities apply (core/capabilities.ts).
 */
export function providerFor(name: string): ProviderEntry {
  capabilitiesFor(name);
  if (name === 'groq') return GROQ;
  throw new UserError(`provider "${name}" cannot be reached through an admin API from this build${name === 'groq-console' ? ': its organization is changed by hand (groq-rbac runbook)' : ''}`);
}

export { capabilitiesFor } from '../core/capabilities.js';
