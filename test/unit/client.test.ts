import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { redactSecrets, registerSecret } from '../../src/core/redact.js';
import { DEFAULT_BASE_URL, GroqClient, MAX_PAGES } from '../../src/providers/groq/client.js';
import { GroqApiError } from '../../src/providers/groq/errors.js';
import { ProtocolError } from '../../src/net/errors.js';

const BASE = 'https://api.groq.test';
const V1 = '/openai/v1';
const ADMIN = 'adminFAKE-not-a-gsk-shape-0123456789abcdef';
const KEY = 'gsk_inferenceFAKE000000000000000000000000000000000000';

function makeClient(extra: { maxAttempts?: number; baseUrl?: string } = {}) {
  const waits: number[] = [];
  const client = new GroqClient({ baseUrl: BASE, adminKey: ADMIN, sleep: async (ms) => void waits.push(ms), random: () => 0.5, ...extra });
  return { client, waits };
}
/** An interceptor that also requires the admin key. */
const api = () => nock(BASE).matchHeader('authorization', `Bearer ${ADMIN}`);
const list = <T extends { id: string }>(data: T[], hasMore = false) => ({
  object: 'list',
  data,
  first_id: data[0]?.id ?? null,
  last_id: data.at(-1)?.id ?? null,
  has_more: hasMore,
});
const failure = async (p: Promise<unknown>) =>
  (await p.then(
    () => null,
    (e) => e,
  )) as GroqApiError;
const error = (status: number, code: string, message = 'nope', extra: object = {}) =>
  [status, { error: { message, type: 'invalid_request_error', code, ...extra } }] as const;

const project = (id: string, name = id) => ({
  object: 'organization.project',
  id,
  name,
  created_at: 1764280000,
  archived_at: null,
  status: 'active',
});
const key = (id: string, extra: object = {}) => ({
  object: 'organization.project.api_key',
  id,
  name: id,
  redacted_value: 'gsk_…AbCd',
  created_at: 1764280000,
  last_used_at: null,
  metadata: {},
  ...extra,
});
const rateLimit = (model: string, object = 'project.rate_limit') => ({
  object,
  id: `rl-${model}`,
  model,
  max_requests_per_1_minute: 30,
  max_tokens_per_1_minute: 6000,
  max_requests_per_1_day: 1000,
  max_tokens_per_1_day: 500000,
});
const permissions = (object: string, mode = 'allow_list', ids = ['openai/gpt-oss-20b']) => ({ object, mode, model_ids: ids });
const spendLimit = {
  object: 'organization.spend_limit',
  threshold_amount: 50000,
  currency: 'USD',
  interval: 'month',
  enforcement: { status: 'inactive' },
};
const alertInput = {
  threshold_amount: 10000,
  currency: 'USD' as const,
  interval: 'month' as const,
  notification_channel: { type: 'email' as const, recipients: ['platform@acme.example'] },
};
const alert = (id: string) => ({ object: 'organization.spend_alert', id, ...alertInput });
const P = `${V1}/organization/projects/proj_1`;

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('the organization', () => {
  it('reads it', async () => {
    const scope = api().get(`${V1}/organization`).reply(200, { object: 'organization', id: 'org_1', name: 'Acme' });
    expect(await makeClient().client.getOrganization()).toEqual({ object: 'organization', id: 'org_1', name: 'Acme' });
    expect(scope.isDone()).toBe(true);
  });

  it('reads, sets and removes its model permissions', async () => {
    const scope = api()
      .get(`${V1}/organization/model_permissions`)
      .reply(200, permissions('organization.model_permissions', 'deny_list', []))
      .post(`${V1}/organization/model_permissions`, { mode: 'allow_list', model_ids: ['openai/gpt-oss-20b'] })
      .reply(200, permissions('organization.model_permissions'))
      .delete(`${V1}/organization/model_permissions`)
      .reply(200, permissions('organization.model_permissions', 'deny_list', []));
    const { client } = makeClient();
    expect(await client.getOrgModelPermissions()).toMatchObject({ mode: 'deny_list', model_ids: [] });
    expect(await client.setOrgModelPermissions({ mode: 'allow_list', model_ids: ['openai/gpt-oss-20b'] })).toMatchObject({
      mode: 'allow_list',
    });
    await expect(client.deleteOrgModelPermissions()).resolves.toBeUndefined();
    expect(scope.isDone()).toBe(true);
  });

  it('lists its rate limits, 100 to a page', async () => {
    const scope = api()
      .get(`${V1}/organization/rate_limits`)
      .query({ limit: '100' })
      .reply(200, list([rateLimit('openai/gpt-oss-20b', 'organization.rate_limit')]));
    expect(await makeClient().client.listOrgRateLimits()).toEqual([rateLimit('openai/gpt-oss-20b', 'organization.rate_limit')]);
    expect(scope.isDone()).toBe(true);
  });

  it('reads the Date header as the organization clock', async () => {
    const { client } = makeClient();
    expect(client.observedNow()).toBeNull();
    api().get(`${V1}/organization`).reply(200, {}, { date: 'Sat, 28 Nov 2026 10:00:00 GMT' });
    await client.getOrganization();
    expect(client.observedNow()).toBe(Date.parse('2026-11-28T10:00:00Z') / 1000);
  });
});

