/** Groq's entry in the conformance suite: contract v2's sandbox, and its client's wire cases. */
import { expect } from 'vitest';
import { GroqClient } from '../../../src/providers/groq/client.js';
import { startTestOrg, type TestOrg } from '../sandbox.js';
import { cases, NOCK_BASE, ORG_ID } from './groq-wire.js';
import type { ProviderHarness } from './index.js';

const byName = new Map(cases.map((c) => [c.name, c]));
const caseNamed = (name: string) =>
  byName.get(name) ??
  (() => {
    throw new Error(`no Groq wire case "${name}"`);
  })();

export const groqHarness: ProviderHarness = {
  name: 'groq',
  async startPortSandbox() {
    const org = await startTestOrg({ orgId: ORG_ID });
    return {
      admin: org.provider,
      model: 'openai/gpt-oss-20b',
      // Built at run time: no tracked line looks like a key.
      bogusKeyValue: `gsk_${'NotIssued0'.repeat(5)}`,
      reset: async () => void expect((await org.request('POST', '/_sandbox/reset')).status).toBe(200),
      close: () => org.close(),
    };
  },
  wire: {
    caseNames: cases.map((c) => c.name),
    nockBase: NOCK_BASE,
    async startSandbox() {
      const waits: number[] = [];
      const org: TestOrg = await startTestOrg({ orgId: ORG_ID }, { sleep: async (ms) => void waits.push(ms) });
      return {
        async run(name) {
          const c = caseNamed(name);
          const values = c.sandbox ? await c.sandbox(org) : {};
          // Arranging may have waited (it should not have); only the run's waits count.
          waits.length = 0;
          const clientWith = (key: string) => new GroqClient({ baseUrl: org.sandbox.url, adminKey: key, maxAttempts: 1 });
          await c.run({ client: org.client, clientWith, waits }, values);
        },
        reset: async () => void expect((await org.request('POST', '/_sandbox/reset')).status).toBe(200),
        close: () => org.close(),
      };
    },
    async runAgainstNock(name, scopeFor) {
      const c = caseNamed(name);
      const scope = scopeFor(NOCK_BASE);
      const values = c.nock(scope);
      const waits: number[] = [];
      const make = (key: string) =>
        new GroqClient({ baseUrl: NOCK_BASE, adminKey: key, sleep: async (ms) => void waits.push(ms), random: () => 0.5 });
      await c.run({ client: make('gsk_adminFAKE000000000000000000000000000000000000000'), clientWith: make, waits }, values);
      expect(scope.isDone()).toBe(true);
    },
  },
};
