/** OpenAI's error shape and the errors only the OpenAI sandbox gives (docs/openai-admin-api.md, "Errors"). */
import { SandboxError } from '../errors.js';

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/**
 * openapi.yaml's `Error` schema requires all four fields, `param` and `code` nullable: OpenAI always
 * sends them (`null` when none), where Groq's chat validation leaves `code` out.
 */
export function openAiErrorBody(e: SandboxError): OpenAiErrorBody {
  // The engine's unknown-key error carries Groq's wording.
  const message = e.code === 'invalid_api_key' ? INCORRECT_API_KEY : e.message;
  return { error: { message, type: e.type, param: e.param ?? null, code: e.code } };
}

/**
 * A key used with another organization's id in `OpenAI-Organization`: OpenAI answers 401 with this
 * body (not in the published spec; the answer users report, e.g. openai/codex#1000).
 */
export const mismatchedOrganization = () =>
  new SandboxError(401, 'mismatched_organization', 'OpenAI-Organization header should match organization for API key');

/**
 * OpenAI's 401 for an unknown key says "Incorrect API key provided: <the key, partly masked>"; the
 * sandbox leaves the key out, so that no part of a secret is ever echoed.
 */
const INCORRECT_API_KEY = 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.';
