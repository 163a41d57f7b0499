import { EnvHttpProxyAgent, type Dispatcher } from 'undici';
import { silentLogger, type Logger } from '../log.js';
import { isRetryableStatus, NetworkError } from './errors.js';

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
  logger?: Logger;
  dispatcher?: Dispatcher;
  /** For tests: how to wait, and where jitter comes from. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** Safe to send twice: idempotent by method or semantics, or carrying an Idempotency-Key. */
  retrySafe: boolean;
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

  constructor(options: TransportOptions = {}) {
    this.o = {
      timeoutMs: options.timeoutMs ?? 30_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      maxAttempts: options.maxAttempts ?? 5,
      maxRetryTimeMs: options.maxRetryTimeMs ?? 60_000,
      baseDelayMs: options.baseDelayMs ?? 250,
      maxDelayMs: options.maxDelayMs ?? 8_000,
      logger: options.logger ?? silentLogger,
      sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      random: options.random ?? Math.random,
    };
    this.ownsDispatcher = !options.dispatcher;
    this.dispatcher =
      options.dispatcher ??
      new EnvHttpProxyAgent({
        connectTimeout: this.o.connectTimeoutMs,
        headersTimeout: this.o.timeoutMs,
        bodyTimeout: this.o.timeoutMs,
        keepAliveTimeout: 10_000,
        connections: 32,
      });
  }

  /** Sends a request, retrying what is safe to retry; resolves with the final response whatever its status. */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const started = Date.now();
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    const headers: Record<string, string> = { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...req.headers };
    const label = `${req.method} ${new URL(req.url).pathname}`;
    for (let attempt = 1; ; attempt++) {
      let outcome: { response: HttpResponse } | { error: NetworkError };
      try {
        outcome = { response: await this.once(req, headers, body) };
      } catch (error) {
        if (!(error instanceof NetworkError)) throw error;
        outcome = { error };
      }
      const status = 'response' in outcome ? outcome.response.status : null;
      const retryable = status === null || isRetryableStatus(status);
      const elapsed = Date.now() - started;
      if (!retryable || !req.retrySafe || attempt >= this.o.maxAttempts) return unwrap(outcome);
      const wait = this.delayFor(attempt, 'response' in outcome ? outcome.response : null);
      if (wait === null || elapsed + wait > this.o.maxRetryTimeMs) return unwrap(outcome);
      const reason = 'error' in outcome ? outcome.error.reason : String(status);
      this.o.logger.debug(`retrying ${label} after ${reason} (attempt ${attempt + 1}/${this.o.maxAttempts}, waiting ${(wait / 1000).toFixed(2)}s)`);
      await this.o.sleep(wait);
    }
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  private async once(req: HttpRequest, headers: Record<string, string>, body: string | undefined): Promise<HttpResponse> {
    const signal = AbortSignal.timeout(this.o.timeoutMs);
    try {
      // Node's fetch takes undici's `dispatcher` option; its RequestInit type does not declare it.
      const init = { method: req.method, headers, body, signal, dispatcher: this.dispatcher };
      const res = await fetch(req.url, init as unknown as RequestInit);
      const text = await res.text();
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
      const timedOut = signal.aborted || (error as Error).name === 'TimeoutError' || /timeout/i.test(String((error as { cause?: { code?: string } }).cause?.code ?? ''));
      throw new NetworkError({ method: req.method, url: req.url, timedOut, cause: error });
    }
  }

  /** Milliseconds to wait before the next attempt; `retry-after` wins over backoff. */
  private delayFor(attempt: number, response: HttpResponse | null): number | null {
    const retryAfter = response ? parseRetryAfter(response.headers.get('retry-after')) : null;
    if (retryAfter !== null) return retryAfter;
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

function unwrap(outcome: { response: HttpResponse } | { error: NetworkError }): HttpResponse {
  if ('error' in outcome) throw outcome.error;
  return outcome.response;
}
