import type {
  AuditLog,
  AuditLogQuery,
  Bucket,
  ChatCompletion,
  CostResult,
  CostsQuery,
  CreateKeyInput,
  CreatedProjectApiKey,
  Model,
  ModelPermissions,
  ModelPermissionsInput,
  Organization,
  Project,
  ProjectApiKey,
  RateLimit,
  RateLimitHeaders,
  RateLimitValues,
  SpendAlert,
  SpendAlertInput,
  SpendLimit,
  UpdateKeyInput,
  UsageQuery,
  UsageResult,
} from './wire.js';
import type { Invite, InviteInput, ProjectUser, User } from './wire.js';
import { UserError } from '../../core/errors.js';
import { Interner } from '../../core/intern.js';
import { silentLogger, type Logger } from '../../core/log.js';
import { redactSecrets } from '../../core/redact.js';
import { checkSecureUrl } from '../../core/secure-url.js';
import { ProtocolError } from '../../net/errors.js';
import { DEFAULT_MAX_PAGES, ListBoundExceeded, ListBounds, type ListBoundsOptions } from '../../net/list-bounds.js';
import { HttpTransport, REPORT_MAX_RESPONSE_BYTES, type HttpRequest, type TransportOptions } from '../../net/transport.js';
import { GroqApiError } from './errors.js';
import type { Created, GroqAdmin } from './admin.js';

/** Strings the admin API repeats in every list item (`object`, rate limits' ids and models): one copy each. */
const vocabulary = new Interner(10_000);

export const DEFAULT_BASE_URL = 'https://api.groq.com';
/** Every path of the contract starts here, under the base URL. */
const V1 = '/openai/v1';
/** The contract's largest page. */
const PAGE_SIZE = 100;
/**
 * The most pages one list may take (src/net/list-bounds.ts). At 100 a page that is 1,000,000 items,
 * twenty times the 50,000 keys of the largest organization benchmarked (README, Performance) and far
 * more than any one project holds; a server that never says `has_more: false` fails here instead of
 * looping. Usage and costs pages share the bound: 10,000 pages of the smallest default page (7 days)
 * span 190 years of day buckets, and of 60 minutes, 416 days of minute buckets, beyond any report's
 * window. Every list also has a total item cap and a whole-list deadline (ListBounds).
 */
export const MAX_PAGES = DEFAULT_MAX_PAGES;
/**
 * The most results one usage or costs read may hold in all its buckets: 90 days of 50,000 keys used
 * daily, each with two models, is 9,000,000; a list of plain items holds at most DEFAULT_MAX_ITEMS.
 */
export const MAX_BUCKET_RESULTS = 10_000_000;

export interface GroqClientOptions extends TransportOptions {
  baseUrl?: string;
  adminKey: string;
  /** Share one transport (its connection pool and its concurrency gate) between clients. */
  transport?: HttpTransport;
  logger?: Logger;
  /** The bounds of every list (pages, items, whole-list deadline, clock): src/net/list-bounds.ts. */
  listBounds?: ListBoundsOptions;
}

type QueryValue = string | number | boolean | readonly string[] | undefined;
type Query = Record<string, QueryValue>;

interface CallOptions {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  /** Defaults to true for GET and DELETE, false otherwise. */
  retrySafe?: boolean;
  /** An inference key instead of the admin key. */
  bearer?: string;
  /** The most bytes read from the answer (default: the transport's cap for admin answers). */
  maxBytes?: number;
}

interface ListPage<T> {
  data: T[];
  has_more: boolean;
  last_id: string | null;
}

/**
 * The adapter for the Groq organization contract v2: the only code that knows its paths and payloads.
 * The day Groq publishes an admin API, this file is what changes.
 */
export class GroqClient implements GroqAdmin {
  private readonly baseUrl: string;
  private readonly adminKey: string;
  private readonly transport: HttpTransport;
  private readonly ownsTransport: boolean;
  private readonly logger: Logger;
  private readonly listBounds: ListBoundsOptions;
  private lastServerTime: number | null = null;

