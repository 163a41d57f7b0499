import type nock from 'nock';
import { expect } from 'vitest';
import { GroqClient } from '../../src/groq/client.js';
import type { GroqApiError } from '../../src/groq/errors.js';
import { keyInput, type TestOrg } from './sandbox.js';

/**
 * The client contract, run twice: against the real sandbox over HTTP on 127.0.0.1, and against nock
 * replaying real-shape responses from docs/groq-admin-api.md. Same calls, same assertions.
 */
export interface Ctx {
  client: GroqClient;
  /** A client holding another key (wrong, or an inference key). */
  clientWith(key: string): GroqClient;
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
const apiKey = (id: string, name: string, extra: object = {}) => ({
  object: 'api_key', id, name, redacted_value: 'gsk_…AbCd', allowed_models: null, requests_per_minute: null, tokens_per_minute: null,
  requests_per_day: null, tokens_per_day: null, status: 'active', metadata: {}, created_at: 1764280000, last_used_at: null, ...extra,
});
const err = (status: number, code: string, message: string, param?: string) => [status, { error: { message, type: 'invalid_request_error', code, ...(param ? { param } : {}) } }] as const;
const failure = async (p: Promise<unknown>) => (await p.then(() => null, (e) => e)) as GroqApiError;

const completionBody = { id: 'chatcmpl-1', object: 'chat.completion', created: 1795000000, model: 'openai/gpt-oss-20b', choices: [{ index: 0, message: { role: 'assistant', content: 'Hi.' }, logprobs: null, finish_reason: 'stop' }], usage: { prompt_tokens: 9, completion_tokens: 6, total_tokens: 15 } };
const hello = (model: string) => ({ model, messages: [{ role: 'user', content: 'Hello' }] });
const FAKE_INFERENCE_KEY = 'gsk_inferenceFAKE00000000000000000000000000000000000';
const newInferenceKey = (org: TestOrg, extra: Record<string, unknown> = {}) => (org.sandbox.state.createKey(keyInput('inference', extra), null).body as { value: string }).value;

export const cases: Case[] = [
  {
    name: 'reads the organization',
    nock: (s) => (s.get('/openai/v1/organization').reply(200, { object: 'organization', id: ORG_ID, name: 'Contract' }), {}),
    run: async ({ client }) => expect(await client.getOrganization()).toMatchObject({ id: ORG_ID }),
  },
  {
    name: 'follows pagination across pages, in creation order',
    sandbox: async (org) => {
      for (let i = 0; i < 230; i++) org.sandbox.state.createKey(keyInput(`k${String(i).padStart(3, '0')}`), null);
      return {};
    },
    nock: (s) => {
      const names = Array.from({ length: 230 }, (_, i) => `k${String(i).padStart(3, '0')}`);
      const ids = names.map((_, i) => `key_${String(i).padStart(4, '0')}`);
      for (const [start, after] of [[0, null], [100, ids[99]], [200, ids[199]]] as const) {
        const data = names.slice(start, start + 100).map((n, i) => apiKey(ids[start + i]!, n));
        s.get('/openai/v1/api-keys').query({ limit: '100', ...(after ? { after } : {}) }).reply(200, { object: 'list', data, first_id: data[0]!.id, last_id: data.at(-1)!.id, has_more: start + 100 < 230 });
      }
      return {};
    },
    run: async ({ client }) => {
      const keys = await client.listKeys();
      expect(keys).toHaveLength(230);
      expect(keys.map((k) => k.name)).toEqual(Array.from({ length: 230 }, (_, i) => `k${String(i).padStart(3, '0')}`));
      expect(new Set(keys.map((k) => k.id)).size).toBe(230);
    },
  },
  {
    name: 'replays an idempotent create: same key, value returned again, nothing new created',
    nock: (s) => {
      const created = { ...apiKey('key_1', 'replayed'), value: 'gsk_contractFAKEvalue0000000000000000000000000000' };
      s.post('/openai/v1/api-keys', keyInput('replayed')).matchHeader('idempotency-key', 'idem-replay').times(2).reply(201, created);
      s.get('/openai/v1/api-keys').query({ limit: '100' }).reply(200, { object: 'list', data: [apiKey('key_1', 'replayed')], first_id: 'key_1', last_id: 'key_1', has_more: false });
      return {};
    },
    run: async ({ client }) => {
      const first = await client.createKey(keyInput('replayed'), 'idem-replay');
      const again = await client.createKey(keyInput('replayed'), 'idem-replay');
      expect(again.id).toBe(first.id);
      expect(again.value === first.value && first.value.startsWith('gsk_')).toBe(true);
      expect((await client.listKeys()).map((k) => k.id)).toEqual([first.id]);
    },
  },
  {
    name: '409 idempotency_key_reused: same Idempotency-Key, different body',
    nock: (s) => {
      s.post('/openai/v1/api-keys').reply(201, { ...apiKey('key_1', 'a'), value: 'gsk_x' });
      s.post('/openai/v1/api-keys').reply(...err(409, 'idempotency_key_reused', 'This Idempotency-Key was already used with a different request body.'));
      return {};
    },
    run: async ({ client }) => {
      await client.createKey(keyInput('a'), 'idem-conflict');
      const e = await failure(client.createKey(keyInput('b'), 'idem-conflict'));
      expect(e).toMatchObject({ status: 409, code: 'idempotency_key_reused' });
    },
  },
  {
    name: '400 invalid_request_error names the field',
    sandbox: async (org) => ({ id: (org.sandbox.state.createKey(keyInput('k'), null).body as { id: string }).id }),
    nock: (s) => (s.patch('/openai/v1/api-keys/key_1').reply(...err(400, 'invalid_request_error', "'requests_per_minute' must be null or a positive integer.", 'requests_per_minute')), { id: 'key_1' }),
    run: async ({ client }, { id }) => {
      const e = await failure(client.updateKey(id!, { requests_per_minute: 0 }));
      expect(e).toMatchObject({ status: 400, code: 'invalid_request_error', param: 'requests_per_minute' });
    },
  },
  {
    name: '400 model_decommissioned when a decommissioned model is named',
    nock: (s) => (s.post('/openai/v1/api-keys').reply(...err(400, 'model_decommissioned', 'The model `llama-3.3-70b-versatile` has been decommissioned and is no longer supported.')), {}),
    run: async ({ client }) => {
      const e = await failure(client.createKey(keyInput('old', { allowed_models: ['llama-3.3-70b-versatile'] }), 'idem-old'));
      expect(e).toMatchObject({ status: 400, code: 'model_decommissioned' });
      expect(e.message).toContain('llama-3.3-70b-versatile');
    },
  },
  {
    name: '401 invalid_api_key for an unknown admin key',
    nock: (s) => (s.get('/openai/v1/organization').reply(...err(401, 'invalid_api_key', 'Invalid API Key')), {}),
    run: async ({ clientWith }) => {
      const e = await failure(clientWith('gsk_wrongFAKE000000000000000000000000000000000000000').getOrganization());
      expect(e).toMatchObject({ status: 401, code: 'invalid_api_key' });
      expect(e.message).toContain('GROQ_ADMIN_KEY');
    },
  },
  {
    name: '403 permission_denied for an inference key on an admin endpoint',
    sandbox: async (org) => ({ value: (org.sandbox.state.createKey(keyInput('inference'), null).body as { value: string }).value }),
    nock: (s) => (s.get('/openai/v1/organization').reply(403, { error: { message: 'This endpoint needs an admin key.', type: 'permission_error', code: 'permission_denied' } }), { value: 'gsk_inferenceFAKE0000000000000000000000000000000' }),
    run: async ({ clientWith }, { value }) => {
      const e = await failure(clientWith(value!).getOrganization());
      expect(e).toMatchObject({ status: 403, code: 'permission_denied' });
      expect(e.message).not.toContain(value!);
    },
  },
  {
    name: '404 api_key_not_found for an unknown id',
    nock: (s) => (s.get('/openai/v1/api-keys/key_nope').reply(...err(404, 'api_key_not_found', "No API key with id 'key_nope'.")), {}),
    run: async ({ client }) => expect(await failure(client.getKey('key_nope'))).toMatchObject({ status: 404, code: 'api_key_not_found' }),
  },
  {
    name: '5xx is retried until it succeeds',
    sandbox: async (org) => (await org.request('POST', '/_sandbox/faults', { body: { faults: [{ method: 'GET', path: '/openai/v1/organization', status: 503, times: 2 }] } }), {}),
    nock: (s) => (s.get('/openai/v1/organization').times(2).reply(503).get('/openai/v1/organization').reply(200, { object: 'organization', id: ORG_ID, name: 'x' }), {}),
    run: async ({ client, waits }) => {
      expect(await client.getOrganization()).toMatchObject({ id: ORG_ID });
      expect(waits).toHaveLength(2);
    },
  },
  {
    name: '429 rate_limit_exceeded: retry-after is honoured',
    sandbox: async (org) => (await org.request('POST', '/_sandbox/faults', { body: { faults: [{ path: '/openai/v1/organization/spending-limit', status: 429, retry_after: 7 }] } }), {}),
    nock: (s) => {
      s.get('/openai/v1/organization/spending-limit').reply(429, { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } }, { 'retry-after': '7' });
      s.get('/openai/v1/organization/spending-limit').reply(200, { object: 'spending_limit', monthly_cap_usd: null, alert_thresholds_usd: [], auto_pause: true, month_to_date_usd: 0, status: 'active' });
      return {};
    },
    run: async ({ client, waits }) => {
      expect(await client.getSpendingLimit()).toMatchObject({ monthly_cap_usd: null, status: 'active' });
      expect(waits).toEqual([7000]);
    },
  },
  {
    name: 'sets and reads the spending limit',
    nock: (s) => {
      const body = { object: 'spending_limit', monthly_cap_usd: 250, alert_thresholds_usd: [50, 200], auto_pause: true, month_to_date_usd: 0, status: 'active' };
      s.put('/openai/v1/organization/spending-limit', { monthly_cap_usd: 250, alert_thresholds_usd: [200, 50], auto_pause: true }).reply(200, body);
      s.get('/openai/v1/organization/spending-limit').reply(200, body);
      return {};
    },
    run: async ({ client }) => {
      await client.setSpendingLimit({ monthly_cap_usd: 250, alert_thresholds_usd: [200, 50], auto_pause: true });
      expect(await client.getSpendingLimit()).toMatchObject({ monthly_cap_usd: 250, alert_thresholds_usd: [50, 200], auto_pause: true, status: 'active' });
    },
  },
  {
    name: 'lists live models only',
    nock: (s) => (s.get('/openai/v1/models').reply(200, { object: 'list', data: [{ id: 'openai/gpt-oss-120b', object: 'model', created: 1754407957, owned_by: 'OpenAI', active: true, context_window: 131072, max_completion_tokens: 65536 }] }), {}),
    run: async ({ client }) => {
      const ids = (await client.listModels()).map((m) => m.id);
      expect(ids).toContain('openai/gpt-oss-120b');
      expect(ids).not.toContain('llama-3.3-70b-versatile');
    },
  },
  {
    name: "inference answers with usage and Groq's rate-limit headers",
    sandbox: async (org) => ({ value: newInferenceKey(org, { requests_per_day: 100, tokens_per_minute: 5000 }) }),
    nock: (s) => {
      s.post('/openai/v1/chat/completions', hello('openai/gpt-oss-20b')).matchHeader('authorization', `Bearer ${FAKE_INFERENCE_KEY}`).reply(200, completionBody, {
        'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': '99', 'x-ratelimit-limit-tokens': '5000',
        'x-ratelimit-remaining-tokens': '4985', 'x-ratelimit-reset-requests': '14m24s', 'x-ratelimit-reset-tokens': '59.2s', 'x-request-id': 'req_01',
      });
      return { value: FAKE_INFERENCE_KEY };
    },
    run: async ({ client }, { value }) => {
      const { completion, rateLimits } = await client.chatCompletion(value!, hello('openai/gpt-oss-20b'));
      expect(completion.model).toBe('openai/gpt-oss-20b');
      expect(completion.usage.total_tokens).toBe(completion.usage.prompt_tokens + completion.usage.completion_tokens);
      expect(rateLimits).toMatchObject({ limitRequests: 100, remainingRequests: 99, limitTokens: 5000, remainingTokens: 5000 - completion.usage.total_tokens, retryAfter: null });
      expect(rateLimits.resetRequests).toMatch(/^(\d+h)?(\d+m)?[\d.]+s$/);
      expect(rateLimits.resetTokens).toMatch(/^(\d+m)?[\d.]+s$/);
    },
  },
  {
    name: '404 model_not_found for a model the key may not call',
    sandbox: async (org) => ({ value: newInferenceKey(org, { allowed_models: ['openai/gpt-oss-20b'] }) }),
    nock: (s) => (s.post('/openai/v1/chat/completions').reply(...err(404, 'model_not_found', 'The model `openai/gpt-oss-120b` does not exist or you do not have access to it.')), { value: FAKE_INFERENCE_KEY }),
    run: async ({ client }, { value }) => {
      const e = await failure(client.chatCompletion(value!, hello('openai/gpt-oss-120b')));
      expect(e).toMatchObject({ status: 404, code: 'model_not_found' });
      expect(e.message).toContain('The model `openai/gpt-oss-120b` does not exist or you do not have access to it.');
    },
  },
  {
    name: '400 blocked_api_access once the spending cap pauses the organization',
    sandbox: async (org) => {
      const value = newInferenceKey(org);
      org.sandbox.state.putSpendingLimit({ monthly_cap_usd: 0.000001, alert_thresholds_usd: [], auto_pause: true });
      org.sandbox.state.chatCompletion(value, hello('openai/gpt-oss-120b'), 'req_seed');
      return { value };
    },
    nock: (s) => (s.post('/openai/v1/chat/completions').reply(...err(400, 'blocked_api_access', 'Your organization has reached its monthly spending limit.')), { value: FAKE_INFERENCE_KEY }),
    run: async ({ client }, { value }) => {
      const e = await failure(client.chatCompletion(value!, hello('openai/gpt-oss-120b')));
      expect(e).toMatchObject({ status: 400, code: 'blocked_api_access' });
    },
  },
  {
    name: '429 rate_limit_exceeded on inference: not retried, with retry-after and the rate-limit headers',
    sandbox: async (org) => {
      const value = newInferenceKey(org, { requests_per_minute: 1 });
      org.sandbox.state.chatCompletion(value, hello('openai/gpt-oss-20b'), 'req_seed');
      return { value };
    },
    nock: (s) => {
      s.post('/openai/v1/chat/completions').reply(429, { error: { message: 'Rate limit reached for model `openai/gpt-oss-20b` in organization `org_contract` service tier `on_demand` on requests per minute (RPM): Limit 1, Used 1, Requested 1. Please try again in 41.2s.', type: 'requests', code: 'rate_limit_exceeded' } }, {
        'retry-after': '42', 'x-ratelimit-limit-requests': '1000000', 'x-ratelimit-remaining-requests': '999999', 'x-ratelimit-limit-tokens': '1000000', 'x-ratelimit-remaining-tokens': '999985',
        'x-ratelimit-reset-requests': '0.07s', 'x-ratelimit-reset-tokens': '41.2s',
      });
      return { value: FAKE_INFERENCE_KEY };
    },
    run: async ({ client, waits }, { value }) => {
      const e = await failure(client.chatCompletion(value!, hello('openai/gpt-oss-20b')));
      expect(e).toMatchObject({ status: 429, code: 'rate_limit_exceeded', type: 'requests' });
      expect(e.message).toContain('on requests per minute (RPM): Limit 1, Used 1, Requested 1.');
      expect(e.rateLimits!.retryAfter).toBeGreaterThanOrEqual(1);
      expect(e.rateLimits!.limitRequests).toBeGreaterThan(0);
      expect(waits).toEqual([]);
    },
  },
  {
    name: '401 invalid_api_key on inference with a disabled key',
    sandbox: async (org) => {
      const created = org.sandbox.state.createKey(keyInput('soon-disabled'), null).body as { id: string; value: string };
      org.sandbox.state.updateKey(created.id, { status: 'disabled' });
      return { value: created.value };
    },
    nock: (s) => (s.post('/openai/v1/chat/completions').reply(...err(401, 'invalid_api_key', 'Invalid API Key')), { value: FAKE_INFERENCE_KEY }),
    run: async ({ client }, { value }) => {
      const e = await failure(client.chatCompletion(value!, hello('openai/gpt-oss-20b')));
      expect(e).toMatchObject({ status: 401, code: 'invalid_api_key' });
      expect(e.message).toContain('this inference key is unknown, deleted or disabled');
      expect(e.message).not.toContain(value!);
    },
  },
  {
    name: "reads today's usage",
    nock: (s) => (s.get('/openai/v1/usage').reply(200, { object: 'usage', date: '2026-11-27', usage_by_key: [] }), {}),
    run: async ({ client }) => {
      const usage = await client.getUsageToday();
      expect(usage.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(usage.usage_by_key).toEqual([]);
    },
  },
];

