import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GroqClient } from '../../src/groq/client.js';
import { GroqApiError } from '../../src/groq/errors.js';
import { parseRetryAfter } from '../../src/groq/transport.js';
import type { Logger } from '../../src/log.js';

const BASE = 'https://api.groq.test';
const ADMIN = 'gsk_adminFAKE0000000000000000000000000000000000000000';

function makeClient(extra: { maxAttempts?: number; maxRetryTimeMs?: number } = {}) {
  const waits: number[] = [];
  const lines: string[] = [];
  const logger: Logger = { debug: (m) => lines.push(m), info: (m) => lines.push(m), warn: (m) => lines.push(m) };
  const client = new GroqClient({ baseUrl: BASE, adminKey: ADMIN, logger, sleep: async (ms) => void waits.push(ms), random: () => 0.5, ...extra });
  return { client, waits, lines };
}

const org = { object: 'organization', id: 'org_1', name: 'Acme' };
const error = (code: string, message = 'nope') => ({ error: { message, type: 'invalid_request_error', code } });

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe('retries', () => {
  it('honours retry-after on 429, then succeeds', async () => {
    const scope = nock(BASE).get('/openai/v1/organization').reply(429, error('rate_limit_exceeded'), { 'retry-after': '3' }).get('/openai/v1/organization').reply(200, org);
    const { client, waits, lines } = makeClient();
    await expect(client.getOrganization()).resolves.toEqual(org);
    expect(waits).toEqual([3000]);
    expect(lines).toContain('retrying GET /openai/v1/organization after 429 (attempt 2/5, waiting 3.00s)');
    expect(scope.isDone()).toBe(true);
  });

  it('backs off exponentially with jitter on 5xx and 498', async () => {
    const scope = nock(BASE).get('/openai/v1/organization').reply(500).get('/openai/v1/organization').reply(503).get('/openai/v1/organization').reply(498).get('/openai/v1/organization').reply(200, org);
    const { client, waits } = makeClient();
    await expect(client.getOrganization()).resolves.toEqual(org);
    // base 250 ms doubling; with random() = 0.5 each wait is 3/4 of its ceiling.
    expect(waits).toEqual([188, 375, 750]);
    expect(scope.isDone()).toBe(true);
  });

  it('retries a dropped connection on an idempotent request', async () => {
    const scope = nock(BASE).get('/openai/v1/organization').replyWithError({ code: 'ECONNRESET', message: 'socket hang up' }).get('/openai/v1/organization').reply(200, org);
    const { client } = makeClient();
    await expect(client.getOrganization()).resolves.toEqual(org);
    expect(scope.isDone()).toBe(true);
  });

  it('retries a create only because it carries an Idempotency-Key, and sends the same key and body each time', async () => {
    const input = { name: 'k', allowed_models: null, requests_per_minute: 5, tokens_per_minute: null, requests_per_day: null, tokens_per_day: null, metadata: {} };
    const scope = nock(BASE)
      .post('/openai/v1/api-keys', input).matchHeader('idempotency-key', 'idem-1').reply(503, error('overloaded'))
      .post('/openai/v1/api-keys', input).matchHeader('idempotency-key', 'idem-1').reply(201, { id: 'key_1', value: 'gsk_x' });
    const { client } = makeClient();
    await expect(client.createKey(input, 'idem-1')).resolves.toMatchObject({ id: 'key_1' });
    expect(scope.isDone()).toBe(true);
  });

  it('does not wait longer than the retry budget: a long retry-after fails at once', async () => {
    nock(BASE).get('/openai/v1/organization').reply(429, error('rate_limit_exceeded', 'slow down'), { 'retry-after': '120' });
    const { client, waits } = makeClient({ maxRetryTimeMs: 60_000 });
    const e = await client.getOrganization().catch((x) => x);
    expect(e).toBeInstanceOf(GroqApiError);
    expect(e.status).toBe(429);
    expect(waits).toEqual([]);
  });

  it('gives up after maxAttempts and reports the last error', async () => {
    const scope = nock(BASE).get('/openai/v1/organization').times(3).reply(502, error('bad_gateway', 'upstream'));
    const { client, waits } = makeClient({ maxAttempts: 3 });
    const e = await client.getOrganization().catch((x) => x);
    expect(e).toMatchObject({ name: 'GroqApiError', status: 502, code: 'bad_gateway' });
    expect(e.message).toContain('the API failed even after retrying');
    expect(waits).toHaveLength(2);
    expect(scope.isDone()).toBe(true);
  });
});

