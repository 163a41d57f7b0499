import type { Logger } from '../core/log.js';
import type { ProviderAdmin } from '../core/provider.js';
import { redactKeyValue, registerSecret } from '../core/redact.js';
import { providerFor } from '../providers/index.js';

/** A connection to one organization, for the length of a command. */
export interface OrgSession {
  /** The organization through the provider port: nothing here knows whose API answers. */
  admin: ProviderAdmin;
  /** The admin key in `redacted_value` form, to keep plans from deleting it. */
  adminKeyRedacted: string | null;
  /** Where we are connected, for messages. */
  target: string;
  concurrency: number;
  /** The built-in sandbox: GitHub and Vault deliveries go to files under this folder instead. */
  sandboxDeliveries?: string;
  close(): Promise<void>;
}

/** A session against a provider's admin API (default Groq). The admin key is registered for redaction before any request. */
export function openSession(options: {
  provider?: string;
  orgId?: string;
  baseUrl: string;
  adminKey: string;
  concurrency: number;
  logger: Logger;
  target?: string;
}): OrgSession {
  registerSecret(options.adminKey);
  const admin = providerFor(options.provider ?? 'groq').open({
    baseUrl: options.baseUrl,
    adminKey: options.adminKey,
    logger: options.logger,
    ...(options.orgId !== undefined ? { orgId: options.orgId } : {}),
  });
  return {
    admin,
    adminKeyRedacted: options.adminKey.startsWith('gsk_') ? redactKeyValue(options.adminKey) : null,
    target: options.target ?? new URL(options.baseUrl).host,
    concurrency: options.concurrency,
    close: async () => admin.close?.(),
  };
}
