/**
 * The OpenAI sandbox's routes: OpenAI's Administration API paths under `/v1` (docs/openai-admin-api.md)
 * over the same state engine as the Groq contract. Creates answer 200 and take no `Idempotency-Key`;
 * no organization-level model permissions or rate limits; keys are made only through service accounts.
 */
import { SandboxError } from '../errors.js';
import type { Inference } from '../inference.js';
import type { OrgState } from '../org-state.js';
import { paginate } from '../pagination.js';
import type { Reply, RequestContext, RouteSpec } from '../router.js';
import { OpenAiInference } from './inference.js';
import { presentOpenAiKey, presentServiceAccount } from './keys.js';
import { ProjectSpend } from './project-spend.js';
import { orgCeilings, presentRateLimit, validateOpenAiRateLimitBody } from './rate-limits.js';
import { archivedProject, validateServiceAccountBody } from './service-accounts.js';

export const OPENAI_V1 = '/v1';
const ok = (body: unknown): Reply => ({ status: 200, body });

/**
 * The audit-log event types OpenAI has for what the sandbox records (openai-node `audit-logs.ts`):
 * no model-permission or spend events, so those changes are kept but never listed.
 */
const OPENAI_EVENT_PREFIXES = ['api_key.', 'project.', 'rate_limit.', 'service_account.', 'user.', 'invite.'];
const shownEvent = (type: string) => OPENAI_EVENT_PREFIXES.some((p) => type.startsWith(p));

// Usage `group_by` values OpenAI has that the sandbox has no data for: accepted, answered as null.
const UNTRACKED_GROUPS = ['user_id', 'batch', 'service_tier'];

