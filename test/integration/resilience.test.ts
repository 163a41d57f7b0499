import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { mapLimit } from '../../src/concurrency.js';
import { GroqClient } from '../../src/groq/client.js';
import { NetworkError } from '../../src/groq/errors.js';
import { keyInput, startTestOrg, type TestOrg } from '../helpers/sandbox.js';

let org: TestOrg | undefined;
afterEach(async () => {
  await org?.close();
  org = undefined;
});

describe('the client under injected faults', () => {
  it('makes exactly the creates asked for through 429s, 500s, dropped connections and 2 s latency', async () => {
    org = await startTestOrg({}, { timeoutMs: 1000 });
    const faults = [
      { method: 'POST', path: '/openai/v1/api-keys', status: 429, retry_after: 1, times: 2 },
      { method: 'POST', path: '/openai/v1/api-keys', status: 500, times: 3 },
      { method: 'POST', path: '/openai/v1/api-keys', reset: true, times: 2 },
      // Slower than the client's 1 s timeout: the sandbox still creates the key after the client gave
      // up, so the retry must be answered from the Idempotency-Key, not with a second key.
      { method: 'POST', path: '/openai/v1/api-keys', delay_ms: 2000, times: 2 },
      { method: 'GET', path: '/openai/v1/api-keys', status: 503, times: 1 },
    ];
    expect((await org.request('POST', '/_sandbox/faults', { body: { faults } })).status).toBe(200);
    const names = Array.from({ length: 24 }, (_, i) => `resilient-${i}`);
    const created = await mapLimit(names, 8, (name) => org!.client.createKey(keyInput(name), `idem-${name}`));
    expect(new Set(created.map((k) => k.id)).size).toBe(24);
    expect((await org.client.listKeys()).map((k) => k.name).sort()).toEqual([...names].sort());
    // The delayed originals land after the client gave up on them: still no second key.
    await new Promise((r) => setTimeout(r, 2100));
    expect((await org.client.listKeys()).map((k) => k.name).sort()).toEqual([...names].sort());
    const stats = (await org.request('GET', '/_sandbox/stats')).body;
    // Every fault was met: 24 creates plus at least 9 retried attempts.
    expect(stats.by_route['POST /openai/v1/api-keys']).toBeGreaterThanOrEqual(24 + 9);
    expect((await org.request('GET', '/_sandbox/stats')).body.requests_total).toBeGreaterThan(0);
  });

  it('logs each retry at debug level with its reason', async () => {
    const lines: string[] = [];
    const logger = { debug: (m: string) => lines.push(m), info: () => {}, warn: () => {} };
    org = await startTestOrg({}, { logger, timeoutMs: 300 });
    const faults = [{ path: '/openai/v1/organization', reset: true }, { path: '/openai/v1/organization', delay_ms: 1000 }, { path: '/openai/v1/organization', status: 502 }];
    await org.request('POST', '/_sandbox/faults', { body: { faults } });
    const client = new GroqClient({ baseUrl: org.sandbox.url, adminKey: org.sandbox.adminKey, logger, baseDelayMs: 1, timeoutMs: 300 });
    await expect(client.getOrganization()).resolves.toMatchObject({ id: 'org_sandbox' });
    await client.close();
    expect(lines.filter((l) => l.startsWith('retrying')).map((l) => l.replace(/waiting [\d.]+s/, 'waiting …'))).toEqual([
      'retrying GET /openai/v1/organization after UND_ERR_SOCKET (attempt 2/5, waiting …)',
      'retrying GET /openai/v1/organization after timed out (attempt 3/5, waiting …)',
      'retrying GET /openai/v1/organization after 502 (attempt 4/5, waiting …)',
    ]);
  });

  it('a request slower than the timeout fails as a timeout when it cannot be retried', async () => {
    org = await startTestOrg({}, { timeoutMs: 200, maxAttempts: 1 });
    await org.request('POST', '/_sandbox/faults', { body: { faults: [{ path: '/openai/v1/organization', delay_ms: 1000 }] } });
    const e = await org.client.getOrganization().catch((x) => x);
    expect(e).toBeInstanceOf(NetworkError);
    expect(e.timedOut).toBe(true);
  });

  it('a connection refused is a NetworkError that names the base URL setting', async () => {
    // A port that was free a moment ago: nothing listens there.
    const server = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as net.AddressInfo;
    await new Promise((r) => server.close(r));
    const client = new GroqClient({ baseUrl: `http://127.0.0.1:${port}`, adminKey: 'x', maxAttempts: 1 });
    const e = await client.getOrganization().catch((x) => x);
    expect(e).toBeInstanceOf(NetworkError);
    expect(e.message).toBe(`GET http://127.0.0.1:${port}/openai/v1/organization failed: ECONNREFUSED. Check the base URL (--base-url / GROQ_BASE_URL), your network and any HTTPS_PROXY setting.`);
    await client.close();
  });
});
