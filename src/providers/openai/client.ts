/**
 * HTTP to OpenAI's Administration API (docs/openai-admin-api.md): the only code of the provider that
 * builds URLs and headers. Every admin call carries `Authorization: Bearer <admin key>` and
 * `OpenAI-Organization: <org from org.yaml>`, so OpenAI itself refuses a key of another organization
 * (401 `mismatched_organization`). Lists follow cursors (`after`/`has_more`/`last_id`), usage and
 * costs `page`/`next_page`; a repeated cursor, too many pages or items, or a list past its deadline
 * (src/net/list-bounds.ts) is an error, never a loop or a silent stop.
 */
import { UserError } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/log.js';
import { checkSecureUrl } from '../../core/secure-url.js';
// The project's one transport; the lead moves it to core (it stays in src/groq/ while issue 17 hardens it).
import { DEFAULT_MAX_PAGES, ListBoundExceeded, ListBounds, type ListBoundsOptions } from '../../net/list-bounds.js';
import { HttpTransport, REPORT_MAX_RESPONSE_BYTES, parseRetryAfter, type HttpRequest, type TransportOptions } from '../../net/transport.js';
import { errorFromNetwork, errorFromResponse, redactOpenAi } from './errors.js';
import type { WireBucketPage, WireList } from './wire.js';

export const DEFAULT_BASE_URL = 'https://api.openai.com/v1';
/** The largest page OpenAI's lists allow ("Limit can range between 1 and 100", API reference). */
export const PAGE_SIZE = 100;
/**
 * The most results one usage or costs read may hold in all its buckets: 90 days of 50,000 keys used
 * daily, each with two models, is 9,000,000; a list of plain items holds at most DEFAULT_MAX_ITEMS.
 */
export const MAX_BUCKET_RESULTS = 10_000_000;

export type QueryValue = string | number | boolean | readonly string[] | undefined;
export type Query = Record<string, QueryValue>;

export interface CallOptions {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  query?: Query;
  body?: unknown;
  /** Defaults to true for GET and DELETE, false for POST (creates are not idempotent on OpenAI). */
  retrySafe?: boolean;
  /** A project key (verifyKey) instead of the admin key. */
  bearer?: string;
  /** The most bytes read from the answer (default: the transport's cap; usage and costs pages ask for REPORT_MAX_RESPONSE_BYTES). */
  maxBytes?: number;
}

export interface OpenAiClientOptions extends TransportOptions {
  adminKey: string;
  /** The organization id (`org-…`) from org.yaml, sent as OpenAI-Organization. */
  organization: string;
  baseUrl?: string;
  transport?: HttpTransport;
  logger?: Logger;
  /** Pages of one list at most (default 10,000); `listBounds` sets the rest (items, deadline, clock). */
  maxPages?: number;
  listBounds?: ListBoundsOptions;
}

export class OpenAiClient {
  readonly organization: string;
  private readonly baseUrl: string;
  private readonly adminKey: string;
  private readonly transport: HttpTransport;
  private readonly ownsTransport: boolean;
  private readonly logger: Logger;
  private readonly listBounds: ListBoundsOptions;
  private lastServerTime: number | null = null;