describe('projects', () => {
  it('follows has_more and after= across pages, 100 at a time', async () => {
    const scope = api()
      .get(`${V1}/organization/projects`)
      .query({ limit: '100' })
      .reply(200, list([project('proj_a'), project('proj_b')], true))
      .get(`${V1}/organization/projects`)
      .query({ limit: '100', after: 'proj_b' })
      .reply(200, list([project('proj_c')], true))
      .get(`${V1}/organization/projects`)
      .query({ limit: '100', after: 'proj_c' })
      .reply(200, list([project('proj_d')]));
    expect((await makeClient().client.listProjects()).map((p) => p.id)).toEqual(['proj_a', 'proj_b', 'proj_c', 'proj_d']);
    expect(scope.isDone()).toBe(true);
  });

  it('includes archived projects only when asked', async () => {
    const scope = api()
      .get(`${V1}/organization/projects`)
      .query({ limit: '100', include_archived: 'true' })
      .reply(200, list([{ ...project('proj_old'), status: 'archived', archived_at: 1764290000 }]));
    expect(await makeClient().client.listProjects({ includeArchived: true })).toMatchObject([{ id: 'proj_old', status: 'archived' }]);
    expect(scope.isDone()).toBe(true);
  });

  it('stops with an error when the server repeats a cursor, instead of asking again forever', async () => {
    // Page 2 answers with page 1's cursor again: following it would loop between the two.
    const scope = api()
      .get(`${V1}/organization/projects`)
      .query({ limit: '100' })
      .reply(200, list([project('proj_a'), project('proj_b')], true))
      .get(`${V1}/organization/projects`)
      .query({ limit: '100', after: 'proj_b' })
      .reply(200, list([project('proj_c'), project('proj_b')], true));
    const e = (await makeClient()
      .client.listProjects()
      .catch((x) => x)) as ProtocolError;
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e.message).toBe(
      'GET /openai/v1/organization/projects failed: the server sent the same last_id cursor twice, so the list would never end; stopped after 2 pages',
    );
    expect(scope.isDone()).toBe(true);
  });

  it(`stops after ${MAX_PAGES.toLocaleString('en-US')} pages of a list that never ends`, async () => {
    expect(MAX_PAGES).toBe(10_000);
    let requests = 0;
    // Fresh cursors forever, each page full: an in-memory server, 10,000 answers are quick.
    const fetch = (async () => {
      const n = requests++;
      return new Response(JSON.stringify(list([project(`proj_${n}`)], true)), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    }) as unknown as typeof globalThis.fetch;
    const client = new GroqClient({ baseUrl: BASE, adminKey: ADMIN, fetch });
    const e = (await client.listProjectKeys('proj_1').catch((x) => x)) as ProtocolError;
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e.message).toBe(
      'GET /openai/v1/organization/projects/proj_1/api_keys failed: the list did not end after 10,000 pages, more than any organization groq-rbac supports (1,000,000 items at 100 a page); stopped there',
    );
    expect(requests).toBe(MAX_PAGES);
  });

  it('hands out the list page by page', async () => {
    api()
      .get(`${V1}/organization/projects`)
      .query({ limit: '100' })
      .reply(200, list([project('proj_a')], true))
      .get(`${V1}/organization/projects`)
      .query({ limit: '100', after: 'proj_a' })
      .reply(200, list([project('proj_b'), project('proj_c')]));
    const pages: string[][] = [];
    for await (const page of makeClient().client.listProjectPages()) pages.push(page.map((p) => p.id));
    expect(pages).toEqual([['proj_a'], ['proj_b', 'proj_c']]);
  });

  it('reads one, creates one with an Idempotency-Key, archives one without a body', async () => {
    const scope = api()
      .get(P)
      .reply(200, project('proj_1'))
      .post(`${V1}/organization/projects`, { name: 'chatbot-prod' })
      .matchHeader('idempotency-key', 'idem-p')
      .reply(201, project('proj_2', 'chatbot-prod'))
      .post(`${P}/archive`, (body) => body === '' || body === undefined || Object.keys(body).length === 0)
      .reply(200, { ...project('proj_1'), status: 'archived' });
    const { client } = makeClient();
    expect(await client.getProject('proj_1')).toMatchObject({ id: 'proj_1' });
    expect(await client.createProject({ name: 'chatbot-prod' }, 'idem-p')).toEqual({
      value: project('proj_2', 'chatbot-prod'),
      replayed: false,
    });
    expect(await client.archiveProject('proj_1')).toMatchObject({ status: 'archived' });
    expect(scope.isDone()).toBe(true);
  });

  it('reads, sets and removes a project’s model permissions', async () => {
    const scope = api()
      .get(`${P}/model_permissions`)
      .reply(200, permissions('project.model_permissions', 'deny_list', []))
      .post(`${P}/model_permissions`, { mode: 'deny_list', model_ids: ['qwen/qwen3.8-27b'] })
      .reply(200, permissions('project.model_permissions', 'deny_list', ['qwen/qwen3.8-27b']))
      .delete(`${P}/model_permissions`)
      .reply(200, permissions('project.model_permissions', 'deny_list', []));
    const { client } = makeClient();
    expect(await client.getProjectModelPermissions('proj_1')).toMatchObject({ object: 'project.model_permissions' });
    expect(await client.setProjectModelPermissions('proj_1', { mode: 'deny_list', model_ids: ['qwen/qwen3.8-27b'] })).toMatchObject({
      model_ids: ['qwen/qwen3.8-27b'],
    });
    await client.deleteProjectModelPermissions('proj_1');
    expect(scope.isDone()).toBe(true);
  });

  it('lists a project’s rate limits and updates one, its id escaped (model ids hold a slash)', async () => {
    const scope = api()
      .get(`${P}/rate_limits`)
      .query({ limit: '100' })
      .reply(200, list([rateLimit('openai/gpt-oss-120b')]))
      .post(`${P}/rate_limits/rl-openai%2Fgpt-oss-120b`, { max_tokens_per_1_minute: 60000 })
      .reply(200, { ...rateLimit('openai/gpt-oss-120b'), max_tokens_per_1_minute: 60000 });
    const { client } = makeClient();
    expect(await client.listProjectRateLimits('proj_1')).toHaveLength(1);
    expect(await client.updateProjectRateLimit('proj_1', 'rl-openai/gpt-oss-120b', { max_tokens_per_1_minute: 60000 })).toMatchObject({
      max_tokens_per_1_minute: 60000,
    });
    expect(scope.isDone()).toBe(true);
  });
});