export function openAiRoutes(org: OrgState, engine: Inference): RouteSpec[] {
  const admin = (method: string, path: string, handler: (ctx: RequestContext) => Reply): RouteSpec => ({
    method,
    template: `${OPENAI_V1}${path}`,
    access: 'admin',
    handler,
  });
  const spend = new ProjectSpend(org);
  const inference = new OpenAiInference(org, engine, spend);
  // Read per call: a reset makes the organization's stores afresh.
  const accounts = () => org.serviceAccounts;
  /** Service accounts live only in active projects ("archived projects have no service accounts"). */
  const liveProject = (projectId: string) => {
    const p = org.project(projectId);
    if (p.archived_at !== null) throw archivedProject(projectId);
    return p;
  };
  const P = '/organization/projects/{project_id}';

  return [
    admin('GET', '/organization/projects', ({ query }) => ok(org.listProjects(query))),
    admin('POST', '/organization/projects', ({ body }) => ok(org.createProject(projectBody(body)))),
    admin('GET', P, ({ params }) => ok(org.getProject(params[0]!))),
    admin('POST', P, ({ params, body }) => ok(org.updateProject(params[0]!, projectBody(body)))),
    admin('POST', `${P}/archive`, ({ params }) => ok(org.archiveProject(params[0]!))),

    admin('GET', `${P}/model_permissions`, ({ params }) => ok(org.projectPermissions(params[0]!))),
    admin('POST', `${P}/model_permissions`, ({ params, body }) => ok(org.setProjectPermissions(params[0]!, body))),
    admin('DELETE', `${P}/model_permissions`, ({ params }) => ok(org.deleteProjectPermissions(params[0]!))),

    admin('GET', `${P}/rate_limits`, ({ params, query }) => {
      const p = org.project(params[0]!);
      return ok(
        paginate(
          org.models.map((model) => ({ id: `rl-${model}`, model })),
          query,
          ({ model }) => presentRateLimit(org, p, model),
        ),
      );
    }),
    admin('POST', `${P}/rate_limits/{rate_limit_id*}`, ({ params, body }) => {
      const { project, model } = org.rateLimitTarget(params[0]!, params[1]!);
      const values = validateOpenAiRateLimitBody(body, model);
      org.checkWithinOrg(model, values, orgCeilings(org, model));
      org.storeProjectLimits(project, params[1]!, model, values);
      return ok(presentRateLimit(org, project, model));
    }),

    admin('GET', `${P}/service_accounts`, ({ params, query }) =>
      ok(paginate(accounts().ofProject(liveProject(params[0]!).id), query, presentServiceAccount)),
    ),
    admin('POST', `${P}/service_accounts`, ({ params, body }) => {
      const p = liveProject(params[0]!);
      const input = validateServiceAccountBody(body, 'create');
      const { account, key, value } = accounts().create(p, input.name!, input.withoutKey);
      const apiKey =
        key && value
          ? { object: 'organization.project.service_account.api_key', value, name: key.name, created_at: key.created_at, id: key.id }
          : null;
      return ok({ ...presentServiceAccount(account), api_key: apiKey });
    }),
    admin('GET', `${P}/service_accounts/{service_account_id}`, ({ params }) =>
      ok(presentServiceAccount(accounts().get(params[0]!, params[1]!))),
    ),
    admin('POST', `${P}/service_accounts/{service_account_id}`, ({ params, body }) => {
      const p = liveProject(params[0]!);
      const { name, role } = validateServiceAccountBody(body, 'update');
      return ok(
        presentServiceAccount(
          accounts().update(p, accounts().get(p.id, params[1]!), { ...(name !== undefined ? { name } : {}), ...(role ? { role } : {}) }),
        ),
      );
    }),
    admin('DELETE', `${P}/service_accounts/{service_account_id}`, ({ params }) => {
      const p = liveProject(params[0]!);
      const account = accounts().get(p.id, params[1]!);
      accounts().delete(p, account);
      return ok({ object: 'organization.project.service_account.deleted', id: account.id, deleted: true });
    }),
    admin('POST', `${P}/service_accounts/{service_account_id}/api_keys`, ({ params, body }) => {
      const p = liveProject(params[0]!);
      const account = accounts().get(p.id, params[1]!);
      const name = keyName(body);
      const { key, value } = accounts().addKey(p, account, name);
      return ok({ object: 'organization.project.service_account.api_key', id: key.id, name: key.name, created_at: key.created_at, value });
    }),

    admin('GET', `${P}/api_keys`, ({ params, query }) => {
      const access = query.get('owner_project_access');
      if (access !== null && access !== 'active' && access !== 'inactive' && access !== 'any') {
        throw new SandboxError(
          400,
          'invalid_request_error',
          "'owner_project_access' must be one of 'active', 'inactive', 'any'.",
          'invalid_request_error',
          'owner_project_access',
        );
      }
      // Every owner here has access to its project: `inactive` lists none.
      const keys = access === 'inactive' ? [] : org.keysOf(params[0]!);
      return ok(paginate(keys, query, (k) => presentOpenAiKey(org, k)));
    }),
    admin('GET', `${P}/api_keys/{key_id}`, ({ params }) => ok(presentOpenAiKey(org, org.key(params[0]!, params[1]!)))),
    admin('DELETE', `${P}/api_keys/{key_id}`, ({ params }) => {
      const key = org.key(params[0]!, params[1]!);
      // openapi.yaml: "an error if the key belonged to a service account", with this message.
      if (key.service_account_id)
        throw new SandboxError(
          400,
          'invalid_request_error',
          'API keys cannot be deleted for service accounts, please delete the service account',
          'invalid_request_error',
          'api_key_id',
        );
      return ok(org.deleteKey(params[0]!, params[1]!));
    }),

    admin('GET', '/organization/spend_limit', () => ok(org.billing.getLimit())),
    admin('POST', '/organization/spend_limit', ({ body }) => ok(org.billing.setLimit(body))),
    admin('DELETE', '/organization/spend_limit', () => ok(org.billing.deleteLimit())),
    admin('GET', '/organization/spend_alerts', ({ query }) => ok(org.billing.listAlerts(query))),
    admin('POST', '/organization/spend_alerts', ({ body }) => ok(org.billing.createAlert(body))),
    admin('GET', '/organization/spend_alerts/{alert_id}', ({ params }) => ok(org.billing.getAlert(params[0]!))),
    admin('POST', '/organization/spend_alerts/{alert_id}', ({ params, body }) => ok(org.billing.updateAlert(params[0]!, body))),
    admin('DELETE', '/organization/spend_alerts/{alert_id}', ({ params }) => ok(org.billing.deleteAlert(params[0]!))),
    admin('GET', `${P}/spend_limit`, ({ params }) => ok(spend.getLimit(params[0]!))),
    admin('POST', `${P}/spend_limit`, ({ params, body }) => ok(spend.setLimit(params[0]!, body))),
    admin('DELETE', `${P}/spend_limit`, ({ params }) => ok(spend.deleteLimit(params[0]!))),
    admin('GET', `${P}/spend_alerts`, ({ params, query }) => ok(spend.listAlerts(params[0]!, query))),
    admin('POST', `${P}/spend_alerts`, ({ params, body }) => ok(spend.createAlert(params[0]!, body))),
    admin('GET', `${P}/spend_alerts/{alert_id}`, ({ params }) => ok(spend.getAlert(params[0]!, params[1]!))),
    admin('POST', `${P}/spend_alerts/{alert_id}`, ({ params, body }) => ok(spend.updateAlert(params[0]!, params[1]!, body))),
    admin('DELETE', `${P}/spend_alerts/{alert_id}`, ({ params }) => ok(spend.deleteAlert(params[0]!, params[1]!))),

    admin('GET', '/organization/usage/completions', ({ query }) => ok(usageCompletions(org, query))),
    admin('GET', '/organization/costs', ({ query }) => ok(org.usage.costs(query, org.now(), true))),
    admin('GET', '/organization/audit_logs', ({ query }) => ok(org.audit.list(query, shownEvent))),

    { method: 'GET', template: `${OPENAI_V1}/models`, access: 'inference', handler: () => ok(inference.listModels()) },
    {
      method: 'GET',
      template: `${OPENAI_V1}/models/{model*}`,
      access: 'inference',
      handler: ({ params }) => ok(inference.getModel(params[0]!)),
    },
    {
      method: 'POST',
      template: `${OPENAI_V1}/chat/completions`,
      access: 'inference',
      handler: ({ token, body, requestId }) => inference.chat(token, body, requestId),
    },
  ];
}

