/**
 * Chat completion bodies checked as Groq checks them. Groq's validation errors are `400` with
 * `message` and `type` only; the wording follows Groq's (`'n' : number must be at most 1`).
 */
import type { LiveModelEntry } from '../core/models.js';
import { chatInvalid } from './errors.js';

// The request fields Groq's chat completions accept; anything else is "unsupported".
const FIELDS = new Set([
  'model',
  'messages',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'n',
  'stream',
  'stream_options',
  'stop',
  'seed',
  'user',
  'response_format',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'frequency_penalty',
  'presence_penalty',
  'logprobs',
  'top_logprobs',
  'logit_bias',
  'reasoning_effort',
  'reasoning_format',
  'include_reasoning',
  'service_tier',
  'metadata',
  'store',
  'function_call',
  'functions',
  'search_settings',
  'compound_custom',
  'documents',
  'citation_options',
  'disable_tool_validation',
  'exclude_domains',
  'include_domains',
]);
const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);

export interface ChatRequest {
  model: string;
  messages: { role: string; content?: unknown }[];
  maxTokens: number | null;
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
  stream: boolean;
}

/** The checks that need no model: shape, unknown fields, ranges. */
export function validateChatBody(raw: unknown): ChatRequest {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw chatInvalid("'$' : value must be an object");
  const body = raw as Record<string, unknown>;
  for (const field in body) if (!FIELDS.has(field)) throw chatInvalid(`property '${field}' is unsupported`);
  if (typeof body.model !== 'string' || body.model === '') throw chatInvalid("'model' : property 'model' is missing");
  if (!Array.isArray(body.messages)) throw chatInvalid("'messages' : property 'messages' is missing");
  if (body.messages.length === 0) throw chatInvalid("'messages' : minimum number of items is 1");
  body.messages.forEach((m, i) => {
    if (m === null || typeof m !== 'object' || Array.isArray(m)) throw chatInvalid(`'messages.${i}' : value must be an object`);
    const role = (m as { role?: unknown }).role;
    if (role === undefined) throw chatInvalid(`'messages.${i}' : discriminator property 'role' is missing`);
    if (typeof role !== 'string' || !ROLES.has(role))
      throw chatInvalid(`'messages.${i}' : discriminator property 'role' has invalid value`);
  });
  range(body, 'n', 1, 1);
  range(body, 'temperature', 0, 2);
  range(body, 'top_p', 0, 1);
  range(body, 'max_tokens', 1, Infinity);
  range(body, 'max_completion_tokens', 1, Infinity);
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean')
    throw chatInvalid("'stream' : value must be a boolean");
  const field = typeof body.max_completion_tokens === 'number' ? 'max_completion_tokens' : 'max_tokens';
  const maxTokens = typeof body[field] === 'number' ? (body[field] as number) : null;
  return {
    model: body.model,
    messages: body.messages as ChatRequest['messages'],
    maxTokens,
    maxTokensField: field,
    stream: body.stream === true,
  };
}

/** The check that needs the model: the completion budget asked for fits the model's. */
export function checkMaxTokens(request: ChatRequest, model: LiveModelEntry): void {
  if (request.maxTokens !== null && request.maxTokens > model.max_completion_tokens) {
    throw chatInvalid(
      `\`${request.maxTokensField}\` must be less than or equal to \`${model.max_completion_tokens}\`, the maximum value for \`${request.maxTokensField}\` is less than the \`context_window\` for this model`,
    );
  }
}

function range(body: Record<string, unknown>, name: string, min: number, max: number): void {
  const v = body[name];
  if (v === undefined || v === null) return;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw chatInvalid(`'${name}' : value must be a number`);
  if (name === 'n' || name.startsWith('max_')) {
    if (!Number.isInteger(v)) throw chatInvalid(`'${name}' : value must be an integer`);
  }
  if (v > max) throw chatInvalid(`'${name}' : number must be at most ${max}`);
  if (v < min) throw chatInvalid(`'${name}' : number must be at least ${min}`);
}