  constructor(options: OpenAiClientOptions) {
    if (!options.adminKey)
      throw new UserError('OPENAI_ADMIN_KEY is not set: set it to an admin key of the OpenAI organization (or use --sandbox)');
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(options.organization))
      throw new UserError('`org:` in org.yaml must be the OpenAI organization id (org-…), letters, digits, "_" and "-" only');
    this.organization = options.organization;
    this.baseUrl = checkBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL);
    this.adminKey = options.adminKey;
    this.logger = options.logger ?? silentLogger;
    this.listBounds = { maxPages: options.maxPages ?? DEFAULT_MAX_PAGES, ...options.listBounds };
    this.ownsTransport = !options.transport;
    this.transport = options.transport ?? new HttpTransport({ ...options, logger: this.logger });
  }

  async close(): Promise<void> {
    if (this.ownsTransport) await this.transport.close();
  }

  observedNow(): number | null {
    return this.lastServerTime;
  }

  /**
   * Whether an admin key list's `redacted_value` (`sk-admin...xyz`, only shown by example in the
   * SDK) can be this client's key: its shown start and end are the key's own. The key stays here.
   */
  couldBeOwnKey(redacted: string): boolean {
    const cut = redacted.indexOf('...');
    if (cut < 0) return false;
    const start = redacted.slice(0, cut);
    const end = redacted.slice(cut + 3);
    return (
      start.length + end.length >= 4 &&
      this.adminKey.length > start.length + end.length &&
      this.adminKey.startsWith(start) &&
      this.adminKey.endsWith(end)
    );
  }

  async call<T>(options: CallOptions): Promise<T> {
    const path = options.path;
    const bearer = options.bearer ?? this.adminKey;
    const request: HttpRequest = {
      method: options.method,
      url: `${this.baseUrl}${path}${queryString(options.query ?? {})}`,
      headers: { authorization: `Bearer ${bearer}`, 'openai-organization': this.organization },
      body: options.body,
      retrySafe: options.retrySafe ?? options.method !== 'POST',
      // A project key's limits say nothing about the admin API's: its 429s must not slow admin calls.
      gated: options.bearer === undefined,
      ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}),
    };
    let response;
    try {
      response = await this.transport.request(request);
    } catch (error) {
      const e = error as { reason?: string; name?: string };
      if (e?.name !== 'NetworkError') throw error;
      throw errorFromNetwork({ method: options.method, path, reason: e.reason ?? 'no answer', cause: error });
    }
    this.logger.debug(`${options.method} ${path} → ${response.status}`);
    const date = Date.parse(response.headers.get('date') ?? '');
    if (!Number.isNaN(date)) this.lastServerTime = Math.floor(date / 1000);
    if (response.status >= 200 && response.status < 300) return response.body as T;
    throw errorFromResponse({
      status: response.status,
      body: response.body,
      method: options.method,
      path,
      requestId: response.headers.get('x-request-id'),
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
      organization: this.organization,
      secrets: [this.adminKey, bearer],
      inferenceKey: options.bearer !== undefined,
    });
  }

  /** A cursor list one page at a time: `limit=100`, then `after=<last_id>` while `has_more`. */
  async *pages<T>(path: string, query: Query = {}): AsyncGenerator<T[]> {
    const bounds = new ListBounds('last_id', { pageSize: PAGE_SIZE, ...this.listBounds });
    let after: string | undefined;
    for (;;) {
      const page = await this.call<WireList<T>>({ method: 'GET', path, query: { ...query, limit: PAGE_SIZE, after } });
      if (!page || !Array.isArray(page.data)) throw this.badList(path, 'the answer is not a list');
      this.bounded(path, () => bounds.page(page.data.length));
      yield page.data;
      if (!page.has_more) return;
      const next = page.last_id;
      if (!next || page.data.length === 0) throw this.badList(path, 'it says there is more but gives no cursor');
      after = this.bounded(path, () => bounds.next(next));
    }
  }

  async list<T>(path: string, query: Query = {}): Promise<T[]> {
    const items: T[] = [];
    for await (const page of this.pages<T>(path, query)) items.push(...page);
    return items;
  }

  /** Usage and costs: buckets, `page=<next_page>` while `has_more`, their results counted as items. */
  async buckets<R>(path: string, query: Query): Promise<WireBucketPage<R>['data']> {
    const bounds = new ListBounds('next_page', { maxItems: MAX_BUCKET_RESULTS, ...this.listBounds });
    const buckets: WireBucketPage<R>['data'] = [];
    let page: string | undefined;
    for (;;) {
      const answer = await this.call<WireBucketPage<R>>({
        method: 'GET',
        path,
        query: { ...query, page },
        maxBytes: REPORT_MAX_RESPONSE_BYTES,
      });
      if (!answer || !Array.isArray(answer.data)) throw this.badList(path, 'the answer is not a page of buckets');
      this.bounded(path, () => bounds.page(answer.data.reduce((n, b) => n + 1 + (Array.isArray(b?.results) ? b.results.length : 0), 0)));
      buckets.push(...answer.data);
      if (!answer.has_more) return buckets;
      const next = answer.next_page;
      if (!next) throw this.badList(path, 'it says there is more but gives no next_page');
      page = this.bounded(path, () => bounds.next(next));
    }
  }

  /** A list bound's problem (src/net/list-bounds.ts) as this client's list error. */
  private bounded<T>(path: string, step: () => T): T {
    try {
      return step();
    } catch (error) {
      if (error instanceof ListBoundExceeded) throw this.badList(path, error.problem);
      throw error;
    }
  }

  private badList(path: string, why: string): UserError {
    return new UserError(
      `GET ${path}: OpenAI's list cannot be read to its end (${redactOpenAi(why)}); nothing was changed. Try again; if it persists, check --base-url / OPENAI_BASE_URL`,
    );
  }
}

/**
 * The base URL as OpenAI's SDK takes it (`OPENAI_BASE_URL`, with `/v1`): https (http only to this
 * machine), no credentials, query or fragment. A bare host gets `/v1`, since every path is under it.
 */
export function checkBaseUrl(raw: string): string {
  const hint = 'set --base-url / OPENAI_BASE_URL to the API base, e.g. https://api.openai.com/v1';
  const url = checkSecureUrl(raw, 'the base URL', hint);
  if (url.search || url.hash) throw new UserError(`the base URL "${redactOpenAi(raw)}" has a query or fragment: ${hint}`);
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.origin}${path === '' ? '/v1' : path}`;
}

/** As OpenAI's SDK sends queries: arrays as `name[]=a&name[]=b` (installed `internal/utils/query.js`). */
export function queryString(query: Query): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) parts.push(`${name}[]=${encodeURIComponent(item)}`);
    else parts.push(`${name}=${encodeURIComponent(String(value))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

export const enc = encodeURIComponent;
export const projectPath = (projectId: string) => `/organization/projects/${enc(projectId)}`;
