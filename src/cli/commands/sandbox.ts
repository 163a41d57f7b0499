import { UserError } from '../../core/errors.js';
import { parseDuration } from '../../policy/duration.js';
import { DEFAULT_OWNER_EMAIL, isEmail } from '../../sandbox/members.js';
import { startSandbox } from '../../sandbox/server.js';
import { parseCommandArgs } from '../args.js';
import type { Io } from '../io.js';
import { OPENAI_SANDBOX_STATE, SANDBOX_STATE } from '../connect.js';

export const sandboxHelp = `Usage: groq-rbac sandbox [--provider groq|openai] [--host 127.0.0.1] [--port 8787|0] [--state FILE]
                         [--admin-key KEY] [--org-id ID] [--owner EMAIL] [--latency-ms 0] [--usage-lag 0s] [--spend-lag 0s]

Runs a stand-in Groq organization that speaks the contract in docs/groq-admin-api.md: projects,
their model permissions, rate limits and API keys, the spend limit and alerts, usage, costs and
the audit log; and inference with Groq's checks, error bodies and rate-limit headers.
With --provider openai it speaks OpenAI's Administration API instead (docs/openai-admin-api.md):
/v1/organization/..., service accounts that make sk-svcacct- keys, OpenAI's errors, /v1/chat/completions.
Members: users, invites and project users (owner, developer, reader; OpenAI's owner, reader and
project owner, member); the admin key belongs to the first owner (--owner).
Control it under /_sandbox/ (clock, faults, stats, reset, spend, rate_limits, info, invites/{id}/accept).
Stop it with Ctrl-C.

Options:
  --provider NAME    groq (contract v2, default) or openai (OpenAI's Administration API)
  --host HOST        address to listen on (default: 127.0.0.1)
  --port PORT        port, 0 for any free one (default: 8787)
  --state FILE       state file, kept across restarts (default: .groq-rbac/sandbox.json, with --provider
                     openai .groq-rbac/sandbox-openai.json, as --sandbox uses; "" for memory only)
  --admin-key KEY    admin key (default: GROQ_ADMIN_KEY, or OPENAI_ADMIN_KEY for openai, else one is generated and printed)
  --org-id ID        the organization's id (default: org_sandbox; org-sandbox for openai)
  --owner EMAIL      the first owner, whose the admin key is (default: owner@sandbox.example;
                     a state file that has members keeps its own)
  --latency-ms N     added latency per request (default: 0)
  --usage-lag D      how long last_used_at lags traffic, e.g. 30s (default: 0s)
  --spend-lag D      how long month-to-date spend lags traffic; Groq's is 10-15m (default: 0s)
  -h, --help         show this help
`;

/** `untilStopped` is called before the sandbox starts, so its signal handlers are in place before the first line is printed. */
export async function sandboxCommand(argv: string[], io: Io, untilStopped: () => Promise<void> = waitForSignal): Promise<number> {
  const { values } = parseCommandArgs('sandbox', argv, {
    provider: { type: 'string', default: 'groq' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '8787' },
    // No default here: each provider's sandbox has its own file, as --sandbox uses it.
    state: { type: 'string' },
    'admin-key': { type: 'string' },
    'org-id': { type: 'string' },
    owner: { type: 'string', default: DEFAULT_OWNER_EMAIL },
    'latency-ms': { type: 'string', default: '0' },
    'usage-lag': { type: 'string', default: '0s' },
    'spend-lag': { type: 'string', default: '0s' },
  });
  if (values.help) return (io.out(sandboxHelp), 0);
  const provider = values.provider;
  if (provider !== 'groq' && provider !== 'openai') throw new UserError(`--provider must be groq or openai, not "${provider}"`);
  const openai = provider === 'openai';
  // The file `plan --sandbox` uses for this provider: one state file holds one provider's organization.
  values.state ??= openai ? OPENAI_SANDBOX_STATE : SANDBOX_STATE;
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UserError(`--port must be a port number from 0 to 65535, not "${values.port}"`);
  const latencyMs = Number(values['latency-ms']);
  if (!Number.isFinite(latencyMs) || latencyMs < 0)
    throw new UserError(`--latency-ms must be a number of milliseconds, not "${values['latency-ms']}"`);
  const usageLag = parseDuration(values['usage-lag']);
  if (usageLag === null) throw new UserError(`--usage-lag must be a duration such as 30s or 5m, not "${values['usage-lag']}"`);
  const spendLag = parseDuration(values['spend-lag']);
  if (spendLag === null) throw new UserError(`--spend-lag must be a duration such as 15m, not "${values['spend-lag']}"`);
  const orgId = values['org-id'] ?? (openai ? 'org-sandbox' : 'org_sandbox');
  // OpenAI's organization ids are `org-…`; Groq's (assumed) `org_…`.
  if (!(openai ? /^org-[A-Za-z0-9_-]+$/ : /^org_[A-Za-z0-9_-]+$/).test(orgId))
    throw new UserError(`--org-id must look like ${openai ? 'org-' : 'org_'}…, not "${orgId}"`);
  const owner = values.owner;
  if (!isEmail(owner)) throw new UserError(`--owner must be an e-mail address such as ${DEFAULT_OWNER_EMAIL}, not "${owner}"`);
  const keyVar = openai ? 'OPENAI_ADMIN_KEY' : 'GROQ_ADMIN_KEY';
  const givenKey = values['admin-key'] ?? io.env[keyVar];
  // Listen for the stop signals before anything is printed: whoever reads the first line may stop us at once.
  const stopped = untilStopped();
  const sandbox = await startSandbox({
    provider,
    host: values.host,
    port,
    adminKey: givenKey,
    orgId,
    owner,
    latencyMs,
    usageLagSeconds: usageLag,
    spendLagSeconds: spendLag,
    ...(values.state ? { statePath: values.state } : {}),
  });
  io.out(`groq-rbac sandbox listening on ${sandbox.url}\n`);
  const url = `${sandbox.url}${openai ? '/v1' : ''}`;
  const baseVar = openai ? 'OPENAI_BASE_URL' : 'GROQ_BASE_URL';
  // The safe way first: only the flag keeps sandbox keys local (groq-rbac never takes a server's word
  // that it is a sandbox), so GitHub and Vault deliveries go to files under .groq-rbac/deliveries/.
  io.out(`Point the CLI at it (GitHub and Vault deliveries then go to files under .groq-rbac/deliveries/):\n`);
  if (!givenKey) io.out(`  export ${keyVar}=${sandbox.adminKey}   # generated for this run\n`);
  else io.out(`  export ${keyVar}=…   # the admin key you gave\n`);
  io.out(
    `  npx groq-rbac plan --sandbox-url ${url}${openai ? ' --policies examples/openai   # policies whose org.yaml says provider: openai' : ''}\n`,
  );
  io.out(`Through \`export ${baseVar}=${url}\` alone, deliveries go to their real targets.\n`);
  const keyOwner = sandbox.state.members.adminUser();
  io.out(
    `State: ${values.state || 'memory only'}. Organization: ${orgId}. Admin key's owner: ${keyOwner ? keyOwner.email : 'removed'}. Stop with Ctrl-C.\n`,
  );
  await stopped;
  await sandbox.close();
  io.err(values.state ? `sandbox stopped; state saved in ${values.state}.\n` : 'sandbox stopped.\n');
  return 0;
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