describe('project API keys', () => {
  it('lists, reads, updates and deletes', async () => {
    const scope = api()
      .get(`${P}/api_keys`)
      .query({ limit: '100' })
      .reply(200, list([key('key_1')], true))
      .get(`${P}/api_keys`)
      .query({ limit: '100', after: 'key_1' })
      .reply(200, list([key('key_2')]))
      .get(`${P}/api_keys/key_1`)
      .reply(200, key('key_1'))
      .post(`${P}/api_keys/key_1`, { metadata: { 'groq-rbac/delivered_at': '1764280000', 'groq-rbac/trigger': null } })
      .reply(200, key('key_1'))
      .delete(`${P}/api_keys/key_1`)
      .reply(200, { object: 'organization.project.api_key.deleted', id: 'key_1', deleted: true });
    const { client } = makeClient();
    expect((await client.listProjectKeys('proj_1')).map((k) => k.id)).toEqual(['key_1', 'key_2']);
    expect(await client.getProjectKey('proj_1', 'key_1')).toMatchObject({ id: 'key_1' });
    await client.updateProjectKey('proj_1', 'key_1', { metadata: { 'groq-rbac/delivered_at': '1764280000', 'groq-rbac/trigger': null } });
    await expect(client.deleteProjectKey('proj_1', 'key_1')).resolves.toBeUndefined();
    expect(scope.isDone()).toBe(true);
  });

  it('creates with name, metadata and an Idempotency-Key, and says when the answer is a replay', async () => {
    const input = { name: 'chatbot-prod-web', metadata: { 'groq-rbac/key': 'chatbot-prod-web', 'groq-rbac/generation': '1' } };
    const created = { ...key('key_9', { name: 'chatbot-prod-web', metadata: input.metadata }), value: KEY };
    const scope = api()
      .post(`${P}/api_keys`, input)
      .matchHeader('idempotency-key', 'idem-k')
      .reply(201, created)
      .post(`${P}/api_keys`, input)
      .matchHeader('idempotency-key', 'idem-k')
      .reply(201, created, { 'idempotent-replayed': 'true' });
    const { client } = makeClient();
    expect(await client.createProjectKey('proj_1', input, 'idem-k')).toEqual({ value: created, replayed: false });
    expect(await client.createProjectKey('proj_1', input, 'idem-k')).toEqual({ value: created, replayed: true });
    expect(scope.isDone()).toBe(true);
  });
});

