import type nock from 'nock';
import { expect } from 'vitest';
import type { GroqClient } from '../../../src/providers/groq/client.js';
import type { GroqApiError } from '../../../src/providers/groq/errors.js';
import type { TestOrg } from '../sandbox.js';

/**
 * Groq's wire cases in the conformance suite (./index.ts): the client contract v2
 * (docs/groq-admin-api.md), run twice: against the real sandbox over
 * HTTP on 127.0.0.1, and against nock replaying responses of the contract's shapes. Same calls, same
 * assertions. The sandbox side is arranged through the contract itself (and `/_sandbox/`), never
 * through the sandbox's internals, so the two sides stay comparable.
 */
export interface Ctx {
  client: GroqClient;
  /** A client holding another key (wrong, or a project API key). */
  clientWith(key: string): GroqClient;
  /** What the client slept between attempts. */
  waits: number[];
}
export interface Case {
  name: string;
  /** Arrange the sandbox; returns values the run needs. */
  sandbox?: (org: TestOrg) => Promise<Record<string, string>>;
  /** Arrange nock; returns the same values. */
  nock: (scope: nock.Scope) => Record<string, string>;
  run: (ctx: Ctx, values: Record<string, string>) => Promise<void>;
}

export const NOCK_BASE = 'https://api.groq.test';
export const ORG_ID = 'org_contract';
const V1 = '/openai/v1';
const SMALL = 'openai/gpt-oss-20b';
const LARGE = 'openai/gpt-oss-120b';
const FAKE_KEY = 'gsk_contractFAKEvalue00000000000000000000000000000000';

const project = (id: string, name: string, extra: object = {}) => ({
  object: 'organization.project',
  id,
  name,
  created_at: 1795000000,
  archived_at: null,
  status: 'active',
  ...extra,
});
const apiKey = (id: string, name: string, metadata: Record<string, string> = {}) => ({
  object: 'organization.project.api_key',
  id,
  name,
  redacted_value: 'gsk_…AbCd',
  created_at: 1795000000,
  last_used_at: null,
  metadata,
});
const rateLimit = (object: string, model: string, values: object = {}) => ({
  object,
  id: `rl-${model}`,
  model,
  max_requests_per_1_minute: 1000,
  max_tokens_per_1_minute: 250000,
  max_requests_per_1_day: 500000,
  max_tokens_per_1_day: 100000000,
  ...values,
});
const list = (data: { id: string; [field: string]: unknown }[], hasMore = false) => ({
  object: 'list',
  data,
  first_id: data[0]?.id ?? null,
  last_id: data.at(-1)?.id ?? null,
  has_more: hasMore,
});
const err = (status: number, code: string | null, message: string, extra: object = {}) =>
  [status, { error: { message, type: 'invalid_request_error', ...(code ? { code } : {}), ...extra } }] as const;
const failure = async (p: Promise<unknown>) =>
  (await p.then(
    () => null,
    (e) => e,
  )) as GroqApiError;
const hello = (model: string, extra: object = {}) => ({ model, messages: [{ role: 'user', content: 'Hello' }], ...extra });
const completion = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1795000000,
  model: SMALL,
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hi.' }, logprobs: null, finish_reason: 'stop' }],
  usage: { prompt_tokens: 9, completion_tokens: 6, total_tokens: 15 },
};
const alertInput = (cents: number) => ({
  threshold_amount: cents,
  currency: 'USD' as const,
  interval: 'month' as const,
  notification_channel: { type: 'email' as const, recipients: ['platform@acme.example'] },
});

/** A project with one key, made through the contract; its id and the key's value. */
async function projectWithKey(org: TestOrg, name: string): Promise<{ projectId: string; value: string; keyId: string }> {
  const { value: p } = await org.client.createProject({ name }, `idem-project-${name}`);
  const { value: k } = await org.client.createProjectKey(p.id, { name: `${name}-key`, metadata: {} }, `idem-key-${name}`);
  return { projectId: p.id, value: k.value, keyId: k.id };
}
const fault = (org: TestOrg, faults: object[]) => org.request('POST', '/_sandbox/faults', { body: { faults } });

