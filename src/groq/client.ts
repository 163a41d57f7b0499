import { silentLogger, type Logger } from '../log.js';
import { GroqApiError } from './errors.js';
import { HttpTransport, type HttpRequest, type TransportOptions } from './transport.js';
import type { ApiKey, ChatCompletion, CreateKeyInput, RateLimits, CreatedKey, DailyUsage, GroqAdmin, Model, Organization, SpendingLimit, SpendingLimitInput, UpdateKeyInput, UsageToday } from './types.js';

export const DEFAULT_BASE_URL = 'https://api.groq.com';
const PAGE_SIZE = 100;

export interface GroqClientOptions extends TransportOptions {
  baseUrl?: string;
  adminKey: string;
  /** Share one transport (and its connection pool) between clients. */
  transport?: HttpTransport;
  logger?: Logger;
}

/**
 * The adapter for the Groq organization contract: the only code that knows its paths and payloads.
 * The day Groq publishes an admin API, this file is what changes.
 */
export class GroqClient implements GroqAdmin {
  private readonly baseUrl: string;
  private readonly adminKey: string;
  private readonly transport: HttpTransport;
  private readonly ownsTransport: boolean;
  private readonly logger: Logger;
  private lastServerTime: number | null = null;

  constructor(options: GroqClientOptions) {
    this.baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.adminKey = options.adminKey;
    this.logger = options.logger ?? silentLogger;
    this.ownsTransport = !options.transport;
    this.transport = options.transport ?? new HttpTransport({ ...options, logger: this.logger });
  }

  async close(): Promise<void> {
    if (this.ownsTransport) await this.transport.close();
  }

  getOrganization(): Promise<Organization> {
    return this.call<Organization>({ method: 'GET', path: '/openai/v1/organization' });
  }

  listKeys(): Promise<ApiKey[]> {
    return this.paginate<ApiKey>('/openai/v1/api-keys', {});
  }

  getKey(id: string): Promise<ApiKey> {
    return this.call<ApiKey>({ method: 'GET', path: `/openai/v1/api-keys/${encodeURIComponent(id)}` });
  }

  /** The Idempotency-Key makes a retried or concurrent create return the first key instead of a second. */
  createKey(input: CreateKeyInput, idempotencyKey: string): Promise<CreatedKey> {
    return this.call<CreatedKey>({ method: 'POST', path: '/openai/v1/api-keys', body: input, headers: { 'idempotency-key': idempotencyKey }, retrySafe: true });
  }

  // Our PATCH bodies set absolute values (no increments), so repeating one is harmless: safe to retry.
  updateKey(id: string, patch: UpdateKeyInput): Promise<ApiKey> {
    return this.call<ApiKey>({ method: 'PATCH', path: `/openai/v1/api-keys/${encodeURIComponent(id)}`, body: patch, retrySafe: true });
  }

  async deleteKey(id: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/openai/v1/api-keys/${encodeURIComponent(id)}` });
  }

  getSpendingLimit(): Promise<SpendingLimit> {
    return this.call<SpendingLimit>({ method: 'GET', path: '/openai/v1/organization/spending-limit' });
  }

  setSpendingLimit(input: SpendingLimitInput): Promise<SpendingLimit> {
    return this.call<SpendingLimit>({ method: 'PUT', path: '/openai/v1/organization/spending-limit', body: input });
  }

  async listModels(): Promise<Model[]> {
    const page = await this.call<{ data: Model[] }>({ method: 'GET', path: '/openai/v1/models' });
    return page.data;
  }

  getUsageToday(): Promise<UsageToday> {
    return this.call<UsageToday>({ method: 'GET', path: '/openai/v1/usage' });
  }

  listDailyUsage(startDate: string, endDate: string): Promise<DailyUsage[]> {
    return this.paginate<DailyUsage>('/openai/v1/usage', { start_date: startDate, end_date: endDate });
  }

  /**
   * One chat completion with an inference key: how a new key is verified, and how a policy is seen to
   * hold. Not retried: a completion spends tokens.
   */
  async chatCompletion(apiKey: string, body: { model: string; messages: { role: string; content: string }[]; max_completion_tokens?: number }): Promise<{ completion: ChatCompletion; rateLimits: RateLimits }> {
    const { body: completion, headers } = await this.exchange({ method: 'POST', path: '/openai/v1/chat/completions', body, bearer: apiKey, retrySafe: false });
    return { completion: completion as ChatCompletion, rateLimits: readRateLimits(headers) };
  }

  observedNow(): number | null {
    return this.lastServerTime;
  }

  private async paginate<T>(path: string, query: Record<string, string>): Promise<T[]> {
    const items: T[] = [];
    let after: string | null = null;
    for (;;) {
      const params = new URLSearchParams({ ...query, limit: String(PAGE_SIZE), ...(after ? { after } : {}) });
      const page: { data: T[]; has_more: boolean; last_id: string | null } = await this.call({ method: 'GET', path: `${path}?${params}` });
      items.push(...page.data);
      if (!page.has_more || !page.last_id || page.data.length === 0) return items;
      after = page.last_id;
    }
  }

  private async call<T>(r: { method: string; path: string; body?: unknown; headers?: Record<string, string>; retrySafe?: boolean }): Promise<T> {
    return (await this.exchange(r)).body as T;
  }

  private async exchange(r: { method: string; path: string; body?: unknown; headers?: Record<string, string>; retrySafe?: boolean; bearer?: string }): Promise<{ body: unknown; headers: Headers }> {
    const request: HttpRequest = {
      method: r.method,
      url: `${this.baseUrl}${r.path}`,
      headers: { authorization: `Bearer ${r.bearer ?? this.adminKey}`, ...r.headers },
      body: r.body,
      // GET, PUT and DELETE are idempotent by HTTP's definition.
      retrySafe: r.retrySafe ?? ['GET', 'PUT', 'DELETE', 'HEAD'].includes(r.method),
    };
    const response = await this.transport.request(request);
    this.logger.debug(`${r.method} ${r.path.split('?')[0]} → ${response.status}`);
    const date = Date.parse(response.headers.get('date') ?? '');
    if (!Number.isNaN(date)) this.lastServerTime = Math.floor(date / 1000);
    if (response.status >= 200 && response.status < 300) return { body: response.body, headers: response.headers };
    const error = (response.body as { error?: { message?: string; code?: string; type?: string; param?: string } } | null)?.error;
    throw new GroqApiError({
      status: response.status,
      code: error?.code ?? null,
      type: error?.type ?? null,
      param: error?.param ?? null,
      serverMessage: error?.message ?? (typeof response.body === 'string' && response.body ? response.body.slice(0, 200) : 'no error message'),
      requestId: response.headers.get('x-request-id'),
      method: r.method,
      path: r.path.split('?')[0]!,
      rateLimits: response.headers.has('x-ratelimit-limit-requests') || response.headers.has('retry-after') ? readRateLimits(response.headers) : null,
    });
  }
}

function readRateLimits(headers: Headers): RateLimits {
  const num = (name: string) => {
    const v = headers.get(name);
    return v === null || v === '' || Number.isNaN(Number(v)) ? null : Number(v);
  };
  return {
    limitRequests: num('x-ratelimit-limit-requests'),
    remainingRequests: num('x-ratelimit-remaining-requests'),
    limitTokens: num('x-ratelimit-limit-tokens'),
    remainingTokens: num('x-ratelimit-remaining-tokens'),
    resetRequests: headers.get('x-ratelimit-reset-requests'),
    resetTokens: headers.get('x-ratelimit-reset-tokens'),
    retryAfter: num('retry-after'),
  };
}
