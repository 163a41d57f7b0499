import { UserError } from '../../core/errors.js';
import { describeProxy, describeRedirectTarget, networkReason, proxyAwareFetch, proxyFor } from '../../core/proxy-fetch.js';
import { BodyTooLargeError, formatBytes, readCappedText } from '../../core/read-capped.js';
import { redactSecrets } from '../../core/redact.js';
import { checkSecureUrl } from '../../core/secure-url.js';
import type { Delivery } from '../../policy/types.js';
import { DeliveryError, type DeliveryContext, type DeliveryResult } from './types.js';

export type VaultDelivery = Extract<Delivery, { kind: 'vault' }>;

/** `vault secret/data/groq/chatbot-prod#api_key` (plus ` at <address>` when the target names one). */
export function describeVaultTarget(target: VaultDelivery): string {
  const at = target.address ? ` at ${target.address.replace(/\/+$/, '')}` : '';
  return `vault ${target.path.replace(/\/+$/, '')}#${target.field}${at}`;
}

/**
 * The most bytes read from one Vault answer. A KV v2 secret version is one storage entry, and
 * Vault's default entry limit is 1 MiB for integrated storage and 512 KiB for Consul
 * (developer.hashicorp.com/vault/docs/internals/limits, "Storage entry size"); the mounts and error
 * answers are far smaller. A server that sends more is not answering as a Vault does.
 */
export const MAX_VAULT_RESPONSE_BYTES = 1024 * 1024;

/** Tries of read → merge → write when another writer changes the secret in between. */
const MAX_CAS_ATTEMPTS = 3;

/**
 * Sets one field of a HashiCorp Vault KV version 2 secret. KV v2 writes a whole new version, so the
 * secret is read first and the field merged into it: its other fields survive. The write carries
 * check-and-set (`options.cas`) with the version read, so a concurrent writer is detected and the
 * merge is redone on top of its version instead of being lost.
 *
 * The mount is asked of Vault (`sys/internal/ui/mounts`, as `vault kv put` does), which also tells
 * nested mounts and refuses KV version 1; a token that may not ask falls back to the path's first
 * segment. A `data/` right after the mount is taken as the API's own prefix: `secret/data/groq/x`
 * and `secret/groq/x` are the same secret.
 */
export async function deliverToVault(target: VaultDelivery, value: string, context: DeliveryContext): Promise<DeliveryResult> {
  const label = describeVaultTarget(target);
  const vault = connect(target, label, value, context);
  const { mount, name } = await resolveMount(vault, target.path);
  const apiPath = `${mount}/data/${name}`;
  for (let attempt = 1; ; attempt++) {
    const current = await readSecret(vault, apiPath);
    const data = { ...current.data, [target.field]: value };
    const res = await vault.send('POST', apiPath, { options: { cas: current.version }, data });
    if (res.status === 200 || res.status === 204) {
      const version = versionOf(res.body);
      context.logger.debug(`vault: wrote ${apiPath} field ${target.field}${version ? ` (version ${version})` : ''}`);
      return { target: label, outcome: current.version === 0 ? 'created' : 'updated', ...(version ? { version } : {}) };
    }
    if (res.status === 400 && /check-and-set/i.test(vault.errorText(res.body))) {
      if (attempt < MAX_CAS_ATTEMPTS) {
        context.logger.debug(`vault: ${apiPath} changed while writing (version ${current.version} is no longer current); merging again`);
        continue;
      }
      throw vault.fail(`another writer kept changing ${apiPath} (check-and-set failed ${MAX_CAS_ATTEMPTS} times); run again`, true);
    }
    throw vault.explain(res, 'write', apiPath);
  }
}

interface VaultResponse {
  status: number;
  body: unknown;
}

interface VaultConnection {
  address: string;
  send(method: 'GET' | 'POST', path: string, body?: unknown): Promise<VaultResponse>;
  errorText(body: unknown): string;
  explain(res: VaultResponse, doing: 'read' | 'write', apiPath: string): DeliveryError;
  fail(message: string, retryable?: boolean, cause?: unknown): DeliveryError;
}

