import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KeyMarks } from '../../../src/core/domain.js';
import { InternalError, RefusalError, UserError } from '../../../src/core/errors.js';
import type { Logger } from '../../../src/core/log.js';
import { decodeName, nonceFor, triggerMark } from '../../../src/providers/openai/bookkeeping.js';
import { PROVIDER_CAPABILITIES } from '../../../src/core/capabilities.js';
import { ProviderError } from '../../../src/providers/openai/errors.js';
import { OpenAiProvider, type OpenAiProviderOptions } from '../../../src/providers/openai/provider.js';
import { startSandbox, type Sandbox } from '../../../src/sandbox/server.js';

// The real OpenAI sandbox on 127.0.0.1, port 0, over HTTP; the official `openai` SDK seeds and checks it.
// No nock in this file (its interceptor would sit between the provider and the sandbox).
const ORG = 'org-sandbox';
const MODEL = 'gpt-4o-mini';
// Built at run time: no tracked line looks like a real key.
const adminKey = ['sk', 'admin', 'test'].join('-') + 'x'.repeat(24);

let sandbox: Sandbox;
let sdk: OpenAI;
let logs: string[];
let waits: number[];
/** Every error any test saw, and every key value made: scanned at the end of each test. */
let seen: unknown[];
let values: string[];

const logger: Logger = { debug: (m) => logs.push(m), info: (m) => logs.push(m), warn: (m) => logs.push(m) };
const providerWith = (o: Partial<OpenAiProviderOptions> = {}) =>
  new OpenAiProvider({
    baseUrl: `${sandbox.url}/v1`,
    adminKey,
    organization: ORG,
    logger,
    sleep: async (ms) => void waits.push(ms),
    random: () => 0,
    baseDelayMs: 5,
    maxDelayMs: 20,
    ...o,
  });

