import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GroqClient } from '../../src/providers/groq/client.js';
import { cases, NOCK_BASE } from '../helpers/contract-cases.js';

describe('contract v2, against responses of its shapes through nock', () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.enableNetConnect());
  for (const c of cases) {
    it(c.name, async () => {
      const scope = nock(NOCK_BASE);
      const values = c.nock(scope);
      const waits: number[] = [];
      const make = (key: string) => new GroqClient({ baseUrl: NOCK_BASE, adminKey: key, sleep: async (ms) => void waits.push(ms), random: () => 0.5 });
      await c.run({ client: make('gsk_adminFAKE000000000000000000000000000000000000000'), clientWith: make, waits }, values);
      expect(scope.isDone()).toBe(true);
    });
  }
});
