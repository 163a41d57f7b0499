/** An error the sandbox answers with, in the contract's (Groq's real) error shape. */
export class SandboxError extends Error {
  override readonly name = 'SandboxError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type = 'invalid_request_error',
    readonly param?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toBody(): { error: { message: string; type: string; code: string; param?: string } } {
    return { error: { message: this.message, type: this.type, code: this.code, ...(this.param ? { param: this.param } : {}) } };
  }
}

export const invalid = (param: string, message: string) => new SandboxError(400, 'invalid_request_error', message, 'invalid_request_error', param);