describe('spending', () => {
  it('reads, sets (in cents, USD, monthly) and removes the spend limit', async () => {
    const scope = api()
      .get(`${V1}/organization/spend_limit`)
      .reply(200, spendLimit)
      .post(`${V1}/organization/spend_limit`, { threshold_amount: 50000, currency: 'USD', interval: 'month' })
      .reply(200, spendLimit)
      .delete(`${V1}/organization/spend_limit`)
      .reply(200, { object: 'organization.spend_limit.deleted', deleted: true });
    const { client } = makeClient();
    expect(await client.getSpendLimit()).toEqual(spendLimit);
    expect(await client.setSpendLimit(50000)).toEqual(spendLimit);
    await client.deleteSpendLimit();
    expect(scope.isDone()).toBe(true);
  });

  it('reads no spend limit as null (404), but a wrong URL is still an error', async () => {
    api()
      .get(`${V1}/organization/spend_limit`)
      .reply(...error(404, 'spend_limit_not_found', 'No spend limit is set.'));
    expect(await makeClient().client.getSpendLimit()).toBeNull();
    nock('https://api.groq.test')
      .get(`/prefix${V1}/organization/spend_limit`)
      .reply(...error(404, 'unknown_url', 'Unknown request URL: GET /prefix/openai/v1/organization/spend_limit.'));
    const e = await failure(makeClient({ baseUrl: `${BASE}/prefix` }).client.getSpendLimit());
    expect(e).toMatchObject({ status: 404, code: 'unknown_url' });
    expect(e.message).toContain('check --base-url / GROQ_BASE_URL');
  });

  it('lists, creates, updates and deletes spend alerts', async () => {
    const scope = api()
      .get(`${V1}/organization/spend_alerts`)
      .query({ limit: '100' })
      .reply(200, list([alert('alert_1')]))
      .post(`${V1}/organization/spend_alerts`, alertInput)
      .matchHeader('idempotency-key', 'idem-a')
      .reply(201, alert('alert_2'), { 'idempotent-replayed': 'true' })
      .post(`${V1}/organization/spend_alerts/alert_2`, { ...alertInput, threshold_amount: 25000 })
      .reply(200, { ...alert('alert_2'), threshold_amount: 25000 })
      .delete(`${V1}/organization/spend_alerts/alert_2`)
      .reply(200, { object: 'organization.spend_alert.deleted', id: 'alert_2', deleted: true });
    const { client } = makeClient();
    expect(await client.listSpendAlerts()).toEqual([alert('alert_1')]);
    expect(await client.createSpendAlert(alertInput, 'idem-a')).toEqual({ value: alert('alert_2'), replayed: true });
    expect(await client.updateSpendAlert('alert_2', { ...alertInput, threshold_amount: 25000 })).toMatchObject({ threshold_amount: 25000 });
    await client.deleteSpendAlert('alert_2');
    expect(scope.isDone()).toBe(true);
  });
});

describe('usage, costs and audit logs', () => {
  const bucket = (start: number, results: object[]) => ({ object: 'bucket', start_time: start, end_time: start + 86400, results });

  it('sends array parameters as name[]= and follows next_page for usage', async () => {
    const raw: string[] = [];
    const scope = api()
      .get(`${V1}/organization/usage/completions`)
      .query((q) => (raw.push(JSON.stringify(q)), q.page === undefined))
      .reply(200, { object: 'page', data: [bucket(1764201600, [])], has_more: true, next_page: 'page_2' })
      .get(`${V1}/organization/usage/completions`)
      .query({
        start_time: '1764201600',
        end_time: '1764374400',
        bucket_width: '1d',
        'project_ids[]': ['proj_1', 'proj_2'],
        'group_by[]': ['project_id', 'model'],
        page: 'page_2',
      })
      .reply(200, {
        object: 'page',
        data: [
          bucket(1764288000, [
            {
              object: 'organization.usage.completions.result',
              input_tokens: 5,
              output_tokens: 7,
              num_model_requests: 1,
              project_id: 'proj_1',
              api_key_id: null,
              model: 'openai/gpt-oss-20b',
            },
          ]),
        ],
        has_more: false,
        next_page: null,
      });
    const buckets = await makeClient().client.listCompletionsUsage({
      start_time: 1764201600,
      end_time: 1764374400,
      bucket_width: '1d',
      project_ids: ['proj_1', 'proj_2'],
      group_by: ['project_id', 'model'],
    });
    expect(buckets.map((b) => b.start_time)).toEqual([1764201600, 1764288000]);
    expect(buckets[1]!.results[0]).toMatchObject({ project_id: 'proj_1', input_tokens: 5 });
    expect(JSON.parse(raw[0]!)).toEqual({
      start_time: '1764201600',
      end_time: '1764374400',
      bucket_width: '1d',
      'project_ids[]': ['proj_1', 'proj_2'],
      'group_by[]': ['project_id', 'model'],
    });
    expect(scope.isDone()).toBe(true);
  });

  it('stops with an error when next_page repeats', async () => {
    const scope = api()
      .get(`${V1}/organization/costs`)
      .query((q) => q.page === undefined)
      .reply(200, { object: 'page', data: [bucket(1764201600, [])], has_more: true, next_page: 'page_2' })
      .get(`${V1}/organization/costs`)
      .query((q) => q.page === 'page_2')
      .reply(200, { object: 'page', data: [bucket(1764288000, [])], has_more: true, next_page: 'page_2' });
    const e = (await makeClient()
      .client.listCosts({ start_time: 1764201600, end_time: 1764374400 })
      .catch((x) => x)) as ProtocolError;
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e.message).toBe(
      'GET /openai/v1/organization/costs failed: the server sent the same next_page cursor twice, so the list would never end; stopped after 2 pages',
    );
    expect(scope.isDone()).toBe(true);
  });

  it('puts brackets in the query string literally, as OpenAI’s SDK does', async () => {
    const paths: string[] = [];
    const scope = api()
      .get((uri) => (paths.push(uri), uri.startsWith(`${V1}/organization/costs`)))
      .reply(200, { object: 'page', data: [], has_more: false, next_page: null });
    await makeClient().client.listCosts({ start_time: 1764201600, group_by: ['project_id', 'line_item'] });
    expect(paths).toContain(`${V1}/organization/costs?bucket_width=1d&start_time=1764201600&group_by[]=project_id&group_by[]=line_item`);
    expect(scope.isDone()).toBe(true);
  });

  it('reads audit logs with effective_at[gte] and event_types[], paginated with after', async () => {
    const log = (id: string) => ({ id, type: 'api_key.created', effective_at: 1764280000, actor: null });
    const scope = api()
      .get(`${V1}/organization/audit_logs`)
      .query({ 'effective_at[gte]': '1764200000', 'event_types[]': ['api_key.created', 'api_key.deleted'], limit: '100' })
      .reply(200, list([log('audit_1')], true))
      .get(`${V1}/organization/audit_logs`)
      .query({ 'effective_at[gte]': '1764200000', 'event_types[]': ['api_key.created', 'api_key.deleted'], limit: '100', after: 'audit_1' })
      .reply(200, list([log('audit_2')]));
    const logs = await makeClient().client.listAuditLogs({
      effective_at_gte: 1764200000,
      event_types: ['api_key.created', 'api_key.deleted'],
    });
    expect(logs.map((l) => l.id)).toEqual(['audit_1', 'audit_2']);
    expect(scope.isDone()).toBe(true);
  });
});