async function control(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${sandbox.url}/_sandbox/${path}`, {
    method,
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return res.json();
}
const stats = () => control('GET', 'stats') as Promise<{ requests_total: number; by_route: Record<string, number> }>;
const fault = (f: Record<string, unknown>) => control('POST', 'faults', { faults: [f] });
async function accounts(projectId: string) {
  const all = [];
  for await (const a of sdk.admin.organization.projects.serviceAccounts.list(projectId)) all.push(a);
  return all;
}
async function rejection(p: Promise<unknown>): Promise<unknown> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).not.toBeNull();
  seen.push(e);
  return e;
}
const marks = (key: string, o: Partial<KeyMarks> = {}): KeyMarks => ({
  key,
  generation: 1,
  trigger: null,
  delivered_at: null,
  targets: null,
  protect: false,
  ...o,
});

beforeEach(async () => {
  sandbox = await startSandbox({ provider: 'openai', host: '127.0.0.1', port: 0, adminKey });
  sdk = new OpenAI({ adminAPIKey: adminKey, apiKey: null, organization: ORG, baseURL: `${sandbox.url}/v1`, maxRetries: 0 });
  logs = [];
  waits = [];
  seen = [];
  values = [];
});
afterEach(async () => {
  // No key value, no admin key and nothing that looks like one in any error or log line.
  const text = [...logs, ...seen.map((e) => `${String(e)} ${JSON.stringify(e)} ${(e as Error)?.stack ?? ''}`)].join('\n');
  for (const v of [adminKey, ...values]) expect(text).not.toContain(v);
  expect(text).not.toMatch(/sk-[A-Za-z0-9_-]{16,}/);
  await sandbox.close();
});

describe('OpenAI provider against the OpenAI sandbox', () => {
  it('reads a seeded organization in 5 requests per project plus 3, with marks decoded', async () => {
    const p = providerWith();
    const projects = sdk.admin.organization.projects;
    const alpha = await projects.create({ name: 'alpha' });
    const beta = await projects.create({ name: 'beta' });
    const old = await projects.create({ name: 'old' });
    await projects.archive(old.id);
    const ci = await projects.serviceAccounts.create(alpha.id, { name: 'ci' });
    values.push(ci.api_key!.value);
    await projects.modelPermissions.update(alpha.id, { mode: 'allow_list', model_ids: ['gpt-4o', 'gpt-4.1'] });
    await projects.rateLimits.updateRateLimit(`rl-${MODEL}`, {
      project_id: beta.id,
      max_requests_per_1_minute: 30,
      batch_1_day_max_input_tokens: 5000,
    });
    await projects.spendLimit.update(beta.id, { threshold_amount: 10_000, currency: 'USD', interval: 'month' });
    await projects.spendAlerts.create(beta.id, {
      threshold_amount: 5_000,
      currency: 'USD',
      interval: 'month',
      notification_channel: { type: 'email', recipients: ['ops@acme.example'] },
    });
    await sdk.admin.organization.spendLimit.update({ threshold_amount: 50_000, currency: 'USD', interval: 'month' });

    const gamma = await p.createProject('gamma', 'project:gamma');
    // 64 characters, the most a key name may have: with its marks the plain name would pass 128.
    const long = 'payments-reconciliation-service-eu-west-production-key-'.padEnd(64, 'x');
    const made = await p.createKey(
      gamma.id,
      { name: 'app', marks: marks('app', { delivered_at: 0, targets: 'ab'.repeat(8), trigger: 't1' }) },
      'id-app',
    );
    const hashed = await p.createKey(
      alpha.id,
      {
        name: long,
        marks: marks(long, {
          generation: 7,
          protect: true,
          targets: 'cd'.repeat(8),
          trigger: 'rotated 2026-01',
          delivered_at: 1_717_000_000,
        }),
      },
      'id-long',
    );
    values.push(made.value, hashed.value);
    expect(made.value.startsWith('sk-')).toBe(true);
    expect(made.replayed).toBe(false);

    const reader = providerWith({ keyNames: ['app', long] });
    const before = await stats();
    const state = await reader.readLiveState();
    const after = await stats();
    // 2 organization reads (spend limit, spend alerts) + 1 page of projects + 5 per active project.
    expect(after.requests_total - before.requests_total).toBe(2 + 1 + 5 * 3);
    expect(
      Object.keys(after.by_route).some(
        (r) => r.startsWith('GET') && r.endsWith('/service_accounts') && (after.by_route[r] ?? 0) > (before.by_route[r] ?? 0),
      ),
    ).toBe(false);

    expect(state).toMatchObject({
      provider: 'openai',
      org: { id: ORG },
      permissions: null,
      limits: [],
      spending: { monthly_cap_usd: 500, alerts: [] },
    });
    expect(state.observed_at).toBe(sandbox.state.now());
    expect(state.projects.map((x) => x.name)).toEqual(['alpha', 'beta', 'gamma']);
    const [a, b, g] = state.projects;
    expect(a!.permissions).toEqual({ mode: 'allow_list', models: ['gpt-4.1', 'gpt-4o'] });
    expect(b!.permissions).toBeNull();
    const limit = b!.limits.find((l) => l.model === MODEL)!;
    expect(limit).toMatchObject({ id: `rl-${MODEL}`, values: { requests_per_minute: 30, batch_input_tokens_per_day: 5000 } });
    for (const l of state.projects.flatMap((x) => x.limits))
      for (const f of Object.keys(l.values)) expect(PROVIDER_CAPABILITIES.openai.limitFields).toContain(f);
    expect(b!.limits.find((l) => l.model === 'gpt-image-1')!.values).toHaveProperty('images_per_minute');
    expect(b!.limits.find((l) => l.model === 'whisper-1')!.values).toHaveProperty('audio_megabytes_per_minute');
    expect(b!.spending).toEqual({
      monthly_cap_usd: 100,
      alerts: [{ id: expect.any(String), threshold_usd: 50, recipients: ['ops@acme.example'] }],
    });

    const unmanaged = a!.keys.find((k) => k.handle === ci.id)!;
    expect(unmanaged).toMatchObject({ id: ci.api_key!.id, name: 'ci', marks: null });
    expect(a!.keys.find((k) => k.handle === hashed.key.handle)).toMatchObject({
      id: hashed.key.id,
      name: long,
      marks: { key: long, generation: 7, protect: true },
    });
    expect((await sdk.admin.organization.projects.serviceAccounts.retrieve(hashed.key.handle!, { project_id: alpha.id })).name).toMatch(
      /^grbac1 payments-reconci~[0-9a-f]{10} g7 d[0-9a-z]{6,8} t[0-9a-f]{16} x(cd){8} p n[0-9a-f]{8}$/,
    );
    expect(g!.keys).toEqual([{ ...made.key, last_used_at: null, redacted_value: expect.stringMatching(/^sk-.*\.\.\./) }]);
    expect(g!.keys[0]!.marks).toEqual(
      marks('app', { delivered_at: g!.keys[0]!.created_at, targets: 'ab'.repeat(8), trigger: triggerMark('t1') }),
    );

    // Without project spending: 3 per project.
    const s0 = (await stats()).requests_total;
    const lean = await providerWith({ projectSpending: false }).readLiveState();
    expect((await stats()).requests_total - s0).toBe(2 + 1 + 3 * 3);
    expect(lean.projects[1]).not.toHaveProperty('spending');
    // Without the key names the hashed key is still managed, under its hashed form.
    expect(lean.projects[0]!.keys.find((k) => k.id === hashed.key.id)!.marks!.key).toMatch(/^payments-reconci~[0-9a-f]{10}$/);
  });

  it('writes: projects, permissions, limits, keys and marks, spending, usage, costs, audit', async () => {
    const p = providerWith();
    const { id } = await p.createProject('writes', 'project:writes');
    const spare = await p.createProject('spare', 'project:spare');
    await p.archiveProject(spare.id);
    expect((await sdk.admin.organization.projects.retrieve(spare.id)).status).toBe('archived');

    await p.setProjectPermissions(id, { mode: 'deny_list', models: ['gpt-4o'] });
    expect(await sdk.admin.organization.projects.modelPermissions.retrieve(id)).toMatchObject({ mode: 'deny_list', model_ids: ['gpt-4o'] });
    await p.setProjectPermissions(id, null);
    await p.setOrgPermissions(null);
    await expect(p.setOrgPermissions({ mode: 'allow_list', models: ['gpt-4o'] })).rejects.toBeInstanceOf(InternalError);

    await p.setProjectLimits(
      id,
      { id: `rl-${MODEL}`, model: MODEL },
      { requests_per_minute: 12, tokens_per_minute: 3400, batch_input_tokens_per_day: 900 },
    );
    const limits = [];
    for await (const l of sdk.admin.organization.projects.rateLimits.listRateLimits(id)) limits.push(l);
    expect(limits.find((l) => l.model === MODEL)).toMatchObject({
      max_requests_per_1_minute: 12,
      max_tokens_per_1_minute: 3400,
      batch_1_day_max_input_tokens: 900,
    });
    const s0 = (await stats()).requests_total;
    await expect(rejection(p.setProjectLimits(id, { id: `rl-${MODEL}`, model: MODEL }, { tokens_per_day: 5 }))).resolves.toBeInstanceOf(
      UserError,
    );
    expect((await stats()).requests_total).toBe(s0);

    const created = await p.createKey(id, { name: 'svc', marks: marks('svc', { targets: '0f'.repeat(8) }) }, 'id-svc');
    values.push(created.value);
    await p.verifyKey(created.value);
    const account = await sdk.admin.organization.projects.serviceAccounts.retrieve(created.key.handle!, { project_id: id });
    expect(account.name).toBe(`grbac1 svc g1 x${'0f'.repeat(8)} n${nonceFor('id-svc')}`);

    const delivered = await p.updateMarks(id, created.key, { delivered_at: 1_750_000_000 });
    expect(delivered.marks).toEqual(marks('svc', { targets: '0f'.repeat(8), delivered_at: 1_750_000_000 }));
    // A fresh provider (no names remembered) reads the account first and keeps its nonce.
    const fresh = providerWith();
    const [listed] = await fresh.listKeys(id);
    const renamed = await providerWith().updateMarks(id, listed!, { protect: true });
    expect(renamed.marks!.protect).toBe(true);
    const raw = (await sdk.admin.organization.projects.serviceAccounts.retrieve(created.key.handle!, { project_id: id })).name;
    expect(decodeName(raw)).toEqual({ marks: renamed.marks, nonce: nonceFor('id-svc'), hashed: false });
    expect(await p.getKey(id, created.key.id)).toMatchObject({ id: created.key.id, marks: renamed.marks });

    // Usage and costs per key, after one completion with the new key.
    const since = sandbox.state.now() - 60;
    const inference = new OpenAI({ apiKey: created.value, baseURL: `${sandbox.url}/v1`, maxRetries: 0 });
    await inference.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hello' }] });
    const rows = await p.usage({
      start_time: since,
      end_time: sandbox.state.now() + 60,
      bucket_width: '1m',
      group_by: ['key_id', 'model'],
      key_ids: [created.key.id],
    });
    expect(rows).toEqual([
      expect.objectContaining({ key_id: created.key.id, model: MODEL, requests: 1, input_tokens: expect.any(Number) }),
    ]);
    const cost = await p.costs({ start_time: since, end_time: sandbox.state.now() + 86_400, group_by: ['key_id'] });
    expect(cost).toEqual([expect.objectContaining({ key_id: created.key.id, amount_usd: expect.any(Number) })]);

    await p.deleteKey(id, renamed);
    expect(await accounts(id)).toEqual([]);
    expect(await p.getKey(id, created.key.id)).toBeNull();
    // A second delete says so (apply confirms a 404 with a read, core/provider.ts).
    await expect(rejection(p.deleteKey(id, renamed))).resolves.toMatchObject({ kind: 'not_found', status: 404 });
    await expect(rejection(p.verifyKey(created.value))).resolves.toMatchObject({ kind: 'refused', status: 401 });

    await p.setSpendLimit({}, 250);
    expect(await sdk.admin.organization.spendLimit.retrieve()).toMatchObject({ threshold_amount: 25_000 });
    await p.setSpendLimit({ project_id: id }, 12.5);
    expect(await sdk.admin.organization.projects.spendLimit.retrieve(id)).toMatchObject({ threshold_amount: 1250 });
    const alert = await p.createSpendAlert({ project_id: id }, { threshold_usd: 10, recipients: ['a@acme.example'] }, 'alert-10');
    await p.updateSpendAlert({ project_id: id }, alert.id, { threshold_usd: 11, recipients: ['b@acme.example'] });
    const state = await p.readLiveState();
    expect(state.projects.find((x) => x.id === id)!.spending).toEqual({
      monthly_cap_usd: 12.5,
      alerts: [{ id: alert.id, threshold_usd: 11, recipients: ['b@acme.example'] }],
    });
    expect(state.spending.monthly_cap_usd).toBe(250);
    await p.deleteSpendAlert({ project_id: id }, alert.id);
    await p.setSpendLimit({ project_id: id }, null);
    await p.setSpendLimit({}, null);
    await p.setSpendLimit({}, null);
    const after = await p.readLiveState();
    expect(after.spending).toEqual({ monthly_cap_usd: null, alerts: [] });
    expect(after.projects.map((x) => x.id)).toEqual([id]);
    expect(after.projects[0]!.spending).toEqual({ monthly_cap_usd: null, alerts: [] });

    const events = await p.auditEvents({ since });
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'service_account.created',
          resource: expect.objectContaining({ kind: 'key', id: created.key.handle }),
        }),
        expect.objectContaining({
          type: 'service_account.deleted',
          resource: expect.objectContaining({ kind: 'key', id: created.key.handle }),
        }),
        expect.objectContaining({ type: 'rate_limit.updated', resource: expect.objectContaining({ kind: 'limit' }) }),
        expect.objectContaining({ type: 'project.archived', resource: { kind: 'project', id: spare.id, project_id: spare.id } }),
      ]),
    );
    expect(p.observedNow()).toBe(sandbox.state.now());
  });

  for (const lost of [{ reset: true }, { status: 502 }]) {
    it(`a lost create answer (${lost.reset ? 'connection dropped' : '502'} after the commit) converges to exactly one service account`, async () => {
      const p = providerWith();
      const { id } = await p.createProject('lost', 'project:lost');
      await fault({ method: 'POST', path: '/v1/organization/projects/*/service_accounts', after_commit: true, times: 1, ...lost });
      const made = await p.createKey(id, { name: 'app', marks: marks('app') }, 'id-lost');
      values.push(made.value);
      const all = await accounts(id);
      expect(all.map((a) => a.id)).toEqual([made.key.handle]);
      expect(decodeName(all[0]!.name)!.nonce).toBe(nonceFor('id-lost'));
      await p.verifyKey(made.value);
      expect((await p.listKeys(id)).map((k) => k.id)).toEqual([made.key.id]);
      // Two creates sent, the first one's account found by its nonce and deleted.
      const { by_route } = await stats();
      expect(by_route['POST /v1/organization/projects/{project_id}/service_accounts']).toBe(2);
      expect(by_route['DELETE /v1/organization/projects/{project_id}/service_accounts/{service_account_id}']).toBe(1);
    });
  }

  it("audit events of a service account a read saw are its key's (drift names keys by key id)", async () => {
    const p = providerWith();
    const { id } = await p.createProject('audited', 'project:audited');
    const created = await p.createKey(id, { name: 'svc', marks: marks('svc') }, 'id-audited');
    values.push(created.value);
    const since = sandbox.state.now() - 60;
    // Renamed outside groq-rbac (its protect mark added by hand), then read by a fresh run.
    await sdk.admin.organization.projects.serviceAccounts.update(created.key.handle!, {
      project_id: id,
      name: `grbac1 svc g1 p n${nonceFor('id-audited')}`,
    });
    const fresh = providerWith();
    await fresh.readLiveState();
    const events = await fresh.auditEvents({ since });
    expect(events.filter((e) => e.type === 'service_account.updated')).toEqual([
      expect.objectContaining({ resource: expect.objectContaining({ kind: 'key', id: created.key.id }) }),
    ]);
    // One the run never saw keeps its service account's id.
    expect((await providerWith().auditEvents({ since })).find((e) => e.type === 'service_account.updated')!.resource.id).toBe(
      created.key.handle,
    );
  });

  it('a lost project create answer adopts the project it made', async () => {
    const p = providerWith();
    await fault({ method: 'POST', path: '/v1/organization/projects', after_commit: true, reset: true, times: 1 });
    const made = await p.createProject('once', 'project:once');
    const all = (await sdk.admin.organization.projects.list({ limit: 100 })).data;
    expect(all.map((x) => [x.id, x.name])).toEqual([[made.id, 'once']]);
  });

  it('a project create with no answer at all is looked for and never sent again; one answered 503 is looked for, then sent again', async () => {
    const p = providerWith();
    const CREATE = 'POST /v1/organization/projects';
    await fault({ method: 'POST', path: '/v1/organization/projects', reset: true, times: 1 });
    const e = await rejection(p.createProject('dropped', 'project:dropped'));
    expect(e).toMatchObject({ name: 'ProviderError', kind: 'unavailable', status: null });
    expect((e as Error).message).toContain('it was not sent again: the next run adopts it if it appears, or creates it');
    expect((await stats()).by_route[CREATE]).toBe(1);
    expect(sandbox.state.listProjects(new URLSearchParams()).data).toEqual([]);

    await fault({ method: 'POST', path: '/v1/organization/projects', status: 503, times: 1 });
    const made = await p.createProject('answered', 'project:answered');
    expect((await stats()).by_route[CREATE]).toBe(3);
    expect(sandbox.state.listProjects(new URLSearchParams()).data.map((x: { id: string }) => x.id)).toEqual([made.id]);
  });

  it("a 404 on a delete is passed on (spend alert, spend limit) or checked (project permissions, a recovery's account delete): a spurious one is no proof", async () => {
    const p = providerWith();
    const { id } = await p.createProject('spend', 'project:spend');
    const alert = await p.createSpendAlert({}, { threshold_usd: 10, recipients: ['ops@acme.example'] }, 'alert:10');
    await fault({ method: 'DELETE', path: '/v1/organization/spend_alerts/*', status: 404, code: 'not_found', times: 1 });
    expect(await rejection(p.deleteSpendAlert({}, alert.id))).toMatchObject({ kind: 'not_found' });
    expect((await p.readSpending({})).alerts.map((a) => a.id)).toEqual([alert.id]);
    await p.setSpendLimit({}, 50);
    await fault({ method: 'DELETE', path: '/v1/organization/spend_limit', status: 404, code: 'not_found', times: 1 });
    expect(await rejection(p.setSpendLimit({}, null))).toMatchObject({ kind: 'not_found' });
    expect((await p.readSpending({})).monthly_cap_usd).toBe(50);

    await p.setProjectPermissions(id, { mode: 'allow_list', models: ['gpt-4o'] });
    await fault({ method: 'DELETE', path: '/v1/organization/projects/*/model_permissions', status: 404, code: 'not_found', times: 1 });
    expect(await rejection(p.setProjectPermissions(id, null))).toMatchObject({ kind: 'not_found' });
    await p.setProjectPermissions(id, null);
    // With no rule left, a 404 is what a delete of none answers: done.
    await p.setProjectPermissions(id, null);

    // A lost create answer: the recovery's delete of the account it made meets a spurious 404, and says so.
    await fault({ method: 'POST', path: '/v1/organization/projects/*/service_accounts', reset: true, after_commit: true, times: 1 });
    await fault({ method: 'DELETE', path: '/v1/organization/projects/*/service_accounts/*', status: 404, code: 'not_found', times: 1 });
    expect(await rejection(p.createKey(id, { name: 'app', marks: marks('app') }, 'id-app'))).toMatchObject({ kind: 'not_found' });
    // Nothing was made twice: the account the lost answer made is the one left, for the next run to find.
    expect(await accounts(id)).toHaveLength(1);
  });

  it('429: waits retry-after when sent, backs off when not, on reads and on creates', async () => {
    const p = providerWith();
    await fault({ method: 'GET', path: '/v1/organization/projects', status: 429, retry_after: 2, times: 1 });
    await p.readLiveState();
    expect(waits).toEqual([2000]);
    waits.length = 0;
    await fault({ method: 'GET', path: '/v1/organization/projects', status: 429, times: 1 });
    await p.readLiveState();
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(0);
    expect(waits[0]).toBeLessThanOrEqual(20);

    const { id } = await p.createProject('limited', 'project:limited');
    waits.length = 0;
    const route = (r: Record<string, number>, key: string) => r[key] ?? 0;
    const CREATE = 'POST /v1/organization/projects/{project_id}/service_accounts';
    const LIST = 'GET /v1/organization/projects/{project_id}/service_accounts';
    let before = (await stats()).by_route;
    await fault({ method: 'POST', path: '/v1/organization/projects/*/service_accounts', status: 429, retry_after: 3, times: 1 });
    await fault({ method: 'POST', path: '/v1/organization/projects/*/service_accounts', status: 429, times: 1 });
    const made = await p.createKey(id, { name: 'app', marks: marks('app') }, 'id-429');
    values.push(made.value);
    expect(waits).toEqual([3000, 10]);
    // A 429 made nothing: the create is only sent again, with no list of the project's accounts.
    let after = (await stats()).by_route;
    expect([route(after, CREATE) - route(before, CREATE), route(after, LIST) - route(before, LIST)]).toEqual([3, 0]);
    expect((await accounts(id)).map((a) => a.id)).toEqual([made.key.handle]);

    // Pushback is waited out four times as long as a failure (20 attempts, as the transport's);
    // pushback that never ends is an error, rate_limited, with nothing made.
    before = (await stats()).by_route;
    await fault({ method: 'POST', path: '/v1/organization/projects/*/service_accounts', status: 429, retry_after: 1, times: 20 });
    const e = await rejection(p.createKey(id, { name: 'b', marks: marks('b') }, 'id-b'));
    expect(e).toMatchObject({ name: 'ProviderError', kind: 'rate_limited', status: 429, retryable: true, retryAfterMs: 1000 });
    after = (await stats()).by_route;
    expect([route(after, CREATE) - route(before, CREATE), route(after, LIST) - route(before, LIST)]).toEqual([20, 0]);
    expect(await accounts(id)).toHaveLength(1);
  });

  it('a key of another organization is refused, and nothing changes', async () => {
    const other = providerWith({ organization: 'org-another' });
    const read = await rejection(other.readLiveState());
    expect(read).toBeInstanceOf(RefusalError);
    expect((read as Error).message).toContain('belongs to another OpenAI organization than org-another');
    await rejection(other.createProject('never', 'project:never'));
    expect(sandbox.state.listProjects(new URLSearchParams()).data).toEqual([]);
    expect(() => providerWith({ organization: 'org with spaces' })).toThrow(UserError);
  });

  it('errors are neutral and carry no key: wrong admin key, unknown key, missing project', async () => {
    const wrongKey = ['sk', 'admin', 'wrong'].join('-') + 'y'.repeat(24);
    const e1 = await rejection(providerWith({ adminKey: wrongKey }).readLiveState());
    expect(e1).toBeInstanceOf(ProviderError);
    expect(e1).toMatchObject({ kind: 'refused', status: 401 });
    expect(String(e1)).not.toContain(wrongKey);
    const bogus = ['sk', 'svcacct'].join('-') + '-' + 'z'.repeat(40);
    const e2 = await rejection(providerWith().verifyKey(bogus));
    expect(e2).toMatchObject({ kind: 'refused', status: 401 });
    expect(String(e2)).not.toContain(bogus);
    const e3 = await rejection(providerWith().setProjectPermissions('proj_missing', { mode: 'allow_list', models: [MODEL] }));
    expect(e3).toMatchObject({ kind: 'not_found', status: 404, code: 'project_not_found', retryable: false });
    const e4 = await rejection(providerWith({ baseUrl: `http://127.0.0.1:1/v1`, maxAttempts: 1 }).readLiveState());
    expect(e4).toMatchObject({ kind: 'unavailable', status: null, retryable: true });
    expect(() => providerWith({ baseUrl: 'http://api.example.com/v1' })).toThrow(UserError);
    for (const l of logs) expect(l).toMatch(/^(GET|POST|DELETE) \/\S* → \d{3}$|^retrying /);
  });
});
