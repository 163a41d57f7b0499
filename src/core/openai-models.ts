/**
 * OpenAI's model catalogue: what `validate` knows under `provider: openai`, and what the OpenAI
 * sandbox serves. Ids, dates and sizes follow OpenAI's published models; the prices (USD per
 * million tokens) are illustrative only, for the sandbox's costs and spend (assumed: pricing is not
 * part of the Administration API).
 */
import type { ModelCatalogue } from './models.js';

const entry = (id: string, created: number, context: number, maxOut: number, input: number, output: number) => ({
  id,
  owned_by: 'system',
  created,
  context_window: context,
  max_completion_tokens: maxOut,
  price_per_million: { input, output },
});

export const openAiCatalogue: ModelCatalogue = {
  live: [
    entry('gpt-4.1', 1744316542, 1_047_576, 32_768, 2, 8),
    entry('gpt-4.1-mini', 1744318173, 1_047_576, 32_768, 0.4, 1.6),
    entry('gpt-4o', 1715367049, 128_000, 16_384, 2.5, 10),
    entry('gpt-4o-mini', 1721172741, 128_000, 16_384, 0.15, 0.6),
    entry('gpt-image-1', 1745517030, 32_000, 4_096, 5, 40),
    entry('whisper-1', 1677532384, 0, 0, 6, 0),
  ],
  deprecated: [],
  decommissioned: [{ id: 'gpt-4-vision-preview', shutdown_date: '2024-12-06', replacement: 'gpt-4o' }],
};
