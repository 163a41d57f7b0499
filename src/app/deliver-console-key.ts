import type { CreatedKey } from '../core/provider.js';
import { UserError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { registerSecret } from '../core/redact.js';
import { checkSecureUrl } from '../core/secure-url.js';
import { GroqClient } from '../providers/groq/client.js';
import { GroqApiError } from '../providers/groq/errors.js';
import { deliveryLabel } from '../plan/rotation.js';
import type { KeyChange } from '../plan/types.js';
import type { DesiredState } from '../policy/types.js';
import { deliverToTargets } from './deliver-to-targets.js';

// A Groq key is `gsk_` and some 52 characters; anything much longer is not one key.
export const MAX_KEY_VALUE_LENGTH = 512;

/**
 * `groq-rbac deliver --key NAME`: a key a person made in the Console goes where the policies send
 * it, exactly as `apply` delivers the keys it makes (the same targets, in order, with the same
 * failure rules). First the value is checked against Groq: `GET /openai/v1/models` with it must
 * answer 200, so a mistyped or stale paste reaches nobody. The value lives only in memory.
 */
export async function deliverConsoleKey(input: {
  desired: DesiredState;
  keyName: string;
  value: string;
  baseUrl: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  logger: Logger;
  maskSecret?: (value: string) => void;
  /** `--sandbox-url`: GitHub and Vault deliveries go to files here instead. */ sandboxDeliveries?: string;
}): Promise<{ targets: string[]; project: string }> {
  const key = input.desired.keys.find((k) => k.name === input.keyName);
  if (!key) {
    const names = input.desired.keys.map((k) => k.name).sort();
    throw new UserError(
      `key "${input.keyName}" is in no policy: name one of ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''}; nothing was delivered`,
    );
  }
  if (key.rotation.deliver.length === 0) {
    throw new UserError(
      `key "${key.name}" has no delivery target in ${key.source.file}:${key.source.line}: add rotation.deliver (github, vault or file) to its policy; nothing was delivered`,
    );
  }
  const value = input.value.trim();
  // Before anything can print it: masked in Actions, redacted everywhere else.
  input.maskSecret?.(value);
  registerSecret(value);
  if (value === '')
    throw new UserError(
      'no key value on standard input: pipe it in (e.g. `pbpaste | groq-rbac deliver --key NAME`), or type it at the prompt; nothing was delivered',
    );
  if (value.length > MAX_KEY_VALUE_LENGTH || /\s/.test(value))
    throw new UserError(
      'standard input holds more than one key value (it has spaces or line breaks, or is longer than a key): pass exactly the value the Console showed; nothing was delivered',
    );
  checkSecureUrl(
    input.baseUrl,
    'the base URL',
    'set --base-url / GROQ_BASE_URL to https://api.groq.com, or http:// only for a sandbox on this machine',
  );

  const client = new GroqClient({ baseUrl: input.baseUrl, adminKey: '', logger: input.logger });
  try {
    try {
      await client.listModels(value);
    } catch (error) {
      if (error instanceof GroqApiError && error.status === 401) {
        throw new UserError(
          'Groq refuses this value (401 invalid_api_key): it was mistyped, cut short, or the key was deleted; copy it again from the Console. Nothing was delivered',
        );
      }
      throw new UserError(`cannot check the value with Groq (${(error as Error).message.split('\n')[0]}); nothing was delivered`);
    }
    // Keys of a stand-in organization never overwrite real secrets (as apply --sandbox-url); only the
    // caller's flag says so, never the server.
    const redirect = input.sandboxDeliveries;
    const deliver = deliverToTargets(input.desired, {
      env: input.env,
      cwd: input.cwd,
      logger: input.logger,
      ...(redirect ? { redirectTo: redirect } : {}),
      ...(input.maskSecret ? { maskSecret: input.maskSecret } : {}),
    });
    // deliverToTargets serves apply, which hands it the plan's change and the created key: here the
    // policy key's name and the value are all it reads.
    const change = { resource: 'api_key', action: 'create', key: key.name, project: key.project } as KeyChange;
    await deliver(change, { value } as CreatedKey, '');
    return { targets: key.rotation.deliver.map(deliveryLabel), project: key.project };
  } finally {
    await client.close();
  }
}