describe('inference', () => {
  const model = {
    id: 'openai/gpt-oss-20b',
    object: 'model',
    created: 1754407957,
    owned_by: 'OpenAI',
    active: true,
    context_window: 131072,
    max_completion_tokens: 65536,
    public_apps: null,
  };
  const body = { model: 'openai/gpt-oss-20b', messages: [{ role: 'user', content: 'Hello' }] };

  it('lists models with the admin key, or with the inference key it is given (how a new key is verified)', async () => {
    const scope = nock(BASE)
      .get(`${V1}/models`)
      .matchHeader('authorization', `Bearer ${ADMIN}`)
      .reply(200, { object: 'list', data: [model] })
      .get(`${V1}/models`)
      .matchHeader('authorization', `Bearer ${KEY}`)
      .reply(200, { object: 'list', data: [model] });
    const { client } = makeClient();
    expect(await client.listModels()).toEqual([model]);
    expect(await client.listModels(KEY)).toEqual([model]);
    expect(scope.isDone()).toBe(true);
  });

  it('sends a chat completion with the inference key and reads the rate-limit headers', async () => {
    const scope = nock(BASE)
      .post(`${V1}/chat/completions`, body)
      .matchHeader('authorization', `Bearer ${KEY}`)
      .reply(
        200,
        { id: 'c1', model: body.model, usage: { prompt_tokens: 9, completion_tokens: 6, total_tokens: 15 } },
        {
          'x-ratelimit-limit-requests': '1000',
          'x-ratelimit-remaining-requests': '999',
          'x-ratelimit-limit-tokens': '6000',
          'x-ratelimit-remaining-tokens': '5985',
          'x-ratelimit-reset-requests': '1m26.4s',
          'x-ratelimit-reset-tokens': '0.15s',
        },
      );
    const { completion, rateLimits } = await makeClient().client.chatCompletion(KEY, body);
    expect(completion.usage.total_tokens).toBe(15);
    expect(rateLimits).toEqual({
      limitRequests: 1000,
      remainingRequests: 999,
      limitTokens: 6000,
      remainingTokens: 5985,
      resetRequests: '1m26.4s',
      resetTokens: '0.15s',
      retryAfter: null,
    });
    expect(scope.isDone()).toBe(true);
  });

  it('words inference errors for the key that was used, and never holds it', async () => {
    nock(BASE)
      .post(`${V1}/chat/completions`)
      .reply(...error(401, 'invalid_api_key', `Invalid API Key ${KEY}`))
      .post(`${V1}/chat/completions`)
      .reply(403, {
        error: {
          message: 'The model `qwen/qwen3.8-27b` is blocked at the project level.',
          type: 'permission_error',
          code: 'model_permission_blocked_project',
        },
      })
      .post(`${V1}/chat/completions`)
      .reply(413, { error: { message: 'Request too large for model `openai/gpt-oss-20b`', type: 'tokens', code: 'rate_limit_exceeded' } })
      .post(`${V1}/chat/completions`)
      .reply(...error(400, 'blocked_api_access', 'Your organization has reached its spend limit.'));
    const { client } = makeClient();
    const e401 = await failure(client.chatCompletion(KEY, body));
    expect(e401.message).toBe(
      `POST ${V1}/chat/completions → 401 invalid_api_key: Invalid API Key [REDACTED]\n  this API key is unknown or deleted, or its project is archived`,
    );
    expect((await failure(client.chatCompletion(KEY, body))).message).toContain(
      "blocked by the organization's or the project's model permissions",
    );
    expect((await failure(client.chatCompletion(KEY, body))).message).toContain("larger than the project's tokens-per-minute limit");
    expect((await failure(client.chatCompletion(KEY, body))).message).toContain('raise spending.monthly_cap_usd in org.yaml');
  });
});

