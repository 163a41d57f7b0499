import type { Model, RateLimitValues } from '../providers/groq/wire.js';
import { lookUpModel, type LiveModelEntry } from '../core/models.js';
import { SandboxError, invalidApiKey, notFound } from './errors.js';
import { randomString } from './ids.js';
import type { OrgState } from './org-state.js';
import {
  countRequest,
  findRefusal,
  rateLimitHeaders,
  rateLimitMessage,
  requestTooLargeMessage,
  rollWindow,
  type Window,
} from './rate-limits.js';
import type { StoredKey, StoredProject } from './snapshot.js';
import { decommissionedMessage } from './validate-body.js';
import { checkMaxTokens, validateChatBody, type ChatRequest } from './validate-chat.js';

/** A completion budget counted up front when the request names none (the sandbox's assumption). */
export const DEFAULT_COMPLETION_BUDGET = 1024;

export interface InferenceReply {
  status: number;
  headers: Record<string, string>;
  /** JSON body, or, for `stream: true`, the server-sent events to write in order. */
  body?: unknown;
  events?: string[];
}

/**
 * Groq's inference surface over the organization: models, and chat completions checked in the order
 * Groq checks them (key, body, model, permissions org then project, spend, size, rate limits).
 * Rate limits are shared: a request counts against its project's limits for the model and the
 * organization's, and the tighter decides.
 */
export class Inference {
  private readonly windows = new Map<string, Window>();
  private readonly modelList: Model[];
  private readonly liveModels: Map<string, LiveModelEntry>;
  // Completion ids: a per-run random prefix and a counter (no random bytes per request on the hot path).
  private readonly idPrefix = randomString(12);
  private completions = 0;

  constructor(private readonly org: OrgState) {
    this.liveModels = new Map(org.catalogue.live.map((m) => [m.id, m]));
    this.modelList = org.catalogue.live.map((m) => ({
      id: m.id,
      object: 'model',
      created: m.created,
      owned_by: m.owned_by,
      active: true,
      context_window: m.context_window,
      max_completion_tokens: m.max_completion_tokens,
      public_apps: null,
    }));
  }

  /** Forgets the rate-limit windows (with `/_sandbox/reset`). */
  reset(): void {
    this.windows.clear();
  }

  listModels(): { object: 'list'; data: Model[] } {
    return { object: 'list', data: this.modelList };
  }

  getModel(id: string): Model {
    const model = this.modelList.find((m) => m.id === id);
    if (!model) throw notFound('model_not_found', `The model \`${id}\` does not exist or you do not have access to it.`, 'model');
    return model;
  }

  chat(token: string | null, raw: unknown, requestId: string): InferenceReply {
    const who = token ? this.org.authenticate(token) : null;
    if (!who) throw invalidApiKey();
    const request = validateChatBody(raw);
    const model = this.model(request);
    const blocked = this.org.blockedAt(who.project, model.id);
    if (blocked) throw blockedModel(model.id, blocked);
    if (this.org.billing.blocked()) {
      throw new SandboxError(
        400,
        'blocked_api_access',
        'Your organization has reached its spend limit for this month; API access is blocked until the limit is raised or the month ends. Manage it at https://console.groq.com/settings/billing',
      );
    }
    const promptTokens = countPromptTokens(request);
    const budget = request.maxTokens ?? Math.min(DEFAULT_COMPLETION_BUDGET, model.max_completion_tokens);
    const tokens = promptTokens + budget;
    const nowMs = this.org.nowMs();
    const scopes = this.scopes(who.project, model.id, nowMs);
    const tpm = Math.min(scopes[0].limits.max_tokens_per_1_minute, scopes[1].limits.max_tokens_per_1_minute);
    const orgId = this.org.organization().id;
    if (tokens > tpm) throw new SandboxError(413, 'rate_limit_exceeded', requestTooLargeMessage(model.id, orgId, tpm, tokens), 'tokens');
    for (const s of scopes) {
      const refusal = findRefusal(s.w, s.limits, nowMs, tokens);
      if (refusal) {
        const headers = { ...rateLimitHeaders(scopes, nowMs), 'retry-after': String(Math.max(1, Math.ceil(refusal.waitMs / 1000))) };
        throw new SandboxError(429, 'rate_limit_exceeded', rateLimitMessage(model.id, orgId, refusal), refusal.unit, undefined, headers);
      }
    }
    for (const s of scopes) {
      countRequest(s.w, tokens);
      this.windows.set(s.id, s.w);
    }
    const headers = rateLimitHeaders(scopes, nowMs);
    return this.complete(request, model, who, promptTokens, requestId, Math.floor(nowMs / 1000), headers);
  }

