import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chat, keyInput, startTestOrg, type TestOrg } from '../helpers/sandbox.js';

let org: TestOrg;
beforeEach(async () => {
  org = await startTestOrg();
});
afterEach(() => org.close());

async function createKey(extra: Record<string, unknown> = {}): Promise<{ id: string; value: string }> {
  const res = await org.request('POST', '/openai/v1/api-keys', { body: keyInput('k', extra) });
  expect(res.status).toBe(201);
  return res.body;
}

describe('inference checks, in the order Groq applies them', () => {
  it('answers a chat.completion with usage, rate-limit headers and a request id', async () => {
    const { value } = await createKey({ requests_per_day: 100, tokens_per_minute: 5000 });
    const res = await org.request('POST', '/openai/v1/chat/completions', { token: value, body: chat('openai/gpt-oss-20b') });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ object: 'chat.completion', model: 'openai/gpt-oss-20b', choices: [{ index: 0, message: { role: 'assistant' }, finish_reason: 'stop' }] });
    const { prompt_tokens, completion_tokens, total_tokens } = res.body.usage;
    expect(total_tokens).toBe(prompt_tokens + completion_tokens);
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
    expect(res.headers.get('x-ratelimit-limit-requests')).toBe('100');
    expect(res.headers.get('x-ratelimit-remaining-requests')).toBe('99');
    expect(res.headers.get('x-ratelimit-limit-tokens')).toBe('5000');
    expect(res.headers.get('x-ratelimit-remaining-tokens')).toBe(String(5000 - total_tokens));
    expect(res.headers.get('x-ratelimit-reset-tokens')).toMatch(/^(\d+m)?\d+(\.\d+)?s$/);
    expect(res.headers.get('retry-after')).toBeNull();
  });

  it('401 invalid_api_key for an unknown key, and for a disabled one', async () => {
    const unknown = await org.request('POST', '/openai/v1/chat/completions', { token: 'gsk_nopeFAKE', body: chat('openai/gpt-oss-20b') });
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual({ error: { message: 'Invalid API Key', type: 'invalid_request_error', code: 'invalid_api_key' } });
    const { id, value } = await createKey();
    await org.request('PATCH', `/openai/v1/api-keys/${id}`, { body: { status: 'disabled' } });
    const disabled = await org.request('POST', '/openai/v1/chat/completions', { token: value, body: chat('openai/gpt-oss-20b') });
    expect(disabled.status).toBe(401);
  });

  it('a key restricted by policy can be seen to be restricted: 404 model_not_found outside its models', async () => {
    const { value } = await createKey({ allowed_models: ['openai/gpt-oss-20b'] });
    const res = await org.request('POST', '/openai/v1/chat/completions', { token: value, body: chat('openai/gpt-oss-120b') });
    expect(res.status).toBe(404);
    expect(res.body.error).toEqual({ message: 'The model `openai/gpt-oss-120b` does not exist or you do not have access to it.', type: 'invalid_request_error', code: 'model_not_found' });
    expect((await org.request('POST', '/openai/v1/chat/completions', { token: value, body: chat('openai/gpt-oss-20b') })).status).toBe(200);
  });

  it('400 model_decommissioned for a retired model, with Groq wording', async () => {
    const { value } = await createKey();
    const res = await org.request('POST', '/openai/v1/chat/completions', { token: value, body: chat('llama-3.3-70b-versatile') });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('model_decommissioned');
    expect(res.body.error.message).toContain('has been decommissioned and is no longer supported');
  });

  it('400 blocked_api_access once spend reaches the cap with auto_pause', async () => {
    const { value } = await createKey();
    await org.request('PUT', '/openai/v1/organization/spending-limit', { body: { monthly_cap_usd: 0.000001, alert_thresholds_usd: [], auto_pause: true } });
    expect((await org.request('POST', '/openai/v1/chat/completions', { token: value, body: chat('openai/gpt-oss-120b') })).status).toBe(200);
    const blocked = await org.request('POST', '/openai/v1/chat/completions', { token: value, body: chat('openai/gpt-oss-120b') });
    expect(blocked.status).toBe(400);
    expect(blocked.body.error.code).toBe('blocked_api_access');
    expect((await org.request('GET', '/openai/v1/organization/spending-limit')).body).toMatchObject({ status: 'paused' });
    await org.request('PUT', '/openai/v1/organization/spending-limit', { body: { monthly_cap_usd: 100, alert_thresholds_usd: [], auto_pause: true } });
    expect((await org.request('POST', '/openai/v1/chat/completions', { token: value, body: chat('openai/gpt-oss-120b') })).status).toBe(200);
  });

  it('429 rate_limit_exceeded on requests per minute, with retry-after and headers; the next minute it passes', async () => {
    const { value } = await createKey({ requests_per_minute: 2 });
    for (let i = 0; i < 2; i++) expect((await org.request('POST', '/openai/v1/chat/completions', { token: value, body: chat('openai/gpt-oss-20b') })).status).toBe(200);
    const limited = await org.request('POST', '/openai/v1/chat/completions', { token: value, body: chat('openai/gpt-oss-20b') });
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({ code: 'rate_limit_exceeded', type: 'requests' });
    expect(limited.body.error.message).toMatch(/^Rate limit reached for model `openai\/gpt-oss-20b` in organization `org_sandbox` service tier `on_demand` on requests per minute \(RPM\): Limit 2, Used 2, Requested 1\./);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers.get('x-ratelimit-remaining-requests')).not.toBeNull();
    await org.request('POST', '/_sandbox/clock', { body: { advance_seconds: 60 } });
    expect((await org.request('POST', '/openai/v1/chat/completions', { token: value, body: chat('openai/gpt-oss-20b') })).status).toBe(200);
  });

  it('429 on tokens per minute and on requests per day', async () => {
    const tokens = await createKey({ tokens_per_minute: 20 });
    const t = await org.request('POST', '/openai/v1/chat/completions', { token: tokens.value, body: chat('openai/gpt-oss-20b', 'x'.repeat(200)) });
    expect(t.status).toBe(429);
    expect(t.body.error.type).toBe('tokens');
    expect(t.body.error.message).toContain('tokens per minute (TPM): Limit 20');
    const daily = await createKey({ requests_per_day: 1 });
    expect((await org.request('POST', '/openai/v1/chat/completions', { token: daily.value, body: chat('openai/gpt-oss-20b') })).status).toBe(200);
    const d = await org.request('POST', '/openai/v1/chat/completions', { token: daily.value, body: chat('openai/gpt-oss-20b') });
    expect(d.status).toBe(429);
    expect(d.body.error.message).toContain('requests per day (RPD): Limit 1');
    expect(Number(d.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('usage', () => {
  it("records requests, tokens, cost and last_used_at, today's and by day", async () => {
    const { id, value } = await createKey();
    expect((await org.request('GET', `/openai/v1/api-keys/${id}`)).body.last_used_at).toBeNull();
    for (let i = 0; i < 3; i++) await org.request('POST', '/openai/v1/chat/completions', { token: value, body: chat('openai/gpt-oss-120b') });
    const today = (await org.request('GET', '/openai/v1/usage')).body;
    expect(today.usage_by_key).toHaveLength(1);
    expect(today.usage_by_key[0]).toMatchObject({ key_id: id, key_name: 'k', requests_today: 3 });
    expect(today.usage_by_key[0].estimated_cost_usd).toBeGreaterThan(0);
    const now = (await org.request('GET', '/_sandbox/clock')).body.now;
    expect((await org.request('GET', `/openai/v1/api-keys/${id}`)).body.last_used_at).toBe(now);
    const daily = (await org.request('GET', `/openai/v1/usage?start_date=2000-01-01&end_date=${today.date}`)).body;
    expect(daily).toMatchObject({ object: 'list', has_more: false, data: [{ date: today.date, key_id: id, requests: 3 }] });
    expect((await org.request('GET', '/openai/v1/usage?start_date=yesterday')).body.error).toMatchObject({ code: 'invalid_request_error', param: 'start_date' });
  });

  it('last_used_at lags traffic by the usage lag', async () => {
    await org.close();
    org = await startTestOrg({ usageLagSeconds: 60 });
    const { id, value } = await createKey();
    await org.request('POST', '/openai/v1/chat/completions', { token: value, body: chat('openai/gpt-oss-20b') });
    expect((await org.request('GET', `/openai/v1/api-keys/${id}`)).body.last_used_at).toBeNull();
    const { now } = (await org.request('POST', '/_sandbox/clock', { body: { advance_seconds: 61 } })).body;
    expect((await org.request('GET', `/openai/v1/api-keys/${id}`)).body.last_used_at).toBe(now - 61);
  });
});

describe('the control surface', () => {
  it('moves the clock, and timestamps and the Date header follow it', async () => {
    const before = (await org.request('GET', '/_sandbox/clock')).body.now;
    const after = (await org.request('POST', '/_sandbox/clock', { body: { advance_seconds: 86_400 * 40 } })).body.now;
    expect(after - before).toBeGreaterThanOrEqual(86_400 * 40);
    const created = await org.request('POST', '/openai/v1/api-keys', { body: keyInput('later') });
    expect(created.body.created_at).toBeGreaterThanOrEqual(after);
    expect(Math.abs(Date.parse(created.headers.get('date')!) / 1000 - after)).toBeLessThan(5);
  });

  it('injects an error for the next N matching requests only', async () => {
    await org.request('POST', '/_sandbox/faults', { body: { faults: [{ method: 'GET', path: '/openai/v1/api-keys*', status: 500, code: 'boom', times: 2 }] } });
    const first = await org.request('GET', '/openai/v1/api-keys');
    expect(first.status).toBe(500);
    expect(first.body.error.code).toBe('boom');
    expect((await org.request('GET', '/openai/v1/api-keys/key_x')).status).toBe(500);
    expect((await org.request('GET', '/openai/v1/api-keys')).status).toBe(200);
  });

  it('drops the connection for a reset fault', async () => {
    await org.request('POST', '/_sandbox/faults', { body: { faults: [{ path: '/openai/v1/organization', reset: true }] } });
    await expect(org.request('GET', '/openai/v1/organization')).rejects.toThrow();
    expect((await org.request('GET', '/openai/v1/organization')).status).toBe(200);
  });

  it('counts requests by route, excluding its own control calls', async () => {
    await org.request('GET', '/openai/v1/api-keys');
    await org.request('GET', '/openai/v1/api-keys');
    await org.request('GET', '/openai/v1/api-keys/key_missing');
    const stats = (await org.request('GET', '/_sandbox/stats')).body;
    expect(stats).toEqual({ requests_total: 3, by_route: { 'GET /openai/v1/api-keys': 2, 'GET /openai/v1/api-keys/{id}': 1 } });
  });

  it('needs the admin key', async () => {
    expect((await org.request('GET', '/_sandbox/stats', { token: null })).status).toBe(401);
  });
});

describe('strict request validation, in the contract error shape', () => {
  it.each([
    [{ name: 'k', colour: 'red' }, 'colour', "Unknown parameter: 'colour'."],
    [{}, 'name', "Missing required parameter: 'name'."],
    [{ name: 'k', requests_per_minute: -5 }, 'requests_per_minute', "'requests_per_minute' must be null or a positive integer."],
    [{ name: 'k', allowed_models: ['no/such-model'] }, 'allowed_models', 'The model `no/such-model` does not exist.'],
    [{ name: 'k', metadata: { a: 1 } }, 'metadata', "'metadata.a' must be a string."],
    [{ name: 'k', metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`m${i}`, 'v'])) }, 'metadata', 'metadata may hold at most 16 entries.'],
  ])('create %j → 400 on %s', async (body, param, message) => {
    const res = await org.request('POST', '/openai/v1/api-keys', { body });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { message, type: 'invalid_request_error', code: 'invalid_request_error', param } });
  });

  it('rejects a body that is not JSON', async () => {
    const res = await org.request('POST', '/openai/v1/api-keys', { body: '{not json' });
    expect(res.body.error).toMatchObject({ code: 'invalid_request_error', message: 'The request body is not valid JSON.' });
  });

  it('PATCH merges metadata and a null value removes an entry', async () => {
    const { id } = await createKey({ metadata: { a: '1', b: '2' } });
    const res = await org.request('PATCH', `/openai/v1/api-keys/${id}`, { body: { metadata: { a: null, c: '3' } } });
    expect(res.body.metadata).toEqual({ b: '2', c: '3' });
  });

  it('an unknown route is a 404 in the error shape, a wrong method a 405', async () => {
    expect((await org.request('GET', '/openai/v1/nope')).status).toBe(404);
    expect((await org.request('PUT', '/openai/v1/api-keys')).status).toBe(405);
  });
});