describe('what is retried', () => {
  const flaky = (method: 'get' | 'post' | 'delete', path: string, reply: object, body?: nock.RequestBodyMatcher) => {
    const first = body ? api()[method](path, body) : api()[method](path);
    first.reply(...error(503, 'overloaded'));
    const second = body ? api()[method](path, body) : api()[method](path);
    return second.reply(200, reply);
  };

  it.each([
    ['GET', (c: GroqClient) => c.getOrganization(), () => flaky('get', `${V1}/organization`, {})],
    ['DELETE', (c: GroqClient) => c.deleteProjectKey('proj_1', 'key_1'), () => flaky('delete', `${P}/api_keys/key_1`, {})],
    [
      'POST org model permissions',
      (c: GroqClient) => c.setOrgModelPermissions({ mode: 'deny_list', model_ids: [] }),
      () => flaky('post', `${V1}/organization/model_permissions`, {}, { mode: 'deny_list', model_ids: [] }),
    ],
    [
      'POST project model permissions',
      (c: GroqClient) => c.setProjectModelPermissions('proj_1', { mode: 'deny_list', model_ids: [] }),
      () => flaky('post', `${P}/model_permissions`, {}, { mode: 'deny_list', model_ids: [] }),
    ],
    [
      'POST rate limit',
      (c: GroqClient) => c.updateProjectRateLimit('proj_1', 'rl-m', { max_requests_per_1_day: 5 }),
      () => flaky('post', `${P}/rate_limits/rl-m`, {}, { max_requests_per_1_day: 5 }),
    ],
    [
      'POST spend limit',
      (c: GroqClient) => c.setSpendLimit(100),
      () => flaky('post', `${V1}/organization/spend_limit`, {}, { threshold_amount: 100, currency: 'USD', interval: 'month' }),
    ],
    [
      'POST spend alert update',
      (c: GroqClient) => c.updateSpendAlert('alert_1', alertInput),
      () => flaky('post', `${V1}/organization/spend_alerts/alert_1`, {}, alertInput),
    ],
    [
      'POST key update',
      (c: GroqClient) => c.updateProjectKey('proj_1', 'key_1', { name: 'n' }),
      () => flaky('post', `${P}/api_keys/key_1`, {}, { name: 'n' }),
    ],
    ['POST archive', (c: GroqClient) => c.archiveProject('proj_1'), () => flaky('post', `${P}/archive`, {})],
  ])('%s: an absolute update, retried with the same body', async (_name, call, arrange) => {
    const scope = arrange();
    const { client, waits } = makeClient();
    await call(client);
    expect(waits).toEqual([188]);
    expect(scope.isDone()).toBe(true);
  });

  it('a create is retried with the same Idempotency-Key and body, and a replay after a retry is reported', async () => {
    const input = { name: 'k', metadata: { 'groq-rbac/key': 'k' } };
    const created = { ...key('key_1'), value: KEY };
    const scope = api()
      .post(`${P}/api_keys`, input)
      .matchHeader('idempotency-key', 'idem-1')
      .reply(...error(502, 'bad_gateway'))
      .post(`${P}/api_keys`, input)
      .matchHeader('idempotency-key', 'idem-1')
      .reply(201, created, { 'idempotent-replayed': 'true' })
      .post(`${V1}/organization/projects`, { name: 'p' })
      .matchHeader('idempotency-key', 'idem-2')
      .reply(...error(500, 'internal_error'))
      .post(`${V1}/organization/projects`, { name: 'p' })
      .matchHeader('idempotency-key', 'idem-2')
      .reply(201, project('proj_9', 'p'))
      .post(`${V1}/organization/spend_alerts`, alertInput)
      .matchHeader('idempotency-key', 'idem-3')
      .reply(429, error(429, 'rate_limit_exceeded')[1], { 'retry-after': '1' })
      .post(`${V1}/organization/spend_alerts`, alertInput)
      .matchHeader('idempotency-key', 'idem-3')
      .reply(201, alert('alert_9'));
    const { client } = makeClient();
    expect(await client.createProjectKey('proj_1', input, 'idem-1')).toEqual({ value: created, replayed: true });
    expect(await client.createProject({ name: 'p' }, 'idem-2')).toMatchObject({ replayed: false });
    expect(await client.createSpendAlert(alertInput, 'idem-3')).toMatchObject({ value: { id: 'alert_9' } });
    expect(scope.isDone()).toBe(true);
  });

  it('a chat completion is never retried: it spends tokens', async () => {
    const scope = nock(BASE)
      .post(`${V1}/chat/completions`)
      .once()
      .reply(...error(503, 'overloaded'))
      .post(`${V1}/chat/completions`)
      .once()
      .reply(429, error(429, 'rate_limit_exceeded')[1], { 'retry-after': '2' });
    const { client, waits } = makeClient();
    const body = { model: 'm', messages: [{ role: 'user', content: 'x' }] };
    expect(await failure(client.chatCompletion(KEY, body))).toMatchObject({ status: 503 });
    const e = await failure(client.chatCompletion(KEY, body));
    expect(e).toMatchObject({ status: 429, rateLimits: { retryAfter: 2 } });
    expect(waits).toEqual([]);
    expect(scope.isDone()).toBe(true);
  });

  it('waits retry-after plus jitter after a 429', async () => {
    const scope = api()
      .get(`${V1}/organization/spend_alerts`)
      .query(true)
      .reply(429, error(429, 'rate_limit_exceeded')[1], { 'retry-after': '7' })
      .get(`${V1}/organization/spend_alerts`)
      .query(true)
      .reply(200, list([]));
    const { client, waits } = makeClient();
    expect(await client.listSpendAlerts()).toEqual([]);
    // 7 s, plus 0.5 × a quarter of 7 s.
    expect(waits).toEqual([7875]);
    expect(scope.isDone()).toBe(true);
  });

  it.each([
    [400, 'invalid_request_error'],
    [401, 'invalid_api_key'],
    [403, 'permission_denied'],
    [404, 'not_found'],
    [409, 'idempotency_key_reused'],
  ])('%i %s: sent once', async (status, code) => {
    const scope = api()
      .post(`${P}/api_keys`)
      .once()
      .reply(...error(status, code), { 'x-request-id': 'req_abc' });
    const { client, waits } = makeClient();
    const e = await failure(client.createProjectKey('proj_1', { name: 'k', metadata: {} }, 'idem'));
    expect(e).toMatchObject({ name: 'GroqApiError', status, code, requestId: 'req_abc', method: 'POST', path: `${P}/api_keys` });
    expect(waits).toEqual([]);
    expect(scope.isDone()).toBe(true);
  });
});

