/** An error the sandbox answers with, in Groq's (and OpenAI's) error shape. */
export class SandboxError extends Error {
  override readonly name = 'SandboxError';
  constructor(
    readonly status: number,
    /** `null` for Groq's chat validation errors, which carry only `message` and `type`. */
    readonly code: string | null,
    message: string,
    readonly type = 'invalid_request_error',
    readonly param?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toBody(): { error: { message: string; type: string; code?: string; param?: string } } {
    return {
      error: {
        message: this.message,
        type: this.type,
        ...(this.code !== null ? { code: this.code } : {}),
        ...(this.param ? { param: this.param } : {}),
      },
    };
  }
}

/** A 400 on an admin body or query: `param` names the field. */
export const invalid = (param: string, message: string) =>
  new SandboxError(400, 'invalid_request_error', message, 'invalid_request_error', param);

/** A 400 as Groq's chat completions answer it: `message` and `type` only. */
export const chatInvalid = (message: string) => new SandboxError(400, null, message);

export const notFound = (code: string, message: string, param?: string) =>
  new SandboxError(404, code, message, 'invalid_request_error', param);

export const invalidApiKey = () => new SandboxError(401, 'invalid_api_key', 'Invalid API Key');
