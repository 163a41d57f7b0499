import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chat, createKey, startTestOrg, type TestOrg } from '../helpers/sandbox.js';

// The official `openai` SDK's admin resources, unchanged, against the sandbox's contract v2.
const MODEL = 'openai/gpt-oss-20b';

let org: TestOrg;
let client: OpenAI;
beforeEach(async () => {
  org = await startTestOrg();
  client = new OpenAI({ adminAPIKey: org.sandbox.adminKey, apiKey: null, baseURL: `${org.sandbox.url}/openai/v1`, maxRetries: 0 });
});
afterEach(() => org.close());

describe('openai SDK admin resources against the sandbox', () => {
  it('projects: create, retrieve, update, list with the async iterator across pages, archive', async () => {
    const projects = client.admin.organization.projects;
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await projects.create({ name: `p${i}` }));
    expect(made[0]).toMatchObject({ object: 'organization.project', name: 'p0', status: 'active', archived_at: null });
    expect(await projects.retrieve(made[1]!.id)).toEqual(made[1]);
    expect((await projects.update(made[2]!.id, { name: 'renamed' })).name).toBe('renamed');
    const seen: string[] = [];
    for await (const p of projects.list({ limit: 2 })) seen.push(p.id);
    expect(seen).toEqual(made.map((p) => p.id));
    const archived = await projects.archive(made[0]!.id);
    expect(archived.status).toBe('archived');
    const active: string[] = [];
    for await (const p of projects.list({ limit: 100 })) active.push(p.id);
    expect(active).toHaveLength(4);
    const all = await projects.list({ include_archived: true, limit: 100 });
    expect(all.data).toHaveLength(5);
    await expect(projects.retrieve('proj_missing')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('project API keys: list (paged), retrieve, delete', async () => {
    const project = await client.admin.organization.projects.create({ name: 'keys' });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await createKey(org, project.id, `k${i}`)).id);
    const apiKeys = client.admin.organization.projects.apiKeys;
    const listed: string[] = [];
    for await (const k of apiKeys.list(project.id, { limit: 2 })) listed.push(k.id);
    expect(listed).toEqual(ids);
    const key = await apiKeys.retrieve(ids[0]!, { project_id: project.id });
    expect(key).toMatchObject({
      object: 'organization.project.api_key',
      name: 'k0',
      redacted_value: expect.stringMatching(/^gsk_…/),
      last_used_at: null,
    });
    expect(await apiKeys.delete(ids[0]!, { project_id: project.id })).toEqual({
      object: 'organization.project.api_key.deleted',
      id: ids[0],
      deleted: true,
    });
  });

  it('project rate limits and model permissions', async () => {
    const project = await client.admin.organization.projects.create({ name: 'limits' });
    const limits = client.admin.organization.projects.rateLimits;
    const all = [];
    for await (const l of limits.listRateLimits(project.id, { limit: 5 })) all.push(l);
    expect(all.find((l) => l.model === MODEL)).toMatchObject({ object: 'project.rate_limit', id: `rl-${MODEL}` });
    const updated = await limits.updateRateLimit(`rl-${MODEL}`, {
      project_id: project.id,
      max_requests_per_1_minute: 30,
      max_tokens_per_1_minute: 6000,
    });
    expect(updated).toMatchObject({ id: `rl-${MODEL}`, model: MODEL, max_requests_per_1_minute: 30, max_tokens_per_1_minute: 6000 });
    await expect(
      limits.updateRateLimit(`rl-${MODEL}`, { project_id: project.id, max_requests_per_1_minute: 10_000_000 }),
    ).rejects.toBeInstanceOf(OpenAI.BadRequestError);

    const permissions = client.admin.organization.projects.modelPermissions;
    expect(await permissions.retrieve(project.id)).toEqual({ object: 'project.model_permissions', mode: 'deny_list', model_ids: [] });
    expect(await permissions.update(project.id, { mode: 'allow_list', model_ids: [MODEL] })).toEqual({
      object: 'project.model_permissions',
      mode: 'allow_list',
      model_ids: [MODEL],
    });
    expect(await permissions.delete(project.id)).toEqual({ object: 'project.model_permissions.deleted', deleted: true });
  });

  it('spend limit and spend alerts', async () => {
    const spendLimit = client.admin.organization.spendLimit;
    await expect(spendLimit.retrieve()).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    expect(await spendLimit.update({ threshold_amount: 50_000, currency: 'USD', interval: 'month' })).toEqual({
      object: 'organization.spend_limit',
      threshold_amount: 50_000,
      currency: 'USD',
      interval: 'month',
      enforcement: { status: 'inactive' },
    });
    expect((await spendLimit.retrieve()).threshold_amount).toBe(50_000);
    expect(await spendLimit.delete()).toEqual({ object: 'organization.spend_limit.deleted', deleted: true });

    const alerts = client.admin.organization.spendAlerts;
    const input = {
      threshold_amount: 10_000,
      currency: 'USD' as const,
      interval: 'month' as const,
      notification_channel: { type: 'email' as const, recipients: ['ops@acme.example'] },
    };
    const alert = await alerts.create(input);
    expect(alert).toMatchObject({ object: 'organization.spend_alert', ...input });
    expect((await alerts.update(alert.id, { ...input, threshold_amount: 25_000 })).threshold_amount).toBe(25_000);
    expect((await alerts.retrieve(alert.id)).threshold_amount).toBe(25_000);
    const listed = [];
    for await (const a of alerts.list()) listed.push(a.id);
    expect(listed).toEqual([alert.id]);
    expect(await alerts.delete(alert.id)).toEqual({ object: 'organization.spend_alert.deleted', id: alert.id, deleted: true });
  });

  it('usage, costs and the audit log, with the SDK’s array and nested query parameters', async () => {
    // A frozen clock: the traffic cannot straddle a day boundary and land in two buckets.
    const start = (await org.request('POST', '/_sandbox/clock', { body: { freeze: true } })).body.now - 1;
    const project = await client.admin.organization.projects.create({ name: 'traffic' });
    const key = await createKey(org, project.id);
    for (let i = 0; i < 3; i++)
      expect((await org.request('POST', '/openai/v1/chat/completions', { token: key.value, body: chat(MODEL) })).status).toBe(200);

    const usage = await client.admin.organization.usage.completions({
      start_time: start,
      bucket_width: '1d',
      group_by: ['project_id', 'model'],
      project_ids: [project.id],
    });
    const results = usage.data.flatMap((b) => b.results);
    expect(results).toEqual([
      expect.objectContaining({
        object: 'organization.usage.completions.result',
        num_model_requests: 3,
        project_id: project.id,
        model: MODEL,
      }),
    ]);
    const costs = await client.admin.organization.usage.costs({ start_time: start, group_by: ['project_id'] });
    const costResults = costs.data.flatMap((b) => b.results) as { project_id: string; amount: { value: number; currency: string } }[];
    expect(costResults).toEqual([
      expect.objectContaining({ project_id: project.id, amount: { value: expect.any(Number), currency: 'usd' } }),
    ]);
    expect(costResults[0]!.amount.value).toBeGreaterThan(0);

    const types: string[] = [];
    for await (const e of client.admin.organization.auditLogs.list({
      limit: 1,
      effective_at: { gte: start },
      event_types: ['project.created', 'api_key.created'],
    }))
      types.push(e.type);
    expect(types).toEqual(['api_key.created', 'project.created']);
  });

  it('a project key is not an admin key: 403', async () => {
    const project = await client.admin.organization.projects.create({ name: 'p' });
    const key = await createKey(org, project.id);
    const asProject = new OpenAI({ adminAPIKey: key.value, apiKey: null, baseURL: `${org.sandbox.url}/openai/v1`, maxRetries: 0 });
    await expect(asProject.admin.organization.projects.list()).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
  });
});
