import path from 'node:path';
import { UserError } from '../core/errors.js';
import { checkSecureUrl, isLoopbackHost } from '../core/secure-url.js';
import { SANDBOX_DELIVERIES as SANDBOX_DELIVERIES_DIR } from '../app/deliver-to-targets.js';
import { openSession, type OrgSession } from '../app/session.js';
import { providerFor } from '../providers/index.js';
import { startSandbox } from '../sandbox/server.js';
import { parsePositiveInt } from './args.js';
import type { Io } from './io.js';

export const SANDBOX_STATE = path.join('.groq-rbac', 'sandbox.json');
/** The OpenAI sandbox keeps its own state: one state file holds one provider's organization. */
export const OPENAI_SANDBOX_STATE = path.join('.groq-rbac', 'sandbox-openai.json');
export { SANDBOX_DELIVERIES } from '../app/deliver-to-targets.js';

/**
 * Connects to the organization: the embedded sandbox with --sandbox, a sandbox already running on
 * this machine with --sandbox-url, else the provider's base URL (--base-url, else GROQ_BASE_URL or
 * OPENAI_BASE_URL, else its public API) with its admin key (GROQ_ADMIN_KEY or OPENAI_ADMIN_KEY).
 * `provider` is org.yaml's `provider:` (default groq).
 *
 * Only the first two divert GitHub and Vault deliveries to files under SANDBOX_DELIVERIES: this
 * process started the sandbox itself, or was told so by a flag whose URL is on this machine. What a
 * server answers never decides it (any server could claim to be a sandbox and so keep new keys from
 * their real targets), so a --base-url that happens to be a sandbox is an organization like any other.
 */
export async function connect(
  values: { sandbox?: boolean; 'sandbox-url'?: string; 'base-url'?: string; concurrency?: string },
  io: Io,
  orgId: string,
  provider = 'groq',
): Promise<OrgSession> {
  // groq-console is Groq's organization changed by hand: what is read of it is read as before, from Groq.
  const entry = providerFor(provider === 'groq-console' ? 'groq' : provider);
  const concurrency = parsePositiveInt('concurrency', values.concurrency, 8);
  const sandboxDeliveries = path.join(io.cwd, SANDBOX_DELIVERIES_DIR);
  if (values.sandbox) {
    if (values['base-url'] || values['sandbox-url'])
      throw new UserError(`--sandbox and ${values['base-url'] ? '--base-url' : '--sandbox-url'} exclude each other: pick one`);
    // The embedded sandbox stands in for the organization the policies govern; state persists between runs.
    const openai = entry.name === 'openai';
    const state = openai ? OPENAI_SANDBOX_STATE : SANDBOX_STATE;
    const sandbox = await startSandbox({
      ...(openai ? { provider: 'openai' as const } : {}),
      host: '127.0.0.1',
      port: 0,
      statePath: path.join(io.cwd, state),
      orgId,
    });
    const session = openSession({
      provider: entry.name,
      orgId,
      baseUrl: entry.sandboxBase(sandbox.url),
      adminKey: sandbox.adminKey,
      concurrency,
      logger: io.logger,
      target: `the ${openai ? 'OpenAI ' : ''}sandbox (state in ${state})`,
    });
    return {
      ...session,
      sandboxDeliveries,
      async close() {
        await session.close();
        await sandbox.close();
      },
    };
  }
  const keyEnv = entry.adminKeyEnv;
  const adminKey = io.env[keyEnv];
  const sandboxUrl = values['sandbox-url'];
  if (sandboxUrl !== undefined) {
    if (values['base-url'])
      throw new UserError('--sandbox-url and --base-url exclude each other: --sandbox-url URL is the sandbox to use; drop --base-url');
    const url = checkSandboxUrl(sandboxUrl);
    if (!adminKey)
      throw new UserError(
        `${keyEnv} is not set: export the admin key the sandbox at ${url.origin} printed when it started (or its --admin-key)`,
      );
    return {
      ...openSession({
        provider: entry.name,
        orgId,
        baseUrl: entry.sandboxBase(sandboxUrl),
        adminKey,
        concurrency,
        logger: io.logger,
        target: `the sandbox at ${url.host}`,
      }),
      sandboxDeliveries,
    };
  }
  if (!adminKey)
    throw new UserError(`${keyEnv} is not set: export an admin key for your organization, or add --sandbox to use the built-in sandbox`);
  const baseEnv = entry.baseUrlEnv;
  const baseUrl = values['base-url'] ?? io.env[baseEnv] ?? entry.defaultBaseUrl;
  // https, or http only to this machine, checked before any request (the client checks again).
  checkSecureUrl(
    baseUrl,
    'the base URL',
    `write it as https://host[:port]${values['base-url'] !== undefined ? ' in --base-url' : io.env[baseEnv] !== undefined ? ` in ${baseEnv}` : ''}; for a sandbox on this machine use --sandbox-url http://127.0.0.1:PORT`,
  );
  return openSession({ provider: entry.name, orgId, baseUrl, adminKey, concurrency, logger: io.logger });
}

/** A --sandbox-url: a URL on this machine (127.0.0.0/8, ::1, localhost), where `groq-rbac sandbox` serves. */
export function checkSandboxUrl(raw: string): URL {
  const url = checkSecureUrl(raw, '--sandbox-url', 'give the URL `groq-rbac sandbox` printed, e.g. http://127.0.0.1:8787');
  if (!isLoopbackHost(url.hostname)) {
    throw new UserError(
      `--sandbox-url "${url.origin}" is not on this machine: a sandbox is always on 127.0.0.1, ::1 or localhost (\`groq-rbac sandbox\` prints its URL). For a real organization use --base-url, and its keys go to their real targets`,
    );
  }
  return url;
}