  constructor(options: GroqClientOptions) {
    this.baseUrl = checkBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL);
    this.listBounds = options.listBounds ?? {};
    this.adminKey = options.adminKey;
    this.logger = options.logger ?? silentLogger;
    this.ownsTransport = !options.transport;
    this.transport = options.transport ?? new HttpTransport({ ...options, logger: this.logger });
  }

  async close(): Promise<void> {
    if (this.ownsTransport) await this.transport.close();
  }

  getOrganization(): Promise<Organization> {
    return this.call({ method: 'GET', path: '/organization' });
  }

  getOrgModelPermissions(): Promise<ModelPermissions> {
    return this.call({ method: 'GET', path: '/organization/model_permissions' });
  }

  // Every update below sends absolute values (no increments), so sending one twice is harmless: retry-safe.
  setOrgModelPermissions(input: ModelPermissionsInput): Promise<ModelPermissions> {
    return this.call({ method: 'POST', path: '/organization/model_permissions', body: input, retrySafe: true });
  }

  async deleteOrgModelPermissions(): Promise<void> {
    await this.call({ method: 'DELETE', path: '/organization/model_permissions' });
  }

  listOrgRateLimits(): Promise<RateLimit[]> {
    return this.collect(this.pages<RateLimit>('/organization/rate_limits'));
  }

  listProjects(options: { includeArchived?: boolean } = {}): Promise<Project[]> {
    return this.collect(this.listProjectPages(options));
  }

  /** The projects one page at a time, so a reader can start on a page before the next arrives. */
  listProjectPages(options: { includeArchived?: boolean } = {}): AsyncGenerator<Project[]> {
    return this.pages<Project>('/organization/projects', options.includeArchived ? { include_archived: true } : {});
  }

  getProject(projectId: string): Promise<Project> {
    return this.call({ method: 'GET', path: projectPath(projectId) });
  }

  createProject(input: { name: string }, idempotencyKey: string): Promise<Created<Project>> {
    return this.create('/organization/projects', input, idempotencyKey);
  }

  // Archiving twice leaves the project archived; OpenAI's SDK sends no body here, nor do we.
  archiveProject(projectId: string): Promise<Project> {
    return this.call({ method: 'POST', path: `${projectPath(projectId)}/archive`, retrySafe: true });
  }

  getProjectModelPermissions(projectId: string): Promise<ModelPermissions> {
    return this.call({ method: 'GET', path: `${projectPath(projectId)}/model_permissions` });
  }

  setProjectModelPermissions(projectId: string, input: ModelPermissionsInput): Promise<ModelPermissions> {
    return this.call({ method: 'POST', path: `${projectPath(projectId)}/model_permissions`, body: input, retrySafe: true });
  }

  async deleteProjectModelPermissions(projectId: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `${projectPath(projectId)}/model_permissions` });
  }

  async listProjectRateLimits(projectId: string): Promise<RateLimit[]> {
    const limits = await this.collect(this.pages<RateLimit>(`${projectPath(projectId)}/rate_limits`));
    // Every project lists the same models under the same ids: kept once, not once per project.
    for (const l of limits) {
      if (typeof l.id === 'string') l.id = vocabulary.intern(l.id);
      if (typeof l.model === 'string') l.model = vocabulary.intern(l.model);
    }
    return limits;
  }

  updateProjectRateLimit(projectId: string, rateLimitId: string, values: Partial<RateLimitValues>): Promise<RateLimit> {
    return this.call({ method: 'POST', path: `${projectPath(projectId)}/rate_limits/${enc(rateLimitId)}`, body: values, retrySafe: true });
  }

  listProjectKeys(projectId: string): Promise<ProjectApiKey[]> {
    return this.collect(this.pages<ProjectApiKey>(`${projectPath(projectId)}/api_keys`));
  }

  getProjectKey(projectId: string, keyId: string): Promise<ProjectApiKey> {
    return this.call({ method: 'GET', path: keyPath(projectId, keyId) });
  }

  /** The Idempotency-Key makes a retried or concurrent create return the first key instead of a second. */
  createProjectKey(projectId: string, input: CreateKeyInput, idempotencyKey: string): Promise<Created<CreatedProjectApiKey>> {
    return this.create(`${projectPath(projectId)}/api_keys`, input, idempotencyKey);
  }

  // Metadata is merged and `null` removes an entry: the same body twice gives the same key.
  updateProjectKey(projectId: string, keyId: string, input: UpdateKeyInput): Promise<ProjectApiKey> {
    return this.call({ method: 'POST', path: keyPath(projectId, keyId), body: input, retrySafe: true });
  }

  async deleteProjectKey(projectId: string, keyId: string): Promise<void> {
    await this.call({ method: 'DELETE', path: keyPath(projectId, keyId) });
  }

  async getSpendLimit(): Promise<SpendLimit | null> {
    try {
      return await this.call<SpendLimit>({ method: 'GET', path: '/organization/spend_limit' });
    } catch (error) {
      // The contract answers 404 when none is set; a 404 for a wrong base URL is still an error.
      if (error instanceof GroqApiError && error.status === 404 && error.code !== 'unknown_url') return null;
      throw error;
    }
  }

  setSpendLimit(thresholdCents: number): Promise<SpendLimit> {
    return this.call({
      method: 'POST',
      path: '/organization/spend_limit',
      body: { threshold_amount: thresholdCents, currency: 'USD', interval: 'month' },
      retrySafe: true,
    });
  }

  async deleteSpendLimit(): Promise<void> {
    await this.call({ method: 'DELETE', path: '/organization/spend_limit' });
  }

  listSpendAlerts(): Promise<SpendAlert[]> {
    return this.collect(this.pages<SpendAlert>('/organization/spend_alerts'));
  }

  createSpendAlert(input: SpendAlertInput, idempotencyKey: string): Promise<Created<SpendAlert>> {
    return this.create('/organization/spend_alerts', input, idempotencyKey);
  }

  updateSpendAlert(alertId: string, input: SpendAlertInput): Promise<SpendAlert> {
    return this.call({ method: 'POST', path: `/organization/spend_alerts/${enc(alertId)}`, body: input, retrySafe: true });
  }

  async deleteSpendAlert(alertId: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/organization/spend_alerts/${enc(alertId)}` });
  }

  listCompletionsUsage(query: UsageQuery): Promise<Bucket<UsageResult>[]> {
    return this.buckets<UsageResult>('/organization/usage/completions', { ...query });
  }

  listCosts(query: CostsQuery): Promise<Bucket<CostResult>[]> {
    return this.buckets<CostResult>('/organization/costs', { bucket_width: '1d', ...query });
  }

  listAuditLogs(query: AuditLogQuery): Promise<AuditLog[]> {
    return this.collect(
      this.pages<AuditLog>('/organization/audit_logs', { 'effective_at[gte]': query.effective_at_gte, event_types: query.event_types }),
    );
  }

  // --- Members (contract v2.1). Role updates send the role itself, so sending one twice is harmless.
  listUsers(): Promise<User[]> {
    return this.collect(this.pages<User>('/organization/users'));
  }

  updateUser(userId: string, role: string): Promise<User> {
    return this.call({ method: 'POST', path: `/organization/users/${enc(userId)}`, body: { role }, retrySafe: true });
  }

  async deleteUser(userId: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/organization/users/${enc(userId)}` });
  }

  listInvites(): Promise<Invite[]> {
    return this.collect(this.pages<Invite>('/organization/invites'));
  }

  getInvite(inviteId: string): Promise<Invite> {
    return this.call({ method: 'GET', path: `/organization/invites/${enc(inviteId)}` });
  }

  createInvite(input: InviteInput, idempotencyKey: string): Promise<Created<Invite>> {
    return this.create('/organization/invites', input, idempotencyKey);
  }

  async deleteInvite(inviteId: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/organization/invites/${enc(inviteId)}` });
  }

  listProjectUsers(projectId: string): Promise<ProjectUser[]> {
    return this.collect(this.pages<ProjectUser>(`${projectPath(projectId)}/users`));
  }

  getProjectUser(projectId: string, userId: string): Promise<ProjectUser> {
    return this.call({ method: 'GET', path: `${projectPath(projectId)}/users/${enc(userId)}` });
  }

  // Retry-safe in effect: a second send is refused as a member already, and the provider reads the membership then.
  addProjectUser(projectId: string, input: { user_id: string; role: string }): Promise<ProjectUser> {
    return this.call({ method: 'POST', path: `${projectPath(projectId)}/users`, body: input, retrySafe: true });
  }

  updateProjectUser(projectId: string, userId: string, role: string): Promise<ProjectUser> {
    return this.call({ method: 'POST', path: `${projectPath(projectId)}/users/${enc(userId)}`, body: { role }, retrySafe: true });
  }

  async deleteProjectUser(projectId: string, userId: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `${projectPath(projectId)}/users/${enc(userId)}` });
  }

  /** With an inference key, the cheapest authenticated call: how a new key is verified. Without one, with the admin key. */
  async listModels(apiKey?: string): Promise<Model[]> {
    const page = await this.call<{ data: Model[] }>({ method: 'GET', path: '/models', ...(apiKey ? { bearer: apiKey } : {}) });
    return page.data;
  }

  /** One chat completion with an inference key. Never retried: a completion spends tokens. */
  async chatCompletion(
    apiKey: string,
    body: { model: string; messages: { role: string; content: string }[]; max_completion_tokens?: number },
  ): Promise<{ completion: ChatCompletion; rateLimits: RateLimitHeaders }> {
    const { body: completion, headers } = await this.exchange({
      method: 'POST',
      path: '/chat/completions',
      body,
      bearer: apiKey,
      retrySafe: false,
    });
    return { completion: completion as ChatCompletion, rateLimits: readRateLimits(headers) };
  }

  observedNow(): number | null {
    return this.lastServerTime;
  }

  /** A create: retry-safe because the Idempotency-Key makes a second send replay the first answer. */
  private async create<T>(path: string, body: unknown, idempotencyKey: string): Promise<Created<T>> {
    const response = await this.exchange({ method: 'POST', path, body, headers: { 'idempotency-key': idempotencyKey }, retrySafe: true });
    return { value: response.body as T, replayed: response.headers.get('idempotent-replayed') === 'true' };
  }

  /**
   * OpenAI's cursor pagination: `limit` and `after=<last_id>` until `has_more` is false. A cursor
   * seen before, more than MAX_PAGES pages, more items than the cap or a list past its deadline is
   * the server's error (src/net/list-bounds.ts): the list would never end.
   */
  private async *pages<T>(path: string, query: Query = {}): AsyncGenerator<T[]> {
    const bounds = new ListBounds('last_id', { pageSize: PAGE_SIZE, ...this.listBounds });
    let after: string | undefined;
    for (;;) {
      const page = await this.call<ListPage<T>>({ method: 'GET', path, query: { ...query, limit: PAGE_SIZE, after } });
      if (!page || !Array.isArray(page.data)) throw this.listError(path, 'the answer is not a list');
      for (const item of page.data as { object?: unknown }[])
        if (typeof item?.object === 'string') item.object = vocabulary.intern(item.object);
      this.bounded(path, () => bounds.page(page.data.length));
      yield page.data;
      if (!page.has_more || !page.last_id || page.data.length === 0) return;
      after = this.bounded(path, () => bounds.next(page.last_id!));
    }
  }

  /** Usage and costs paginate with a `page` cursor (`next_page`) instead, bounded the same way (their results counted as items). */
  private async buckets<R>(path: string, query: Query): Promise<Bucket<R>[]> {
    const bounds = new ListBounds('next_page', { maxItems: MAX_BUCKET_RESULTS, ...this.listBounds });
    const buckets: Bucket<R>[] = [];
    let page: string | undefined;
    for (;;) {
      const answer = await this.call<{ data: Bucket<R>[]; has_more: boolean; next_page: string | null }>({
        method: 'GET',
        path,
        query: { ...query, page },
        maxBytes: REPORT_MAX_RESPONSE_BYTES,
      });
      if (!answer || !Array.isArray(answer.data)) throw this.listError(path, 'the answer is not a page of buckets');
      this.bounded(path, () => bounds.page(answer.data.reduce((n, b) => n + 1 + (Array.isArray(b?.results) ? b.results.length : 0), 0)));
      buckets.push(...answer.data);
      if (!answer.has_more || !answer.next_page) return buckets;
      page = this.bounded(path, () => bounds.next(answer.next_page!));
    }
  }

  /** A list bound's problem as the transport's ProtocolError: not retried, nothing changed. */
  private bounded<T>(path: string, step: () => T): T {
    try {
      return step();
    } catch (error) {
      if (error instanceof ListBoundExceeded) throw this.listError(path, error.problem);
      throw error;
    }
  }

  private listError(path: string, problem: string): ProtocolError {
    return new ProtocolError({ method: 'GET', url: `${this.baseUrl}${V1}${path}`, problem });
  }

  private async collect<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
    const items: T[] = [];
    for await (const page of pages) items.push(...page);
    return items;
  }

  private async call<T>(options: CallOptions): Promise<T> {
    return (await this.exchange(options)).body as T;
  }

  private async exchange(options: CallOptions): Promise<{ body: unknown; headers: Headers }> {
    const path = `${V1}${options.path}`;
    const bearer = options.bearer ?? this.adminKey;
    const request: HttpRequest = {
      method: options.method,
      url: `${this.baseUrl}${path}${queryString(options.query ?? {})}`,
      headers: { authorization: `Bearer ${bearer}`, ...options.headers },
      body: options.body,
      retrySafe: options.retrySafe ?? options.method !== 'POST',
      // Inference keys have their own limits; their 429s must not slow down the admin calls.
      gated: options.bearer === undefined,
      ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}),
    };
    const response = await this.transport.request(request);
    this.logger.debug(`${options.method} ${path} → ${response.status}`);
    const date = Date.parse(response.headers.get('date') ?? '');
    if (!Number.isNaN(date)) this.lastServerTime = Math.floor(date / 1000);
    if (response.status >= 200 && response.status < 300) return { body: response.body, headers: response.headers };
    const error = (response.body as { error?: { message?: string; code?: string; type?: string; param?: string } } | null)?.error;
    throw new GroqApiError({
      status: response.status,
      code: error?.code ?? null,
      type: error?.type ?? null,
      param: error?.param ?? null,
      serverMessage:
        error?.message ?? (typeof response.body === 'string' && response.body ? response.body.slice(0, 200) : 'no error message'),
      requestId: response.headers.get('x-request-id'),
      method: options.method,
      path,
      rateLimits:
        response.headers.has('x-ratelimit-limit-requests') || response.headers.has('retry-after') ? readRateLimits(response.headers) : null,
      secrets: [this.adminKey, bearer],
      inferenceKey: options.bearer !== undefined,
    });
  }
}

/**
 * The base URL as the client uses it: https (http only to this machine: core/secure-url), no
 * credentials, no trailing slash or `/openai/v1`.
 */
function checkBaseUrl(raw: string): string {
  const hint = 'set --base-url / GROQ_BASE_URL to the API host, e.g. https://api.groq.com';
  const url = checkSecureUrl(raw, 'the base URL', hint);
  if (url.search || url.hash) throw new UserError(`the base URL "${redactSecrets(raw)}" has a query or fragment: ${hint}`);
  // The contract's base is `…/openai/v1`; accept it written either way.
  const path = url.pathname.replace(/\/+$/, '').replace(/\/openai\/v1$/, '');
  return `${url.origin}${path}`;
}

/** Query parameters as OpenAI's SDK sends them: arrays as `name[]=a&name[]=b`; undefined left out. */
function queryString(query: Query): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) parts.push(`${name}[]=${encodeURIComponent(item)}`);
    else parts.push(`${name}=${encodeURIComponent(String(value))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

const enc = encodeURIComponent;
const projectPath = (projectId: string) => `/organization/projects/${enc(projectId)}`;
const keyPath = (projectId: string, keyId: string) => `${projectPath(projectId)}/api_keys/${enc(keyId)}`;

function readRateLimits(headers: Headers): RateLimitHeaders {
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
