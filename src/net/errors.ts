import { STATUS_CODES } from 'node:http';
import { redactSecrets } from '../core/redact.js';

/**
 * Errors of the one HTTP transport, whatever the API behind it: no usable answer, or an answer no
 * API of ours gives. A provider's own error answers (status, code, message) are the provider's.
 */

/** No usable answer: connection refused or reset, DNS, TLS, a proxy's refusal, or a timeout. */
export class NetworkError extends Error {
  override readonly name: string = 'NetworkError';
  readonly method: string;
  readonly url: string;
  readonly timedOut: boolean;
  /** Short: `timed out`, `ECONNREFUSED`, `ECONNRESET`, or which proxy refused what. */
  readonly reason: string;
  /** Whether another attempt may succeed: not after a proxy's refusal or a protocol error (the answer will not change). */
  readonly retryable: boolean;
  /** `proxy`: the proxy the request went through, if any, to name it when it refuses. */
  constructor(init: { method: string; url: string; timedOut: boolean; cause: unknown; proxy?: string | null }, problem?: string) {
    const refusal = problem ?? proxyRefusal(init.cause, init.url, init.proxy ?? null);
    const reason = redactSecrets(init.timedOut ? 'timed out' : (refusal ?? causeText(init.cause)));
    const message =
      problem !== undefined
        ? `${init.method} ${redactSecrets(pathOf(init.url))} failed: ${reason}`
        : refusal !== null
          ? `${init.method} ${redactSecrets(init.url)} failed: ${reason}: check HTTPS_PROXY/HTTP_PROXY and NO_PROXY`
          : `${init.method} ${redactSecrets(init.url)} failed: ${reason}. Check the base URL (--base-url / GROQ_BASE_URL), your network and any HTTPS_PROXY setting.`;
    super(message, { cause: init.cause });
    this.method = init.method;
    this.url = redactSecrets(init.url);
    this.timedOut = init.timedOut;
    this.reason = reason;
    this.retryable = refusal === null;
  }
}

/**
 * An answer the API never gives, so it is not retried: a redirect (followed, it would carry the
 * admin key and the body to another origin) or a body beyond the size cap.
 */
export class ProtocolError extends NetworkError {
  override readonly name: string = 'ProtocolError';
  constructor(init: { method: string; url: string; problem: string }) {
    super({ method: init.method, url: init.url, timedOut: false, cause: null }, init.problem);
  }
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 498 || status >= 500;
}

/**
 * A short text for whatever a fetch failure carries. Causes nest (`fetch failed` → an AbortError
 * → undici's own error) and their `code` may be a number (DOMException's is `0`): only a non-empty
 * string is taken, innermost first; anything else becomes its message or its `String()`.
 */
export function causeText(cause: unknown): string {
  const chain = causeChain(cause);
  for (const c of [...chain].reverse()) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
  }
  for (const c of [...chain].reverse()) {
    const message = (c as { message?: unknown }).message;
    if (typeof message === 'string' && message !== '') return message;
  }
  try {
    return String(cause);
  } catch {
    return 'unknown error';
  }
}

/** The error and its causes, outermost first; bounded, so a cycle of causes cannot loop. */
function causeChain(cause: unknown): object[] {
  const chain: object[] = [];
  for (
    let c: unknown = cause;
    c !== null && typeof c === 'object' && chain.length < 8 && !chain.includes(c);
    c = (c as { cause?: unknown }).cause
  )
    chain.push(c);
  return chain;
}

/**
 * undici's words when a proxy answers CONNECT with anything but 200 (`Proxy response (403) !== 200
 * when HTTP Tunneling`, lib/dispatcher/proxy-agent.js), made into which proxy refused what.
 */
function proxyRefusal(cause: unknown, url: string, proxy: string | null): string | null {
  for (const c of causeChain(cause)) {
    const message = (c as { message?: unknown }).message;
    const m = typeof message === 'string' ? /Proxy response \((\d{3})\) !== 200/.exec(message) : null;
    if (!m) continue;
    const status = Number(m[1]);
    const text = STATUS_CODES[status] ?? 'refused';
    let target = url;
    try {
      const u = new URL(url);
      target = `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
    } catch {
      // Keep the URL as given.
    }
    return `the proxy ${proxy ?? '(from HTTPS_PROXY/HTTP_PROXY)'} refused to open a tunnel to ${target} (${status} ${text})`;
  }
  return null;
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}
