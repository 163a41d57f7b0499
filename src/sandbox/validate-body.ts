import { lookUpModel, type ModelCatalogue } from '../policy/models.js';
import { SandboxError, invalid } from './errors.js';

const LIMITS = ['requests_per_minute', 'tokens_per_minute', 'requests_per_day', 'tokens_per_day'] as const;
const MAX_METADATA_VALUE = 512;

type Obj = Record<string, unknown>;

function requireObject(body: unknown): Obj {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalid('body', 'The request body must be a JSON object.');
  return body as Obj;
}

function rejectUnknown(body: Obj, allowed: readonly string[]): void {
  for (const field of Object.keys(body)) if (!allowed.includes(field)) throw invalid(field, `Unknown parameter: '${field}'.`);
}

/** Validates a create or update body as strictly as the contract says; throws the contract's 400s. */
export function validateKeyBody(raw: unknown, mode: 'create' | 'update', catalogue: ModelCatalogue): Obj {
  const body = requireObject(raw);
  const fields = ['name', 'allowed_models', ...LIMITS, 'metadata', ...(mode === 'update' ? ['status'] : [])];
  rejectUnknown(body, fields);
  if (mode === 'create' && body.name === undefined) throw invalid('name', "Missing required parameter: 'name'.");
  if (body.name !== undefined && (typeof body.name !== 'string' || body.name.length < 1 || body.name.length > 128)) {
    throw invalid('name', "'name' must be a string of 1 to 128 characters.");
  }
  if (body.allowed_models !== undefined && body.allowed_models !== null) {
    if (!Array.isArray(body.allowed_models) || body.allowed_models.some((m) => typeof m !== 'string')) {
      throw invalid('allowed_models', "'allowed_models' must be null or an array of model ids.");
    }
    for (const model of body.allowed_models as string[]) {
      const status = lookUpModel(catalogue, model);
      if (status.kind === 'decommissioned') {
        throw new SandboxError(400, 'model_decommissioned', decommissionedMessage(model), 'invalid_request_error', 'allowed_models');
      }
      if (status.kind === 'unknown') throw invalid('allowed_models', `The model \`${model}\` does not exist.`);
    }
  }
  for (const limit of LIMITS) {
    const v = body[limit];
    if (v !== undefined && v !== null && !(typeof v === 'number' && Number.isInteger(v) && v >= 1)) {
      throw invalid(limit, `'${limit}' must be null or a positive integer.`);
    }
  }
  if (body.status !== undefined && body.status !== 'active' && body.status !== 'disabled') {
    throw invalid('status', "'status' must be 'active' or 'disabled'.");
  }
  if (body.metadata !== undefined) {
    const metadata = requireObjectField(body.metadata, 'metadata');
    for (const [k, v] of Object.entries(metadata)) {
      const nullAllowed = mode === 'update';
      if (!(typeof v === 'string' || (nullAllowed && v === null))) throw invalid('metadata', `'metadata.${k}' must be a string${nullAllowed ? ' or null' : ''}.`);
      if (typeof v === 'string' && v.length > MAX_METADATA_VALUE) throw invalid('metadata', `'metadata.${k}' is longer than ${MAX_METADATA_VALUE} characters.`);
      if (k.length < 1 || k.length > 64) throw invalid('metadata', 'metadata keys must be 1 to 64 characters.');
    }
  }
  return body;
}

export function validateSpendingBody(raw: unknown): { monthly_cap_usd: number | null; alert_thresholds_usd: number[]; auto_pause: boolean } {
  const body = requireObject(raw);
  rejectUnknown(body, ['monthly_cap_usd', 'alert_thresholds_usd', 'auto_pause']);
  const cap = body.monthly_cap_usd;
  if (cap === undefined) throw invalid('monthly_cap_usd', "Missing required parameter: 'monthly_cap_usd'.");
  if (cap !== null && !(typeof cap === 'number' && cap > 0 && Number.isFinite(cap))) throw invalid('monthly_cap_usd', "'monthly_cap_usd' must be null or a positive number.");
  const thresholds = body.alert_thresholds_usd ?? [];
  if (!Array.isArray(thresholds) || thresholds.some((t) => !(typeof t === 'number' && t > 0 && Number.isFinite(t)))) {
    throw invalid('alert_thresholds_usd', "'alert_thresholds_usd' must be an array of positive numbers.");
  }
  const autoPause = body.auto_pause ?? true;
  if (typeof autoPause !== 'boolean') throw invalid('auto_pause', "'auto_pause' must be a boolean.");
  return { monthly_cap_usd: cap as number | null, alert_thresholds_usd: [...(thresholds as number[])].sort((a, b) => a - b), auto_pause: autoPause };
}

export function requireObjectField(v: unknown, name: string): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalid(name, `'${name}' must be an object.`);
  return v as Obj;
}

// Groq's own wording for a decommissioned model.
export function decommissionedMessage(model: string): string {
  return `The model \`${model}\` has been decommissioned and is no longer supported. Please refer to https://console.groq.com/docs/deprecations for a recommendation on which model to use instead.`;
}
