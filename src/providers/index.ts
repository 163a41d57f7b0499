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
import { DEFAULT_BASE_URL as OPENAI_BASE_URL } from './openai/client.js';
import { OpenAiProvider } from './openai/provider.js';

export interface ProviderEntry {
  name: string;
  /** Where its admin API is, unless --base-url or `baseUrlEnv` says otherwise. */
  defaultBaseUrl: string;
  adminKeyEnv: string;
  baseUrlEnv: string;
  /** `orgId`: org.yaml's `org:`; OpenAI sends it as `OpenAI-Organization` on every call, so OpenAI enforces it. */
  open(options: { baseUrl: string; adminKey: string; logger: Logger; orgId?: string }): ProviderAdmin;
  /** Where a sandbox serving this provider answers, from the URL it prints. */
  sandboxBase(url: string): string;
}

const GROQ: ProviderEntry = {
  name: 'groq',
  defaultBaseUrl: GROQ_BASE_URL,
  adminKeyEnv: 'GROQ_ADMIN_KEY',
  baseUrlEnv: 'GROQ_BASE_URL',
  open: (o) => new GroqProvider(new GroqClient({ baseUrl: o.baseUrl, adminKey: o.adminKey, logger: o.logger })),
  sandboxBase: (url) => url,
};

/** OpenAI's Administration API (src/providers/openai/README.md); its sandbox serves it under /v1. */
const OPENAI: ProviderEntry = {
  name: 'openai',
  defaultBaseUrl: OPENAI_BASE_URL,
  adminKeyEnv: 'OPENAI_ADMIN_KEY',
  baseUrlEnv: 'OPENAI_BASE_URL',
  open: (o) => {
    if (!o.orgId)
      throw new UserError(
        'the OpenAI provider needs the organization id (org: in org.yaml, such as org-abc123): OpenAI checks it against the admin key',
      );
    return new OpenAiProvider({ baseUrl: o.baseUrl, adminKey: o.adminKey, organization: o.orgId, logger: o.logger });
  },
  sandboxBase: (url) => (/\/v1\/?$/.test(url) ? url.replace(/\/$/, '') : `${url.replace(/\/$/, '')}/v1`),
};

/**
 * The provider for org.yaml's `provider:`. `groq-console` has no admin API (changed by hand): its
 * plan reads nothing, so only its capabilities apply (core/capabilities.ts).
 */
export function providerFor(name: string): ProviderEntry {
  capabilitiesFor(name);
  if (name === 'groq') return GROQ;
  if (name === 'openai') return OPENAI;
  throw new UserError(
    `provider "${name}" cannot be reached through an admin API from this build${name === 'groq-console' ? ': its organization is changed by hand (groq-rbac runbook)' : ''}`,
  );
}

export { capabilitiesFor } from '../core/capabilities.js';
