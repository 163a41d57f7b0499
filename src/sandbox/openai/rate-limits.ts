/**
 * OpenAI's project rate limits (openai-node `projects/rate-limits.ts`): requests and tokens per
 * minute for every model; requests per day, batch input tokens per day, images per minute and audio
 * megabytes per minute "only present for relevant models"; no tokens per day. Update only.
 */
import type { RateLimitValues } from '../../providers/groq/wire.js';
import { MAX_LIMIT } from '../../core/limits.js';
import { invalid } from '../errors.js';
import { requireObject } from '../validate-body.js';
import type { OrgState } from '../org-state.js';
import type { StoredProject } from '../snapshot.js';
import { modelKind } from './models.js';

export const OPENAI_LIMIT_FIELDS = [
  'max_requests_per_1_minute',
  'max_tokens_per_1_minute',
  'max_requests_per_1_day',
  'batch_1_day_max_input_tokens',
  'max_images_per_1_minute',
  'max_audio_megabytes_per_1_minute',
] as const;
export type OpenAiLimitField = (typeof OPENAI_LIMIT_FIELDS)[number];

/**
 * The organization's limits where none are set (assumed: a paid tier). Tokens per day is not an
 * OpenAI limit: the engine's field is set out of reach, so it never refuses.
 */
export const OPENAI_ORG_DEFAULTS: RateLimitValues = {
  max_requests_per_1_minute: 5_000,
  max_tokens_per_1_minute: 2_000_000,
  max_requests_per_1_day: 10_000_000,
  max_tokens_per_1_day: MAX_LIMIT,
};

/** The extra fields a model has, with the organization's own value (assumed), by model kind. */
function extraDefaults(model: string): Partial<Record<OpenAiLimitField, number>> {
  switch (modelKind(model)) {
    case 'image':
      return { max_images_per_1_minute: 50 };
    case 'audio':
      return { max_audio_megabytes_per_1_minute: 100 };
    default:
      return { batch_1_day_max_input_tokens: 200_000_000 };
  }
}

/** The organization's ceiling for each field the model has. */
export function orgCeilings(org: OrgState, model: string): Partial<Record<OpenAiLimitField, number>> {
  const base = org.orgLimits(model);
  return {
    max_requests_per_1_minute: base.max_requests_per_1_minute,
    max_tokens_per_1_minute: base.max_tokens_per_1_minute,
    max_requests_per_1_day: base.max_requests_per_1_day,
    ...extraDefaults(model),
  };
}

export interface OpenAiRateLimit {
  object: 'project.rate_limit';
  id: string;
  model: string;
  max_requests_per_1_minute: number;
  max_tokens_per_1_minute: number;
  max_requests_per_1_day?: number;
  batch_1_day_max_input_tokens?: number;
  max_images_per_1_minute?: number;
  max_audio_megabytes_per_1_minute?: number;
}

export function presentRateLimit(org: OrgState, p: StoredProject, model: string): OpenAiRateLimit {
  const own = p.limits[model] ?? {};
  const base = org.projectLimits(p, model);
  const out: OpenAiRateLimit = {
    object: 'project.rate_limit',
    id: `rl-${model}`,
    model,
    max_requests_per_1_minute: base.max_requests_per_1_minute,
    max_tokens_per_1_minute: base.max_tokens_per_1_minute,
    max_requests_per_1_day: base.max_requests_per_1_day,
  };
  for (const [f, v] of Object.entries(extraDefaults(model))) (out as unknown as Record<string, number>)[f] = own[f] ?? v;
  return out;
}

/**
 * OpenAI's update body: any of the fields the model has, each an integer from 1. A field the model
 * lacks (or `max_tokens_per_1_day`, which OpenAI has not) is a 400 naming it (assumed wording).
 */
export function validateOpenAiRateLimitBody(raw: unknown, model: string): Partial<Record<OpenAiLimitField, number>> {
  const body = requireObject(raw);
  const has = new Set<string>([
    'max_requests_per_1_minute',
    'max_tokens_per_1_minute',
    'max_requests_per_1_day',
    ...Object.keys(extraDefaults(model)),
  ]);
  const values: Partial<Record<OpenAiLimitField, number>> = {};
  for (const [f, v] of Object.entries(body)) {
    if (!(OPENAI_LIMIT_FIELDS as readonly string[]).includes(f)) throw invalid(f, `Unknown parameter: '${f}'.`);
    if (!has.has(f)) throw invalid(f, `'${f}' is not a rate limit of model \`${model}\`.`);
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_LIMIT))
      throw invalid(f, `'${f}' must be an integer from 1 to ${MAX_LIMIT}.`);
    values[f as OpenAiLimitField] = v;
  }
  return values;
}