/** OpenAI's project body also takes `external_key_id` and `geography` (openai-node `projects.ts`): accepted, not kept. */
function projectBody(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const { external_key_id: _key, geography: _geo, ...rest } = raw as Record<string, unknown>;
  return rest;
}

/** A further service-account key's `name` (optional in openai-node; assumed default as for the first key). */
function keyName(raw: unknown): string {
  const name = (raw as { name?: unknown } | null | undefined)?.name;
  if (name === undefined) return 'Secret Key';
  if (typeof name !== 'string' || name.trim() === '' || name.length > 256)
    throw new SandboxError(
      400,
      'invalid_request_error',
      "'name' must be a string of 1 to 256 characters.",
      'invalid_request_error',
      'name',
    );
  return name;
}

function usageCompletions(org: OrgState, query: URLSearchParams) {
  const untracked = UNTRACKED_GROUPS.filter((g) => query.getAll('group_by[]').includes(g) || query.getAll('group_by').includes(g));
  let q = query;
  if (untracked.length) {
    q = new URLSearchParams([...query].filter(([k, v]) => !((k === 'group_by[]' || k === 'group_by') && UNTRACKED_GROUPS.includes(v))));
  }
  const page = org.usage.completions(q, org.now());
  if (!untracked.length) return page;
  const nulls = Object.fromEntries(untracked.map((g) => [g, null]));
  return { ...page, data: page.data.map((b) => ({ ...b, results: b.results.map((r) => ({ ...r, ...nulls })) })) };
}
