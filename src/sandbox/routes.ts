import type { Inference } from './inference.js';
import type { OrgState } from './org-state.js';
import type { Reply, RequestContext, RouteSpec } from './router.js';

const V1 = '/openai/v1';
const ok = (body: unknown): Reply => ({ status: 200, body });
const created = (body: unknown): Reply => ({ status: 201, body });

/** The contract's admin resources and Groq's inference surface, as routes. */
export function apiRoutes(org: OrgState, inference: Inference): RouteSpec[] {
  const admin = (method: string, path: string, handler: (ctx: RequestContext) => Reply, create = false): RouteSpec => ({
    method,
    template: `${V1}${path}`,
    access: 'admin',
    create,
    handler,
  });
  const billing = () => org.billing;
  return [
    admin('GET', '/organization', () => ok(org.organization())),
    admin('GET', '/organization/model_permissions', () => ok(org.orgPermissions())),
    admin('POST', '/organization/model_permissions', ({ body }) => ok(org.setOrgPermissions(body))),
    admin('DELETE', '/organization/model_permissions', () => ok(org.deleteOrgPermissions())),
    admin('GET', '/organization/rate_limits', ({ query }) => ok(org.listOrgRateLimits(query))),

    admin('GET', '/organization/projects', ({ query }) => ok(org.listProjects(query))),
    admin('POST', '/organization/projects', ({ body }) => created(org.createProject(body)), true),
    admin('GET', '/organization/projects/{project_id}', ({ params }) => ok(org.getProject(params[0]!))),
    admin('POST', '/organization/projects/{project_id}', ({ params, body }) => ok(org.updateProject(params[0]!, body))),
    admin('POST', '/organization/projects/{project_id}/archive', ({ params }) => ok(org.archiveProject(params[0]!))),
    admin('GET', '/organization/projects/{project_id}/model_permissions', ({ params }) => ok(org.projectPermissions(params[0]!))),
    admin('POST', '/organization/projects/{project_id}/model_permissions', ({ params, body }) =>
      ok(org.setProjectPermissions(params[0]!, body)),
    ),
    admin('DELETE', '/organization/projects/{project_id}/model_permissions', ({ params }) => ok(org.deleteProjectPermissions(params[0]!))),
    admin('GET', '/organization/projects/{project_id}/rate_limits', ({ params, query }) =>
      ok(org.listProjectRateLimits(params[0]!, query)),
    ),
    admin('POST', '/organization/projects/{project_id}/rate_limits/{rate_limit_id*}', ({ params, body }) =>
      ok(org.updateProjectRateLimit(params[0]!, params[1]!, body)),
    ),
    admin('GET', '/organization/projects/{project_id}/api_keys', ({ params, query }) => ok(org.listKeys(params[0]!, query))),
    admin('POST', '/organization/projects/{project_id}/api_keys', ({ params, body }) => created(org.createKey(params[0]!, body)), true),
    admin('GET', '/organization/projects/{project_id}/api_keys/{key_id}', ({ params }) => ok(org.getKey(params[0]!, params[1]!))),
    admin('POST', '/organization/projects/{project_id}/api_keys/{key_id}', ({ params, body }) =>
      ok(org.updateKey(params[0]!, params[1]!, body)),
    ),
    admin('DELETE', '/organization/projects/{project_id}/api_keys/{key_id}', ({ params }) => ok(org.deleteKey(params[0]!, params[1]!))),

    admin('GET', '/organization/spend_limit', () => ok(billing().getLimit())),
    admin('POST', '/organization/spend_limit', ({ body }) => ok(billing().setLimit(body))),
    admin('DELETE', '/organization/spend_limit', () => ok(billing().deleteLimit())),
    admin('GET', '/organization/spend_alerts', ({ query }) => ok(billing().listAlerts(query))),
    admin('POST', '/organization/spend_alerts', ({ body }) => created(billing().createAlert(body)), true),
    admin('GET', '/organization/spend_alerts/{alert_id}', ({ params }) => ok(billing().getAlert(params[0]!))),
    admin('POST', '/organization/spend_alerts/{alert_id}', ({ params, body }) => ok(billing().updateAlert(params[0]!, body))),
    admin('DELETE', '/organization/spend_alerts/{alert_id}', ({ params }) => ok(billing().deleteAlert(params[0]!))),

    admin('GET', '/organization/usage/completions', ({ query }) => ok(org.usage.completions(query, org.now()))),
    admin('GET', '/organization/costs', ({ query }) => ok(org.usage.costs(query, org.now()))),
    admin('GET', '/organization/audit_logs', ({ query }) => ok(org.audit.list(query))),

    { method: 'GET', template: `${V1}/models`, access: 'inference', handler: () => ok(inference.listModels()) },
    { method: 'GET', template: `${V1}/models/{model*}`, access: 'inference', handler: ({ params }) => ok(inference.getModel(params[0]!)) },
    {
      method: 'POST',
      template: `${V1}/chat/completions`,
      access: 'inference',
      handler: ({ token, body, requestId }) => inference.chat(token, body, requestId),
    },
  ];
}
