import { createHash, randomBytes } from 'node:crypto';
import { defaultCatalogue, lookUpModel, type ModelCatalogue } from '../policy/models.js';
import { redactKeyValue } from '../redact.js';
import type { ApiKey, KeyStatus, Model, SpendingLimit } from '../groq/types.js';
import { canonicalJson } from '../plan/fingerprint.js';
import { SandboxError, invalid } from './errors.js';
import { emptySnapshot, type Delta, type OrgSnapshot, type StoredKey, type UsageRow } from './snapshot.js';
import { admitRequest, ORG_DEFAULT_LIMITS, rateLimitMessage, type EffectiveLimits } from './rate-limits.js';
import { decommissionedMessage, validateKeyBody, validateSpendingBody } from './validate-body.js';

const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BASE32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function randomString(alphabet: string, length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}


/** The stand-in Groq organization: all of the contract's behaviour, in memory, on its own clock. */
export class OrgState {
  private snapshotData: OrgSnapshot;
  private readonly byId = new Map<string, StoredKey>();
  private readonly byValue = new Map<string, StoredKey>();
  private ordered: StoredKey[] = [];
  private readonly usageIndex = new Map<string, UsageRow>();
  readonly catalogue: ModelCatalogue;
  /** Told of every change, for the journal. */
  onChange: ((delta: Delta) => void) | null = null;
  usageLagSeconds: number;

  constructor(options: { orgId?: string; orgName?: string; catalogue?: ModelCatalogue; usageLagSeconds?: number; snapshot?: OrgSnapshot } = {}) {
    this.catalogue = options.catalogue ?? defaultCatalogue;
    this.usageLagSeconds = options.usageLagSeconds ?? 0;
    this.snapshotData = options.snapshot ?? emptySnapshot(options.orgId ?? 'org_sandbox', options.orgName ?? 'Sandbox organization');
    if (options.orgId) this.snapshotData.org.id = options.orgId;
    this.reindex();
  }

  snapshot(): OrgSnapshot {
    return this.snapshotData;
  }

  /** Empties the organization (keeps its id and clock). */
  reset(): void {
    const { org, clock_offset_ms } = this.snapshotData;
    this.snapshotData = { ...emptySnapshot(org.id, org.name), clock_offset_ms };
    this.reindex();
    this.emit({ op: 'reset' });
  }

  private emit(delta: Delta): void {
    this.onChange?.(delta);
  }
  private emitMeta(): void {
    this.emit({ op: 'meta', seq: this.snapshotData.seq, clock_offset_ms: this.snapshotData.clock_offset_ms });
  }

  private reindex(): void {
    this.byId.clear();
    this.byValue.clear();
    this.ordered = [...this.snapshotData.keys].sort((a, b) => a.seq - b.seq);
    for (const k of this.ordered) {
      this.byId.set(k.id, k);
      this.byValue.set(k.value_sha256, k);
    }
    this.usageIndex.clear();
    for (const r of this.snapshotData.usage) this.usageIndex.set(`${r.date}|${r.key_id}`, r);
  }

  // --- clock
  nowMs(): number {
    return Date.now() + this.snapshotData.clock_offset_ms;
  }
  now(): number {
    return Math.floor(this.nowMs() / 1000);
  }
  advanceClock(seconds: number): number {
    if (!Number.isFinite(seconds) || seconds < 0) throw invalid('advance_seconds', "'advance_seconds' must be a non-negative number.");
    this.snapshotData.clock_offset_ms += Math.round(seconds * 1000);
    this.emitMeta();
    return this.now();
  }
  private today(): string {
    return new Date(this.nowMs()).toISOString().slice(0, 10);
  }

  organization(): Reply {
    return { status: 200, body: { object: 'organization', ...this.snapshotData.org } };
  }

  // --- keys
  private present(k: StoredKey): ApiKey & { object: 'api_key' } {
    const now = this.now();
    const lastUsed = k.recent_uses.reduce<number | null>((latest, t) => (t <= now - this.usageLagSeconds && t > (latest ?? 0) ? t : latest), k.last_used_at);
    return {
      object: 'api_key', id: k.id, name: k.name, redacted_value: k.redacted_value, allowed_models: k.allowed_models,
      requests_per_minute: k.requests_per_minute, tokens_per_minute: k.tokens_per_minute, requests_per_day: k.requests_per_day, tokens_per_day: k.tokens_per_day,
      status: k.status, metadata: { ...k.metadata }, created_at: k.created_at, last_used_at: lastUsed,
    };
  }

