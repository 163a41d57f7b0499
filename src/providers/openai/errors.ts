/**
 * Errors of the OpenAI provider in groq-rbac's neutral terms. `ProviderError` is the proposal for
 * core/errors.ts (docs/provider-port.md); it lives here until the lead moves it. No message, code or
 * field of an error carries a key value: OpenAI's 401 echoes part of the key it was sent
 * ("Incorrect API key provided: sk-abc***…wxyz", docs/openai-admin-api.md), so every server string
 * is cut of `sk-…` runs, of the bearer that request sent and of the registered secrets.
 */
import { ProviderError as CoreProviderError, RefusalError } from '../../core/errors.js';
import { redactSecrets } from '../../core/redact.js';
import type { WireError } from './wire.js';

export type ProviderErrorKind = 'not_found' | 'conflict' | 'refused' | 'rate_limited' | 'unavailable' | 'invalid';

/** Core's neutral error (apply/ and app/ catch it), with OpenAI's request details. */
export class ProviderError extends CoreProviderError {
  override readonly name = 'ProviderError';
  readonly provider: string;
  readonly method: string;
  readonly path: string;
  readonly requestId: string | null;
  /** The server's `retry-after`, in milliseconds, when it sent one. */
  readonly retryAfterMs: number | null;
  constructor(init: {
    provider: string;
    kind: ProviderErrorKind;
    status: number | null;
    code: string | null;
    method: string;
    path: string;
    requestId?: string | null;
    retryAfterMs?: number | null;
    message: string;
    cause?: unknown;
    existingId?: string | null;
  }) {
    super(
      { kind: init.kind, status: init.status, code: init.code, message: init.message, existingId: init.existingId ?? null },
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.provider = init.provider;
    this.method = init.method;
    this.path = init.path;
    this.requestId = init.requestId ?? null;
    this.retryAfterMs = init.retryAfterMs ?? null;
  }
}

// Any run that starts like an OpenAI key (`sk-`, `sk-proj-`, `sk-svcacct-`, `sk-admin-`), whole or masked.
const SK_RUN = /sk-[^\s"'`,;()[\]{}<>]+/g;

/** Redacts `sk-…` runs, `extra` values (the bearer sent) and everything core's redaction knows. */
export function redactOpenAi(text: string, extra: readonly (string | null | undefined)[] = []): string {
  return redactSecrets(text, extra).replace(SK_RUN, 'sk-[REDACTED]');
}

export function containsOpenAiKey(text: string): boolean {
  return /sk-[A-Za-z0-9_-]{16,}/.test(text);
}

export function kindOf(status: number): ProviderErrorKind {
  if (status === 404) return 'not_found';
  if (status === 409 || status === 412) return 'conflict';
  if (status === 401 || status === 403) return 'refused';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'unavailable';
  return 'invalid';
}

/** An error answer as a ProviderError (or, for a key of another organization, a RefusalError). */
export function errorFromResponse(init: {
  status: number;
  body: unknown;
  method: string;
  path: string;
  requestId: string | null;
  retryAfterMs: number | null;
  organization: string;
  secrets: readonly string[];
  inferenceKey: boolean;
}): Error {
  const wire = (init.body && typeof init.body === 'object' ? (init.body as WireError).error : undefined) ?? undefined;
  const clean = (v: string | null | undefined) => (v === null || v === undefined ? null : redactOpenAi(v, init.secrets).slice(0, 500));
  const code = clean(wire?.code);
  const serverMessage =
    clean(wire?.message) ?? (typeof init.body === 'string' && init.body ? clean(init.body.slice(0, 200)) : 'no error message');
  if (init.status === 401 && code === 'mismatched_organization') {
    // OpenAI checks the OpenAI-Organization header against the key (reports: openai/codex#1000).
    return new RefusalError(
      init.inferenceKey
        ? `the new key was refused for organization ${init.organization}: OpenAI says it belongs to another organization`
        : `the admin key (OPENAI_ADMIN_KEY) belongs to another OpenAI organization than ${init.organization}, the \`org:\` in org.yaml: nothing was changed. Use an admin key of ${init.organization}, or correct \`org:\``,
    );
  }
  const kind = kindOf(init.status);
  const where = `${init.method} ${init.path} → ${init.status}${code ? ` ${code}` : ''}${init.requestId ? ` (request ${clean(init.requestId)})` : ''}`;
  const advice = adviceFor(init.status, code, init.inferenceKey);
  return new ProviderError({
    provider: 'openai',
    kind,
    status: init.status,
    code,
    method: init.method,
    path: init.path,
    requestId: clean(init.requestId),
    retryAfterMs: init.retryAfterMs,
    message: `${where}: ${serverMessage}${advice ? `\n  ${advice}` : ''}`,
  });
}

/** No usable answer: a ProviderError `unavailable` (the request may or may not have reached OpenAI). */
export function errorFromNetwork(init: { method: string; path: string; reason: string; cause: unknown }): ProviderError {
  return new ProviderError({
    provider: 'openai',
    kind: 'unavailable',
    status: null,
    code: init.reason,
    method: init.method,
    path: init.path,
    cause: init.cause,
    message: `${init.method} ${init.path} failed: ${redactOpenAi(init.reason)}. Check the base URL (--base-url / OPENAI_BASE_URL), your network and any HTTPS_PROXY setting.`,
  });
}

function adviceFor(status: number, code: string | null, inferenceKey: boolean): string | null {
  if (inferenceKey) {
    if (status === 401) return 'this API key is unknown or deleted, or its project is archived';
    if (status === 403) return "the model is not allowed by the project's model permissions";
    if (status === 429)
      return code === 'insufficient_quota'
        ? 'the organization or project reached its spend limit'
        : 'the project is over one of its rate limits for this model; wait for retry-after';
    return null;
  }
  if (status === 401)
    return 'the admin key was refused: set OPENAI_ADMIN_KEY to a current admin key of the organization (platform.openai.com, organization settings, Admin keys)';
  if (status === 403) return 'OPENAI_ADMIN_KEY is not an admin key, or lacks a permission: managing the organization needs an admin key';
  if (status === 404)
    return 'the resource is gone (changed while groq-rbac ran?), or the base URL is wrong (--base-url / OPENAI_BASE_URL ends in /v1); run plan again';
  if (status === 429) return 'rate limited even after retrying; try again later or lower --concurrency';
  if (status >= 500) return 'OpenAI failed even after retrying; try again later';
  return null;
}
