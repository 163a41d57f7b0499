import { registerSecret } from '../core/redact.js';
import { redactKeyValue } from '../core/redact.js';
import type { Logger } from '../core/log.js';
import { GroqClient } from '../providers/groq/client.js';
import type { GroqAdmin } from '../providers/groq/admin.js';

/** A connection to one organization, for the length of a command. */
export interface OrgSession {
  admin: GroqAdmin;
  /** The admin key in `redacted_value` form, to keep plans from deleting it. */
  adminKeyRedacted: string | null;
  /** Where we are connected, for messages. */
  target: string;
  concurrency: number;
  /** The built-in sandbox: GitHub and Vault deliveries go to files under this folder instead. */
  sandboxDeliveries?: string;
  close(): Promise<void>;
}

/** A session against a Groq-compatible API. The admin key is registered for redaction before any request. */
export function openSession(options: { baseUrl: string; adminKey: string; concurrency: number; logger: Logger; target?: string }): OrgSession {
  registerSecret(options.adminKey);
  const client = new GroqClient({ baseUrl: options.baseUrl, adminKey: options.adminKey, logger: options.logger });
  return {
    admin: client,
    adminKeyRedacted: options.adminKey.startsWith('gsk_') ? redactKeyValue(options.adminKey) : null,
    target: options.target ?? new URL(options.baseUrl).host,
    concurrency: options.concurrency,
    close: () => client.close(),
  };
}
