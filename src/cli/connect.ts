import path from 'node:path';
import { UserError } from '../core/errors.js';
import { SANDBOX_DELIVERIES as SANDBOX_DELIVERIES_DIR } from '../app/deliver.js';
import { openSession, type OrgSession } from '../app/session.js';
import { DEFAULT_BASE_URL } from '../groq/client.js';
import { startSandbox } from '../sandbox/server.js';
import { parsePositiveInt } from './args.js';
import type { Io } from './io.js';

export const SANDBOX_STATE = path.join('.groq-rbac', 'sandbox.json');
export { SANDBOX_DELIVERIES } from '../app/deliver.js';

/** Connects to the organization: the embedded sandbox with --sandbox, else GROQ_BASE_URL with GROQ_ADMIN_KEY. */
export async function connect(values: { sandbox?: boolean; 'base-url'?: string; concurrency?: string }, io: Io, orgId: string): Promise<OrgSession> {
  const concurrency = parsePositiveInt('concurrency', values.concurrency, 8);
  if (values.sandbox) {
    if (values['base-url']) throw new UserError('--sandbox and --base-url exclude each other: pick one');
    // The embedded sandbox stands in for the organization the policies govern; state persists between runs.
    const sandbox = await startSandbox({ host: '127.0.0.1', port: 0, statePath: path.join(io.cwd, SANDBOX_STATE), orgId });
    const session = openSession({ baseUrl: sandbox.url, adminKey: sandbox.adminKey, concurrency, logger: io.logger, target: `the sandbox (state in ${SANDBOX_STATE})` });
    return {
      ...session,
      sandboxDeliveries: path.join(io.cwd, SANDBOX_DELIVERIES_DIR),
      async close() {
        await session.close();
        await sandbox.close();
      },
    };
  }
  const adminKey = io.env.GROQ_ADMIN_KEY;
  if (!adminKey) throw new UserError('GROQ_ADMIN_KEY is not set: export an admin key for your organization, or add --sandbox to use the built-in sandbox');
  const baseUrl = values['base-url'] ?? io.env.GROQ_BASE_URL ?? DEFAULT_BASE_URL;
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new UserError(`the base URL "${baseUrl}" is not a URL: write it as https://host[:port]`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UserError(`the base URL "${baseUrl}" is not http(s): write it as https://host[:port]`);
  return openSession({ baseUrl, adminKey, concurrency, logger: io.logger });
}

