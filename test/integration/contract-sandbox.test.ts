import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GroqClient } from '../../src/providers/groq/client.js';
import { cases, ORG_ID } from '../helpers/contract-cases.js';
import { startTestOrg, type TestOrg } from '../helpers/sandbox.js';

// No nock in this file: its interceptor, once loaded, would sit between the client and the sandbox.
describe('contract v2, against the sandbox over HTTP', () => {
  let org: TestOrg;
  const waits: number[] = [];
  beforeAll(async () => {
    org = await startTestOrg({ orgId: ORG_ID }, { sleep: async (ms) => void waits.push(ms) });
  });
  afterAll(() => org.close());
  afterEach(async () => {
    expect((await org.request('POST', '/_sandbox/reset')).status).toBe(200);
  });
  for (const c of cases) {
    it(c.name, async () => {
      const values = c.sandbox ? await c.sandbox(org) : {};
      // Arranging may have waited (it should not have); only the run's waits count.
      waits.length = 0;
      const clientWith = (key: string) => new GroqClient({ baseUrl: org.sandbox.url, adminKey: key, maxAttempts: 1 });
      await c.run({ client: org.client, clientWith, waits }, values);
    });
  }
});