function connect(target: VaultDelivery, label: string, value: string, context: DeliveryContext): VaultConnection {
  const fail = (message: string, retryable = false, cause?: unknown) => new DeliveryError(label, message, { retryable, cause });
  const { address, setting } = vaultOrigin(target, context, fail);
  const token = context.env.VAULT_TOKEN;
  if (!token) throw fail('no Vault token: set VAULT_TOKEN to a token that may read and write this path');
  const headers: Record<string, string> = { 'X-Vault-Token': token, 'X-Vault-Request': 'true', accept: 'application/json' };
  const namespace = context.env.VAULT_NAMESPACE;
  if (namespace) headers['X-Vault-Namespace'] = namespace;
  const send = context.fetch ?? proxyAwareFetch(context.env);
  const timeoutMs = context.timeoutMs ?? 30_000;
  // Vault's messages never carry a request body, but a value must not leak even if one ever did.
  const clean = (text: string) => redactSecrets(text, [value, token]);
  const errorText = (body: unknown): string => {
    const errors = (body as { errors?: unknown } | null)?.errors;
    if (Array.isArray(errors) && errors.length > 0) {
      // Vault wraps errors as "1 error occurred:\n\t* permission denied\n\n".
      return clean(
        errors
          .map((e) =>
            String(e)
              .replace(/^\d+ errors? occurred:\s*/, '')
              .replace(/^\s*\*\s*/gm, '')
              .replace(/\s+/g, ' ')
              .trim(),
          )
          .join('; '),
      ).slice(0, 300);
    }
    return typeof body === 'string' && body ? clean(body).slice(0, 200) : 'no message';
  };

  return {
    address,
    errorText,
    fail,
    async send(method, path, body) {
      const url = `${address}/v1/${path.split('/').map(encodeURIComponent).join('/')}`;
      let res: Response;
      try {
        res = await send(url, {
          method,
          headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
          // Never followed: fetch would re-send X-Vault-Token (only Authorization is dropped on a
          // cross-origin hop) and, on a 307/308, the secret itself.
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        throw unreachable(error, address, setting, context.env, timeoutMs, fail);
      }
      if (res.status >= 300 && res.status < 400 && res.status !== 304) {
        const to = describeRedirectTarget(res.headers.get('location'), url);
        await res.body?.cancel().catch(() => {});
        // A standby node answers 307 to the active node when it cannot forward the request
        // (developer.hashicorp.com/vault/docs/concepts/ha, "Client redirection").
        throw fail(
          `Vault at ${address} answered ${res.status} redirecting to ${to}: not followed, so the token and the value went nowhere else; point ${setting} at the Vault that answers itself (the active node, or the load balancer in front of the cluster)`,
        );
      }
      let text = '';
      try {
        text = await readCappedText(res, MAX_VAULT_RESPONSE_BYTES);
      } catch (error) {
        if (error instanceof BodyTooLargeError) {
          throw fail(
            `Vault at ${address} answered ${res.status} to ${method} ${path} with more than ${formatBytes(error.limit)}, the most groq-rbac reads from one Vault answer; it was not read further. Check ${setting}: a Vault answers these requests in a few kilobytes`,
          );
        }
        // A body cut off mid-stream: the status is still known; the message is not.
      }
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // Not JSON (a proxy's error page): keep the text for the message.
      }
      return { status: res.status, body: parsed };
    },
    explain(res, doing, apiPath) {
      const said = errorText(res.body);
      const status = res.status;
      if (/vault is sealed/i.test(said)) return fail(`Vault at ${address} is sealed (${status} ${said}): unseal it, then run again`, true);
      if (status === 403 || /permission denied/i.test(said)) {
        return doing === 'read'
          ? fail(
              `the Vault token may not read ${apiPath} (${status} ${said}): grant read on that path (groq-rbac reads the secret first so its other fields survive), or check that VAULT_TOKEN${namespace ? ' and VAULT_NAMESPACE are' : ' is'} right and not expired`,
            )
          : fail(
              `the Vault token may not write ${apiPath} (${status} ${said}): grant create/update on that path, or check that VAULT_TOKEN${namespace ? ' and VAULT_NAMESPACE are' : ' is'} right and not expired`,
            );
      }
      if (/no handler for route/i.test(said)) {
        return fail(
          `nothing at Vault ${address} serves ${apiPath} (${status} ${said}): check the path's mount (its first segment) and VAULT_NAMESPACE`,
        );
      }
      if (status === 429) return fail(`Vault at ${address} is rate limiting requests (${said}); run again later`, true);
      if (status >= 500) return fail(`Vault at ${address} is unavailable (${status} ${said}): run again once it is healthy`, true);
      return fail(`Vault refused to ${doing} ${apiPath} (${status} ${said})`);
    },
  };
}

/**
 * Where the Vault token may go: the organization's Vault, named by org.yaml's `vault.address`
 * (approved by the org admins; `context.vaultAddress`) or else VAULT_ADDR, over https unless it is
 * this machine. A target's own `address` (written in a team's file) may only repeat that origin: a
 * team cannot send the platform's token, or its key, to a host of its choosing.
 */
function vaultOrigin(target: VaultDelivery, context: DeliveryContext, fail: VaultConnection['fail']): { address: string; setting: string } {
  const fromOrg = context.vaultAddress?.trim() || undefined;
  const fromEnv = context.env.VAULT_ADDR?.trim() || undefined;
  const setting = fromOrg ? "org.yaml's vault.address" : 'VAULT_ADDR';
  const raw = fromOrg ?? fromEnv;
  if (!raw) {
    throw fail(
      target.address
        ? "the target names its own Vault address, but the organization names none: set VAULT_ADDR, or `vault: {address: …}` in org.yaml (a team's target cannot choose where the Vault token goes)"
        : 'no Vault address: set VAULT_ADDR, or `vault: {address: …}` in org.yaml',
    );
  }
  const hint = `set ${setting} to the Vault's https:// address`;
  const org = secureUrl(raw, setting, hint, fail);
  if (fromOrg && fromEnv) {
    const env = secureUrl(fromEnv, 'VAULT_ADDR', hint, fail);
    if (env.origin !== org.origin) {
      throw fail(
        `VAULT_ADDR (${env.origin}) and org.yaml's vault.address (${org.origin}) name different Vaults, and the token goes only to the organization's: unset VAULT_ADDR or set it to ${org.origin}`,
      );
    }
  }
  let url = org;
  if (target.address) {
    const own = secureUrl(target.address, "the target's address", 'remove `address:` from the target', fail);
    if (own.origin !== org.origin) {
      throw fail(
        `the target names Vault at ${own.origin}, but the organization's Vault is ${org.origin} (${setting}); the Vault token and the key go only there: remove \`address:\` from the target`,
      );
    }
    url = own;
  }
  return { address: url.toString().replace(/\/+$/, ''), setting };
}

function secureUrl(raw: string, what: string, hint: string, fail: VaultConnection['fail']): URL {
  try {
    return checkSecureUrl(raw, what, hint);
  } catch (error) {
    if (error instanceof UserError) throw fail(error.message, false, error);
    throw error;
  }
}

function unreachable(
  error: unknown,
  address: string,
  setting: string,
  env: DeliveryContext['env'],
  timeoutMs: number,
  fail: VaultConnection['fail'],
): DeliveryError {
  const e = error as { name?: string } | null;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    return fail(
      `Vault at ${address} did not answer within ${timeoutMs < 1000 ? `${timeoutMs}ms` : `${Math.round(timeoutMs / 1000)}s`}: check ${setting} and that Vault is up`,
      true,
      error,
    );
  }
  const { reason, proxyStatus } = networkReason(error);
  if (proxyStatus !== undefined) {
    const proxy = proxyFor(address, env);
    return fail(
      `cannot reach Vault at ${address}: the proxy${proxy ? ` ${describeProxy(proxy)}` : ''} refused the tunnel with ${proxyStatus}: check HTTPS_PROXY and HTTP_PROXY, or add the Vault's host to NO_PROXY`,
      true,
      error,
    );
  }
  return fail(`cannot reach Vault at ${address} (${reason}): check ${setting} and that Vault is running and unsealed`, true, error);
}