describe('terminal errors are not retried', () => {
  it.each([
    [400, 'invalid_request_error'],
    [401, 'invalid_api_key'],
    [403, 'permission_denied'],
    [404, 'api_key_not_found'],
    [409, 'idempotency_key_reused'],
    [422, 'unprocessable'],
  ])('%i %s: one request only', async (status, code) => {
    const scope = nock(BASE).get('/openai/v1/api-keys/key_1').once().reply(status, error(code), { 'x-request-id': 'req_abc' });
    const { client, waits } = makeClient();
    const e = await client.getKey('key_1').catch((x) => x);
    expect(e).toMatchObject({ name: 'GroqApiError', status, code, requestId: 'req_abc', method: 'GET', path: '/openai/v1/api-keys/key_1' });
    expect(waits).toEqual([]);
    expect(scope.isDone()).toBe(true);
  });

  it('a create without an Idempotency-Key would not be retried: PATCH is retried because its body is absolute', async () => {
    const scope = nock(BASE).patch('/openai/v1/api-keys/key_1', { requests_per_minute: 5 }).reply(500).patch('/openai/v1/api-keys/key_1', { requests_per_minute: 5 }).reply(200, { id: 'key_1' });
    const { client } = makeClient();
    await expect(client.updateKey('key_1', { requests_per_minute: 5 })).resolves.toEqual({ id: 'key_1' });
    expect(scope.isDone()).toBe(true);
  });
});

describe('error messages say what to do and never hold the key', () => {
  it('401 names GROQ_ADMIN_KEY', async () => {
    nock(BASE).get('/openai/v1/organization').reply(401, error('invalid_api_key', 'Invalid API Key'));
    const e = await makeClient().client.getOrganization().catch((x) => x);
    expect(e.message).toBe('GET /openai/v1/organization → 401 invalid_api_key: Invalid API Key\n  the admin key was refused: set GROQ_ADMIN_KEY to a current admin key from the Groq Console (or use --sandbox)');
    expect(JSON.stringify({ ...e, message: e.message, stack: e.stack })).not.toContain(ADMIN);
  });

  it('a key value echoed by the server never reaches the error message', async () => {
    const echoed = 'gsk_echoedFAKE00000000000000000000000000000000000000';
    nock(BASE).post('/openai/v1/api-keys').reply(400, error('invalid_request_error', `bad value ${echoed}`));
    const e = await makeClient().client.createKey({ name: 'k', allowed_models: null, requests_per_minute: null, tokens_per_minute: null, requests_per_day: null, tokens_per_day: null, metadata: {} }, 'i').catch((x) => x);
    expect(e.message).toBe('POST /openai/v1/api-keys → 400 invalid_request_error: bad value gsk_[REDACTED]');
  });

  it('403 says an inference key was used where an admin key is needed', async () => {
    nock(BASE).get('/openai/v1/organization').reply(403, error('permission_denied'));
    const e = await makeClient().client.getOrganization().catch((x) => x);
    expect(e.message).toContain('GROQ_ADMIN_KEY holds an inference key; organization changes need an admin key');
  });
});

describe('pagination', () => {
  it('follows has_more and after= to the end', async () => {
    const page = (ids: string[], more: boolean) => ({ object: 'list', data: ids.map((id) => ({ id })), first_id: ids[0], last_id: ids.at(-1), has_more: more });
    const scope = nock(BASE)
      .get('/openai/v1/api-keys').query({ limit: '100' }).reply(200, page(['a', 'b'], true))
      .get('/openai/v1/api-keys').query({ limit: '100', after: 'b' }).reply(200, page(['c', 'd'], true))
      .get('/openai/v1/api-keys').query({ limit: '100', after: 'd' }).reply(200, page(['e'], false));
    const keys = await makeClient().client.listKeys();
    expect(keys.map((k) => k.id)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(scope.isDone()).toBe(true);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds, fractions and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryAfter(null)).toBeNull();
  });
});
