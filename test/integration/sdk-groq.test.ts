import Groq from 'groq-sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProjectWithKey, startTestOrg, type TestOrg } from '../helpers/sandbox.js';

// groq-sdk, unchanged, for inference against the sandbox: base URL without `/openai/v1` (the SDK adds it).
const ORG = '/openai/v1/organization';
const MODEL = 'openai/gpt-oss-20b';
const messages = [{ role: 'user' as const, content: 'Hello' }];

let org: TestOrg;
let projectId: string;
let groq: Groq;
beforeEach(async () => {
  org = await startTestOrg();
  const made = await createProjectWithKey(org);
  projectId = made.projectId;
  groq = new Groq({ apiKey: made.value, baseURL: org.sandbox.url, maxRetries: 0 });
});
afterEach(() => org.close());

/** Freezes the sandbox clock one second before a minute turns: rate windows then move only when the test moves them. */
async function freezeBeforeMinute(): Promise<void> {
  const { now_ms } = (await org.request('POST', '/_sandbox/clock', { body: { freeze: true } })).body;
  await org.request('POST', '/_sandbox/clock', { body: { advance_seconds: ((59_000 - (now_ms % 60_000) + 60_000) % 60_000) / 1000 } });
}

const chatRequests = async () => (await org.request('GET', '/_sandbox/stats')).body.by_route['POST /openai/v1/chat/completions'] ?? 0;

describe('groq-sdk against the sandbox', () => {
  it('completes a chat', async () => {
    const completion = await groq.chat.completions.create({ model: MODEL, messages });
    expect(completion.choices[0]!.message.content).toBe('Sandbox reply from openai/gpt-oss-20b.');
    expect(completion.usage!.total_tokens).toBeGreaterThan(0);
    const models = await groq.models.list();
    expect(models.data.map((m) => m.id)).toContain(MODEL);
  });

  it('a model blocked at the organization and at the project level: 403 with Groq’s messages', async () => {
    await org.request('POST', `${ORG}/model_permissions`, { body: { mode: 'deny_list', model_ids: ['openai/gpt-oss-120b'] } });
    await org.request('POST', `${ORG}/projects/${projectId}/model_permissions`, {
      body: { mode: 'allow_list', model_ids: ['qwen/qwen3.8-27b'] },
    });
    const atOrg = await groq.chat.completions.create({ model: 'openai/gpt-oss-120b', messages }).catch((e: unknown) => e);
    expect(atOrg).toBeInstanceOf(Groq.PermissionDeniedError);
    expect((atOrg as InstanceType<typeof Groq.APIError>).status).toBe(403);
    expect((atOrg as Error).message).toContain('The model `openai/gpt-oss-120b` is blocked at the organization level.');
    const atProject = await groq.chat.completions.create({ model: MODEL, messages }).catch((e: unknown) => e);
    expect(atProject).toBeInstanceOf(Groq.PermissionDeniedError);
    expect((atProject as Error).message).toContain('The model `openai/gpt-oss-20b` is blocked at the project level.');
  });

  it('one request above tokens per minute is a 413 at once, not a 429 to wait out', async () => {
    await org.request('POST', `${ORG}/projects/${projectId}/rate_limits/rl-${MODEL}`, { body: { max_tokens_per_1_minute: 500 } });
    const retrying = new Groq({ apiKey: groq.apiKey, baseURL: org.sandbox.url, maxRetries: 3 });
    const error = await retrying.chat.completions.create({ model: MODEL, messages, max_tokens: 1000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Groq.APIError);
    expect((error as InstanceType<typeof Groq.APIError>).status).toBe(413);
    expect((error as Error).message).toContain('Request too large for model `openai/gpt-oss-20b`');
    // 413 is not retried: one request reached the sandbox.
    expect(await chatRequests()).toBe(1);
  });

  it('429: the SDK waits the retry-after the sandbox sends, then succeeds', async () => {
    await freezeBeforeMinute();
    await org.request('POST', `${ORG}/projects/${projectId}/rate_limits/rl-${MODEL}`, { body: { max_requests_per_1_minute: 1 } });
    await groq.chat.completions.create({ model: MODEL, messages });
    const refused = await groq.chat.completions.create({ model: MODEL, messages }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Groq.RateLimitError);
    expect((refused as InstanceType<typeof Groq.APIError>).headers?.get('retry-after')).toBe('1');

    const retrying = new Groq({ apiKey: groq.apiKey, baseURL: org.sandbox.url, maxRetries: 5 });
    const pending = retrying.chat.completions.create({ model: MODEL, messages });
    // Once the SDK has been refused and is waiting out retry-after, the (frozen) minute turns.
    while ((await chatRequests()) < 3) await new Promise((r) => setTimeout(r, 20));
    await org.request('POST', '/_sandbox/clock', { body: { advance_seconds: 1 } });
    const completion = await pending;
    expect(completion.object).toBe('chat.completion');
    expect(await chatRequests()).toBeGreaterThanOrEqual(4);
  });

  it('stream: true yields chunks and ends', async () => {
    const stream = await groq.chat.completions.create({ model: MODEL, messages, stream: true });
    const parts: string[] = [];
    let last: unknown;
    for await (const chunk of stream) {
      parts.push(chunk.choices[0]?.delta.content ?? '');
      last = chunk;
    }
    expect(parts.length).toBeGreaterThanOrEqual(3);
    expect(parts.join('')).toBe('Sandbox reply from openai/gpt-oss-20b.');
    expect((last as { x_groq: { usage: { completion_tokens: number } } }).x_groq.usage.completion_tokens).toBe(10);
  });

  it('validation errors are 400s', async () => {
    const nTooMany = await groq.chat.completions.create({ model: MODEL, messages, n: 3 }).catch((e: unknown) => e);
    expect(nTooMany).toBeInstanceOf(Groq.BadRequestError);
    expect((nTooMany as Error).message).toContain("'n' : number must be at most 1");
    const hot = await groq.chat.completions.create({ model: MODEL, messages, temperature: 99 }).catch((e: unknown) => e);
    expect((hot as InstanceType<typeof Groq.APIError>).status).toBe(400);
    const noRole = await groq.chat.completions.create({ model: MODEL, messages: [{ content: 'x' } as never] }).catch((e: unknown) => e);
    expect((noRole as InstanceType<typeof Groq.APIError>).error).toEqual({
      error: { message: "'messages.0' : discriminator property 'role' is missing", type: 'invalid_request_error' },
    });
  });
});
