import { EnvHttpProxyAgent, type Dispatcher } from 'undici';
import { UserError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import { BodyTooLargeError, formatBytes, readCappedText } from '../core/read-capped.js';
import { isSecureUrl } from '../core/secure-url.js';
import { AdaptiveConcurrency, type Outcome } from './adaptive-concurrency.js';
import { isRetryableStatus, NetworkError, ProtocolError } from './errors.js';

/**
 * The most bytes read from one answer of the admin API. Its largest page is 100 items (the
 * contract's `limit` maximum); a key, with the most metadata the contract allows, is a few KiB, so
 * a page is well under 1 MiB. 16 MiB leaves room for any honest answer and keeps a hostile or
 * broken server from filling memory. Usage and costs pages ask for more (REPORT_MAX_RESPONSE_BYTES).
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/**
 * Usage and costs pages hold every bucket asked for (up to 31 days, or 1,440 minutes) with one
 * result per project, key and model in each: 31 days of 10,000 keys used daily is about 70 MB of
 * JSON (the usage benchmark's first page), and an organization of 50,000 such keys would need
 * about 360 MB. The cap is 512 MiB: V8's longest string is 2^29 - 24 characters, just under it, so
 * no answer that could be parsed at all is refused, and memory is still bounded.
 */
export const REPORT_MAX_RESPONSE_BYTES = 512 * 1024 * 1024;

/**
 * The one HTTP transport of the project (Groq, GitHub, Vault): the platform fetch with an undici
 * dispatcher, so HTTPS_PROXY/NO_PROXY, keep-alive and connect/header/body timeouts apply everywhere,
 * and nock can intercept it in tests.
 */
export interface TransportOptions {
  /** Whole-attempt deadline, headers and body included. */
  timeoutMs?: number;
  connectTimeoutMs?: number;
  maxAttempts?: number;
  /** Budget for all attempts and waits of one request. */
  maxRetryTimeMs?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /**
   * Connections per origin, and the most requests in flight at once. After a 429 the transport
   * allows half as many, then one more after each window of successes, up to this.
   */
  connections?: number;
  logger?: Logger;
  dispatcher?: Dispatcher;
  /** For tests: how to wait, where jitter comes from, and what sends a request. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  fetch?: typeof fetch;
  /** The most bytes read from one answer, unless a request says otherwise (default DEFAULT_MAX_RESPONSE_BYTES). */
  maxResponseBytes?: number;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** Safe to send twice: idempotent by method or semantics, or carrying an Idempotency-Key. */
  retrySafe: boolean;
  /**
   * Whether the request waits for, and its 429s shrink, the shared concurrency gate (default true).
   * Inference calls opt out: a key's own rate limit says nothing about the admin API's.
   */
  gated?: boolean;
  /** The most bytes read from this answer (default: the transport's maxResponseBytes). */
  maxBytes?: number;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

export class HttpTransport {
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly o: Required<Omit<TransportOptions, 'dispatcher' | 'logger'>> & { logger: Logger };
  /** The proxies EnvHttpProxyAgent reads (as it reads them: lower case first), to name one that refuses; unknown for a caller's dispatcher. */
  private readonly proxies: { 'http:': string | null; 'https:': string | null } | null;
  /** Shared by every request of this transport, so the whole run slows down when the server pushes back. */
  readonly gate: AdaptiveConcurrency;

  constructor(options: TransportOptions = {}) {
    this.o = {
      timeoutMs: options.timeoutMs ?? 30_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      maxAttempts: options.maxAttempts ?? 5,
      maxRetryTimeMs: options.maxRetryTimeMs ?? 60_000,
      baseDelayMs: options.baseDelayMs ?? 250,
      maxDelayMs: options.maxDelayMs ?? 8_000,
      connections: options.connections ?? 32,
      logger: options.logger ?? silentLogger,
      sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      random: options.random ?? Math.random,
      // Looked up per call, so an interceptor installed later (nock) still sees the request.
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    };
    this.gate = new AdaptiveConcurrency(this.o.connections);
    this.ownsDispatcher = !options.dispatcher;
    // undici's EnvHttpProxyAgent (lib/dispatcher/env-http-proxy-agent.js): http_proxy ?? HTTP_PROXY,
    // and https_proxy ?? HTTPS_PROXY, falling back to the http proxy.
    const env = process.env;
    const httpProxy = env.http_proxy || env.HTTP_PROXY || null;
    this.proxies = options.dispatcher ? null : { 'http:': httpProxy, 'https:': env.https_proxy || env.HTTPS_PROXY || httpProxy };
    this.dispatcher =
      options.dispatcher ??
      new EnvHttpProxyAgent({
        connectTimeout: this.o.connectTimeoutMs,
        headersTimeout: this.o.timeoutMs,
        bodyTimeout: this.o.timeoutMs,
        keepAliveTimeout: 10_000,
        connections: this.o.connections,
      });
  }

  /** Sends a request, retrying what is safe to retry; resolves with the final response whatever its status. */
  async request(req: HttpRequest): Promise<HttpResponse> {
    // The one place every request passes: whatever built the URL, no credential leaves over http to another machine.
    const target = new URL(req.url);
    if (!isSecureUrl(target)) {
      throw new UserError(
        `refusing to send ${req.method} ${target.pathname} to ${target.origin}: it is not https://, so the admin key would travel in clear text; use https:// (http:// only for 127.0.0.1, ::1 or localhost)`,
      );
    }
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...req.headers,
    };
    const label = `${req.method} ${new URL(req.url).pathname}`;
    const gated = req.gated ?? true;
    // The retry budget counts attempts and back-off waits, not time queued behind the gate.
    let spent = 0;
    for (let attempt = 1; ; attempt++) {
      const permit = gated ? await this.gate.acquire() : null;
      const sent = Date.now();
      let outcome: { response: HttpResponse } | { error: NetworkError };
      try {
        outcome = { response: await this.once(req, headers, body) };
      } catch (error) {
        if (permit) this.gate.release(permit, 'neutral');
        if (!(error instanceof NetworkError)) throw error;
        outcome = { error };
      }
      const status = 'response' in outcome ? outcome.response.status : null;
      if (permit && status !== null) this.gate.release(permit, gateOutcome(status));
      spent += Date.now() - sent;
      const retryable = 'error' in outcome ? outcome.error.retryable : isRetryableStatus(status!);
      // Pushback (429) says "later", not "broken": it is retried while the time budget lasts, up to
      // four times the attempts, so an apply slows down instead of failing piecemeal.
      const attempts = status === 429 ? this.o.maxAttempts * 4 : this.o.maxAttempts;
      if (!retryable || !req.retrySafe || attempt >= attempts) return unwrap(outcome);
      const wait = this.delayFor(attempt, 'response' in outcome ? outcome.response : null);
      if (wait === null || spent + wait > this.o.maxRetryTimeMs) return unwrap(outcome);
      const reason = 'error' in outcome ? outcome.error.reason : String(status);
      this.o.logger.debug(
        `retrying ${label} after ${reason} (attempt ${attempt + 1}/${attempts}, waiting ${(wait / 1000).toFixed(2)}s${status === 429 && gated ? `, ${this.gate.limit} in flight at most` : ''})`,
      );
      await this.o.sleep(wait);
      spent += wait;
    }
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  private async once(req: HttpRequest, headers: Record<string, string>, body: string | undefined): Promise<HttpResponse> {
    // A timer cleared as soon as the body is in, rather than AbortSignal.timeout: tens of thousands
    // of requests would otherwise leave as many timers (and the signals they hold) for the full timeout.
    const controller = new AbortController();
    const { signal } = controller;
    const timer = setTimeout(
      () => controller.abort(new DOMException(`no answer within ${this.o.timeoutMs} ms`, 'TimeoutError')),
      this.o.timeoutMs,
    );
    try {
      // Node's fetch takes undici's `dispatcher` option; its RequestInit type does not declare it.
      // `redirect: 'manual'`: the admin API never redirects, and a redirect followed would re-send the
      // Authorization header (same origin) or the body (307/308) wherever the server points.
      const init = { method: req.method, headers, body, signal, dispatcher: this.dispatcher, redirect: 'manual' };
      const res = await this.o.fetch(req.url, init as unknown as RequestInit);
      if (res.status >= 300 && res.status < 400) {
        await res.body?.cancel().catch(() => {});
        throw new ProtocolError({
          method: req.method,
          url: req.url,
          problem: `the server answered ${res.status}, a redirect${redirectedTo(res, req.url)}; the admin API never redirects, so it was not followed and nothing was sent there: check the base URL (--base-url / GROQ_BASE_URL)`,
        });
      }
      const text = await readCapped(res, req, req.maxBytes ?? this.o.maxResponseBytes);
      let parsed: unknown = text;
      if (text && (res.headers.get('content-type') ?? '').includes('json')) {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
      }
      return { status: res.status, headers: res.headers, body: parsed };
    } catch (error) {
      if (error instanceof NetworkError) throw error;
      const timedOut =
        signal.aborted ||
        (error as Error).name === 'TimeoutError' ||
        /timeout/i.test(String((error as { cause?: { code?: string } }).cause?.code ?? ''));
      throw new NetworkError({ method: req.method, url: req.url, timedOut, cause: error, proxy: this.proxyFor(req.url) });
    } finally {
      clearTimeout(timer);
    }
  }

  /** The proxy a request to `url` goes through, as an origin (no credentials), or null. */
  private proxyFor(url: string): string | null {
    const raw = this.proxies?.[new URL(url).protocol as 'http:' | 'https:'] ?? null;
    if (!raw) return null;
    try {
      return new URL(raw).origin;
    } catch {
      return null;
    }
  }

  /**
   * Milliseconds to wait before the next attempt. `retry-after` is a floor, not a schedule: on top of
   * it comes up to a quarter more (at least `baseDelayMs`) of jitter, so workers pushed back together
   * do not all come back in the same instant.
   */
  private delayFor(attempt: number, response: HttpResponse | null): number | null {
    const retryAfter = response ? parseRetryAfter(response.headers.get('retry-after')) : null;
    if (retryAfter !== null) return retryAfter + Math.round(this.o.random() * Math.max(this.o.baseDelayMs, retryAfter / 4));
    const ceiling = Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + (this.o.random() * ceiling) / 2);
  }
}

/** `retry-after` in seconds (possibly fractional) or as an HTTP date; milliseconds, or null. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

function gateOutcome(status: number): Outcome {
  if (status === 429) return 'throttled';
  return status < 500 ? 'success' : 'neutral';
}

/**
 * The body as text through the project's one capped reader (src/core/read-capped.ts): a declared
 * length over the limit is refused unread, and a body that grows past it is cancelled.
 */
async function readCapped(res: Response, req: HttpRequest, limit: number): Promise<string> {
  try {
    return await readCappedText(res, limit);
  } catch (error) {
    if (!(error instanceof BodyTooLargeError)) throw error;
    throw new ProtocolError({
      method: req.method,
      url: req.url,
      problem: `the answer is larger than ${formatBytes(limit)}, the most groq-rbac reads from one answer of this API; it was not read further, nor retried`,
    });
  }
}

/** ` to https://host` from a redirect's Location (its origin only), or nothing. */
function redirectedTo(res: Response, base: string): string {
  const location = res.headers.get('location');
  if (!location) return '';
  try {
    return ` to ${new URL(location, base).origin}`;
  } catch {
    return '';
  }
}

function unwrap(outcome: { response: HttpResponse } | { error: NetworkError }): HttpResponse {
  if ('error' in outcome) throw outcome.error;
  return outcome.response;
}
