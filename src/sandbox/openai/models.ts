/**
 * The models the OpenAI sandbox serves: OpenAI's catalogue as `validate` knows it (core/openai-models.ts).
 */
export { openAiCatalogue } from '../../core/openai-models.js';

export type OpenAiModelKind = 'chat' | 'image' | 'audio';

const KINDS: Record<string, OpenAiModelKind> = { 'gpt-image-1': 'image', 'whisper-1': 'audio' };

export const modelKind = (model: string): OpenAiModelKind => KINDS[model] ?? 'chat';
