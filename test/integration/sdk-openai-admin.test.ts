import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';

// The official `openai` SDK's admin resources (installed 6.49.0: client.admin.organization.*), unchanged,
// against the sandbox speaking OpenAI's Administration API (docs/openai-admin-api.md).
const MODEL = 'gpt-4o-mini';

let sandbox: Sandbox;
let admin: OpenAI;
beforeEach(async () => {
  // The admin key is built at run time: no tracked line looks like a real key.
  sandbox = await startSandbox({
    provider: 'openai',
    host: '127.0.0.1',
    port: 0,
    adminKey: ['sk', 'admin', 'test'].join('-') + 'x'.repeat(24),
  });
  admin = new OpenAI({ adminAPIKey: sandbox.adminKey, apiKey: null, baseURL: `${sandbox.url}/v1`, maxRetries: 0 });
});
afterEach(() => sandbox.close());

async function raw(method: string, path: string, token: string | null, init: { body?: unknown; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...init.headers,
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('openai SDK admin resources against the OpenAI sandbox', () => {
  it('projects: create answers 200, cursor pages, include_archived, archive', async () => {
    const projects = admin.admin.organization.projects;
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await projects.create({ name: `p${i}` }));
    expect(made[0]).toMatchObject({ object: 'organization.project', name: 'p0', status: 'active', archived_at: null });
    expect(made[0]!.id).toMatch(/^proj_/);
    const created = await raw('POST', '/v1/organization/projects', sandbox.adminKey, { body: { name: 'direct' } });
    expect(created.status).toBe(200);
    expect((await projects.update(made[2]!.id, { name: 'renamed' })).name).toBe('renamed');
    const seen: string[] = [];
    for await (const p of projects.list({ limit: 2 })) seen.push(p.id);
    expect(seen).toEqual([...made.map((p) => p.id), created.body.id]);
    expect((await projects.archive(made[0]!.id)).status).toBe('archived');
    expect((await projects.list({ limit: 100 })).data).toHaveLength(5);
    expect((await projects.list({ include_archived: true, limit: 100 })).data).toHaveLength(6);
  });

  it('service accounts: create returns the key value once; the key lists with its owner, authenticates, and goes with its account', async () => {
    const project = await admin.admin.organization.projects.create({ name: 'svc' });
    const accounts = admin.admin.organization.projects.serviceAccounts;
    const account = await accounts.create(project.id, { name: 'ci' });
    expect(account).toMatchObject({
      object: 'organization.project.service_account',
      name: 'ci',
      role: 'member',
      api_key: { object: 'organization.project.service_account.api_key', name: 'Secret Key' },
    });
    const value = account.api_key!.value;
    expect(value.startsWith('sk-svcacct-')).toBe(true);

    const keys = [];
    for await (const k of admin.admin.organization.projects.apiKeys.list(project.id, { owner_project_access: 'any' })) keys.push(k);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({
      object: 'organization.project.api_key',
      id: account.api_key!.id,
      owner: { type: 'service_account', service_account: { id: account.id, name: 'ci' } },
      last_used_at: null,
    });
    expect(keys[0]!.redacted_value).not.toContain(value.slice(12, -4));
    expect(JSON.stringify(keys)).not.toContain(value);

    // Inference with the service account's key through the SDK, then its use shows.
    const inference = new OpenAI({ apiKey: value, baseURL: `${sandbox.url}/v1`, maxRetries: 0 });
    const completion = await inference.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hello' }] });
    expect(completion).toMatchObject({ object: 'chat.completion', model: MODEL, choices: [{ message: { role: 'assistant' } }] });
    expect(completion).not.toHaveProperty('x_groq');
    expect((await inference.models.list()).data.map((m) => m.id)).toContain(MODEL);
    const used = await admin.admin.organization.projects.apiKeys.retrieve(account.api_key!.id, { project_id: project.id });
    expect(used.last_used_at).toEqual(expect.any(Number));

    // A service account's key cannot be deleted on its own (openapi.yaml); deleting the account removes it.
    await expect(admin.admin.organization.projects.apiKeys.delete(account.api_key!.id, { project_id: project.id })).rejects.toBeInstanceOf(
      OpenAI.BadRequestError,
    );
    expect((await accounts.update(account.id, { project_id: project.id, name: 'ci-renamed' })).name).toBe('ci-renamed');
    expect(await accounts.delete(account.id, { project_id: project.id })).toEqual({
      object: 'organization.project.service_account.deleted',
      id: account.id,
      deleted: true,
    });
    expect((await admin.admin.organization.projects.apiKeys.list(project.id)).data).toEqual([]);
    await expect(inference.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] })).rejects.toBeInstanceOf(
      OpenAI.AuthenticationError,
    );
  });

  it('rate limits: OpenAI fields per model kind, no tokens per day, update only within the organization', async () => {
    const project = await admin.admin.organization.projects.create({ name: 'limits' });
    const limits = admin.admin.organization.projects.rateLimits;
    const all = [];
    for await (const l of limits.listRateLimits(project.id, { limit: 4 })) all.push(l);
    const chatLimit = all.find((l) => l.model === MODEL)!;
    expect(chatLimit).toMatchObject({
      object: 'project.rate_limit',
      id: `rl-${MODEL}`,
      max_requests_per_1_minute: expect.any(Number),
      batch_1_day_max_input_tokens: expect.any(Number),
    });
    expect(chatLimit).not.toHaveProperty('max_tokens_per_1_day');
    expect(all.find((l) => l.model === 'gpt-image-1')).toHaveProperty('max_images_per_1_minute');
    expect(all.find((l) => l.model === 'whisper-1')).toHaveProperty('max_audio_megabytes_per_1_minute');
    const updated = await limits.updateRateLimit(`rl-${MODEL}`, {
      project_id: project.id,
      max_requests_per_1_minute: 30,
      batch_1_day_max_input_tokens: 1000,
    });
    expect(updated).toMatchObject({ max_requests_per_1_minute: 30, batch_1_day_max_input_tokens: 1000 });
    const tpd = await raw('POST', `/v1/organization/projects/${project.id}/rate_limits/rl-${MODEL}`, sandbox.adminKey, {
      body: { max_tokens_per_1_day: 10 },
    });
    expect(tpd).toMatchObject({ status: 400, body: { error: { param: 'max_tokens_per_1_day', type: 'invalid_request_error' } } });
    await expect(limits.updateRateLimit(`rl-${MODEL}`, { project_id: project.id, max_images_per_1_minute: 5 })).rejects.toBeInstanceOf(
      OpenAI.BadRequestError,
    );
    await expect(
      limits.updateRateLimit(`rl-${MODEL}`, { project_id: project.id, max_requests_per_1_minute: 10_000_000 }),
    ).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });

  it('project model permissions block inference with OpenAI’s 403', async () => {
    const project = await admin.admin.organization.projects.create({ name: 'perm' });
    const permissions = admin.admin.organization.projects.modelPermissions;
    expect(await permissions.update(project.id, { mode: 'allow_list', model_ids: ['gpt-4o'] })).toEqual({
      object: 'project.model_permissions',
      mode: 'allow_list',
      model_ids: ['gpt-4o'],
    });
    const account = await admin.admin.organization.projects.serviceAccounts.create(project.id, { name: 'app' });
    const inference = new OpenAI({ apiKey: account.api_key!.value, baseURL: `${sandbox.url}/v1`, maxRetries: 0 });
    const refused = await inference.chat.completions
      .create({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((refused as InstanceType<typeof OpenAI.PermissionDeniedError>).code).toBe('model_not_found');
    expect(await permissions.delete(project.id)).toEqual({ object: 'project.model_permissions.deleted', deleted: true });
  });

  it('spend limits and alerts, organization and project', async () => {
    const project = await admin.admin.organization.projects.create({ name: 'spend' });
    const input = { threshold_amount: 10_000, currency: 'USD' as const, interval: 'month' as const };
    expect(await admin.admin.organization.spendLimit.update(input)).toMatchObject({
      object: 'organization.spend_limit',
      ...input,
      enforcement: { status: 'inactive' },
    });
    expect(await admin.admin.organization.projects.spendLimit.update(project.id, input)).toMatchObject({
      object: 'project.spend_limit',
      ...input,
    });
    const alert = await admin.admin.organization.projects.spendAlerts.create(project.id, {
      ...input,
      notification_channel: { type: 'email', recipients: ['ops@acme.example'] },
    });
    expect(alert).toMatchObject({ object: 'project.spend_alert', threshold_amount: 10_000 });
    const listed = [];
    for await (const a of admin.admin.organization.projects.spendAlerts.list(project.id)) listed.push(a.id);
    expect(listed).toEqual([alert.id]);
    expect(await admin.admin.organization.projects.spendAlerts.delete(alert.id, { project_id: project.id })).toEqual({
      object: 'project.spend_alert.deleted',
      id: alert.id,
      deleted: true,
    });
    expect(await admin.admin.organization.projects.spendLimit.delete(project.id)).toEqual({
      object: 'project.spend_limit.deleted',
      deleted: true,
    });
  });

  it('usage, costs and the audit log with OpenAI’s event types', async () => {
    const project = await admin.admin.organization.projects.create({ name: 'usage' });
    const account = await admin.admin.organization.projects.serviceAccounts.create(project.id, { name: 'app' });
    const inference = new OpenAI({ apiKey: account.api_key!.value, baseURL: `${sandbox.url}/v1`, maxRetries: 0 });
    await inference.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hello there' }] });
    await admin.admin.organization.projects.modelPermissions.update(project.id, { mode: 'deny_list', model_ids: ['gpt-4o'] });

    const since = sandbox.state.now() - 60;
    const usage = await admin.admin.organization.usage.completions({
      start_time: since,
      bucket_width: '1m',
      limit: 5,
      group_by: ['api_key_id', 'model', 'user_id'],
    });
    expect(usage.object).toBe('page');
    const rows = usage.data.flatMap((b) => b.results);
    expect(rows).toEqual([
      expect.objectContaining({
        object: 'organization.usage.completions.result',
        api_key_id: account.api_key!.id,
        model: MODEL,
        num_model_requests: 1,
        user_id: null,
      }),
    ]);
    const costs = await admin.admin.organization.usage.costs({ start_time: since, limit: 2, group_by: ['api_key_id'] });
    expect(costs.data.flatMap((b) => b.results)).toEqual([
      expect.objectContaining({ object: 'organization.costs.result', api_key_id: account.api_key!.id }),
    ]);

    const types: string[] = [];
    for await (const e of admin.admin.organization.auditLogs.list({ limit: 2 })) types.push(e.type);
    expect(types).toEqual(['api_key.created', 'service_account.created', 'project.created']);
    const filtered = await admin.admin.organization.auditLogs.list({ event_types: ['service_account.created'] });
    expect(filtered.data.map((e) => e.type)).toEqual(['service_account.created']);
  });

  it('errors: OpenAI’s shape, the OpenAI-Organization header checked, no Idempotency-Key replay', async () => {
    const missing = await raw('GET', '/v1/organization/projects/proj_missing', sandbox.adminKey);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      error: { message: expect.any(String), type: 'invalid_request_error', param: 'project_id', code: 'project_not_found' },
    });
    const unknownKey = await raw('GET', '/v1/models', 'sk-unknown');
    expect(unknownKey).toEqual({
      status: 401,
      body: {
        error: {
          message: expect.stringContaining('Incorrect API key provided'),
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_api_key',
        },
      },
    });
    expect(JSON.stringify(unknownKey.body)).not.toContain('sk-unknown');

    const other = new OpenAI({
      adminAPIKey: sandbox.adminKey,
      apiKey: null,
      organization: 'org-another',
      baseURL: `${sandbox.url}/v1`,
      maxRetries: 0,
    });
    const refused = await other.admin.organization.projects.create({ name: 'never' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((refused as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('mismatched_organization');
    const same = new OpenAI({
      adminAPIKey: sandbox.adminKey,
      apiKey: null,
      organization: 'org-sandbox',
      baseURL: `${sandbox.url}/v1`,
      maxRetries: 0,
    });
    await same.admin.organization.projects.create({ name: 'ours' });
    expect(sandbox.state.listProjects(new URLSearchParams()).data.map((p) => p.name)).toEqual(['ours']);

    const headers = { 'idempotency-key': 'same' };
    const a = await raw('POST', '/v1/organization/projects', sandbox.adminKey, { body: { name: 'twice' }, headers });
    const b = await raw('POST', '/v1/organization/projects', sandbox.adminKey, { body: { name: 'twice' }, headers });
    expect(a.body.id).not.toBe(b.body.id);

    // The contract's paths are not served by the OpenAI sandbox.
    expect((await raw('GET', '/openai/v1/organization/projects', sandbox.adminKey)).status).toBe(404);
  });
});