describe('error messages say what to do', () => {
  it.each([
    [
      `${V1}/organization`,
      'GET',
      401,
      'invalid_api_key',
      'the admin key was refused: set GROQ_ADMIN_KEY',
      (c: GroqClient) => c.getOrganization(),
    ],
    [
      `${V1}/organization`,
      'GET',
      403,
      'permission_denied',
      'GROQ_ADMIN_KEY holds a project API key',
      (c: GroqClient) => c.getOrganization(),
    ],
    [
      `${P}/api_keys/key_1`,
      'GET',
      404,
      'not_found',
      'the key was deleted while groq-rbac ran; run plan again',
      (c: GroqClient) => c.getProjectKey('proj_1', 'key_1'),
    ],
    [
      `${P}/model_permissions`,
      'GET',
      404,
      'not_found',
      'the project was deleted while groq-rbac ran; run plan again',
      (c: GroqClient) => c.getProjectModelPermissions('proj_1'),
    ],
    [
      `${V1}/organization/spend_alerts/alert_1`,
      'DELETE',
      404,
      'not_found',
      'the spend alert was deleted while groq-rbac ran',
      (c: GroqClient) => c.deleteSpendAlert('alert_1'),
    ],
  ])('%s %s → %i %s', async (path, method, status, code, advice, call) => {
    nock(BASE)
      .intercept(path, method)
      .reply(...error(status, code));
    const e = await failure(call(makeClient().client));
    expect(e.message).toContain(advice);
  });

  it('409 idempotency_key_reused points at a concurrent apply', async () => {
    api()
      .post(`${V1}/organization/projects`)
      .reply(...error(409, 'idempotency_key_reused', 'This Idempotency-Key was already used with a different request body.'));
    const e = await failure(makeClient().client.createProject({ name: 'p' }, 'idem'));
    expect(e.message).toContain('another apply may be running');
  });

  it('400 on a project’s model permissions says a project may only narrow the organization’s', async () => {
    api()
      .post(`${P}/model_permissions`)
      .reply(...error(400, 'invalid_request_error', 'The model `x` is not allowed by the organization.', { param: 'model_ids' }));
    const e = await failure(makeClient().client.setProjectModelPermissions('proj_1', { mode: 'allow_list', model_ids: ['x'] }));
    expect(e).toMatchObject({ param: 'model_ids' });
    expect(e.message).toContain('a project may only narrow the models the organization allows');
  });

  it('retries 5xx and says so when they persist', async () => {
    api()
      .get(`${V1}/organization`)
      .times(2)
      .reply(...error(502, 'bad_gateway'));
    const e = await failure(makeClient({ maxAttempts: 2 }).client.getOrganization());
    expect(e.message).toContain('the API failed even after retrying');
  });
});

