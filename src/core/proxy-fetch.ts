import { EnvHttpProxyAgent, type Dispatcher } from 'undici';
import { redactSecrets } from './redact.js';

/**
 * The one way GitHub and Vault requests leave the process: the platform `fetch` (so interceptors
 * such as nock see them) through undici's EnvHttpProxyAgent, so HTTPS_PROXY, HTTP_PROXY and
 * NO_PROXY apply to them as they do to the provider's API.
 */

type Env = Readonly<Record<string, string | undefined>>;

/** One dispatcher per distinct proxy setting: built once, reused for every request (keep-alive). */
const dispatchers = new Map<string, Dispatcher>();

/**
 * A `fetch` through a proxy-aware dispatcher. The proxy settings are read from `env` on every call
 * (lower case first, as undici and curl read them), so a changed setting takes effect; the platform
 * `fetch` is looked up on every call too, so an interceptor installed after this was built sees it.
 */
export function proxyAwareFetch(env: Env = process.env): typeof fetch {
  return (input, init) => {
    const settings = {
      httpProxy: env.http_proxy ?? env.HTTP_PROXY ?? '',
      httpsProxy: env.https_proxy ?? env.HTTPS_PROXY ?? '',
      noProxy: env.no_proxy ?? env.NO_PROXY ?? '',
    };
    const key = `${settings.httpProxy}\n${settings.httpsProxy}\n${settings.noProxy}`;
    let dispatcher = dispatchers.get(key);
    if (!dispatcher) {
      // Given explicitly (empty for "none"), so undici never falls back to a process.env that `env` is not.
      dispatcher = new EnvHttpProxyAgent({ ...settings, connectTimeout: 10_000 });
      dispatchers.set(key, dispatcher);
    }
    // Node's fetch takes undici's `dispatcher` option; its RequestInit type does not declare it.
    const withDispatcher = { ...init, dispatcher };
    return globalThis.fetch(input, withDispatcher as unknown as RequestInit);
  };
}

/** The statuses fetch treats as redirects (WHATWG Fetch, "redirect status"). */
export function isRedirectStatus(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/**
 * Where a redirect points, said without its path or query (which may carry anything the server
 * chose): `https://other.example:8443`, `a javascript: URL`, `nowhere (no Location header)`.
 */
export function describeRedirectTarget(location: string | null, from: string): string {
  if (!location) return 'nowhere (no Location header)';
  let url: URL;
  try {
    url = new URL(location, from);
  } catch {
    return 'a Location that is not a URL';
  }
  return url.origin !== 'null' ? redactSecrets(url.origin) : `a ${url.protocol} URL`;
}

/**
 * A redirect that was not followed because it left the origin the credential belongs to. Thrown by
 * the GitHub client's fetch; nothing was sent to `to`.
 */
export class RedirectRefused extends Error {
  override readonly name = 'RedirectRefused';
  readonly status: number;
  /** `describeRedirectTarget` of the Location. */
  readonly to: string;
  constructor(status: number, to: string, origin: string) {
    super(`${origin} answered ${status} redirecting to ${to}: not followed, so the token and the request body stay with ${origin}`);
    this.status = status;
    this.to = to;
  }
}

/** The proxy `proxyAwareFetch` uses for `url` under `env`, or null when it goes direct (NO_PROXY matches are not worked out here). */
export function proxyFor(url: string, env: Env = process.env): string | null {
  const http = env.http_proxy ?? env.HTTP_PROXY ?? '';
  const proxy = url.startsWith('https:') ? (env.https_proxy ?? env.HTTPS_PROXY ?? '') || http : http;
  return proxy || null;
}

/**
 * Why a request got no answer, from fetch's chain of causes: a proxy that refused the tunnel
 * (undici: "Proxy response (403) !== 200 when HTTP Tunneling"), else the system's error code
 * (ECONNREFUSED, ENOTFOUND, UND_ERR_CONNECT_TIMEOUT), else the innermost message.
 */
export function networkReason(error: unknown): { reason: string; proxyStatus?: number } {
  let code: string | undefined;
  let message: string | undefined;
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const { code: c, message: m } = e as { code?: unknown; message?: unknown };
    if (typeof m === 'string') {
      const refused = /Proxy response \((\d{3})\) !== 200 when HTTP Tunneling/.exec(m);
      if (refused) return { reason: `the proxy refused the tunnel with ${refused[1]}`, proxyStatus: Number(refused[1]) };
      if (m) message = m;
    }
    if (typeof c === 'string' && c && !code) code = c;
  }
  return { reason: redactSecrets(code ?? message ?? 'unknown error').slice(0, 200) };
}

/** A proxy URL as a message may show it: its origin, without credentials. */
export function describeProxy(proxy: string): string {
  try {
    return new URL(proxy).origin;
  } catch {
    return '(not a URL)';
  }
}
