import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import orgSchema from '../../schemas/org.schema.json' with { type: 'json' };
import teamSchema from '../../schemas/team.schema.json' with { type: 'json' };
import { closestMatches } from './models.js';
import { formatPath, quoteList, type Diagnostic } from './diagnostics.js';
import { locate, type PolicySource } from './source.js';

let validators: { org: ValidateFunction; team: ValidateFunction } | undefined;

// Compiled once per process: compiling costs far more than validating.
function compiled(): { org: ValidateFunction; team: ValidateFunction } {
  if (!validators) {
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true });
    ajv.addSchema(orgSchema).addSchema(teamSchema);
    validators = { org: ajv.getSchema(orgSchema.$id)!, team: ajv.getSchema(teamSchema.$id)! };
  }
  return validators;
}

/** Checks one parsed file against its JSON Schema; one diagnostic per distinct problem. */
export function validateSchema(source: PolicySource): Diagnostic[] {
  const validate = compiled()[source.kind];
  if (validate(source.data)) return [];
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const error of validate.errors ?? []) {
    const d = toDiagnostic(source, error);
    if (!d) continue;
    const id = `${d.line}:${d.column}:${d.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(d);
  }
  return out;
}

const EXAMPLES: Record<string, string> = {
  version: 'version: 1',
  org: 'org: org_yourorg',
  admins: 'admins: ["@your-org/platform"]',
  owners: 'owners: ["@your-org/your-team"]',
  team: 'team: chatbot',
  keys: 'keys: [] (or a list of keys)',
  name: 'name: chatbot-prod',
  monthly_cap_usd: 'monthly_cap_usd: 500 (or null for no cap)',
  repository: 'repository: your-org/your-repo',
  secret: 'secret: GROQ_API_KEY',
  path: 'path: secret/data/groq/chatbot-prod',
  field: 'field: api_key',
};

const PATTERNS: Record<string, string> = {
  org: 'must be an organization id such as "org_01abc"',
  admins: 'must be a GitHub team ("@org/team"), a user ("@user") or an email address',
  owners: 'must be a GitHub team ("@org/team"), a user ("@user") or an email address',
  team: 'may hold only lowercase letters, digits and "-", up to 63 characters',
  name: 'may hold only letters, digits, ".", "_" and "-", start with a letter or digit, and be at most 64 characters',
  repository: 'must be "owner/repository"',
  secret: 'may hold only letters, digits and "_", and must not start with a digit',
  mode: 'must be an octal file mode such as "600"',
  address: 'must be a URL starting with https:// or http://',
};

function toDiagnostic(source: PolicySource, e: ErrorObject): Diagnostic | null {
  const path = e.instancePath.split('/').slice(1).map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
  const field = [...path].reverse().find((s): s is string => typeof s === 'string') ?? '';
  const at = (p: (string | number)[], target: 'key' | 'value' = 'value') => ({ file: source.file, ...locate(source, p, target), path: formatPath(p) });
  const base = { severity: 'error' as const };
  const shown = (v: unknown) => JSON.stringify(v);

  switch (e.keyword) {
    case 'additionalProperties': {
      const unknown = String(e.params.additionalProperty);
      const allowed = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
      const near = closestMatches(unknown, allowed, 1);
      return {
        ...base, ...at([...path, unknown], 'key'),
        message: `unknown field "${unknown}"`,
        hint: near.length > 0 ? `did you mean "${near[0]}"?` : `allowed here: ${allowed.join(', ')}`,
      };
    }
    case 'required': {
      const missing = String(e.params.missingProperty);
      return {
        ...base, ...at(path),
        message: `missing required field "${missing}"`,
        hint: `add ${EXAMPLES[missing] ?? `${missing}: …`}`,
      };
    }
    case 'type': {
      const actual = e.data === null ? 'null' : Array.isArray(e.data) ? 'a list' : typeof e.data === 'object' ? 'a mapping' : `${typeof e.data} ${shown(e.data)}`;
      const expected = String(e.params.type).split(',').map(describeType).join(' or ');
      return { ...base, ...at(path), message: `must be ${expected}, not ${actual}`, ...(EXAMPLES[field] ? { hint: `write ${EXAMPLES[field]}` } : {}) };
    }
    case 'const':
      return { ...base, ...at(path), message: `must be ${shown(e.params.allowedValue)}, not ${shown(e.data)}`, hint: `write ${field}: ${shown(e.params.allowedValue)}` };
    case 'enum': {
      const allowed = (e.params.allowedValues as unknown[]).map(String);
      const near = closestMatches(String(e.data), allowed, 1);
      return { ...base, ...at(path), message: `must be one of ${quoteList(allowed)}, not ${shown(e.data)}`, ...(near.length ? { hint: `did you mean "${near[0]}"?` } : {}) };
    }
    case 'pattern': {
      const name = typeof path.at(-1) === 'number' ? String(path.at(-2)) : field;
      return { ...base, ...at(path), message: `${shown(e.data)} ${PATTERNS[name] ?? `does not match ${e.params.pattern}`}`, ...(EXAMPLES[name] ? { hint: `for example ${EXAMPLES[name]}` } : {}) };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const op = { minimum: 'at least', maximum: 'at most', exclusiveMinimum: 'more than', exclusiveMaximum: 'less than' }[e.keyword];
      return { ...base, ...at(path), message: `must be ${op} ${e.params.limit}, not ${shown(e.data)}` };
    }
    case 'minItems':
      return { ...base, ...at(path), message: `must list at least ${e.params.limit} entr${e.params.limit === 1 ? 'y' : 'ies'}`, hint: `remove ${field} to use the default, or list entries` };
    case 'maxItems':
      return { ...base, ...at(path), message: `lists more than ${e.params.limit} entries` };
    case 'uniqueItems': {
      const j = Number(e.params.i);
      const list = e.data as unknown[];
      return { ...base, ...at([...path, j]), message: `${shown(list[j])} is listed twice`, hint: 'remove the repeated entry' };
    }
    case 'minProperties':
    case 'maxProperties':
      if (field === 'deliver') {
        return { ...base, ...at(path), message: 'a deliver entry names exactly one target', hint: 'write one of `- github: {repository, secret}`, `- vault: {path, field}` or `- file: {path}` per entry' };
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

function describeType(t: string): string {
  return { integer: 'a whole number', number: 'a number', string: 'a string', boolean: 'true or false', array: 'a list', object: 'a mapping', null: 'null' }[t] ?? t;
}