describe('secrets stay out of errors', () => {
  it('the admin key is cut from a server message that echoes the Authorization header, whatever its shape', async () => {
    // nock 15 hands a reply function the fetch Request.
    const echo = ((request: Request) => [
      400,
      {
        error: {
          message: `Malformed header: authorization=${request.headers.get('authorization')}`,
          type: 'invalid_request_error',
          code: 'invalid_request_error',
        },
      },
    ]) as unknown as () => [number, object];
    const scope = api().get(`${V1}/organization`).reply(echo);
    const e = await failure(makeClient().client.getOrganization());
    expect(scope.isDone()).toBe(true);
    expect(e.message).toBe(`GET ${V1}/organization → 400 invalid_request_error: Malformed header: authorization=Bearer [REDACTED]`);
    expect(JSON.stringify({ ...e, message: e.message, stack: e.stack })).not.toContain(ADMIN);
  });

  it('an inference key echoed back is cut too, gsk_ shaped or not', async () => {
    const odd = 'sandbox-inference-key-without-prefix';
    nock(BASE)
      .post(`${V1}/chat/completions`)
      .reply(...error(401, 'invalid_api_key', `Key ${odd} is unknown`));
    const e = await failure(makeClient().client.chatCompletion(odd, { model: 'm', messages: [] }));
    expect(e.message).not.toContain(odd);
  });
});

describe('base URLs', () => {
  it('defaults to api.groq.com, and takes the contract base (…/openai/v1) as well as the host', async () => {
    expect(DEFAULT_BASE_URL).toBe('https://api.groq.com');
    const scope = api().get(`${V1}/organization`).twice().reply(200, {});
    await makeClient({ baseUrl: `${BASE}/openai/v1/` }).client.getOrganization();
    await makeClient({ baseUrl: `${BASE}/` }).client.getOrganization();
    expect(scope.isDone()).toBe(true);
  });

  it.each([
    ['file:///etc/passwd', 'uses file:; only https:// is supported (http:// only for 127.0.0.1, ::1 or localhost)'],
    ['http://api.groq.com', 'uses http:// to api.groq.com, which would send credentials in clear text'],
    ['ftp://api.groq.com', 'uses ftp:; only https://'],
    ['api.groq.com', 'is not a URL'],
    ['', 'is not a URL'],
  ])('%j is a user error that says what to set', (baseUrl, message) => {
    let e: unknown;
    try {
      new GroqClient({ baseUrl, adminKey: ADMIN });
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).toContain(message);
    expect((e as Error).message).toContain('GROQ_BASE_URL');
  });

  it('refuses credentials in the base URL without repeating them', () => {
    let e: unknown;
    try {
      new GroqClient({ baseUrl: 'https://alice:s3cret-pass@api.groq.com', adminKey: ADMIN });
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).toContain('https://***@api.groq.com');
    expect((e as Error).message).not.toContain('s3cret');
  });
});

describe('redactSecrets', () => {
  it('cuts registered secrets, gsk_ values and URL credentials', () => {
    registerSecret('my-admin-key-0123456789');
    registerSecret('');
    registerSecret('abc');
    const text =
      'key my-admin-key-0123456789 value gsk_AbCdEfGh12345678 proxy http://bob:pw@proxy.local:3128/x and https://token@host/y, abc stays';
    expect(redactSecrets(text)).toBe(
      'key [REDACTED] value gsk_[REDACTED] proxy http://***@proxy.local:3128/x and https://***@host/y, abc stays',
    );
  });

  it('leaves redacted key forms and plain URLs alone', () => {
    expect(redactSecrets('gsk_…AbCd at https://api.groq.com/openai/v1 (user@example.com)')).toBe(
      'gsk_…AbCd at https://api.groq.com/openai/v1 (user@example.com)',
    );
  });

  it('replaces a longer secret whole when a shorter one is part of it', () => {
    registerSecret('shared-prefix');
    registerSecret('shared-prefix-and-more');
    expect(redactSecrets('x shared-prefix-and-more y shared-prefix z')).toBe('x [REDACTED] y [REDACTED] z');
  });
});
