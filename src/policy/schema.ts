import type { ErrorObject } from 'ajv';
import { closestMatches } from '../core/models.js';
import { LIMIT_FIELDS, MAX_LIMIT } from '../core/limits.js';
import { formatPath, quoteList, type Diagnostic } from './diagnostics.js';
import { locate, writtenNumber, type PolicySource } from './source.js';
import { offsetOf } from './yaml-data.js';
import { schemaValidators } from './validators.js';

/**
 * Checks one parsed file against its JSON Schema; one diagnostic per distinct problem. Of a file with
 * thousands of problems only the first (by position) become diagnostics, as only they are printed;
 * `unlisted` counts the rest.
 */
export function validateSchema(source: PolicySource): { diagnostics: Diagnostic[]; unlisted: number } {
  const validate = schemaValidators()[source.kind];
  if (validate(source.data)) return { diagnostics: [], unlisted: 0 };
  let errors = validate.errors ?? [];
  let unlisted = 0;
  if (errors.length > LIST_ALL_UP_TO) {
    const placed = errors.map((e) => ({ e, at: offsetOf(source.positions, ...targetOf(e)) }));
    placed.sort((a, b) => a.at - b.at);
    errors = placed.slice(0, LIST_ALL_UP_TO).map((x) => x.e);
    unlisted = placed.length - errors.length;
  }
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (let i = 0; i < errors.length; i++) {
    // A limit field written directly under `limits` (v1 style) has its own error from the rules.
    if (isFlatLimit(errors[i]!)) continue;
    const d = toDiagnostic(source, errors[i]!);
    const id = `${d.line}:${d.column}:${d.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(d);
  }
  return { diagnostics: out, unlisted };
}

// More than a screenful per file is never printed (see capDiagnostics); building 40,000 diagnostics costs more than parsing.
const LIST_ALL_UP_TO = 500;

function isFlatLimit(e: ErrorObject): boolean {
  const path = pathOf(e);
  return path.at(-2) === 'limits' && (LIMIT_FIELDS as readonly string[]).includes(String(path.at(-1)));
}

function pathOf(e: ErrorObject): (string | number)[] {
  return e.instancePath
    .split('/')
    .slice(1)
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
}

function targetOf(e: ErrorObject): [(string | number)[], 'key' | 'value'] {
  return e.keyword === 'additionalProperties' ? [[...pathOf(e), String(e.params.additionalProperty)], 'key'] : [pathOf(e), 'value'];
}

const allowedCache = new WeakMap<object, string[]>();

const EXAMPLES: Record<string, string> = {
  version: 'version: 2',
  org: 'org: org_yourorg',
  admins: 'admins: ["@your-org/platform"]',
  owners: 'owners: ["@your-org/your-team"]',
  team: 'team: chatbot',
  projects: 'projects: [] (or a list of projects)',
  keys: 'keys: [] (or a list of keys)',
  name: 'name: chatbot-prod',
  models: 'models: [openai/gpt-oss-20b] (allow list) or models: {block: [openai/gpt-oss-120b]} (block list)',
  monthly_cap_usd: 'monthly_cap_usd: 500 (or null for no cap)',
  alert_recipients: 'alert_recipients: [platform@your-org.example]',
  repository: 'repository: your-org/your-repo',
  secret: 'secret: GROQ_API_KEY',
  mode: 'mode: "600"',
  field: 'field: api_key',
  environment: 'environment: production',
  environments: 'environments: [production]',
  address: 'address: https://vault.your-org.example',
};

const PATTERNS: Record<string, string> = {
  org: 'must be an organization id such as "org_01abc" (Groq) or "org-abc123" (OpenAI)',
  admins: 'must be a GitHub team ("@org/team"), a user ("@user") or an email address',
  owners: 'must be a GitHub team ("@org/team"), a user ("@user") or an email address',
  alert_recipients: 'must be an e-mail address',
  team: 'may hold only lowercase letters, digits and "-", up to 63 characters',
  name: 'may hold only letters, digits, ".", "_" and "-", start with a letter or digit, and be at most 64 characters',
  repository: 'must be "owner/repository" as GitHub accepts them',
  secret: 'may hold only letters, digits and "_", and must not start with a digit',
  environment:
    'must be a plain environment name: letters, digits, spaces, ".", "_" and "-", starting and ending with a letter, digit, "_" or "-" (no "/", "..", or control characters)',
  environments:
    'must be a plain environment name: letters, digits, spaces, ".", "_" and "-", starting and ending with a letter, digit, "_" or "-" (no "/", "..", or control characters)',
  field: 'may hold only letters, digits, ".", "_" and "-"',
  address: 'must be a URL starting with https:// (or http:// for 127.0.0.1, ::1 or localhost), with no user name or password',
};

// Fields a v1 key carried; in v2 they belong to the project.
const V1_KEY_FIELDS = new Set(['models', 'enabled', 'limits', ...LIMIT_FIELDS]);

function toDiagnostic(source: PolicySource, e: ErrorObject): Diagnostic {
  const path = pathOf(e);
  const field = [...path].reverse().find((s): s is string => typeof s === 'string') ?? '';
  const listed = typeof path.at(-1) === 'number' ? String(path.at(-2)) : field;
  const at = (p: (string | number)[], target: 'key' | 'value' = 'value') => ({
    file: source.file,
    ...locate(source, p, target),
    path: formatPath(p),
  });
  const base = { severity: 'error' as const };
  const shown = (v: unknown) => (typeof v === 'number' ? (writtenNumber(source, path) ?? JSON.stringify(v)) : JSON.stringify(v));

  switch (e.keyword) {
    case 'additionalProperties': {
      const unknown = String(e.params.additionalProperty);
      const parent = e.parentSchema as { properties?: object };
      let allowed = allowedCache.get(parent);
      if (!allowed) allowedCache.set(parent, (allowed = Object.keys(parent.properties ?? {})));
      if (path.at(-2) === 'keys' && V1_KEY_FIELDS.has(unknown)) {
        return {
          ...base,
          ...at([...path, unknown], 'key'),
          message: `unknown field "${unknown}": keys carry no models or limits of their own in policy v2`,
          hint: "set models and limits on the key's project (models: [...], limits: {default: {...}})",
        };
      }
      if (unknown === 'address' && path.at(-1) === 'vault' && source.kind === 'team') {
        return {
          ...base,
          ...at([...path, unknown], 'key'),
          message:
            "a team file cannot choose the Vault address: the Vault address is the organization's (vault.address in org.yaml, or VAULT_ADDR), and the Vault token goes only there",
          hint: 'remove address; if the key belongs in another Vault, the org admins set vault: {address: https://…} in org.yaml',
        };
      }
      const near = closestMatches(unknown, allowed, 1);
      return {
        ...base,
        ...at([...path, unknown], 'key'),
        message: `unknown field "${unknown}"`,
        hint: near.length > 0 ? `did you mean "${near[0]}"?` : `allowed here: ${allowed.join(', ')}`,
      };
    }
    case 'required': {
      const missing = String(e.params.missingProperty);
      if (missing === 'block') {
        return {
          ...base,
          ...at(path),
          message: 'must be a list of models (allow list) or {block: [...]} (block list)',
          hint: `write ${EXAMPLES.models}`,
        };
      }
      return { ...base, ...at(path), message: `missing required field "${missing}"`, hint: `add ${EXAMPLES[missing] ?? `${missing}: …`}` };
    }
    case 'type': {
      const raw = typeof e.data === 'number' ? writtenNumber(source, path) : undefined;
      const actual =
        raw ??
        (e.data === null
          ? 'null'
          : Array.isArray(e.data)
            ? 'a list'
            : typeof e.data === 'object'
              ? 'a mapping'
              : `${typeof e.data} ${shown(e.data)}`);
      const expected = String(e.params.type).split(',').map(describeType).join(' or ');
      if ((LIMIT_FIELDS as readonly string[]).includes(field)) {
        return {
          ...base,
          ...at(path),
          message: `must be ${expected}, not ${actual}`,
          hint: `limits are whole numbers from 1 to ${MAX_LIMIT}`,
        };
      }
      const hint = EXAMPLES[field];
      return { ...base, ...at(path), message: `must be ${expected}, not ${actual}`, ...(hint ? { hint: `write ${hint}` } : {}) };
    }
    case 'const':
      return {
        ...base,
        ...at(path),
        message: `must be ${shown(e.params.allowedValue)}, not ${shown(e.data)}`,
        hint: `write ${field}: ${shown(e.params.allowedValue)}`,
      };
    case 'enum': {
      const allowed = (e.params.allowedValues as unknown[]).map(String);
      const near = closestMatches(String(e.data), allowed, 1);
      const hint =
        field === 'mode'
          ? 'keys are written readable by their owner only: "600", or "400" for read-only'
          : near.length
            ? `did you mean "${near[0]}"?`
            : undefined;
      return { ...base, ...at(path), message: `must be one of ${quoteList(allowed)}, not ${shown(e.data)}`, ...(hint ? { hint } : {}) };
    }
    case 'pattern':
      return { ...base, ...at(path), ...describePattern(listed, path, String(e.data)) };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const op = { minimum: 'at least', maximum: 'at most', exclusiveMinimum: 'more than', exclusiveMaximum: 'less than' }[e.keyword];
      const isLimit = (LIMIT_FIELDS as readonly string[]).includes(field);
      return {
        ...base,
        ...at(path),
        message: `must be ${op} ${e.params.limit}, not ${shown(e.data)}`,
        ...(isLimit ? { hint: `limits are whole numbers from 1 to ${MAX_LIMIT}` } : {}),
      };
    }
    case 'minItems':
      if (field === 'models' || field === 'block')
        return { ...base, ...at(path), message: 'must list at least one model', hint: 'remove models for no restriction of its own' };
      return {
        ...base,
        ...at(path),
        message: `must list at least ${e.params.limit} entr${e.params.limit === 1 ? 'y' : 'ies'}`,
        hint: `remove ${field} to use the default, or list entries`,
      };
    case 'maxItems':
      return { ...base, ...at(path), message: `lists more than ${e.params.limit} entries` };
    case 'uniqueItems': {
      const j = Number(e.params.i);
      const list = e.data as unknown[];
      return { ...base, ...at([...path, j]), message: `${shown(list[j])} is listed twice`, hint: 'remove the repeated entry' };
    }
    case 'minProperties':
    case 'maxProperties':
      if (path.at(-2) === 'deliver') {
        return {
          ...base,
          ...at(path),
          message: 'a deliver entry names exactly one target',
          hint: 'write one of `- github: {repository, secret}`, `- vault: {path, field}` or `- file: {path}` per entry',
        };
      }
      return { ...base, ...at(path), message: e.message ?? 'has the wrong number of fields' };
    case 'minLength':
      return { ...base, ...at(path), message: 'must not be empty' };
    case 'maxLength':
      return { ...base, ...at(path), message: `must be at most ${e.params.limit} characters` };
    default:
      return { ...base, ...at(path), message: e.message ?? `fails schema rule ${e.keyword}` };
  }
}

function describePattern(name: string, path: (string | number)[], value: string): { message: string; hint?: string } {
  const shown = JSON.stringify(value);
  if (name === 'secret' && /^github_/i.test(value)) {
    return { message: `${shown} starts with GITHUB_, which GitHub reserves`, hint: 'for example secret: GROQ_API_KEY' };
  }
  if (name === 'path' && path.at(-2) === 'vault') {
    return {
      message: `${shown} must be a Vault KV path: segments of letters, digits, ".", "_", "-" and "@" joined by "/", with no leading "/" and no "." or ".." segment`,
      hint: 'for example path: secret/data/groq/<team>/chatbot-prod',
    };
  }
  if (name === 'path') {
    return {
      message: `${shown} must not hold a ".." segment or control characters`,
      hint: 'write the path the key goes to without "..", for example path: .secrets/<team>/chatbot-prod.key',
    };
  }
  const example = EXAMPLES[name];
  return { message: `${shown} ${PATTERNS[name] ?? 'is not in the expected form'}`, ...(example ? { hint: `for example ${example}` } : {}) };
}

function describeType(t: string): string {
  return (
    {
      integer: 'a whole number',
      number: 'a number',
      string: 'a string',
      boolean: 'true or false',
      array: 'a list',
      object: 'a mapping',
      null: 'null',
    }[t] ?? t
  );
}
