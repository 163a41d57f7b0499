import { afterEach, describe, expect, it } from 'vitest';
import type { Project } from '../../src/providers/groq/wire.js';
import type { GroqClient } from '../../src/providers/groq/client.js';
import { readLiveState } from '../../src/providers/groq/read.js';
import type { GroqAdmin } from '../../src/providers/groq/admin.js';
import { startTestOrg, type TestOrg } from '../helpers/sandbox.js';

const PER_PROJECT = ['getProjectModelPermissions', 'listProjectRateLimits', 'listProjectKeys'] as const;
const ORG_READS = ['getOrganization', 'getOrgModelPermissions', 'listOrgRateLimits', 'getSpendLimit', 'listSpendAlerts'] as const;

/**
 * Wraps an admin to see what readLiveState does with it: calls per method, the most per-project
 * reads in flight at once (counted, not timed), and the order of events.
 */
function observe(admin: GroqClient, options: { delaySecondPageMs?: number } = {}) {
  const seen = { calls: {} as Record<string, number>, inFlight: 0, maxInFlight: 0, events: [] as string[] };
  const wrapped = new Proxy(admin, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const method = String(name);
      if (method === 'listProjectPages') {
        return (...args: unknown[]) => pages(value.apply(target, args) as AsyncIterable<Project[]>);
      }
      if (!(PER_PROJECT as readonly string[]).includes(method)) {
        return (...args: unknown[]) => {
          seen.calls[method] = (seen.calls[method] ?? 0) + 1;
          return value.apply(target, args);
        };
      }
      return async (...args: unknown[]) => {
        seen.calls[method] = (seen.calls[method] ?? 0) + 1;
        seen.inFlight++;
        seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
        seen.events.push(`start ${method} ${String(args[0])}`);
        try {
          return await (value.apply(target, args) as Promise<unknown>);
        } finally {
          seen.inFlight--;
        }
      };
    },
  });
  async function* pages(source: AsyncIterable<Project[]>): AsyncGenerator<Project[]> {
    let n = 0;
    for await (const page of source) {
      n++;
      seen.calls.listProjectPages = n;
      if (n === 2 && options.delaySecondPageMs) await new Promise((resolve) => setTimeout(resolve, options.delaySecondPageMs));
      seen.events.push(`page ${n}`);
      yield page;
    }
  }
  return { admin: wrapped as GroqAdmin, seen };
}

async function seedProjects(org: TestOrg, count: number, keysEach = 1): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `p${String(i).padStart(4, '0')}`;
    const { value: p } = await org.client.createProject({ name }, `seed-${name}`);
    for (let k = 0; k < keysEach; k++)
      await org.client.createProjectKey(
        p.id,
        { name: `${name}-k${k}`, metadata: { 'groq-rbac/key': `${name}-k${k}` } },
        `seed-${name}-k${k}`,
      );
    ids.push(p.id);
  }
  return ids;
}

async function stats(org: TestOrg): Promise<{ requests_total: number; by_route: Record<string, number> }> {
  return (await org.request('GET', '/_sandbox/stats')).body;
}

let org: TestOrg;
afterEach(async () => {
  await org?.close();
});

