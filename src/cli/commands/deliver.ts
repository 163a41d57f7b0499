import { deliverConsoleKey, MAX_KEY_VALUE_LENGTH } from '../../app/deliver-console-key.js';
import { UserError } from '../../core/errors.js';
import { DEFAULT_BASE_URL } from '../../providers/groq/client.js';
import path from 'node:path';
import { SANDBOX_DELIVERIES } from '../../app/deliver-to-targets.js';
import { parseCommandArgs } from '../args.js';
import { checkSandboxUrl } from '../connect.js';
import { makeStyle, type Io } from '../io.js';
import { loadDesired, requireGroqOrganization } from '../policies-input.js';

export const deliverHelp = `Usage: groq-rbac deliver --key NAME [--policies DIR] [--base-url URL | --sandbox-url URL]

Delivers a key made by hand in the Groq Console to where the policies send it (GitHub secret,
Vault, file), exactly as apply delivers the keys it makes. The value is read from standard input,
never from an argument (arguments show in the process list and the shell's history):

  pbpaste | groq-rbac deliver --key chatbot-prod-web     # macOS; xclip -o / Get-Clipboard elsewhere
  groq-rbac deliver --key chatbot-prod-web               # on a terminal: paste, then Enter (not echoed)

First it checks the value with Groq (GET /openai/v1/models with it must answer 200), so a wrong
paste reaches nobody. The value never appears in any output. It does not prove the key belongs to
the key's project: \`groq-rbac verify --project NAME\` does.

Options:
  --key NAME       the policy key the value is for
  --policies DIR   the policies directory (default: policies)
  --base-url URL   API base URL (default: GROQ_BASE_URL, else ${DEFAULT_BASE_URL}); https, or http to this machine
  --sandbox-url URL  a groq-rbac sandbox on this machine: check the value there, and write GitHub and
                   Vault deliveries to files under .groq-rbac/deliveries/ instead of the real targets
  -h, --help       show this help

Environment: GITHUB_TOKEN, GITHUB_API_URL, VAULT_ADDR, VAULT_TOKEN, VAULT_NAMESPACE (as for apply).
Exit codes: 0 delivered, 1 error (nothing delivered, or delivery stopped part-way: see the message).
`;

export async function deliverCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('deliver', argv, {
    key: { type: 'string' },
    policies: { type: 'string', default: 'policies' },
    'base-url': { type: 'string' },
    'sandbox-url': { type: 'string' },
  });
  if (values.help) return (io.out(deliverHelp), 0);
  if (!values.key) throw new UserError('--key NAME is required: the policy key the value on standard input is for');
  const desired = loadDesired(values.policies, io);
  if (!desired) return 1;
  requireGroqOrganization(desired, 'deliver');
  if (!desired.keys.some((k) => k.name === values.key)) {
    const names = desired.keys.map((k) => k.name).sort();
    throw new UserError(
      `key "${values.key}" is in no policy under ${values.policies}: name one of ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''}; nothing was delivered`,
    );
  }
  if (!io.readSecret) throw new UserError('no standard input to read the key value from: pipe it in; nothing was delivered');
  const { text, terminal } = await io.readSecret(
    MAX_KEY_VALUE_LENGTH * 2,
    `Paste the value of "${values.key}" and press Enter (it is not shown): `,
  );
  if (text.trim() === '') {
    throw new UserError(
      terminal
        ? 'no key value was typed: paste the value the Console showed, then press Enter; nothing was delivered'
        : 'standard input is empty: pipe the key value in (e.g. `pbpaste | groq-rbac deliver --key NAME`), never pass it as an argument; nothing was delivered',
    );
  }
  const sandboxUrl = values['sandbox-url'];
  if (sandboxUrl !== undefined && values['base-url'] !== undefined)
    throw new UserError('--sandbox-url and --base-url exclude each other: pick one');
  if (sandboxUrl !== undefined) checkSandboxUrl(sandboxUrl);
  const { targets, project } = await deliverConsoleKey({
    desired,
    keyName: values.key,
    value: text,
    baseUrl: sandboxUrl ?? values['base-url'] ?? io.env.GROQ_BASE_URL ?? DEFAULT_BASE_URL,
    env: io.env,
    cwd: io.cwd,
    logger: io.logger,
    ...(sandboxUrl !== undefined ? { sandboxDeliveries: path.join(io.cwd, SANDBOX_DELIVERIES) } : {}),
  });
  const style = makeStyle(io.color);
  io.out(
    `${style.green('✓')} Groq accepts the value; delivered "${values.key}" (project "${project}") to ${targets.length} target${targets.length === 1 ? '' : 's'}:\n${targets.map((t) => `  - ${t}`).join('\n')}\n`,
  );
  return 0;
}
