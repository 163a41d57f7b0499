import { afterEach, describe, expect, it } from 'vitest';
import { OpenAiProvider } from '../../../src/providers/openai/provider.js';
import { startSandbox, type Sandbox } from '../../../src/sandbox/server.js';

// The OpenAI read against its sandbox over HTTP: the fewest requests (src/providers/openai/README.md,
// "Requests of a read"), at most `concurrency` project requests in flight, and a page's projects
// read while the next page is on its way.
const ORG = 'org-sandbox';
const adminKey = ['sandbox', 'admin', 'read'].join('-');

let sandbox: Sandbox | null = null;
afterEach(async () => {
  await sandbox?.close();
  sandbox = null;
});

async function post(path: string, body: unknown): Promise<{ id: string }> {
  const res = await fetch(`${sandbox!.url}/v1${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { id: string };
}

describe('the OpenAI read', () => {
  it('reads 150 projects in 2 + 2 pages + 5 per project, at most `concurrency` project requests in flight, the first page read before the second arrives', async () => {
    sandbox = await startSandbox({ provider: 'openai', host: '127.0.0.1', port: 0, adminKey, orgId: ORG });
    for (let i = 0; i < 150; i++) {
      const p = await post('/organization/projects', { name: `p${String(i).padStart(3, '0')}` });
      await post(`/organization/projects/${p.id}/service_accounts`, { name: `grbac1 p${i}-k g1 d0 n${i.toString(16).padStart(8, '0')}` });
    }
    const events: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    let projectReadStarted: () => void = () => {};
    const started = new Promise<void>((resolve) => (projectReadStarted = resolve));
    const counted = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      const perProject = /^\/v1\/organization\/projects\/[^/]+\//.test(url.pathname);
      if (perProject) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        if (!events.some((e) => e.startsWith('project'))) events.push(`project read ${url.pathname}`);
        projectReadStarted();
      }
      try {
        const res = await globalThis.fetch(input, init);
        if (url.pathname === '/v1/organization/projects' && url.searchParams.has('after')) {
          // The second page is answered only once a project of the first is being read (or after 5 s,
          // which then fails the test below instead of hanging it).
          const held = await Promise.race([
            started.then(() => 'read first'),
            new Promise<string>((resolve) => setTimeout(() => resolve('held 5 s'), 5000).unref()),
          ]);
          events.push(`second page answered (${held})`);
        }
        return res;
      } finally {
        if (perProject) inFlight--;
      }
    }) as typeof globalThis.fetch;
    const before = (
      (await (await fetch(`${sandbox.url}/_sandbox/stats`, { headers: { authorization: `Bearer ${adminKey}` } })).json()) as {
        requests_total: number;
      }
    ).requests_total;
    const admin = new OpenAiProvider({ baseUrl: `${sandbox.url}/v1`, adminKey, organization: ORG, fetch: counted });
    const live = await admin.readLiveState({ concurrency: 3 });
    await admin.close();
    const after = (
      (await (await fetch(`${sandbox.url}/_sandbox/stats`, { headers: { authorization: `Bearer ${adminKey}` } })).json()) as {
        requests_total: number;
      }
    ).requests_total;

    expect(live.projects).toHaveLength(150);
    expect(live.projects.every((p) => p.keys.length === 1 && p.keys[0]!.marks?.generation === 1)).toBe(true);
    expect(after - before).toBe(2 + 2 + 5 * 150);
    expect(maxInFlight).toBe(3);
    expect(events[0]).toMatch(/^project read /);
    expect(events[1]).toBe('second page answered (read first)');
  });
});
