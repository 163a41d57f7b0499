/**
 * Inference as OpenAI answers it, over the sandbox's engine (`../inference.ts`: the same checks,
 * limits, usage and spend): OpenAI's model objects, no `x_groq`, OpenAI's wording where the sources
 * or users' reports show it, and a project's own spend limit.
 */
import { SandboxError, invalidApiKey } from '../errors.js';
import type { Inference, InferenceReply } from '../inference.js';
import type { OrgState } from '../org-state.js';
import { modelKind } from './models.js';
import { projectQuotaExceeded, type ProjectSpend } from './project-spend.js';

export interface OpenAiModel {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

export class OpenAiInference {
  constructor(
    private readonly org: OrgState,
    private readonly engine: Inference,
    private readonly spend: ProjectSpend,
  ) {}

  /** openapi.yaml `Model`: `id`, `object`, `created`, `owned_by`. */
  listModels(): { object: 'list'; data: OpenAiModel[] } {
    return { object: 'list', data: this.engine.listModels().data.map(toOpenAiModel) };
  }

  getModel(id: string): OpenAiModel {
    return toOpenAiModel(this.engine.getModel(id));
  }

  chat(token: string | null, raw: unknown, requestId: string): InferenceReply {
    const who = token ? this.org.authenticate(token) : null;
    if (!who) throw invalidApiKey();
    const model = (raw as { model?: unknown } | null)?.model;
    if (typeof model === 'string' && this.org.models.includes(model) && modelKind(model) !== 'chat') {
      throw new SandboxError(
        400,
        'invalid_request_error',
        `\`${model}\` is not a chat model and is not supported in the v1/chat/completions endpoint.`,
        'invalid_request_error',
        'model',
      );
    }
    if (this.spend.blocked(who.project)) throw projectQuotaExceeded(who.project.id);
    let reply: InferenceReply;
    try {
      reply = this.engine.chat(token, raw, requestId);
    } catch (error) {
      throw error instanceof SandboxError ? this.translate(error, who.project.id, typeof model === 'string' ? model : '') : error;
    }
    if (reply.events) return { ...reply, events: reply.events.map(stripGroqFromEvent) };
    const {
      x_groq: _groq,
      usage,
      ...body
    } = reply.body as { x_groq?: unknown; usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } };
    return {
      ...reply,
      body: {
        ...body,
        usage: { prompt_tokens: usage.prompt_tokens, completion_tokens: usage.completion_tokens, total_tokens: usage.total_tokens },
      },
    };
  }

  /** Groq's wording of the engine's refusals, in OpenAI's. */
  private translate(e: SandboxError, projectId: string, model: string): SandboxError {
    switch (e.code) {
      // OpenAI has no organization-level model permissions: only a project's can block. The body is
      // the one users report (403, code `model_not_found`; e.g. cursor/cursor#2953).
      case 'model_permission_blocked_project':
      case 'model_permission_blocked_org':
        return new SandboxError(
          403,
          'model_not_found',
          `Project \`${projectId}\` does not have access to model \`${model}\``,
          'invalid_request_error',
        );
      case 'blocked_api_access':
        return new SandboxError(
          429,
          'insufficient_quota',
          'Your organization has reached its spend limit for this month.',
          'insufficient_quota',
        );
      case 'rate_limit_exceeded':
        // Groq's message ends with its upgrade link; OpenAI's points to its rate-limit page (assumed wording).
        return new SandboxError(
          e.status,
          e.code,
          e.message.replace(/ Need more tokens\?.*$/, ' Visit https://platform.openai.com/account/rate-limits to learn more.'),
          e.type,
          e.param,
          e.headers,
        );
      default:
        return e;
    }
  }
}

function toOpenAiModel(m: { id: string; created: number; owned_by: string }): OpenAiModel {
  return { id: m.id, object: 'model', created: m.created, owned_by: m.owned_by };
}

function stripGroqFromEvent(event: string): string {
  if (!event.startsWith('data: {')) return event;
  const chunk = JSON.parse(event.slice(6)) as { x_groq?: unknown };
  delete chunk.x_groq;
  return `data: ${JSON.stringify(chunk)}\n\n`;
}
