import { UserError } from './errors.js';
import { redactSecrets } from './redact.js';

/**
 * Where a credential may travel: https to any host, http only to this machine. One rule for every
 * outgoing call (the provider's admin and inference APIs, GitHub, Vault), so an `http://` URL can
 * never carry an admin key, a Vault token or a key value across a network in clear text.
 */

/** 127.0.0.0/8, ::1 and `localhost` (with or without its trailing dot and subdomains). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  const v4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4) return v4.slice(1).every((part) => Number(part) <= 255);
  // IPv4-mapped IPv6 loopback, as URL normalises it: ::ffff:7f00:1.
  const mapped = /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.exec(host);
  return mapped !== null;
}

/** Whether `url` may carry a credential: https, or http to a loopback address. */
export function isSecureUrl(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}

/**
 * Parses `raw` and refuses it unless it may carry a credential. `what` names the setting in the
 * message (`the base URL`, `VAULT_ADDR`), `hint` says what to write instead.
 */
export function checkSecureUrl(raw: string, what: string, hint: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UserError(`${what} "${redactSecrets(raw)}" is not a URL: ${hint}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UserError(
      `${what} "${redactSecrets(raw)}" uses ${url.protocol}; only https:// is supported (http:// only for 127.0.0.1, ::1 or localhost): ${hint}`,
    );
  }
  if (!isSecureUrl(url)) {
    throw new UserError(
      `${what} "${redactSecrets(raw)}" uses http:// to ${url.hostname}, which would send credentials in clear text; use https:// (http:// is allowed only for 127.0.0.1, ::1 or localhost): ${hint}`,
    );
  }
  if (url.username || url.password) {
    throw new UserError(`${what} "${redactSecrets(raw)}" holds a user name or password: remove the credentials from the URL`);
  }
  return url;
}