describe('readLiveState against the sandbox', () => {
  it('reads 30 projects in exactly the minimum requests: 5 for the org, 1 list page, 3 per project', async () => {
    org = await startTestOrg();
    const ids = await seedProjects(org, 30, 2);
    // Archived projects are final and not read.
    const { value: gone } = await org.client.createProject({ name: 'archived' }, 'seed-archived');
    await org.client.archiveProject(gone.id);
    await org.client.setSpendLimit(50_000);
    const before = await stats(org);

    const live = await readLiveState(org.client);

    const after = await stats(org);
    expect(after.requests_total - before.requests_total).toBe(5 + 1 + 3 * 30);
    const delta = (route: string) => (after.by_route[route] ?? 0) - (before.by_route[route] ?? 0);
    expect(delta('GET /openai/v1/organization/projects')).toBe(1);
    expect(delta('GET /openai/v1/organization/projects/{project_id}/model_permissions')).toBe(30);
    expect(delta('GET /openai/v1/organization/projects/{project_id}/rate_limits')).toBe(30);
    expect(delta('GET /openai/v1/organization/projects/{project_id}/api_keys')).toBe(30);
    for (const route of [
      'organization',
      'organization/model_permissions',
      'organization/rate_limits',
      'organization/spend_limit',
      'organization/spend_alerts',
    ]) {
      expect(delta(`GET /openai/v1/${route}`)).toBe(1);
    }

    expect(live.projects.map((p) => p.id)).toEqual(ids);
    // In groq-rbac's terms: limits by the policies' names, no restriction as null, money in dollars, keys with marks.
    expect(live.projects.every((p) => p.keys.length === 2 && p.limits.length === live.limits.length && p.permissions === null)).toBe(true);
    expect(live.limits[0]!.values).toEqual({
      requests_per_minute: expect.any(Number),
      tokens_per_minute: expect.any(Number),
      requests_per_day: expect.any(Number),
      tokens_per_day: expect.any(Number),
    });
    expect(live.projects[0]!.keys[0]!.marks).toMatchObject({ key: expect.any(String), generation: 1, delivered_at: null, protect: false });
    expect(live.spending).toEqual({ monthly_cap_usd: 500, enforcing: false, alerts: [] });
    expect(live.provider).toBe('groq');
    const clock = (await org.request('GET', '/_sandbox/clock')).body.now as number;
    expect(Math.abs(live.observed_at - clock)).toBeLessThanOrEqual(2);
  });

  it('keeps at most `concurrency` project reads in flight, and fills that width', async () => {
    org = await startTestOrg();
    await seedProjects(org, 30, 0);
    const byDefault = observe(org.client);
    await readLiveState(byDefault.admin);
    expect(byDefault.seen.maxInFlight).toBe(8);
    for (const method of PER_PROJECT) expect(byDefault.seen.calls[method]).toBe(30);
    for (const method of ORG_READS) expect(byDefault.seen.calls[method]).toBe(1);

    const narrow = observe(org.client);
    await readLiveState(narrow.admin, { concurrency: 3 });
    expect(narrow.seen.maxInFlight).toBe(3);

    const serial = observe(org.client);
    await readLiveState(serial.admin, { concurrency: 1 });
    expect(serial.seen.maxInFlight).toBe(1);
  });

  it('starts reading a page’s projects before the next page arrives (150 projects, 2 pages)', async () => {
    org = await startTestOrg();
    const ids = await seedProjects(org, 150, 0);
    const before = await stats(org);
    const { admin, seen } = observe(org.client, { delaySecondPageMs: 150 });
    const live = await readLiveState(admin);
    const after = await stats(org);
    expect(after.requests_total - before.requests_total).toBe(5 + 2 + 3 * 150);
    expect(seen.calls.listProjectPages).toBe(2);
    const secondPage = seen.events.indexOf('page 2');
    const firstProjectRead = seen.events.findIndex((e) => e.startsWith('start '));
    expect(firstProjectRead).toBeGreaterThanOrEqual(0);
    expect(firstProjectRead).toBeLessThan(secondPage);
    // While page 2 was on its way, page 1's reads kept going: many had started, none of page 2's.
    const startedBefore = seen.events.slice(0, secondPage).filter((e) => e.startsWith('start '));
    expect(startedBefore.length).toBeGreaterThan(8);
    expect(startedBefore.every((e) => ids.slice(0, 100).includes(e.split(' ')[2]!))).toBe(true);
    expect(live.projects.map((p) => p.id)).toEqual(ids);
  });

  it('fails with the first error and starts no more reads after it', async () => {
    org = await startTestOrg();
    const ids = await seedProjects(org, 30, 0);
    await org.request('POST', '/_sandbox/faults', {
      body: { faults: [{ method: 'GET', path: `/openai/v1/organization/projects/${ids[2]}/api_keys`, status: 400 }] },
    });
    const { admin, seen } = observe(org.client);
    const e = await readLiveState(admin, { concurrency: 2 }).then(
      () => null,
      (x) => x,
    );
    expect(e).toMatchObject({ name: 'GroqApiError', status: 400 });
    const started = PER_PROJECT.reduce((n, m) => n + (seen.calls[m] ?? 0), 0);
    expect(started).toBeLessThan(3 * 30);
  });
});

describe('readLiveState with any GroqAdmin', () => {
  it('works with an admin that only lists all projects at once', async () => {
    org = await startTestOrg();
    const ids = await seedProjects(org, 3, 1);
    const client = org.client;
    // Only the GroqAdmin interface: no page-by-page listing.
    const plain: GroqAdmin = new Proxy(client, {
      get: (target, name) => {
        if (name === 'listProjectPages') return undefined;
        const value = Reflect.get(target, name) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const live = await readLiveState(plain);
    expect(live.projects.map((p) => p.id)).toEqual(ids);
    expect(live.projects.every((p) => p.keys.length === 1)).toBe(true);
  });
});
