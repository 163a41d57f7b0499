/** The admin bodies, validated as strictly as the contract says; each failure is a 400 naming its field. */
import { RATE_LIMIT_FIELDS, type ModelPermissionsInput, type RateLimitValues, type SpendAlertInput } from '../providers/groq/wire.js';
import { MAX_LIMIT } from '../core/limits.js';
import { lookUpModel, type ModelCatalogue } from '../core/models.js';
import { SandboxError, invalid } from './errors.js';

const MAX_METADATA_ENTRIES = 16;
const MAX_METADATA_VALUE = 512;
const MAX_CENTS = 100_000_000_00;

type Obj = Record<string, unknown>;

export function requireObject(body: unknown, name = 'body'): Obj {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw invalid(name, name === 'body' ? 'The request body must be a JSON object.' : `'${name}' must be an object.`);
  return body as Obj;
}

function rejectUnknown(body: Obj, allowed: readonly string[]): void {
  for (const field of Object.keys(body)) if (!allowed.includes(field)) throw invalid(field, `Unknown parameter: '${field}'.`);
}

function nameField(body: Obj, required: boolean): string | undefined {
  if (body.name === undefined) {
    if (required) throw invalid('name', "Missing required parameter: 'name'.");
    return undefined;
  }
  if (typeof body.name !== 'string' || body.name.trim().length < 1 || body.name.length > 128)
    throw invalid('name', "'name' must be a string of 1 to 128 characters.");
  return body.name;
}

export function validateProjectBody(raw: unknown, mode: 'create' | 'update'): { name?: string } {
  const body = requireObject(raw);
  rejectUnknown(body, ['name']);
  const name = nameField(body, mode === 'create');
  return name === undefined ? {} : { name };
}

export function validatePermissionsBody(raw: unknown, catalogue: ModelCatalogue): ModelPermissionsInput {
  const body = requireObject(raw);
  rejectUnknown(body, ['mode', 'model_ids']);
  if (body.mode !== 'allow_list' && body.mode !== 'deny_list') throw invalid('mode', "'mode' must be 'allow_list' or 'deny_list'.");
  if (!Array.isArray(body.model_ids) || body.model_ids.some((m) => typeof m !== 'string'))
    throw invalid('model_ids', "'model_ids' must be an array of model ids.");
  const ids = [...new Set(body.model_ids as string[])];
  for (const id of ids) {
    const status = lookUpModel(catalogue, id);
    if (status.kind === 'decommissioned')
      throw new SandboxError(400, 'model_decommissioned', decommissionedMessage(id), 'invalid_request_error', 'model_ids');
    if (status.kind === 'unknown') throw invalid('model_ids', `The model \`${id}\` does not exist.`);
  }
  return { mode: body.mode, model_ids: ids };
}

/** Any of the four `max_*` fields, each an integer from 1 to MAX_LIMIT. */
export function validateRateLimitBody(raw: unknown, extra: readonly string[] = []): Partial<RateLimitValues> {
  const body = requireObject(raw);
  rejectUnknown(body, [...RATE_LIMIT_FIELDS, ...extra]);
  const values: Partial<RateLimitValues> = {};
  for (const f of RATE_LIMIT_FIELDS) {
    const v = body[f];
    if (v === undefined) continue;
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_LIMIT))
      throw invalid(f, `'${f}' must be an integer from 1 to ${MAX_LIMIT}.`);
    values[f] = v;
  }
  return values;
}

export function validateKeyBody(raw: unknown, mode: 'create' | 'update'): { name?: string; metadata?: Record<string, string | null> } {
  const body = requireObject(raw);
  rejectUnknown(body, ['name', 'metadata']);
  const name = nameField(body, mode === 'create');
  if (body.metadata === undefined) return name === undefined ? {} : { name };
  const metadata = requireObject(body.metadata, 'metadata');
  const entries = Object.entries(metadata);
  for (const [k, v] of entries) {
    if (k.length < 1 || k.length > 64) throw invalid('metadata', 'metadata keys must be 1 to 64 characters.');
    const nullAllowed = mode === 'update';
    if (!(typeof v === 'string' || (nullAllowed && v === null)))
      throw invalid('metadata', `'metadata.${k}' must be a string${nullAllowed ? ' or null' : ''}.`);
    if (typeof v === 'string' && v.length > MAX_METADATA_VALUE)
      throw invalid('metadata', `'metadata.${k}' is longer than ${MAX_METADATA_VALUE} characters.`);
  }
  if (mode === 'create') checkMetadataSize(metadata);
  return { ...(name === undefined ? {} : { name }), metadata: metadata as Record<string, string | null> };
}

export function checkMetadataSize(metadata: Record<string, unknown>): void {
  if (Object.keys(metadata).length > MAX_METADATA_ENTRIES)
    throw invalid('metadata', `metadata may hold at most ${MAX_METADATA_ENTRIES} entries.`);
}

function cents(body: Obj): number {
  const v = body.threshold_amount;
  if (v === undefined) throw invalid('threshold_amount', "Missing required parameter: 'threshold_amount'.");
  if (!(typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_CENTS))
    throw invalid('threshold_amount', "'threshold_amount' must be a positive integer number of US cents.");
  return v;
}

function currencyAndInterval(body: Obj): void {
  if (body.currency !== undefined && body.currency !== 'USD') throw invalid('currency', "'currency' must be 'USD'.");
  if (body.interval !== undefined && body.interval !== 'month') throw invalid('interval', "'interval' must be 'month'.");
}

export function validateSpendLimitBody(raw: unknown): number {
  const body = requireObject(raw);
  rejectUnknown(body, ['threshold_amount', 'currency', 'interval']);
  currencyAndInterval(body);
  return cents(body);
}

export function validateSpendAlertBody(raw: unknown): SpendAlertInput {
  const body = requireObject(raw);
  rejectUnknown(body, ['threshold_amount', 'currency', 'interval', 'notification_channel']);
  currencyAndInterval(body);
  const threshold = cents(body);
  const channel = requireObject(body.notification_channel ?? null, 'notification_channel');
  rejectUnknown(channel, ['type', 'recipients', 'subject_prefix']);
  if (channel.type !== 'email') throw invalid('notification_channel', "'notification_channel.type' must be 'email'.");
  const recipients = channel.recipients;
  if (
    !Array.isArray(recipients) ||
    recipients.length === 0 ||
    recipients.length > 20 ||
    recipients.some((r) => typeof r !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(r))
  ) {
    throw invalid('notification_channel', "'notification_channel.recipients' must be 1 to 20 e-mail addresses.");
  }
  return {
    threshold_amount: threshold,
    currency: 'USD',
    interval: 'month',
    notification_channel: { type: 'email', recipients: [...(recipients as string[])] },
  };
}

// Groq's own wording for a decommissioned model.
export function decommissionedMessage(model: string): string {
  return `The model \`${model}\` has been decommissioned and is no longer supported. Please refer to https://console.groq.com/docs/deprecations for a recommendation on which model to use instead.`;
}
