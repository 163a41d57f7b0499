import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IdempotencyTable, IDEMPOTENCY_TTL_SECONDS } from '../../src/sandbox/idempotency.js';
import { startSandbox } from '../../src/sandbox/server.js';
import { chat, createKey, createProjectWithKey, startTestOrg, type TestOrg } from '../helpers/sandbox.js';

const V1 = '/openai/v1';
const ORG = `${V1}/organization`;
const M20 = 'openai/gpt-oss-20b';
const M120 = 'openai/gpt-oss-120b';

let org: TestOrg;
beforeEach(async () => {
  org = await startTestOrg();
});
afterEach(() => org.close());

/** Moves the sandbox clock to just after the start of the next UTC day, so minute and day windows cannot turn mid-test. */
async function startOfDay(): Promise<number> {
  const { now } = (await org.request('GET', '/_sandbox/clock')).body;
  return (await org.request('POST', '/_sandbox/clock', { body: { advance_seconds: 86_400 - (now % 86_400) + 1 } })).body.now;
}

const complete = (value: string, body: unknown = chat(M20)) => org.request('POST', `${V1}/chat/completions`, { token: value, body });

describe('answers', () => {
  it('carry their length, not chunked encoding, JSON and errors alike, multi-byte text included', async () => {
    const http = await import('node:http');
    const raw = (path: string, token: string | null) =>
      new Promise<{ headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
        const req = http.get(`${org.sandbox.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        });
        req.on('error', reject);
      });
    await org.request('POST', `${ORG}/projects`, { body: { name: 'café ☕ team' } });
    for (const [path, token] of [
      [`${ORG}/projects`, org.sandbox.adminKey],
      [`${ORG}/projects`, null],
      [`${ORG}/nowhere`, org.sandbox.adminKey],
    ] as const) {
      const { headers, body } = await raw(path, token);
      expect(headers['transfer-encoding'], path).toBeUndefined();
      expect(Number(headers['content-length']), path).toBe(Buffer.byteLength(body));
      expect(() => JSON.parse(body)).not.toThrow();
    }
  });
});

describe('projects', () => {
  it('creates, reads, renames, lists with cursor pagination, and archives for good', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await org.request('POST', `${ORG}/projects`, { body: { name: `p${i}` } })).body.id);
    const first = await org.request('GET', `${ORG}/projects?limit=2`);
    expect(first.body).toMatchObject({ object: 'list', first_id: ids[0], last_id: ids[1], has_more: true });
    const second = await org.request('GET', `${ORG}/projects?limit=2&after=${ids[1]}`);
    expect(second.body.data.map((p: { id: string }) => p.id)).toEqual([ids[2], ids[3]]);
    const last = await org.request('GET', `${ORG}/projects?limit=2&after=${ids[3]}`);
    expect(last.body).toMatchObject({ data: [{ id: ids[4] }], has_more: false });

    const renamed = await org.request('POST', `${ORG}/projects/${ids[0]}`, { body: { name: 'renamed' } });
    expect(renamed.body).toEqual({
      object: 'organization.project',
      id: ids[0],
      name: 'renamed',
      created_at: expect.any(Number),
      archived_at: null,
      status: 'active',
    });
    const archived = await org.request('POST', `${ORG}/projects/${ids[0]}/archive`);
    expect(archived.body).toMatchObject({ status: 'archived', archived_at: expect.any(Number) });
    // Archiving again changes nothing; an archived project cannot be changed, and is listed only on request.
    expect((await org.request('POST', `${ORG}/projects/${ids[0]}/archive`)).body).toEqual(archived.body);
    expect((await org.request('POST', `${ORG}/projects/${ids[0]}`, { body: { name: 'back' } })).body.error.code).toBe('project_archived');
    expect((await org.request('GET', `${ORG}/projects`)).body.data).toHaveLength(4);
    expect((await org.request('GET', `${ORG}/projects?include_archived=true`)).body.data).toHaveLength(5);
    expect((await org.request('GET', `${ORG}/projects/proj_nope`)).status).toBe(404);
  });

  it('validates bodies in the contract error shape', async () => {
    const res = await org.request('POST', `${ORG}/projects`, { body: { name: 'x', colour: 'red' } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: { message: "Unknown parameter: 'colour'.", type: 'invalid_request_error', code: 'invalid_request_error', param: 'colour' },
    });
    expect((await org.request('POST', `${ORG}/projects`, { body: '{not json' })).body.error.message).toBe(
      'The request body is not valid JSON.',
    );
  });
});

describe('API keys', () => {
  it('shows the value once, merges metadata on update (null removes), and deletes', async () => {
    const { projectId } = await createProjectWithKey(org, 'p', 'first');
    const created = await org.request('POST', `${ORG}/projects/${projectId}/api_keys`, {
      body: { name: 'k', metadata: { a: '1', b: '2' } },
    });
    expect(created.status).toBe(201);
    expect(created.body.value).toMatch(/^gsk_[A-Za-z0-9]{52}$/);
    expect(created.body.redacted_value).toBe(`gsk_…${created.body.value.slice(-4)}`);
    const id = created.body.id;
    const read = await org.request('GET', `${ORG}/projects/${projectId}/api_keys/${id}`);
    expect(read.body).toEqual({
      object: 'organization.project.api_key',
      id,
      name: 'k',
      redacted_value: created.body.redacted_value,
      created_at: expect.any(Number),
      last_used_at: null,
      metadata: { a: '1', b: '2' },
    });
    const updated = await org.request('POST', `${ORG}/projects/${projectId}/api_keys/${id}`, { body: { metadata: { a: null, c: '3' } } });
    expect(updated.body.metadata).toEqual({ b: '2', c: '3' });
    expect((await org.request('GET', `${ORG}/projects/${projectId}/api_keys`)).body.data.map((k: { name: string }) => k.name)).toEqual([
      'first',
      'k',
    ]);
    expect((await org.request('DELETE', `${ORG}/projects/${projectId}/api_keys/${id}`)).body).toEqual({
      object: 'organization.project.api_key.deleted',
      id,
      deleted: true,
    });
    expect((await org.request('GET', `${ORG}/projects/${projectId}/api_keys/${id}`)).body.error.code).toBe('api_key_not_found');
    expect((await complete(created.body.value)).status).toBe(401);
  });

  it.each([
    [{ metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`m${i}`, 'v'])) }, 'metadata may hold at most 16 entries.'],
    [{ metadata: { a: 'x'.repeat(513) } }, "'metadata.a' is longer than 512 characters."],
    [{ metadata: { a: 1 } }, "'metadata.a' must be a string."],
  ])('refuses metadata %#', async (extra, message) => {
    const { projectId } = await createProjectWithKey(org);
    const res = await org.request('POST', `${ORG}/projects/${projectId}/api_keys`, { body: { name: 'k', ...extra } });
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({ message, type: 'invalid_request_error', code: 'invalid_request_error', param: 'metadata' });
  });
});

describe('Idempotency-Key', () => {
  it('replays the first response for the same body, and refuses another body with 409', async () => {
    const headers = { 'idempotency-key': 'idem-1' };
    const first = await org.request('POST', `${ORG}/projects`, { body: { name: 'once' }, headers });
    const again = await org.request('POST', `${ORG}/projects`, { body: { name: 'once' }, headers });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(again.body).toEqual(first.body);
    const other = await org.request('POST', `${ORG}/projects`, { body: { name: 'other' }, headers });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    expect((await org.request('GET', `${ORG}/projects`)).body.data).toHaveLength(1);
    // After 24 hours the key is free again.
    await org.request('POST', '/_sandbox/clock', { body: { advance_seconds: IDEMPOTENCY_TTL_SECONDS } });
    expect((await org.request('POST', `${ORG}/projects`, { body: { name: 'other' }, headers })).status).toBe(201);
  });

  it('a replayed key create returns the same key, value included', async () => {
    const { projectId } = await createProjectWithKey(org);
    const headers = { 'idempotency-key': 'key-1' };
    const first = await org.request('POST', `${ORG}/projects/${projectId}/api_keys`, { body: { name: 'k2', metadata: {} }, headers });
    const again = await org.request('POST', `${ORG}/projects/${projectId}/api_keys`, { body: { name: 'k2', metadata: {} }, headers });
    expect(again.body).toEqual(first.body);
    expect((await org.request('GET', `${ORG}/projects/${projectId}/api_keys`)).body.data).toHaveLength(2);
  });

  it('prunes expired records from the front: seeding with keys does linear work (issue 12)', () => {
    const table = new IdempotencyTable([]);
    const n = 20_000;
    // The clock jumps past the 24-hour TTL every 1,000 creates: most records expire, and each is looked at once when pruned.
    for (let i = 0; i < n; i++) {
      const now = Math.floor(i / 1000) * (IDEMPOTENCY_TTL_SECONDS + 1);
      expect(table.lookUp(`k${i}`, '/p', { i }, now)).toBeNull();
      table.remember(`k${i}`, '/p', { i }, { status: 201, body: { i } }, now);
    }
    expect(table.size).toBe(1000);
    // Each create prunes twice (look-up and remember): at most one live record looked at each time, plus each expired record once.
    expect(table.pruneVisits).toBeLessThanOrEqual(4 * n + n);
    expect(table.pruneVisits).toBeGreaterThanOrEqual(n);
  });
});

describe('authentication', () => {
  it('admin paths: project key 403 permission_denied, unknown key 401; the scheme is case-insensitive', async () => {
    const { value } = await createProjectWithKey(org);
    const asProject = await org.request('GET', `${ORG}/projects`, { token: value });
    expect(asProject.status).toBe(403);
    expect(asProject.body.error).toMatchObject({ code: 'permission_denied', type: 'permission_error' });
    const unknown = await org.request('GET', `${ORG}/projects`, { token: 'gsk_unknownUNKNOWN' });
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual({ error: { message: 'Invalid API Key', type: 'invalid_request_error', code: 'invalid_api_key' } });
    expect((await org.request('GET', `${ORG}/projects`, { token: null, headers: { authorization: 'bearer test-admin-key' } })).status).toBe(
      200,
    );
    expect((await org.request('GET', '/_sandbox/stats', { token: null })).status).toBe(401);
  });

  it('keys of an archived project stop authenticating, for inference and for models', async () => {
    const { projectId, value } = await createProjectWithKey(org);
    expect((await org.request('GET', `${V1}/models`, { token: value })).status).toBe(200);
    await org.request('POST', `${ORG}/projects/${projectId}/archive`);
    expect((await complete(value)).status).toBe(401);
    expect((await org.request('GET', `${V1}/models`, { token: value })).status).toBe(401);
  });
});

describe('model permissions', () => {
  it('read as deny_list [] when none is set; set, and delete', async () => {
    expect((await org.request('GET', `${ORG}/model_permissions`)).body).toEqual({
      object: 'organization.model_permissions',
      mode: 'deny_list',
      model_ids: [],
    });
    const set = await org.request('POST', `${ORG}/model_permissions`, { body: { mode: 'allow_list', model_ids: [M20] } });
    expect(set.body).toEqual({ object: 'organization.model_permissions', mode: 'allow_list', model_ids: [M20] });
    expect((await org.request('DELETE', `${ORG}/model_permissions`)).body).toEqual({
      object: 'organization.model_permissions.deleted',
      deleted: true,
    });
    const unknown = await org.request('POST', `${ORG}/model_permissions`, { body: { mode: 'allow_list', model_ids: ['no/such'] } });
    expect(unknown.body.error).toMatchObject({ param: 'model_ids', message: 'The model `no/such` does not exist.' });
  });

  it('cascade: the organization is checked first, then the project, with Groq’s 403 bodies', async () => {
    const { projectId, value } = await createProjectWithKey(org);
    await org.request('POST', `${ORG}/model_permissions`, { body: { mode: 'deny_list', model_ids: [M120] } });
    const orgBlocked = await complete(value, chat(M120));
    expect(orgBlocked.status).toBe(403);
    expect(orgBlocked.body.error).toEqual({
      message:
        'The model `openai/gpt-oss-120b` is blocked at the organization level. Please have the org admin enable this model in the org settings at https://console.groq.com/settings/limits',
      type: 'permissions_error',
      code: 'model_permission_blocked_org',
    });
    await org.request('POST', `${ORG}/projects/${projectId}/model_permissions`, { body: { mode: 'deny_list', model_ids: [M20] } });
    const projectBlocked = await complete(value, chat(M20));
    expect(projectBlocked.status).toBe(403);
    expect(projectBlocked.body.error).toEqual({
      message:
        'The model `openai/gpt-oss-20b` is blocked at the project level. Please have a project admin enable this model in the project settings at https://console.groq.com/settings/project/limits',
      type: 'permissions_error',
      code: 'model_permission_blocked_project',
    });
    expect((await complete(value, chat('qwen/qwen3.8-27b'))).status).toBe(200);
  });

  it('a project may only narrow the organization: a model the org blocks cannot be allowed by a project', async () => {
    const { projectId, value } = await createProjectWithKey(org);
    await org.request('POST', `${ORG}/model_permissions`, { body: { mode: 'allow_list', model_ids: [M20, M120] } });
    const widen = await org.request('POST', `${ORG}/projects/${projectId}/model_permissions`, {
      body: { mode: 'allow_list', model_ids: [M20, 'qwen/qwen3.8-27b'] },
    });
    expect(widen.status).toBe(400);
    expect(widen.body.error.param).toBe('model_ids');
    // A block list always narrows, and does not unblock what the organization blocks.
    expect(
      (await org.request('POST', `${ORG}/projects/${projectId}/model_permissions`, { body: { mode: 'deny_list', model_ids: [M120] } }))
        .status,
    ).toBe(200);
    expect((await complete(value, chat('qwen/qwen3.8-27b'))).body.error.code).toBe('model_permission_blocked_org');
    expect((await complete(value, chat(M120))).body.error.code).toBe('model_permission_blocked_project');
    expect((await org.request('GET', `${ORG}/projects/${projectId}/model_permissions`)).body).toEqual({
      object: 'project.model_permissions',
      mode: 'deny_list',
      model_ids: [M120],
    });
    expect((await org.request('DELETE', `${ORG}/projects/${projectId}/model_permissions`)).body).toEqual({
      object: 'project.model_permissions.deleted',
      deleted: true,
    });
    expect((await complete(value, chat(M120))).status).toBe(200);
  });
});

describe('rate limits', () => {
  it('the organization has one per served model; a project’s default to it and may not exceed it', async () => {
    const orgLimits = (await org.request('GET', `${ORG}/rate_limits?limit=100`)).body.data;
    expect(orgLimits.length).toBeGreaterThan(5);
    const m20 = orgLimits.find((l: { model: string }) => l.model === M20);
    expect(m20).toEqual({
      object: 'organization.rate_limit',
      id: `rl-${M20}`,
      model: M20,
      max_requests_per_1_minute: 1000,
      max_tokens_per_1_minute: 1_000_000,
      max_requests_per_1_day: 500_000,
      max_tokens_per_1_day: 100_000_000,
    });
    const { projectId } = await createProjectWithKey(org);
    const projectLimits = (await org.request('GET', `${ORG}/projects/${projectId}/rate_limits?limit=100`)).body.data;
    expect(projectLimits.find((l: { model: string }) => l.model === M20)).toEqual({ ...m20, object: 'project.rate_limit' });
    const above = await org.request('POST', `${ORG}/projects/${projectId}/rate_limits/${encodeURIComponent(`rl-${M20}`)}`, {
      body: { max_requests_per_1_minute: 1001 },
    });
    expect(above.status).toBe(400);
    expect(above.body.error.param).toBe('max_requests_per_1_minute');
    const set = await org.request('POST', `${ORG}/projects/${projectId}/rate_limits/rl-${M20}`, {
      body: { max_requests_per_1_minute: 10, max_tokens_per_1_day: 5000 },
    });
    expect(set.body).toMatchObject({
      id: `rl-${M20}`,
      max_requests_per_1_minute: 10,
      max_tokens_per_1_minute: 1_000_000,
      max_tokens_per_1_day: 5000,
    });
    expect(
      (await org.request('POST', `${ORG}/projects/${projectId}/rate_limits/rl-nope`, { body: { max_requests_per_1_minute: 1 } })).status,
    ).toBe(404);
  });

  it('a project’s limits bind all its keys together: 429 with retry-after, Groq’s message and headers', async () => {
    await startOfDay();
    const { projectId, value: a } = await createProjectWithKey(org);
    const { value: b } = await createKey(org, projectId, 'second');
    await org.request('POST', `${ORG}/projects/${projectId}/rate_limits/rl-${M20}`, {
      body: { max_requests_per_1_minute: 2, max_requests_per_1_day: 100 },
    });
    const okA = await complete(a);
    expect(okA.status).toBe(200);
    expect(okA.headers.get('x-ratelimit-limit-requests')).toBe('100');
    expect(okA.headers.get('x-ratelimit-remaining-requests')).toBe('99');
    expect(okA.headers.get('x-ratelimit-limit-tokens')).toBe('1000000');
    expect((await complete(b)).status).toBe(200);
    const limited = await complete(a);
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({ code: 'rate_limit_exceeded', type: 'requests' });
    expect(limited.body.error.message).toMatch(
      /^Rate limit reached for model `openai\/gpt-oss-20b` in organization `org_sandbox` service tier `on_demand` on requests per minute \(RPM\): Limit 2, Used 2, Requested 1\. Please try again in \d+(\.\d+)?s\. Need more tokens\?/,
    );
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers.get('x-ratelimit-remaining-requests')).toBe('98');
    // Another model has its own limits; the next minute this one passes again.
    expect((await complete(b, chat(M120))).status).toBe(200);
    await org.request('POST', '/_sandbox/clock', { body: { advance_seconds: 60 } });
    expect((await complete(b)).status).toBe(200);
  });

  it('every project draws on the organization’s limits too: the tighter decides', async () => {
    await startOfDay();
    await org.request('POST', '/_sandbox/rate_limits', { body: { model: M20, max_requests_per_1_minute: 3 } });
    const one = await createProjectWithKey(org, 'one');
    const two = await createProjectWithKey(org, 'two');
    await org.request('POST', `${ORG}/projects/${one.projectId}/rate_limits/rl-${M20}`, { body: { max_requests_per_1_minute: 2 } });
    expect((await complete(one.value)).status).toBe(200);
    expect((await complete(one.value)).status).toBe(200);
    expect((await complete(one.value)).status).toBe(429); // the project's 2
    expect((await complete(two.value)).status).toBe(200); // the organization's third
    const orgLimited = await complete(two.value);
    expect(orgLimited.status).toBe(429);
    expect(orgLimited.body.error.message).toContain('Limit 3, Used 3, Requested 1');
  });

  it('max_tokens counts against tokens per minute up front; one request above the limit is 413, not 429', async () => {
    await startOfDay();
    const { projectId, value } = await createProjectWithKey(org);
    await org.request('POST', `${ORG}/projects/${projectId}/rate_limits/rl-${M20}`, { body: { max_tokens_per_1_minute: 1000 } });
    // The default completion budget (1024) alone is above 1000.
    const tooLarge = await complete(value);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.headers.get('retry-after')).toBeNull();
    expect(tooLarge.body.error).toMatchObject({ type: 'tokens', code: 'rate_limit_exceeded' });
    expect(tooLarge.body.error.message).toMatch(
      /^Request too large for model `openai\/gpt-oss-20b` in organization `org_sandbox` service tier `on_demand` on tokens per minute \(TPM\): Limit 1000, Requested 1030, please reduce your message size and try again\./,
    );
    const first = await complete(value, chat(M20, 'Hello', { max_tokens: 600 }));
    expect(first.status).toBe(200);
    expect(first.body.usage.total_tokens).toBeLessThan(100);
    // 606 tokens were counted, not the ~15 used: another 600 does not fit this minute.
    expect(first.headers.get('x-ratelimit-remaining-tokens')).toBe(String(1000 - 606));
    const second = await complete(value, chat(M20, 'Hello', { max_completion_tokens: 600 }));
    expect(second.status).toBe(429);
    expect(second.body.error.type).toBe('tokens');
    expect(second.body.error.message).toContain('tokens per minute (TPM): Limit 1000, Used 606, Requested 606');
  });
});

describe('chat completions', () => {
  it('answers a chat.completion with usage, x_groq and rate-limit headers', async () => {
    const { value } = await createProjectWithKey(org);
    const res = await complete(value);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      object: 'chat.completion',
      model: M20,
      choices: [{ index: 0, message: { role: 'assistant' }, finish_reason: 'stop' }],
      x_groq: { id: res.headers.get('x-request-id') },
    });
    expect(res.body.usage.total_tokens).toBe(res.body.usage.prompt_tokens + res.body.usage.completion_tokens);
    expect(res.headers.get('x-request-id')).toMatch(/^req_[0-9a-z]{26}$/);
    expect(res.headers.get('x-ratelimit-reset-tokens')).toMatch(/^(\d+m)?\d+(\.\d+)?s$/);
  });

  it.each([
    [{ colour: 'red' }, "property 'colour' is unsupported"],
    [{ n: 3 }, "'n' : number must be at most 1"],
    [{ temperature: 99 }, "'temperature' : number must be at most 2"],
    [{ temperature: -1 }, "'temperature' : number must be at least 0"],
    [
      { max_tokens: 10_000_000 },
      '`max_tokens` must be less than or equal to `65536`, the maximum value for `max_tokens` is less than the `context_window` for this model',
    ],
    [{ messages: [{ content: 'no role' }] }, "'messages.0' : discriminator property 'role' is missing"],
    [{ messages: [] }, "'messages' : minimum number of items is 1"],
  ])('400 with message and type only for %j', async (extra, message) => {
    const { value } = await createProjectWithKey(org);
    const res = await complete(value, { ...chat(M20), ...extra });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { message, type: 'invalid_request_error' } });
  });

  it('404 for an unknown model, 400 model_decommissioned for a retired one', async () => {
    const { value } = await createProjectWithKey(org);
    expect((await complete(value, chat('no/such-model'))).body.error).toEqual({
      message: 'The model `no/such-model` does not exist or you do not have access to it.',
      type: 'invalid_request_error',
      code: 'model_not_found',
    });
    const retired = await complete(value, chat('llama-3.3-70b-versatile'));
    expect(retired.status).toBe(400);
    expect(retired.body.error.code).toBe('model_decommissioned');
  });

  it('stream: true answers server-sent chat.completion.chunk events, usage in the last, then [DONE]', async () => {
    const { value } = await createProjectWithKey(org);
    const res = await complete(value, chat(M20, 'Hello', { stream: true }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const events = (res.body as string)
      .split('\n\n')
      .filter(Boolean)
      .map((e) => e.replace(/^data: /, ''));
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    for (const c of chunks) expect(c.object).toBe('chat.completion.chunk');
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(chunks.map((c) => c.choices[0].delta.content ?? '').join('')).toBe('Sandbox reply from openai/gpt-oss-20b.');
    expect(chunks.at(-1).choices[0].finish_reason).toBe('stop');
    expect(chunks.at(-1).x_groq.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: 10 });
  });

  it('models carry public_apps, for an inference key', async () => {
    const { value } = await createProjectWithKey(org);
    const models = await org.request('GET', `${V1}/models`, { token: value });
    expect(models.body.data.find((m: { id: string }) => m.id === M20)).toEqual({
      id: M20,
      object: 'model',
      created: expect.any(Number),
      owned_by: 'OpenAI',
      active: true,
      context_window: 131072,
      max_completion_tokens: 65536,
      public_apps: null,
    });
    expect((await org.request('GET', `${V1}/models/${M20}`, { token: value })).body.id).toBe(M20);
    expect((await org.request('GET', `${V1}/models`, { token: 'gsk_unknownXXXXXX' })).status).toBe(401);
  });
});

describe('spend', () => {
  it('spend limit: 404 when none; from spend reaching it every request is 400 blocked_api_access, until raised or the month turns', async () => {
    const { value } = await createProjectWithKey(org);
    expect((await org.request('GET', `${ORG}/spend_limit`)).status).toBe(404);
    const set = await org.request('POST', `${ORG}/spend_limit`, { body: { threshold_amount: 500, currency: 'USD', interval: 'month' } });
    expect(set.body).toEqual({
      object: 'organization.spend_limit',
      threshold_amount: 500,
      currency: 'USD',
      interval: 'month',
      enforcement: { status: 'inactive' },
    });
    expect((await complete(value)).status).toBe(200);
    await org.request('POST', '/_sandbox/spend', { body: { add_usd: 5 } });
    const blocked = await complete(value);
    expect(blocked.status).toBe(400);
    expect(blocked.body.error).toMatchObject({ code: 'blocked_api_access', type: 'invalid_request_error' });
    expect((await org.request('GET', `${ORG}/spend_limit`)).body.enforcement.status).toBe('enforcing');
    await org.request('POST', `${ORG}/spend_limit`, { body: { threshold_amount: 1000, currency: 'USD', interval: 'month' } });
    expect((await complete(value)).status).toBe(200);
    await org.request('POST', `${ORG}/spend_limit`, { body: { threshold_amount: 100, currency: 'USD', interval: 'month' } });
    expect((await complete(value)).status).toBe(400);
    // The first of next month (UTC), spend starts from zero.
    const { now } = (await org.request('GET', '/_sandbox/clock')).body;
    const d = new Date(now * 1000);
    const nextMonth = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) / 1000;
    await org.request('POST', '/_sandbox/clock', { body: { advance_seconds: nextMonth - now + 1 } });
    expect((await complete(value)).status).toBe(200);
    expect((await org.request('DELETE', `${ORG}/spend_limit`)).body).toEqual({ object: 'organization.spend_limit.deleted', deleted: true });
    expect((await org.request('GET', `${ORG}/spend_limit`)).status).toBe(404);
  });

  it('spend reaches billing after the spend lag', async () => {
    await org.close();
    org = await startTestOrg({ spendLagSeconds: 600 });
    await startOfDay();
    const { value } = await createProjectWithKey(org);
    await org.request('POST', `${ORG}/spend_limit`, { body: { threshold_amount: 1, currency: 'USD', interval: 'month' } });
    // ~600 prompt tokens at $22 per million: above one cent.
    const costly = chat('canopylabs/orpheus-v1-english', 'x'.repeat(2400), { max_tokens: 10 });
    expect((await complete(value, costly)).status).toBe(200);
    expect((await complete(value, costly)).status).toBe(200);
    expect((await org.request('GET', '/_sandbox/spend')).body.month_to_date_usd).toBe(0);
    await org.request('POST', '/_sandbox/clock', { body: { advance_seconds: 600 } });
    expect((await org.request('GET', '/_sandbox/spend')).body.month_to_date_usd).toBeGreaterThan(0.02);
    expect((await complete(value, costly)).body.error.code).toBe('blocked_api_access');
  });

  it('spend alerts: create, list, read, update, delete', async () => {
    const input = {
      threshold_amount: 10_000,
      currency: 'USD',
      interval: 'month',
      notification_channel: { type: 'email', recipients: ['ops@acme.example'] },
    };
    const created = await org.request('POST', `${ORG}/spend_alerts`, { body: input });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ object: 'organization.spend_alert', id: expect.stringMatching(/^spend_alert_/), ...input });
    const id = created.body.id;
    expect((await org.request('GET', `${ORG}/spend_alerts`)).body.data).toEqual([created.body]);
    const updated = await org.request('POST', `${ORG}/spend_alerts/${id}`, { body: { ...input, threshold_amount: 20_000 } });
    expect(updated.body.threshold_amount).toBe(20_000);
    expect((await org.request('GET', `${ORG}/spend_alerts/${id}`)).body).toEqual(updated.body);
    expect((await org.request('DELETE', `${ORG}/spend_alerts/${id}`)).body).toEqual({
      object: 'organization.spend_alert.deleted',
      id,
      deleted: true,
    });
    const bad = await org.request('POST', `${ORG}/spend_alerts`, {
      body: { ...input, notification_channel: { type: 'email', recipients: [] } },
    });
    expect(bad.body.error.param).toBe('notification_channel');
  });
});

describe('usage and costs', () => {
  it('answer 1m, 1h and 1d buckets exactly for known traffic, filtered and grouped', async () => {
    const day = await startOfDay();
    const dayStart = day - 1;
    const one = await createProjectWithKey(org, 'one');
    const two = await createProjectWithKey(org, 'two');
    const usage = async (value: string, model = M20) => (await complete(value, chat(model))).body.usage;
    const a1 = await usage(one.value);
    const a2 = await usage(one.value, M120);
    await org.request('POST', '/_sandbox/clock', { body: { advance_seconds: 120 } }); // minute 2
    const b1 = await usage(two.value);
    await org.request('POST', '/_sandbox/clock', { body: { advance_seconds: 3600 } }); // hour 1, minute 62
    const c1 = await usage(one.value);

    const q = (params: string) => org.request('GET', `${ORG}/usage/completions?start_time=${dayStart}&${params}`).then((r) => r.body);
    const minutes = await q(`end_time=${dayStart + 180}&bucket_width=1m`);
    expect(minutes.data.map((b: { start_time: number }) => b.start_time)).toEqual([dayStart, dayStart + 60, dayStart + 120]);
    expect(minutes.data[0].results).toEqual([
      {
        object: 'organization.usage.completions.result',
        input_tokens: a1.prompt_tokens + a2.prompt_tokens,
        output_tokens: a1.completion_tokens + a2.completion_tokens,
        num_model_requests: 2,
        project_id: null,
        api_key_id: null,
        model: null,
      },
    ]);
    expect(minutes.data[1].results).toEqual([]);
    expect(minutes.data[2].results[0].num_model_requests).toBe(1);

    const hours = await q(`end_time=${dayStart + 7200}&bucket_width=1h&group_by[]=project_id&group_by[]=model`);
    expect(hours.data).toHaveLength(2);
    const byProject = (b: { results: { project_id: string; model: string; num_model_requests: number }[] }) =>
      b.results.map((r) => [r.project_id, r.model, r.num_model_requests]);
    expect(byProject(hours.data[0]).sort()).toEqual(
      [
        [one.projectId, M120, 1],
        [one.projectId, M20, 1],
        [two.projectId, M20, 1],
      ].sort(),
    );
    expect(byProject(hours.data[1])).toEqual([[one.projectId, M20, 1]]);

    const filtered = await q(`bucket_width=1d&api_key_ids[]=${one.keyId}&models=${M20}&group_by=api_key_id`);
    expect(filtered.data[0].results).toEqual([
      {
        object: 'organization.usage.completions.result',
        input_tokens: a1.prompt_tokens + c1.prompt_tokens,
        output_tokens: a1.completion_tokens + c1.completion_tokens,
        num_model_requests: 2,
        project_id: null,
        api_key_id: one.keyId,
        model: null,
      },
    ]);

    // Paging through 1m buckets with `page`.
    const page1 = await q(`end_time=${dayStart + 240}&bucket_width=1m&limit=3`);
    expect(page1).toMatchObject({ object: 'page', has_more: true, next_page: expect.any(String) });
    const page2 = await q(`end_time=${dayStart + 240}&bucket_width=1m&limit=3&page=${page1.next_page}`);
    expect(page2).toMatchObject({ has_more: false, next_page: null, data: [{ start_time: dayStart + 180, results: [] }] });
    expect((await org.request('GET', `${ORG}/usage/completions`)).body.error.param).toBe('start_time');

    const costs = (await org.request('GET', `${ORG}/costs?start_time=${dayStart}&group_by[]=project_id&group_by[]=line_item`)).body;
    expect(costs.data).toHaveLength(1);
    const items = costs.data[0].results.map((r: { project_id: string; line_item: string; amount: { value: number; currency: string } }) => [
      r.project_id,
      r.line_item,
      r.amount.currency,
    ]);
    expect(items.sort()).toEqual(
      [
        [one.projectId, M120, 'usd'],
        [one.projectId, M20, 'usd'],
        [two.projectId, M20, 'usd'],
      ].sort(),
    );
    const price20 = { input: 0.075, output: 0.3 };
    const cost = (u: { prompt_tokens: number; completion_tokens: number }) =>
      (u.prompt_tokens * price20.input + u.completion_tokens * price20.output) / 1e6;
    const twoCost = costs.data[0].results.find((r: { project_id: string }) => r.project_id === two.projectId).amount.value;
    expect(twoCost).toBeCloseTo(cost(b1), 12);
  });

  it('last_used_at lags traffic by the usage lag', async () => {
    await org.close();
    org = await startTestOrg({ usageLagSeconds: 60 });
    const { projectId, keyId, value } = await createProjectWithKey(org);
    await complete(value);
    const read = () => org.request('GET', `${ORG}/projects/${projectId}/api_keys/${keyId}`).then((r) => r.body.last_used_at);
    expect(await read()).toBeNull();
    const { now } = (await org.request('POST', '/_sandbox/clock', { body: { advance_seconds: 61 } })).body;
    expect(await read()).toBe(now - 61);
  });
});

describe('audit log', () => {
  it('records changes with their actor and project, newest first, filtered by type and time', async () => {
    const { projectId, keyId } = await createProjectWithKey(org, 'audited');
    await org.request('POST', `${ORG}/projects/${projectId}/rate_limits/rl-${M20}`, { body: { max_requests_per_1_minute: 5 } });
    await org.request('POST', `${ORG}/model_permissions`, { body: { mode: 'deny_list', model_ids: [M120] } });
    await org.request('POST', `${ORG}/spend_limit`, { body: { threshold_amount: 100, currency: 'USD', interval: 'month' } });
    await org.request('DELETE', `${ORG}/projects/${projectId}/api_keys/${keyId}`);
    await org.request('POST', `${ORG}/projects/${projectId}/archive`);
    const all = (await org.request('GET', `${ORG}/audit_logs?limit=100`)).body;
    expect(all.data.map((e: { type: string }) => e.type)).toEqual([
      'project.archived',
      'api_key.deleted',
      'spend_limit.updated',
      'model_permissions.updated',
      'rate_limit.updated',
      'api_key.created',
      'project.created',
    ]);
    expect(all.data[5]).toEqual({
      id: expect.stringMatching(/^audit_log-/),
      type: 'api_key.created',
      effective_at: expect.any(Number),
      actor: { type: 'api_key', api_key: { id: 'key_admin', type: 'user' } },
      project: { id: projectId, name: 'audited' },
      'api_key.created': { id: keyId, data: { name: 'k' } },
    });
    const keys = (await org.request('GET', `${ORG}/audit_logs?event_types[]=api_key.created&event_types[]=api_key.deleted`)).body;
    expect(keys.data.map((e: { type: string }) => e.type)).toEqual(['api_key.deleted', 'api_key.created']);
    const page = (await org.request('GET', `${ORG}/audit_logs?limit=2&after=${all.data[1].id}`)).body;
    expect(page).toMatchObject({ data: [{ type: 'spend_limit.updated' }, { type: 'model_permissions.updated' }], has_more: true });
    const later = (await org.request('POST', '/_sandbox/clock', { body: { advance_seconds: 10 } })).body.now;
    await org.request('POST', `${ORG}/projects`, { body: { name: 'later' } });
    expect(
      (await org.request('GET', `${ORG}/audit_logs?effective_at[gte]=${later}`)).body.data.map((e: { type: string }) => e.type),
    ).toEqual(['project.created']);
  });
});

describe('the control surface', () => {
  it('moves the clock, and timestamps and the Date header follow it', async () => {
    const before = (await org.request('GET', '/_sandbox/clock')).body.now;
    const after = (await org.request('POST', '/_sandbox/clock', { body: { advance_seconds: 86_400 * 40 } })).body.now;
    expect(after - before).toBeGreaterThanOrEqual(86_400 * 40);
    const created = await org.request('POST', `${ORG}/projects`, { body: { name: 'later' } });
    expect(created.body.created_at).toBeGreaterThanOrEqual(after);
    expect(Math.abs(Date.parse(created.headers.get('date')!) / 1000 - after)).toBeLessThan(5);
  });

  it('injects an error for the next N matching requests only, and can drop the connection', async () => {
    await org.request('POST', '/_sandbox/faults', {
      body: {
        faults: [
          { method: 'GET', path: `${ORG}/projects*`, status: 500, code: 'boom', times: 2 },
          { path: ORG, reset: true },
        ],
      },
    });
    const first = await org.request('GET', `${ORG}/projects`);
    expect(first.status).toBe(500);
    expect(first.body.error.code).toBe('boom');
    expect((await org.request('GET', `${ORG}/projects/proj_x`)).status).toBe(500);
    expect((await org.request('GET', `${ORG}/projects`)).status).toBe(200);
    await expect(org.request('GET', ORG)).rejects.toThrow();
    expect((await org.request('GET', ORG)).status).toBe(200);
  });

  it('counts requests by route, excluding its own control calls; reset empties the organization', async () => {
    await org.request('GET', `${ORG}/projects`);
    await org.request('GET', `${ORG}/projects`);
    await org.request('GET', `${ORG}/projects/proj_missing`);
    expect((await org.request('GET', '/_sandbox/stats')).body).toEqual({
      requests_total: 3,
      by_route: { 'GET /openai/v1/organization/projects': 2, 'GET /openai/v1/organization/projects/{project_id}': 1 },
    });
    await org.request('POST', `${ORG}/projects`, { body: { name: 'gone' } });
    await org.request('POST', '/_sandbox/reset');
    expect((await org.request('GET', `${ORG}/projects`)).body.data).toEqual([]);
    expect((await org.request('GET', '/_sandbox/stats')).body.requests_total).toBe(1);
  });

  it('an unknown route is a 404 in the error shape, a wrong method a 405', async () => {
    expect((await org.request('GET', `${V1}/nope`)).status).toBe(404);
    expect((await org.request('PUT', `${ORG}/projects`)).status).toBe(405);
  });
});

describe('persistence', () => {
  const tmpState = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-state-')), 'state.json');

  it('keeps the organization across a restart, and locks the state file while it runs', async () => {
    const statePath = tmpState();
    const first = await startTestOrg({ statePath });
    const { projectId, keyId, value } = await createProjectWithKey(first, 'kept');
    await first.request('POST', `${ORG}/projects/${projectId}/rate_limits/rl-${M20}`, { body: { max_requests_per_1_minute: 7 } });
    await expect(startSandbox({ port: 0, statePath })).rejects.toThrow(
      `${statePath} is in use by another sandbox (pid ${process.pid}): stop that one, or talk to it instead`,
    );
    await first.close();
    const second = await startTestOrg({ statePath });
    try {
      expect((await second.request('GET', `${ORG}/projects/${projectId}/api_keys/${keyId}`)).body.name).toBe('k');
      expect(
        (await second.request('GET', `${ORG}/projects/${projectId}/rate_limits?limit=100`)).body.data.find(
          (l: { model: string }) => l.model === M20,
        ).max_requests_per_1_minute,
      ).toBe(7);
      expect((await second.request('POST', `${V1}/chat/completions`, { token: value, body: chat(M20) })).status).toBe(200);
    } finally {
      await second.close();
    }
  });

  it('an unreadable or version-1 state file is a user error that says what to do', async () => {
    const statePath = tmpState();
    fs.writeFileSync(statePath, '{"version": 1, "keys": []}');
    await expect(startSandbox({ port: 0, statePath })).rejects.toMatchObject({
      name: 'UserError',
      message: `${statePath} holds the state of an older sandbox (version 1, API keys without projects); delete it (and state.json.journal) to start afresh`,
    });
    fs.writeFileSync(statePath, '{"vers');
    await expect(startSandbox({ port: 0, statePath })).rejects.toMatchObject({
      name: 'UserError',
      message: expect.stringMatching(/is not a readable sandbox state file .*; delete it \(and state\.json\.journal\) to start afresh$/),
    });
    // The refused start released its lock.
    expect(fs.existsSync(`${statePath}.lock`)).toBe(false);
  });
});