/** The mount and the secret's name under it. */
async function resolveMount(vault: VaultConnection, path: string): Promise<{ mount: string; name: string }> {
  const segments = path.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..')) throw vault.fail('the path may not contain . or .. segments');
  const logical = segments.join('/');
  const res = await vault.send('GET', `sys/internal/ui/mounts/${logical}`);
  const info = (res.body as { data?: { path?: unknown; type?: unknown; options?: { version?: unknown } | null } } | null)?.data;
  let mount = segments[0] ?? '';
  if (res.status === 200 && typeof info?.path === 'string' && info.path) {
    mount = info.path.replace(/\/+$/, '');
    if (info.type !== 'kv' && info.type !== 'generic') {
      throw vault.fail(`${mount}/ is a ${String(info.type)} secrets engine, not KV version 2`);
    }
    if (String(info.options?.version ?? '1') !== '2') {
      throw vault.fail(
        `${mount}/ is a KV version 1 mount; groq-rbac writes KV version 2 only (upgrade it with \`vault kv enable-versioning ${mount}/\`)`,
      );
    }
    if (logical !== mount && !logical.startsWith(`${mount}/`)) mount = segments[0] ?? '';
  }
  // Whatever the answer (a token without `sys/internal/ui/mounts` access gets 403), the path's first segment remains a good guess.
  let rest = logical.slice(mount.length + 1);
  if (rest.startsWith('data/')) rest = rest.slice('data/'.length);
  if (!mount || !rest) throw vault.fail('the path must name a secret under its mount, such as secret/data/groq/chatbot-prod');
  return { mount, name: rest };
}

/** The secret's latest data and version; version 0 when it does not exist (a write with cas 0 then creates it). */
async function readSecret(vault: VaultConnection, apiPath: string): Promise<{ data: Record<string, unknown>; version: number }> {
  const res = await vault.send('GET', apiPath);
  const payload = (res.body as { data?: { data?: unknown; metadata?: { version?: unknown } | null } | null } | null)?.data;
  const version = typeof payload?.metadata?.version === 'number' ? payload.metadata.version : 0;
  if (res.status === 200) {
    const data = payload?.data && typeof payload.data === 'object' ? (payload.data as Record<string, unknown>) : {};
    return { data, version };
  }
  // 404: no such secret, or its latest version is deleted; then the body still says which version is current.
  if (res.status === 404 && !/no handler for route/i.test(vault.errorText(res.body))) return { data: {}, version };
  throw vault.explain(res, 'read', apiPath);
}

function versionOf(body: unknown): number | undefined {
  const version = (body as { data?: { version?: unknown } } | null)?.data?.version;
  return typeof version === 'number' ? version : undefined;
}