  listKeys(query: URLSearchParams): Reply {
    const limit = parseLimit(query.get('limit'));
    const after = query.get('after');
    let start = 0;
    if (after) {
      // Ids grow with creation, so "after" works even when that key was deleted meanwhile.
      let lo = 0;
      let hi = this.ordered.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.ordered[mid]!.id <= after) lo = mid + 1;
        else hi = mid;
      }
      start = lo;
    }
    const page = this.ordered.slice(start, start + limit).map((k) => this.present(k));
    return {
      status: 200,
      body: { object: 'list', data: page, first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null, has_more: start + limit < this.ordered.length },
    };
  }

  getKey(id: string): Reply {
    return { status: 200, body: this.present(this.find(id)) };
  }

  private find(id: string): StoredKey {
    const k = this.byId.get(id);
    if (!k) throw new SandboxError(404, 'api_key_not_found', `No API key with id '${id}'.`, 'invalid_request_error', 'id');
    return k;
  }

  createKey(raw: unknown, idempotencyKey: string | null): Reply {
    const now = this.now();
    if (idempotencyKey) {
      const record = this.snapshotData.idempotency[idempotencyKey];
      if (record && record.expires_at > now) {
        if (record.body_sha256 !== sha256(canonicalJson(raw))) {
          throw new SandboxError(409, 'idempotency_key_reused', 'This Idempotency-Key was already used with a different request body.', 'invalid_request_error');
        }
        return { status: 201, body: record.response, headers: { 'idempotent-replayed': 'true' } };
      }
    }
    const body = validateKeyBody(raw, 'create', this.catalogue);
    const value = `gsk_${randomString(BASE62, 52)}`;
    const seq = ++this.snapshotData.seq;
    const key: StoredKey = {
      id: `key_01${seq.toString(32).toUpperCase().padStart(10, '0')}${randomString(BASE32, 10)}`,
      name: body.name as string,
      redacted_value: redactKeyValue(value),
      allowed_models: (body.allowed_models as string[] | null | undefined) ?? null,
      requests_per_minute: (body.requests_per_minute as number | null | undefined) ?? null,
      tokens_per_minute: (body.tokens_per_minute as number | null | undefined) ?? null,
      requests_per_day: (body.requests_per_day as number | null | undefined) ?? null,
      tokens_per_day: (body.tokens_per_day as number | null | undefined) ?? null,
      status: 'active',
      metadata: { ...((body.metadata as Record<string, string> | undefined) ?? {}) },
      created_at: now,
      last_used_at: null,
      seq,
      value_sha256: sha256(value),
      recent_uses: [],
    };
    if (Object.keys(key.metadata).length > 16) throw invalid('metadata', 'metadata may hold at most 16 entries.');
    this.snapshotData.keys.push(key);
    this.ordered.push(key);
    this.byId.set(key.id, key);
    this.byValue.set(key.value_sha256, key);
    const response = { ...this.present(key), value };
    this.emitMeta();
    this.emit({ op: 'key', key });
    if (idempotencyKey) {
      this.pruneIdempotency(now);
      const record = { body_sha256: sha256(canonicalJson(raw)), response, expires_at: now + IDEMPOTENCY_TTL_SECONDS };
      this.snapshotData.idempotency[idempotencyKey] = record;
      this.emit({ op: 'idem', k: idempotencyKey, r: record });
    }
    return { status: 201, body: response };
  }

  private pruneIdempotency(now: number): void {
    for (const [k, r] of Object.entries(this.snapshotData.idempotency)) if (r.expires_at <= now) delete this.snapshotData.idempotency[k];
  }

  updateKey(id: string, raw: unknown): Reply {
    const key = this.find(id);
    const body = validateKeyBody(raw, 'update', this.catalogue);
    const metadata = { ...key.metadata };
    for (const [k, v] of Object.entries((body.metadata as Record<string, string | null> | undefined) ?? {})) {
      if (v === null) delete metadata[k];
      else metadata[k] = v;
    }
    if (Object.keys(metadata).length > 16) throw invalid('metadata', 'metadata may hold at most 16 entries.');
    if (body.name !== undefined) key.name = body.name as string;
    if (body.allowed_models !== undefined) key.allowed_models = body.allowed_models as string[] | null;
    for (const f of ['requests_per_minute', 'tokens_per_minute', 'requests_per_day', 'tokens_per_day'] as const) {
      if (body[f] !== undefined) key[f] = body[f] as number | null;
    }
    if (body.status !== undefined) key.status = body.status as KeyStatus;
    key.metadata = metadata;
    this.emit({ op: 'key', key });
    return { status: 200, body: this.present(key) };
  }

  deleteKey(id: string): Reply {
    const key = this.find(id);
    this.byId.delete(id);
    this.byValue.delete(key.value_sha256);
    this.snapshotData.keys = this.snapshotData.keys.filter((k) => k !== key);
    this.ordered = this.ordered.filter((k) => k !== key);
    delete this.snapshotData.windows[id];
    this.emit({ op: 'del', id });
    return { status: 200, body: { object: 'api_key.deleted', id, deleted: true } };
  }

  /** The key an inference bearer token belongs to, if any. */
  keyForValue(value: string): StoredKey | undefined {
    return this.byValue.get(sha256(value));
  }

  // --- spending
  private monthToDate(): number {
    return this.snapshotData.month_totals[this.today().slice(0, 7)] ?? 0;
  }
  private spendingPaused(): boolean {
    const s = this.snapshotData.spending;
    return s.auto_pause && s.monthly_cap_usd !== null && this.monthToDate() >= s.monthly_cap_usd;
  }
  getSpendingLimit(): Reply {
    const s = this.snapshotData.spending;
    const body: SpendingLimit & { object: string } = {
      object: 'spending_limit', monthly_cap_usd: s.monthly_cap_usd, alert_thresholds_usd: [...s.alert_thresholds_usd], auto_pause: s.auto_pause,
      month_to_date_usd: round6(this.monthToDate()), status: this.spendingPaused() ? 'paused' : 'active',
    };
    return { status: 200, body };
  }
  putSpendingLimit(raw: unknown): Reply {
    this.snapshotData.spending = validateSpendingBody(raw);
    this.emit({ op: 'spend', s: this.snapshotData.spending });
    return this.getSpendingLimit();
  }

  // --- models
  listModels(): Reply {
    const data: Model[] = this.catalogue.live.map((m) => ({
      id: m.id, object: 'model', created: m.created, owned_by: m.owned_by, active: true, context_window: m.context_window, max_completion_tokens: m.max_completion_tokens,
    }));
    return { status: 200, body: { object: 'list', data } };
  }
  getModel(id: string): Reply {
    const model = (this.listModels().body as { data: Model[] }).data.find((m) => m.id === id);
    if (!model) throw new SandboxError(404, 'model_not_found', `The model \`${id}\` does not exist or you do not have access to it.`);
    return { status: 200, body: model };
  }

  // --- usage
  usageToday(): Reply {
    const today = this.today();
    const usage_by_key = this.snapshotData.usage
      .filter((r) => r.date === today)
      .map((r) => {
        const key = this.byId.get(r.key_id);
        return {
          key_id: r.key_id, key_name: r.key_name, requests_today: r.requests, tokens_today: r.input_tokens + r.output_tokens,
          estimated_cost_usd: round6(r.estimated_cost_usd), last_used_at: key ? this.present(key).last_used_at : null,
        };
      });
    return { status: 200, body: { object: 'usage', date: today, usage_by_key } };
  }

  dailyUsage(query: URLSearchParams): Reply {
    const start = query.get('start_date')!;
    const end = query.get('end_date') ?? this.today();
    for (const [name, v] of [['start_date', start], ['end_date', end]] as const) {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(v))) throw invalid(name, `'${name}' must be a date as YYYY-MM-DD.`);
    }
    if (end < start) throw invalid('end_date', "'end_date' must not be before 'start_date'.");
    const limit = parseLimit(query.get('limit'));
    const after = query.get('after');
    const rows = this.snapshotData.usage
      .filter((r) => r.date >= start && r.date <= end)
      .map((r) => ({ cursor: `${r.date}:${r.key_id}`, row: { ...r, estimated_cost_usd: round6(r.estimated_cost_usd) } }))
      .sort((a, b) => (a.cursor < b.cursor ? -1 : 1));
    const from = after ? rows.findIndex((r) => r.cursor > after) : 0;
    const page = from < 0 ? [] : rows.slice(from, from + limit);
    return {
      status: 200,
      body: { object: 'list', data: page.map((r) => r.row), first_id: page[0]?.cursor ?? null, last_id: page.at(-1)?.cursor ?? null, has_more: from >= 0 && from + limit < rows.length },
    };
  }

  // --- inference
  /** `POST /openai/v1/chat/completions` with an inference key, in the order Groq checks. */
  chatCompletion(bearer: string | null, raw: unknown, requestId: string): Reply {
    const key = bearer ? this.keyForValue(bearer) : undefined;
    if (!key || key.status !== 'active') throw new SandboxError(401, 'invalid_api_key', 'Invalid API Key');
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalid('body', 'The request body must be a JSON object.');
    const body = raw as { model?: unknown; messages?: unknown; max_tokens?: unknown; max_completion_tokens?: unknown };
    if (typeof body.model !== 'string') throw invalid('model', "'model' is a required property.");
    if (!Array.isArray(body.messages) || body.messages.length === 0) throw invalid('messages', "'messages' must be a non-empty array.");
    const model = body.model;
    const status = lookUpModel(this.catalogue, model);
    if (status.kind === 'decommissioned') throw new SandboxError(400, 'model_decommissioned', decommissionedMessage(model));
    if (status.kind === 'unknown' || (key.allowed_models !== null && !key.allowed_models.includes(model))) {
      throw new SandboxError(404, 'model_not_found', `The model \`${model}\` does not exist or you do not have access to it.`);
    }
    if (this.spendingPaused()) {
      throw new SandboxError(400, 'blocked_api_access', 'Your organization has reached its monthly spending limit; API access is blocked until the limit is raised or the month ends.');
    }
    const reply = `Sandbox reply from ${model}.`;
    const promptTokens = body.messages.reduce((sum: number, m) => sum + 4 + Math.ceil(String((m as { content?: unknown })?.content ?? '').length / 4), 0);
    const maxTokens = typeof body.max_completion_tokens === 'number' ? body.max_completion_tokens : typeof body.max_tokens === 'number' ? body.max_tokens : Number.POSITIVE_INFINITY;
    const completionTokens = Math.max(1, Math.min(Math.ceil(reply.length / 4), maxTokens));
    const total = promptTokens + completionTokens;

    const nowMs = this.nowMs();
    const limits = Object.fromEntries(Object.entries(ORG_DEFAULT_LIMITS).map(([f, fallback]) => [f, key[f as keyof EffectiveLimits] ?? fallback])) as EffectiveLimits;
    const { window, headers, refusal } = admitRequest(this.snapshotData.windows[key.id], limits, nowMs, total);
    if (refusal) throw new SandboxError(429, 'rate_limit_exceeded', rateLimitMessage(model, this.snapshotData.org.id, refusal), refusal.unit, undefined, headers);
    this.snapshotData.windows[key.id] = window;
    this.emit({ op: 'win', id: key.id, w: window });
    const now = Math.floor(nowMs / 1000);
    const price = status.entry.price_per_million;
    const cost = (promptTokens * price.input + completionTokens * price.output) / 1_000_000;
    this.recordUsage(key, window.day, promptTokens, completionTokens, cost, now);
    return {
      status: 200,
      headers,
      body: {
        id: `chatcmpl-${randomString(BASE62, 24)}`, object: 'chat.completion', created: now, model,
        choices: [{ index: 0, message: { role: 'assistant', content: reply }, logprobs: null, finish_reason: completionTokens < Math.ceil(reply.length / 4) ? 'length' : 'stop' }],
        usage: { queue_time: 0.0001, prompt_tokens: promptTokens, prompt_time: 0.001, completion_tokens: completionTokens, completion_time: 0.002, total_tokens: total, total_time: 0.003 },
        system_fingerprint: 'fp_sandbox', x_groq: { id: requestId },
      },
    };
  }

  private recordUsage(key: StoredKey, date: string, input: number, output: number, cost: number, now: number): void {
    let row = this.usageIndex.get(`${date}|${key.id}`);
    if (!row) {
      row = { date, key_id: key.id, key_name: key.name, requests: 0, input_tokens: 0, output_tokens: 0, estimated_cost_usd: 0 };
      this.snapshotData.usage.push(row);
      this.usageIndex.set(`${date}|${key.id}`, row);
    }
    row.requests += 1;
    row.input_tokens += input;
    row.output_tokens += output;
    row.estimated_cost_usd += cost;
    const month = date.slice(0, 7);
    this.snapshotData.month_totals[month] = (this.snapshotData.month_totals[month] ?? 0) + cost;
    this.emit({ op: 'usage', row });
    this.emit({ op: 'month', m: month, total: this.snapshotData.month_totals[month]! });
    // `last_used_at` shows only uses older than the usage lag; newer ones wait in `recent_uses`.
    const cutoff = now - this.usageLagSeconds;
    for (const t of key.recent_uses) if (t <= cutoff) key.last_used_at = Math.max(key.last_used_at ?? 0, t);
    key.recent_uses = key.recent_uses.filter((t) => t > cutoff);
    if (this.usageLagSeconds === 0) key.last_used_at = now;
    else if (!key.recent_uses.includes(now)) key.recent_uses.push(now);
    this.emit({ op: 'key', key });
  }
}

function parseLimit(raw: string | null): number {
  if (raw === null) return 20;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw invalid('limit', "'limit' must be an integer from 1 to 100.");
  return n;
}

function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
