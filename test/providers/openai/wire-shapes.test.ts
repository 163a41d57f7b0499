import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RefusalError, UserError } from '../../../src/core/errors.js';
import { ProviderError, redactOpenAi } from '../../../src/providers/openai/errors.js';
import { OpenAiProvider } from '../../../src/providers/openai/provider.js';

// Shapes the sandbox cannot produce (a server repeating a cursor, OpenAI's key-echoing 401), with
// nock on a loopback origin: nothing leaves the machine even if an interceptor were missing.
const ORIGIN = 'http://127.0.0.1:9';
const ORG = 'org-acme';
const adminKey = ['sk', 'admin', 'nock'].join('-') + 'q'.repeat(30);
const P = '/v1/organization/projects';
const provider = (o: { maxPages?: number } = {}) =>
  new OpenAiProvider({ baseUrl: `${ORIGIN}/v1`, adminKey, organization: ORG, maxAttempts: 1, sleep: async () => {}, ...o });
const api = () => nock(ORIGIN).matchHeader('authorization', `Bearer ${adminKey}`).matchHeader('openai-organization', ORG);
const project = (id: string) => ({ object: 'organization.project', id, name: id, created_at: 1, archived_at: null, status: 'active' });
const archived = (id: string) => ({ ...project(id), archived_at: 2, status: 'archived' });
const list = (data: unknown[], last: string | null, more: boolean) => ({
  object: 'list',
  data,
  first_id: null,
  last_id: last,
  has_more: more,
});

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('OpenAI provider: list guards and error shapes (nock)', () => {
  it('follows after=<last_id>, and refuses a repeated cursor', async () => {
    const scope = api()
      .get('/v1/organization/spend_limit')
      .reply(404, { error: { message: 'none', type: 'invalid_request_error', param: null, code: 'spend_limit_not_found' } })
      .get('/v1/organization/spend_alerts')
      .query({ limit: 100 })
      .reply(200, list([], null, false))
      // Archived projects: a read starts each active project's reads as its page arrives, and this case is about the pages.
      .get(P)
      .query({ limit: 100 })
      .reply(200, list([archived('proj_1')], 'proj_1', true))
      .get(P)
      .query({ limit: 100, after: 'proj_1' })
      .reply(200, list([archived('proj_2')], 'proj_2', true))
      .get(P)
      .query({ limit: 100, after: 'proj_2' })
      .reply(200, list([archived('proj_1')], 'proj_1', true));
    const e = await provider()
      .readLiveState()
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).toContain(
      'the server sent the same last_id cursor twice, so the list would never end; stopped after 3 pages',
    );
    expect(scope.isDone()).toBe(true);
  });

  it('refuses has_more without a cursor, and more pages than allowed', async () => {
    api()
      .get(`${P}/proj_1/api_keys`)
      .query({ owner_project_access: 'any', limit: 100 })
      .reply(200, list([{ id: 'key_1' }], null, true));
    await expect(provider().listKeys('proj_1')).rejects.toThrow(/says there is more but gives no cursor/);
    let n = 0;
    api()
      .get(`${P}/proj_1/api_keys`)
      .query(true)
      .times(5)
      .reply(200, () => (n++, list([{ id: `key_${n}` }], `key_${n}`, true)));
    await expect(provider({ maxPages: 3 }).listKeys('proj_1')).rejects.toThrow(
      'the list did not end after 3 pages, more than any organization groq-rbac supports (300 items at 100 a page)',
    );
    expect(n).toBe(3);
  });

  it('usage follows next_page and refuses a repeated one', async () => {
    const bucket = (t: number) => ({
      object: 'bucket',
      start_time: t,
      end_time: t + 60,
      results: [
        {
          object: 'organization.usage.completions.result',
          input_tokens: 1,
          output_tokens: 2,
          num_model_requests: 3,
          api_key_id: 'key_1',
          model: 'gpt-4o',
          project_id: null,
        },
      ],
    });
    const page = (data: unknown[], next: string | null) => ({ object: 'page', data, has_more: next !== null, next_page: next });
    const uris: string[] = [];
    api()
      .get('/v1/organization/usage/completions')
      .query(true)
      .times(2)
      .reply(
        200,
        (req) => (
          uris.push(decodeURIComponent(new URL(req.url).pathname + new URL(req.url).search)),
          uris.length === 1 ? page([bucket(0)], 'p2') : page([bucket(60)], null)
        ),
      );
    const rows = await provider().usage({ start_time: 0, end_time: 120, bucket_width: '1m', group_by: ['key_id'], key_ids: ['key_1'] });
    expect(uris[0]).toBe(
      '/v1/organization/usage/completions?start_time=0&end_time=120&bucket_width=1m&limit=1440&api_key_ids[]=key_1&group_by[]=api_key_id',
    );
    expect(uris[1]).toBe(`${uris[0]}&page=p2`);
    expect(rows).toEqual(
      [0, 60].map((t) => ({
        start_time: t,
        end_time: t + 60,
        project_id: null,
        key_id: 'key_1',
        model: 'gpt-4o',
        requests: 3,
        input_tokens: 1,
        output_tokens: 2,
      })),
    );
    api()
      .get('/v1/organization/costs')
      .query(true)
      .reply(200, page([], 'c1'))
      .get('/v1/organization/costs')
      .query(true)
      .reply(200, page([], 'c1'));
    await expect(provider().costs({ start_time: 0, end_time: 86_400, group_by: ['project_id'] })).rejects.toThrow(
      'the server sent the same next_page cursor twice',
    );
  });

  it("OpenAI's 401 echoing the key is cut; mismatched_organization is a refusal; the admin key never appears", async () => {
    const echoed = `${adminKey.slice(0, 12)}***…${adminKey.slice(-4)}`;
    api()
      .get(P)
      .query(true)
      .reply(401, {
        error: {
          message: `Incorrect API key provided: ${echoed}. You sent ${adminKey}.`,
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_api_key',
        },
      });
    const e = (await provider()
      .readLiveState()
      .catch((x: unknown) => x)) as ProviderError;
    expect(e).toBeInstanceOf(ProviderError);
    expect(e).toMatchObject({ kind: 'refused', status: 401, code: 'invalid_api_key' });
    const text = `${e.message} ${JSON.stringify(e)} ${e.stack}`;
    expect(text).not.toContain(adminKey);
    expect(text).not.toContain(echoed);
    expect(text).not.toMatch(/sk-admin-[a-z]/);
    expect(e.message).toContain('OPENAI_ADMIN_KEY');

    api()
      .get(P)
      .query(true)
      .reply(401, {
        error: {
          message: 'OpenAI-Organization header should match organization for API key',
          type: 'invalid_request_error',
          param: null,
          code: 'mismatched_organization',
        },
      });
    const m = await provider()
      .readLiveState()
      .catch((x: unknown) => x);
    expect(m).toBeInstanceOf(RefusalError);
    expect((m as Error).message).toMatch(/admin key \(OPENAI_ADMIN_KEY\) belongs to another OpenAI organization than org-acme/);

    api()
      .post(`${P}/proj_1/model_permissions`)
      .reply(500, `upstream said ${adminKey} and sk-proj-${'a'.repeat(30)}`, { 'content-type': 'text/plain' });
    const u = (await provider()
      .setProjectPermissions('proj_1', { mode: 'allow_list', models: ['gpt-4o'] })
      .catch((x: unknown) => x)) as ProviderError;
    expect(u).toMatchObject({ kind: 'unavailable', status: 500 });
    expect(u.message).not.toMatch(/sk-[a-z]+-[a-z]{6}/);
    expect(u.message).not.toContain(adminKey);
  });

  it('no model permissions or spend limit set: a 404 reads as none, a 404 for a wrong URL stays an error', async () => {
    const none = (code: string) => ({ error: { message: 'No such object', type: 'invalid_request_error', param: null, code } });
    const empty = list([], null, false);
    const arrange = (permissions: [number, Record<string, unknown>]) =>
      api()
        .get('/v1/organization/spend_limit')
        .reply(200, {})
        .get('/v1/organization/spend_alerts')
        .query(true)
        .reply(200, empty)
        .get(P)
        .query(true)
        .reply(200, list([project('proj_1')], 'proj_1', false))
        .get(`${P}/proj_1/model_permissions`)
        .reply(permissions[0], permissions[1])
        .get(`${P}/proj_1/rate_limits`)
        .query(true)
        .reply(200, empty)
        .get(`${P}/proj_1/api_keys`)
        .query(true)
        .reply(200, empty)
        .get(`${P}/proj_1/spend_limit`)
        .reply(404, none('spend_limit_not_found'))
        .get(`${P}/proj_1/spend_alerts`)
        .query(true)
        .reply(200, empty);
    arrange([404, none('model_permissions_not_found')]);
    const state = await provider().readLiveState();
    expect(state.projects).toEqual([
      {
        id: 'proj_1',
        name: 'proj_1',
        created_at: 1,
        permissions: null,
        limits: [],
        keys: [],
        spending: { monthly_cap_usd: null, alerts: [] },
      },
    ]);
    expect(state.spending.monthly_cap_usd).toBeNull();
    nock.cleanAll();
    arrange([
      404,
      {
        error: {
          message: 'Invalid URL (GET /v1/organization/projects/proj_1/model_permissions)',
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      },
    ]);
    await expect(provider().readLiveState()).rejects.toMatchObject({ kind: 'not_found' });
  });

  it('archiving a project already archived (a retry after a lost answer) is done; refused otherwise', async () => {
    const refused = {
      error: { message: 'Archived projects cannot be used or updated', type: 'invalid_request_error', param: null, code: null },
    };
    api()
      .post(`${P}/proj_1/archive`)
      .reply(400, refused)
      .get(`${P}/proj_1`)
      .reply(200, { ...project('proj_1'), status: 'archived', archived_at: 9 });
    await provider().archiveProject('proj_1');
    api().post(`${P}/proj_2/archive`).reply(400, refused).get(`${P}/proj_2`).reply(200, project('proj_2'));
    await expect(provider().archiveProject('proj_2')).rejects.toMatchObject({ kind: 'invalid', status: 400 });
  });

  it('sends owner_project_access=any on key lists, and the redaction covers every sk- form', async () => {
    const scope = api()
      .get(`${P}/proj_1/api_keys`)
      .query({ owner_project_access: 'any', limit: 100 })
      .reply(
        200,
        list(
          [
            {
              object: 'organization.project.api_key',
              id: 'key_u',
              name: 'laptop',
              redacted_value: 'sk-abc...def',
              created_at: 5,
              last_used_at: 9,
              owner: { type: 'user', user: { id: 'user_1' } },
            },
          ],
          'key_u',
          false,
        ),
      );
    // A user's key: no service account to carry marks, so a person's own (never adopted).
    expect(await provider().listKeys('proj_1')).toEqual([
      { id: 'key_u', name: 'laptop', redacted_value: 'sk-abc...def', created_at: 5, last_used_at: 9, marks: null, personal: true },
    ]);
    expect(scope.isDone()).toBe(true);
    for (const v of ['sk-abcdefghijklmnop123', `sk-proj-${'x'.repeat(40)}`, `sk-svcacct-${'Y'.repeat(64)}`, 'sk-abc***…wxyz']) {
      // Core's pattern stops a whole value at the sentence's period; the masked run takes it along.
      const out = redactOpenAi(`key: ${v}.`);
      expect(out).toMatch(/^key: sk-\[REDACTED\]\.?$/);
      expect(out).not.toContain(v.slice(3, 12));
    }
  });
});