  private model(request: ChatRequest): LiveModelEntry {
    const live = this.liveModels.get(request.model);
    if (!live) {
      if (lookUpModel(this.org.catalogue, request.model).kind === 'decommissioned')
        throw new SandboxError(400, 'model_decommissioned', decommissionedMessage(request.model));
      throw notFound('model_not_found', `The model \`${request.model}\` does not exist or you do not have access to it.`);
    }
    checkMaxTokens(request, live);
    return live;
  }

  private scopes(project: StoredProject, model: string, nowMs: number): [Scope, Scope] {
    const projectId = `p|${project.id}|${model}`;
    const orgId = `o|${model}`;
    return [
      { id: projectId, w: { ...rollWindow(this.windows.get(projectId), nowMs) }, limits: this.org.projectLimits(project, model) },
      { id: orgId, w: { ...rollWindow(this.windows.get(orgId), nowMs) }, limits: this.org.orgLimits(model) },
    ];
  }

  private complete(
    request: ChatRequest,
    model: LiveModelEntry,
    who: { key: StoredKey; project: StoredProject },
    promptTokens: number,
    requestId: string,
    now: number,
    headers: Record<string, string>,
  ): InferenceReply {
    const reply = `Sandbox reply from ${model.id}.`;
    const fullTokens = Math.ceil(reply.length / 4);
    const completionTokens = Math.max(1, Math.min(fullTokens, request.maxTokens ?? fullTokens));
    const content = completionTokens < fullTokens ? reply.slice(0, completionTokens * 4) : reply;
    const finish = completionTokens < fullTokens ? 'length' : 'stop';
    const price = model.price_per_million;
    const cost = (promptTokens * price.input + completionTokens * price.output) / 1_000_000;
    const row = this.org.usage.record(
      now,
      this.org.spendLagSeconds,
      { project_id: who.project.id, api_key_id: who.key.id, model: model.id },
      promptTokens,
      completionTokens,
      cost,
    );
    this.org.emit({ op: 'usage', row });
    this.org.touchKey(who.key, now);
    const usage = {
      queue_time: 0.0001,
      prompt_tokens: promptTokens,
      prompt_time: 0.001,
      completion_tokens: completionTokens,
      completion_time: 0.002,
      total_tokens: promptTokens + completionTokens,
      total_time: 0.003,
    };
    const id = `chatcmpl-${this.idPrefix}${(++this.completions).toString(36).padStart(12, '0')}`;
    const base = { id, created: now, model: model.id, system_fingerprint: 'fp_sandbox' };
    if (!request.stream) {
      return {
        status: 200,
        headers,
        body: {
          ...base,
          object: 'chat.completion',
          choices: [{ index: 0, message: { role: 'assistant', content }, logprobs: null, finish_reason: finish }],
          usage,
          x_groq: { id: requestId },
        },
      };
    }
    const chunk = (delta: object, finishReason: string | null, extra: object = {}) =>
      `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }], ...extra })}\n\n`;
    const pieces = content.match(/\S+\s*/g) ?? [content];
    return {
      status: 200,
      headers: { ...headers, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
      events: [
        chunk({ role: 'assistant', content: '' }, null, { x_groq: { id: requestId } }),
        ...pieces.map((p) => chunk({ content: p }, null)),
        // Groq sends the usage in the last chunk's `x_groq`.
        chunk({}, finish, { x_groq: { id: requestId, usage } }),
        'data: [DONE]\n\n',
      ],
    };
  }
}

interface Scope {
  id: string;
  w: Window;
  limits: RateLimitValues;
}

// Groq's documented bodies (console.groq.com/docs/model-permissions).
function blockedModel(model: string, level: 'organization' | 'project'): SandboxError {
  const message =
    level === 'organization'
      ? `The model \`${model}\` is blocked at the organization level. Please have the org admin enable this model in the org settings at https://console.groq.com/settings/limits`
      : `The model \`${model}\` is blocked at the project level. Please have a project admin enable this model in the project settings at https://console.groq.com/settings/project/limits`;
  return new SandboxError(
    403,
    level === 'organization' ? 'model_permission_blocked_org' : 'model_permission_blocked_project',
    message,
    'permissions_error',
  );
}

// A rough tokenizer: 4 characters a token, plus 4 per message for its framing.
function countPromptTokens(request: ChatRequest): number {
  let tokens = 0;
  for (const m of request.messages) {
    const c = m.content;
    const text =
      typeof c === 'string'
        ? c
        : Array.isArray(c)
          ? c.map((p) => (typeof (p as { text?: unknown })?.text === 'string' ? (p as { text: string }).text : '')).join('')
          : '';
    tokens += 4 + Math.ceil(text.length / 4);
  }
  return tokens;
}