export const cases: Case[] = [
  {
    name: 'reads the organization',
    nock: (s) => (s.get(`${V1}/organization`).reply(200, { object: 'organization', id: ORG_ID, name: 'Contract' }), {}),
    run: async ({ client }) => expect(await client.getOrganization()).toMatchObject({ object: 'organization', id: ORG_ID }),
  },
  {
    name: 'creates, reads, lists and archives a project; archived ones are listed only when asked',
    nock: (s) => {
      const p = project('proj_1', 'chatbot-prod');
      const archived = { ...p, status: 'archived', archived_at: 1795000100 };
      s.post(`${V1}/organization/projects`, { name: 'chatbot-prod' }).matchHeader('idempotency-key', 'idem-p1').reply(201, p);
      s.get(`${V1}/organization/projects/proj_1`).reply(200, p);
      s.get(`${V1}/organization/projects`)
        .query({ limit: '100' })
        .reply(200, list([p]));
      s.post(`${V1}/organization/projects/proj_1/archive`).reply(200, archived);
      s.get(`${V1}/organization/projects`).query({ limit: '100' }).reply(200, list([]));
      s.get(`${V1}/organization/projects`)
        .query({ limit: '100', include_archived: 'true' })
        .reply(200, list([archived]));
      return {};
    },
    run: async ({ client }) => {
      const { value: created, replayed } = await client.createProject({ name: 'chatbot-prod' }, 'idem-p1');
      expect(replayed).toBe(false);
      expect(created).toMatchObject({ object: 'organization.project', name: 'chatbot-prod', status: 'active', archived_at: null });
      expect(await client.getProject(created.id)).toEqual(created);
      expect((await client.listProjects()).map((p) => p.id)).toContain(created.id);
      expect(await client.archiveProject(created.id)).toMatchObject({ id: created.id, status: 'archived' });
      expect((await client.listProjects()).map((p) => p.id)).not.toContain(created.id);
      expect(await client.listProjects({ includeArchived: true })).toContainEqual(
        expect.objectContaining({ id: created.id, status: 'archived' }),
      );
    },
  },
  {
    name: 'follows pagination across pages, in creation order',
    sandbox: async (org) => {
      const { value: p } = await org.client.createProject({ name: 'many-keys' }, 'idem-many');
      for (let i = 0; i < 230; i++)
        await org.client.createProjectKey(p.id, { name: `k${String(i).padStart(3, '0')}`, metadata: {} }, `idem-k${i}`);
      return { projectId: p.id };
    },
    nock: (s) => {
      const names = Array.from({ length: 230 }, (_, i) => `k${String(i).padStart(3, '0')}`);
      const ids = names.map((_, i) => `key_${String(i).padStart(4, '0')}`);
      for (const [start, after] of [
        [0, null],
        [100, ids[99]],
        [200, ids[199]],
      ] as const) {
        const data = names.slice(start, start + 100).map((n, i) => apiKey(ids[start + i]!, n));
        s.get(`${V1}/organization/projects/proj_1/api_keys`)
          .query({ limit: '100', ...(after ? { after } : {}) })
          .reply(200, list(data, start + 100 < 230));
      }
      return { projectId: 'proj_1' };
    },
    run: async ({ client }, { projectId }) => {
      const keys = await client.listProjectKeys(projectId!);
      expect(keys.map((k) => k.name)).toEqual(Array.from({ length: 230 }, (_, i) => `k${String(i).padStart(3, '0')}`));
      expect(new Set(keys.map((k) => k.id)).size).toBe(230);
      expect(keys.every((k) => k.object === 'organization.project.api_key' && !('value' in k))).toBe(true);
    },
  },
  {
    name: 'replays an idempotent create: same key and value, marked replayed, nothing new created',
    sandbox: async (org) => ({ projectId: (await org.client.createProject({ name: 'replays' }, 'idem-replays')).value.id }),
    nock: (s) => {
      const body = { name: 'web', metadata: { 'groq-rbac/key': 'web' } };
      const created = { ...apiKey('key_1', 'web', body.metadata), value: FAKE_KEY };
      s.post(`${V1}/organization/projects/proj_1/api_keys`, body).matchHeader('idempotency-key', 'idem-replay').reply(201, created);
      s.post(`${V1}/organization/projects/proj_1/api_keys`, body)
        .matchHeader('idempotency-key', 'idem-replay')
        .reply(201, created, { 'idempotent-replayed': 'true' });
      s.get(`${V1}/organization/projects/proj_1/api_keys`)
        .query({ limit: '100' })
        .reply(200, list([apiKey('key_1', 'web', body.metadata)]));
      return { projectId: 'proj_1' };
    },
    run: async ({ client }, { projectId }) => {
      const body = { name: 'web', metadata: { 'groq-rbac/key': 'web' } };
      const first = await client.createProjectKey(projectId!, body, 'idem-replay');
      const again = await client.createProjectKey(projectId!, body, 'idem-replay');
      expect([first.replayed, again.replayed]).toEqual([false, true]);
      expect(again.value.id).toBe(first.value.id);
      expect(again.value.value === first.value.value && first.value.value.startsWith('gsk_')).toBe(true);
      expect(first.value.metadata).toEqual(body.metadata);
      expect((await client.listProjectKeys(projectId!)).map((k) => k.id)).toEqual([first.value.id]);
    },
  },
  {
    name: '409 idempotency_key_reused: same Idempotency-Key, different body',
    nock: (s) => {
      s.post(`${V1}/organization/projects`).reply(201, project('proj_1', 'a'));
      s.post(`${V1}/organization/projects`).reply(
        ...err(409, 'idempotency_key_reused', 'This Idempotency-Key was already used with a different request body.'),
      );
      return {};
    },
    run: async ({ client }) => {
      await client.createProject({ name: 'a' }, 'idem-conflict');
      const e = await failure(client.createProject({ name: 'b' }, 'idem-conflict'));
      expect(e).toMatchObject({ status: 409, code: 'idempotency_key_reused' });
      expect(e.message).toContain('another apply may be running');
    },
  },
  {
    name: 'updates a key’s metadata: merged, null removes an entry',
    sandbox: async (org) => {
      const { value: p } = await org.client.createProject({ name: 'meta' }, 'idem-meta');
      const { value: k } = await org.client.createProjectKey(
        p.id,
        { name: 'web', metadata: { 'groq-rbac/key': 'web', 'groq-rbac/trigger': 'leak' } },
        'idem-meta-k',
      );
      return { projectId: p.id, keyId: k.id };
    },
    nock: (s) => {
      s.post(`${V1}/organization/projects/proj_1/api_keys/key_1`, {
        metadata: { 'groq-rbac/trigger': null, 'groq-rbac/generation': '2' },
      }).reply(200, apiKey('key_1', 'web', { 'groq-rbac/key': 'web', 'groq-rbac/generation': '2' }));
      s.get(`${V1}/organization/projects/proj_1/api_keys/key_1`).reply(
        200,
        apiKey('key_1', 'web', { 'groq-rbac/key': 'web', 'groq-rbac/generation': '2' }),
      );
      return { projectId: 'proj_1', keyId: 'key_1' };
    },
    run: async ({ client }, { projectId, keyId }) => {
      const updated = await client.updateProjectKey(projectId!, keyId!, {
        metadata: { 'groq-rbac/trigger': null, 'groq-rbac/generation': '2' },
      });
      expect(updated.metadata).toEqual({ 'groq-rbac/key': 'web', 'groq-rbac/generation': '2' });
      expect((await client.getProjectKey(projectId!, keyId!)).metadata).toEqual(updated.metadata);
    },
  },
  {
    name: 'deletes a key; then it is 404 with advice',
    sandbox: async (org) => {
      const { projectId, keyId } = await projectWithKey(org, 'deletes');
      return { projectId, keyId };
    },
    nock: (s) => {
      s.delete(`${V1}/organization/projects/proj_1/api_keys/key_1`).reply(200, {
        object: 'organization.project.api_key.deleted',
        id: 'key_1',
        deleted: true,
      });
      s.get(`${V1}/organization/projects/proj_1/api_keys/key_1`).reply(...err(404, 'api_key_not_found', "No API key with id 'key_1'."));
      return { projectId: 'proj_1', keyId: 'key_1' };
    },
    run: async ({ client }, { projectId, keyId }) => {
      await client.deleteProjectKey(projectId!, keyId!);
      const e = await failure(client.getProjectKey(projectId!, keyId!));
      expect(e.status).toBe(404);
      expect(e.message).toContain('the key was deleted while groq-rbac ran; run plan again');
    },
  },
  {
    name: 'org model permissions: none reads as an empty deny list; set and removed',
    nock: (s) => {
      const perms = (mode: string, ids: string[]) => ({ object: 'organization.model_permissions', mode, model_ids: ids });
      s.get(`${V1}/organization/model_permissions`).reply(200, perms('deny_list', []));
      s.post(`${V1}/organization/model_permissions`, { mode: 'allow_list', model_ids: [SMALL, LARGE] }).reply(
        200,
        perms('allow_list', [SMALL, LARGE]),
      );
      s.get(`${V1}/organization/model_permissions`).reply(200, perms('allow_list', [SMALL, LARGE]));
      s.delete(`${V1}/organization/model_permissions`).reply(200, perms('deny_list', []));
      s.get(`${V1}/organization/model_permissions`).reply(200, perms('deny_list', []));
      return {};
    },
    run: async ({ client }) => {
      expect(await client.getOrgModelPermissions()).toEqual({ object: 'organization.model_permissions', mode: 'deny_list', model_ids: [] });
      await client.setOrgModelPermissions({ mode: 'allow_list', model_ids: [SMALL, LARGE] });
      const read = await client.getOrgModelPermissions();
      expect(read.mode).toBe('allow_list');
      expect([...read.model_ids].sort()).toEqual([LARGE, SMALL]);
      await client.deleteOrgModelPermissions();
      expect(await client.getOrgModelPermissions()).toMatchObject({ mode: 'deny_list', model_ids: [] });
    },
  },
  {
    name: 'a project may only narrow what the organization allows (400, param model_ids)',
    sandbox: async (org) => {
      await org.client.setOrgModelPermissions({ mode: 'allow_list', model_ids: [SMALL] });
      return { projectId: (await org.client.createProject({ name: 'narrow' }, 'idem-narrow')).value.id };
    },
    nock: (s) => {
      s.post(`${V1}/organization/projects/proj_1/model_permissions`, { mode: 'allow_list', model_ids: [LARGE] }).reply(
        ...err(400, null, `The model \`${LARGE}\` is not allowed by the organization's model permissions.`, { param: 'model_ids' }),
      );
      s.post(`${V1}/organization/projects/proj_1/model_permissions`, { mode: 'allow_list', model_ids: [SMALL] }).reply(200, {
        object: 'project.model_permissions',
        mode: 'allow_list',
        model_ids: [SMALL],
      });
      s.get(`${V1}/organization/projects/proj_1/model_permissions`).reply(200, {
        object: 'project.model_permissions',
        mode: 'allow_list',
        model_ids: [SMALL],
      });
      return { projectId: 'proj_1' };
    },
    run: async ({ client }, { projectId }) => {
      const e = await failure(client.setProjectModelPermissions(projectId!, { mode: 'allow_list', model_ids: [LARGE] }));
      expect(e).toMatchObject({ status: 400, param: 'model_ids' });
      expect(e.message).toContain('a project may only narrow the models the organization allows');
      await client.setProjectModelPermissions(projectId!, { mode: 'allow_list', model_ids: [SMALL] });
      expect(await client.getProjectModelPermissions(projectId!)).toEqual({
        object: 'project.model_permissions',
        mode: 'allow_list',
        model_ids: [SMALL],
      });
    },
  },
  {
    name: 'project rate limits: one per model, defaulting to the org’s; updated per field; never above the org’s',
    sandbox: async (org) => ({ projectId: (await org.client.createProject({ name: 'limits' }, 'idem-limits')).value.id }),
    nock: (s) => {
      s.get(`${V1}/organization/rate_limits`)
        .query({ limit: '100' })
        .reply(200, list([rateLimit('organization.rate_limit', SMALL), rateLimit('organization.rate_limit', LARGE)]));
      s.get(`${V1}/organization/projects/proj_1/rate_limits`)
        .query({ limit: '100' })
        .reply(200, list([rateLimit('project.rate_limit', SMALL), rateLimit('project.rate_limit', LARGE)]));
      s.post(`${V1}/organization/projects/proj_1/rate_limits/rl-${encodeURIComponent(LARGE)}`, { max_tokens_per_1_minute: 60000 }).reply(
        200,
        rateLimit('project.rate_limit', LARGE, { max_tokens_per_1_minute: 60000 }),
      );
      s.post(`${V1}/organization/projects/proj_1/rate_limits/rl-${encodeURIComponent(LARGE)}`, { max_tokens_per_1_minute: 250001 }).reply(
        ...err(400, null, 'max_tokens_per_1_minute may not exceed the organization limit of 250000.', { param: 'max_tokens_per_1_minute' }),
      );
      return { projectId: 'proj_1' };
    },
    run: async ({ client }, { projectId }) => {
      const org = await client.listOrgRateLimits();
      const orgLarge = org.find((r) => r.model === LARGE)!;
      expect(orgLarge).toMatchObject({ object: 'organization.rate_limit', id: `rl-${LARGE}` });
      const own = await client.listProjectRateLimits(projectId!);
      expect(own.map((r) => r.model).sort()).toEqual(org.map((r) => r.model).sort());
      const large = own.find((r) => r.model === LARGE)!;
      expect(large).toMatchObject({
        object: 'project.rate_limit',
        id: `rl-${LARGE}`,
        max_tokens_per_1_minute: orgLarge.max_tokens_per_1_minute,
        max_requests_per_1_day: orgLarge.max_requests_per_1_day,
      });
      const updated = await client.updateProjectRateLimit(projectId!, large.id, { max_tokens_per_1_minute: 60000 });
      expect(updated).toMatchObject({ max_tokens_per_1_minute: 60000, max_requests_per_1_minute: large.max_requests_per_1_minute });
      const e = await failure(
        client.updateProjectRateLimit(projectId!, large.id, { max_tokens_per_1_minute: orgLarge.max_tokens_per_1_minute + 1 }),
      );
      expect(e.status).toBe(400);
      expect(e.message).toContain("no higher than the organization's own limit for that model");
    },
  },
  {
    name: 'spend limit: none is null (404); set in cents; removed',
    nock: (s) => {
      const limit = {
        object: 'organization.spend_limit',
        threshold_amount: 50000,
        currency: 'USD',
        interval: 'month',
        enforcement: { status: 'inactive' },
      };
      s.get(`${V1}/organization/spend_limit`).reply(...err(404, 'spend_limit_not_found', 'No spend limit is set for this organization.'));
      s.post(`${V1}/organization/spend_limit`, { threshold_amount: 50000, currency: 'USD', interval: 'month' }).reply(200, limit);
      s.get(`${V1}/organization/spend_limit`).reply(200, limit);
      s.delete(`${V1}/organization/spend_limit`).reply(200, { object: 'organization.spend_limit.deleted', deleted: true });
      s.get(`${V1}/organization/spend_limit`).reply(...err(404, 'spend_limit_not_found', 'No spend limit is set for this organization.'));
      return {};
    },
    run: async ({ client }) => {
      expect(await client.getSpendLimit()).toBeNull();
      expect(await client.setSpendLimit(50000)).toMatchObject({
        object: 'organization.spend_limit',
        threshold_amount: 50000,
        currency: 'USD',
        interval: 'month',
      });
      expect(await client.getSpendLimit()).toMatchObject({ threshold_amount: 50000, enforcement: { status: 'inactive' } });
      await client.deleteSpendLimit();
      expect(await client.getSpendLimit()).toBeNull();
    },
  },
  {
    name: 'spend alerts: created (idempotently), listed, updated, deleted',
    nock: (s) => {
      const a = (cents: number) => ({ object: 'organization.spend_alert', id: 'alert_1', ...alertInput(cents) });
      s.post(`${V1}/organization/spend_alerts`, alertInput(10000)).matchHeader('idempotency-key', 'idem-alert').reply(201, a(10000));
      s.post(`${V1}/organization/spend_alerts`, alertInput(10000))
        .matchHeader('idempotency-key', 'idem-alert')
        .reply(201, a(10000), { 'idempotent-replayed': 'true' });
      s.get(`${V1}/organization/spend_alerts`)
        .query({ limit: '100' })
        .reply(200, list([a(10000)]));
      s.post(`${V1}/organization/spend_alerts/alert_1`, alertInput(25000)).reply(200, a(25000));
      s.delete(`${V1}/organization/spend_alerts/alert_1`).reply(200, {
        object: 'organization.spend_alert.deleted',
        id: 'alert_1',
        deleted: true,
      });
      s.get(`${V1}/organization/spend_alerts`).query({ limit: '100' }).reply(200, list([]));
      return {};
    },
    run: async ({ client }) => {
      const first = await client.createSpendAlert(alertInput(10000), 'idem-alert');
      const again = await client.createSpendAlert(alertInput(10000), 'idem-alert');
      expect([first.replayed, again.replayed, again.value.id]).toEqual([false, true, first.value.id]);
      expect(await client.listSpendAlerts()).toEqual([first.value]);
      expect(await client.updateSpendAlert(first.value.id, alertInput(25000))).toMatchObject({
        id: first.value.id,
        threshold_amount: 25000,
        notification_channel: { type: 'email', recipients: ['platform@acme.example'] },
      });
      await client.deleteSpendAlert(first.value.id);
      expect(await client.listSpendAlerts()).toEqual([]);
    },
  },
  {
    name: '401 invalid_api_key for an unknown admin key',
    nock: (s) => (s.get(`${V1}/organization`).reply(...err(401, 'invalid_api_key', 'Invalid API Key')), {}),
    run: async ({ clientWith }) => {
      const e = await failure(clientWith('gsk_wrongFAKE000000000000000000000000000000000000000').getOrganization());
      expect(e).toMatchObject({ status: 401, code: 'invalid_api_key' });
      expect(e.message).toContain('GROQ_ADMIN_KEY');
    },
  },
  {
    name: '403 permission_denied for a project API key on an admin path',
    sandbox: async (org) => ({ value: (await projectWithKey(org, 'not-admin')).value }),
    nock: (s) => (
      s
        .get(`${V1}/organization`)
        .reply(403, { error: { message: 'This endpoint needs an admin key.', type: 'permission_error', code: 'permission_denied' } }),
      { value: FAKE_KEY }
    ),
    run: async ({ clientWith }, { value }) => {
      const e = await failure(clientWith(value!).getOrganization());
      expect(e).toMatchObject({ status: 403, code: 'permission_denied' });
      expect(e.message).toContain('GROQ_ADMIN_KEY holds a project API key');
      expect(e.message).not.toContain(value!);
    },
  },
  {
    name: '404 for an unknown project',
    nock: (s) => (
      s.get(`${V1}/organization/projects/proj_nope`).reply(...err(404, 'project_not_found', "No project with id 'proj_nope'.")),
      {}
    ),
    run: async ({ client }) => {
      const e = await failure(client.getProject('proj_nope'));
      expect(e.status).toBe(404);
      expect(e.message).toContain('the project was deleted while groq-rbac ran');
    },
  },
  {
    name: '5xx is retried until it succeeds',
    sandbox: async (org) => (await fault(org, [{ method: 'GET', path: `${V1}/organization`, status: 503, times: 2 }]), {}),
    nock: (s) => (
      s
        .get(`${V1}/organization`)
        .times(2)
        .reply(503)
        .get(`${V1}/organization`)
        .reply(200, { object: 'organization', id: ORG_ID, name: 'x' }),
      {}
    ),
    run: async ({ client, waits }) => {
      expect(await client.getOrganization()).toMatchObject({ id: ORG_ID });
      expect(waits).toHaveLength(2);
    },
  },
  {
    name: '429 rate_limit_exceeded: waits retry-after plus jitter, then succeeds',
    sandbox: async (org) => (
      await fault(org, [{ method: 'GET', path: `${V1}/organization/spend_alerts`, status: 429, retry_after: 7 }]),
      {}
    ),
    nock: (s) => {
      s.get(`${V1}/organization/spend_alerts`)
        .query(true)
        .reply(429, { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } }, { 'retry-after': '7' });
      s.get(`${V1}/organization/spend_alerts`).query(true).reply(200, list([]));
      return {};
    },
    run: async ({ client, waits }) => {
      expect(await client.listSpendAlerts()).toEqual([]);
      expect(waits).toHaveLength(1);
      expect(waits[0]).toBeGreaterThanOrEqual(7000);
      expect(waits[0]).toBeLessThanOrEqual(8750);
    },
  },
  {
    name: 'lists live models with a project API key (how a new key is verified)',
    sandbox: async (org) => ({ value: (await projectWithKey(org, 'models')).value }),
    nock: (s) => {
      s.get(`${V1}/models`)
        .matchHeader('authorization', `Bearer ${FAKE_KEY}`)
        .reply(200, {
          object: 'list',
          data: [
            {
              id: LARGE,
              object: 'model',
              created: 1754407957,
              owned_by: 'OpenAI',
              active: true,
              context_window: 131072,
              max_completion_tokens: 65536,
              public_apps: null,
            },
          ],
        });
      return { value: FAKE_KEY };
    },
    run: async ({ client }, { value }) => {
      const models = await client.listModels(value!);
      expect(models.map((m) => m.id)).toContain(LARGE);
      expect(models.map((m) => m.id)).not.toContain('llama-3.3-70b-versatile');
      expect(models.every((m) => 'public_apps' in m)).toBe(true);
    },
  },
  {
    name: "inference answers with usage and Groq's rate-limit headers (requests per day, tokens per minute)",
    sandbox: async (org) => {
      const { projectId, value } = await projectWithKey(org, 'inference');
      await org.client.updateProjectRateLimit(projectId, `rl-${SMALL}`, { max_requests_per_1_day: 100, max_tokens_per_1_minute: 5000 });
      return { value };
    },
    nock: (s) => {
      s.post(`${V1}/chat/completions`, hello(SMALL)).matchHeader('authorization', `Bearer ${FAKE_KEY}`).reply(200, completion, {
        'x-ratelimit-limit-requests': '100',
        'x-ratelimit-remaining-requests': '99',
        'x-ratelimit-limit-tokens': '5000',
        'x-ratelimit-remaining-tokens': '4985',
        'x-ratelimit-reset-requests': '14m24s',
        'x-ratelimit-reset-tokens': '59.2s',
        'x-request-id': 'req_01',
      });
      return { value: FAKE_KEY };
    },
    run: async ({ client }, { value }) => {
      const { completion: c, rateLimits } = await client.chatCompletion(value!, hello(SMALL));
      expect(c.model).toBe(SMALL);
      expect(c.usage.total_tokens).toBe(c.usage.prompt_tokens + c.usage.completion_tokens);
      expect(rateLimits).toMatchObject({ limitRequests: 100, remainingRequests: 99, limitTokens: 5000, retryAfter: null });
      expect(rateLimits.remainingTokens).toBeLessThan(5000);
      expect(rateLimits.resetRequests).toMatch(/^(\d+h)?(\d+m)?[\d.]+s$/);
      expect(rateLimits.resetTokens).toMatch(/^(\d+m)?[\d.]+s$/);
    },
  },
  {
    name: '403 for a model blocked at the organization level, with its advice',
    sandbox: async (org) => {
      const { value } = await projectWithKey(org, 'blocked');
      await org.client.setOrgModelPermissions({ mode: 'deny_list', model_ids: [LARGE] });
      return { value };
    },
    nock: (s) => (
      s.post(`${V1}/chat/completions`).reply(403, {
        error: {
          message: `The model \`${LARGE}\` is blocked at the organization level. Please have the org admin enable this model in the org settings at https://console.groq.com/settings/limits`,
          type: 'invalid_request_error',
          code: 'model_permission_blocked_org',
        },
      }),
      { value: FAKE_KEY }
    ),
    run: async ({ client }, { value }) => {
      const e = await failure(client.chatCompletion(value!, hello(LARGE)));
      expect(e.status).toBe(403);
      expect(e.message).toContain(`The model \`${LARGE}\` is blocked at the organization level`);
      expect(e.message).toContain('model permissions');
    },
  },
  {
    name: '413 for one request larger than the tokens-per-minute limit, at once and not retried',
    sandbox: async (org) => {
      const { projectId, value } = await projectWithKey(org, 'too-large');
      await org.client.updateProjectRateLimit(projectId, `rl-${SMALL}`, { max_tokens_per_1_minute: 500 });
      return { value };
    },
    nock: (s) => (
      s
        .post(`${V1}/chat/completions`)
        .once()
        .reply(413, {
          error: {
            message: `Request too large for model \`${SMALL}\` in organization \`${ORG_ID}\` service tier \`on_demand\` on tokens per minute (TPM): Limit 500, Requested 1009, please reduce your message size and try again.`,
            type: 'tokens',
            code: 'rate_limit_exceeded',
          },
        }),
      { value: FAKE_KEY }
    ),
    run: async ({ client, waits }, { value }) => {
      const e = await failure(client.chatCompletion(value!, hello(SMALL, { max_completion_tokens: 1000 })));
      expect(e).toMatchObject({ status: 413, type: 'tokens' });
      expect(e.message).toContain('Request too large');
      expect(waits).toEqual([]);
    },
  },
  {
    name: '429 rate_limit_exceeded on inference: not retried, with retry-after and the rate-limit headers',
    sandbox: async (org) => {
      const { projectId, value } = await projectWithKey(org, 'rpm-one');
      await org.client.updateProjectRateLimit(projectId, `rl-${SMALL}`, { max_requests_per_1_minute: 1 });
      await org.client.chatCompletion(value, hello(SMALL));
      return { value };
    },
    nock: (s) => {
      s.post(`${V1}/chat/completions`).reply(
        429,
        {
          error: {
            message: `Rate limit reached for model \`${SMALL}\` in organization \`${ORG_ID}\` service tier \`on_demand\` on requests per minute (RPM): Limit 1, Used 1, Requested 1. Please try again in 41.2s.`,
            type: 'requests',
            code: 'rate_limit_exceeded',
          },
        },
        {
          'retry-after': '42',
          'x-ratelimit-limit-requests': '500000',
          'x-ratelimit-remaining-requests': '499999',
          'x-ratelimit-limit-tokens': '250000',
          'x-ratelimit-remaining-tokens': '249985',
          'x-ratelimit-reset-requests': '0.17s',
          'x-ratelimit-reset-tokens': '41.2s',
        },
      );
      return { value: FAKE_KEY };
    },
    run: async ({ client, waits }, { value }) => {
      const e = await failure(client.chatCompletion(value!, hello(SMALL)));
      expect(e).toMatchObject({ status: 429, code: 'rate_limit_exceeded', type: 'requests' });
      expect(e.message).toContain('on requests per minute (RPM): Limit 1, Used 1, Requested 1.');
      expect(e.rateLimits!.retryAfter).toBeGreaterThanOrEqual(1);
      expect(e.rateLimits!.limitRequests).toBeGreaterThan(0);
      expect(waits).toEqual([]);
    },
  },
  {
    name: '400 blocked_api_access once month-to-date spend reaches the spend limit',
    sandbox: async (org) => {
      const { value } = await projectWithKey(org, 'spent');
      await org.client.setSpendLimit(100);
      await org.request('POST', '/_sandbox/spend', { body: { add_usd: 2 } });
      return { value };
    },
    nock: (s) => (
      s.post(`${V1}/chat/completions`).reply(...err(400, 'blocked_api_access', 'Your organization has reached its spend limit.')),
      { value: FAKE_KEY }
    ),
    run: async ({ client }, { value }) => {
      const e = await failure(client.chatCompletion(value!, hello(SMALL)));
      expect(e).toMatchObject({ status: 400, code: 'blocked_api_access' });
      expect(e.message).toContain('raise spending.monthly_cap_usd in org.yaml');
    },
  },
  {
    name: '401 invalid_api_key on inference with a key of an archived project',
    sandbox: async (org) => {
      const { projectId, value } = await projectWithKey(org, 'archived');
      await org.client.archiveProject(projectId);
      return { value };
    },
    nock: (s) => (s.post(`${V1}/chat/completions`).reply(...err(401, 'invalid_api_key', 'Invalid API Key')), { value: FAKE_KEY }),
    run: async ({ client }, { value }) => {
      const e = await failure(client.chatCompletion(value!, hello(SMALL)));
      expect(e).toMatchObject({ status: 401, code: 'invalid_api_key' });
      expect(e.message).toContain('this API key is unknown or deleted, or its project is archived');
      expect(e.message).not.toContain(value!);
    },
  },
  {
    name: 'usage and costs come in buckets, grouped as asked',
    sandbox: async (org) => {
      const { value } = await projectWithKey(org, 'usage');
      await org.client.chatCompletion(value, hello(SMALL));
      const now = (await org.request('GET', '/_sandbox/clock')).body.now as number;
      // end_time past the traffic: the default end (now) excludes usage in the current minute.
      return { start: String(now - 86400), end: String(now + 3600) };
    },
    nock: (s) => {
      const bucket = (results: object[]) => ({ object: 'bucket', start_time: 1794960000, end_time: 1795046400, results });
      s.get(`${V1}/organization/usage/completions`)
        .query({ start_time: '1794950000', end_time: '1795040000', bucket_width: '1d', 'group_by[]': ['project_id', 'model'] })
        .reply(200, {
          object: 'page',
          data: [
            bucket([
              {
                object: 'organization.usage.completions.result',
                input_tokens: 9,
                output_tokens: 6,
                num_model_requests: 1,
                project_id: 'proj_1',
                api_key_id: null,
                model: SMALL,
              },
            ]),
          ],
          has_more: false,
          next_page: null,
        });
      s.get(`${V1}/organization/costs`)
        .query({ start_time: '1794950000', end_time: '1795040000', bucket_width: '1d', 'group_by[]': 'project_id' })
        .reply(200, {
          object: 'page',
          data: [
            bucket([
              { object: 'organization.costs.result', amount: { value: 0.0000123, currency: 'usd' }, line_item: null, project_id: 'proj_1' },
            ]),
          ],
          has_more: false,
          next_page: null,
        });
      return { start: '1794950000', end: '1795040000' };
    },
    run: async ({ client }, { start, end }) => {
      const usage = await client.listCompletionsUsage({
        start_time: Number(start),
        end_time: Number(end),
        bucket_width: '1d',
        group_by: ['project_id', 'model'],
      });
      const results = usage.flatMap((b) => b.results);
      expect(usage.every((b) => b.object === 'bucket' && b.end_time > b.start_time)).toBe(true);
      expect(results.some((r) => r.model === SMALL && r.num_model_requests >= 1 && r.project_id !== null)).toBe(true);
      const costs = await client.listCosts({ start_time: Number(start), end_time: Number(end), group_by: ['project_id'] });
      expect(costs.flatMap((b) => b.results).every((r) => r.object === 'organization.costs.result' && r.amount.currency === 'usd')).toBe(
        true,
      );
    },
  },
  {
    name: 'the audit log records a key created, filtered by type',
    sandbox: async (org) => (await projectWithKey(org, 'audited'), {}),
    nock: (s) => {
      s.get(`${V1}/organization/audit_logs`)
        .query({ 'event_types[]': 'api_key.created', limit: '100' })
        .reply(
          200,
          list([
            {
              id: 'audit_1',
              type: 'api_key.created',
              effective_at: 1795000000,
              actor: { type: 'api_key' },
              project: { id: 'proj_1', name: 'audited' },
            },
          ]),
        );
      return {};
    },
    run: async ({ client }) => {
      const logs = await client.listAuditLogs({ event_types: ['api_key.created'] });
      expect(logs.length).toBeGreaterThanOrEqual(1);
      expect(logs.every((l) => l.type === 'api_key.created')).toBe(true);
      expect(logs.some((l) => l.project?.name === 'audited')).toBe(true);
    },
  },
];
