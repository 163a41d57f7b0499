/**
 * OpenAI's entry in the conformance suite: the OpenAI sandbox (`startSandbox({ provider: 'openai' })`)
 * behind the OpenAI provider, and its client's wire cases (the same calls and assertions against
 * the sandbox and against nock replaying OpenAI's shapes from openapi.yaml).
 */
import { expect } from 'vitest';
import { OpenAiClient } from '../../../src/providers/openai/client.js';
import { OpenAiProvider } from '../../../src/providers/openai/provider.js';
import { startSandbox } from '../../../src/sandbox/server.js';
import type { ProviderHarness } from './index.js';
import type nock from 'nock';

const ORG = 'org-sandbox';
const NOCK_BASE = 'https://api.openai.test';
// Built at run time: no tracked line looks like a key.
const adminKey = () => ['sk', 'admin', 'conformance'].join('-') + 'x'.repeat(24);

interface WireCase {
  name: string;
  run(client: OpenAiClient): Promise<void>;
  nock(scope: nock.Scope): void;
}

const list = <T>(data: T[], hasMore = false) => ({
  object: 'list',
  data,
  first_id: (data[0] as { id?: string } | undefined)?.id ?? null,
  last_id: (data.at(-1) as { id?: string } | undefined)?.id ?? null,
  has_more: hasMore,
});
const project = (id: string, name: string) => ({
  id,
  object: 'organization.project',
  name,
  created_at: 1_795_000_000,
  archived_at: null,
  status: 'active',
});

const cases: WireCase[] = [
  {
    name: 'a project create answers 200 with the project, and the project list is a cursor page with it',
    async run(client) {
      const made = await client.call<{ id: string; name: string; status: string }>({
        method: 'POST',
        path: '/organization/projects',
        body: { name: 'wire-alpha' },
        retrySafe: false,
      });
      expect(made).toMatchObject({ id: expect.stringMatching(/^proj_/), name: 'wire-alpha', status: 'active' });
      const all = await client.list<{ id: string; name: string }>('/organization/projects');
      expect(all.filter((p) => p.name === 'wire-alpha').map((p) => p.id)).toEqual([made.id]);
    },
    nock(scope) {
      scope.post('/v1/organization/projects', { name: 'wire-alpha' }).reply(200, project('proj_w1', 'wire-alpha'));
      scope
        .get('/v1/organization/projects')
        .query({ limit: 100 })
        .reply(200, list([project('proj_w1', 'wire-alpha')]));
    },
  },
  {
    name: 'a service account create answers its key value once; its key lists with owner_project_access=any and names its account',
    async run(client) {
      const p = await client.call<{ id: string }>({
        method: 'POST',
        path: '/organization/projects',
        body: { name: 'wire-beta' },
        retrySafe: false,
      });
      const sa = await client.call<{ id: string; name: string; api_key: { id: string; value: string } }>({
        method: 'POST',
        path: `/organization/projects/${p.id}/service_accounts`,
        body: { name: 'grbac1 web g1 n0e522d84' },
        retrySafe: false,
      });
      expect(sa.api_key.value.startsWith('sk-')).toBe(true);
      const keys = await client.list<{
        id: string;
        redacted_value: string;
        owner: { type: string; service_account: { id: string; name: string } };
      }>(`/organization/projects/${p.id}/api_keys`, { owner_project_access: 'any' });
      expect(keys.map((k) => [k.id, k.owner.type, k.owner.service_account.id, k.owner.service_account.name])).toEqual([
        [sa.api_key.id, 'service_account', sa.id, 'grbac1 web g1 n0e522d84'],
      ]);
      expect(JSON.stringify(keys)).not.toContain(sa.api_key.value);
    },
    nock(scope) {
      const value = ['sk', 'svcacct', 'wire'].join('-') + 'Q'.repeat(40);
      scope.post('/v1/organization/projects', { name: 'wire-beta' }).reply(200, project('proj_w2', 'wire-beta'));
      scope.post('/v1/organization/projects/proj_w2/service_accounts', { name: 'grbac1 web g1 n0e522d84' }).reply(200, {
        object: 'organization.project.service_account',
        id: 'svc_acct_w',
        name: 'grbac1 web g1 n0e522d84',
        role: 'member',
        created_at: 1_795_000_000,
        api_key: {
          object: 'organization.project.service_account.api_key',
          value,
          name: 'Secret Key',
          created_at: 1_795_000_000,
          id: 'key_w',
        },
      });
      scope
        .get('/v1/organization/projects/proj_w2/api_keys')
        .query({ owner_project_access: 'any', limit: 100 })
        .reply(
          200,
          list([
            {
              object: 'organization.project.api_key',
              id: 'key_w',
              name: 'Secret Key',
              redacted_value: 'sk-svcacct-...QQQQ',
              created_at: 1_795_000_000,
              last_used_at: null,
              owner: {
                type: 'service_account',
                service_account: { id: 'svc_acct_w', name: 'grbac1 web g1 n0e522d84', role: 'member', created_at: 1_795_000_000 },
              },
            },
          ]),
        );
    },
  },
];
const byName = new Map(cases.map((c) => [c.name, c]));
const caseNamed = (name: string) =>
  byName.get(name) ??
  (() => {
    throw new Error(`no OpenAI wire case "${name}"`);
  })();

async function start() {
  const key = adminKey();
  const sandbox = await startSandbox({ provider: 'openai', host: '127.0.0.1', port: 0, adminKey: key });
  const reset = async () => {
    const res = await fetch(`${sandbox.url}/_sandbox/reset`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
  };
  return { sandbox, key, reset };
}

export const openaiHarness: ProviderHarness = {
  name: 'openai',
  async startPortSandbox() {
    const { sandbox, key, reset } = await start();
    const admin = new OpenAiProvider({
      baseUrl: `${sandbox.url}/v1`,
      adminKey: key,
      organization: ORG,
      sleep: async () => {},
      baseDelayMs: 1,
      maxDelayMs: 2,
    });
    return {
      admin,
      model: 'gpt-4o-mini',
      bogusKeyValue: ['sk', 'svcacct', 'NotIssued0'.repeat(4)].join('-'),
      reset,
      close: async () => {
        await admin.close();
        await sandbox.close();
      },
    };
  },
  wire: {
    caseNames: cases.map((c) => c.name),
    nockBase: NOCK_BASE,
    async startSandbox() {
      const { sandbox, key, reset } = await start();
      const client = new OpenAiClient({ baseUrl: `${sandbox.url}/v1`, adminKey: key, organization: ORG, maxAttempts: 1 });
      return {
        run: (name) => caseNamed(name).run(client),
        reset,
        close: async () => {
          await client.close();
          await sandbox.close();
        },
      };
    },
    async runAgainstNock(name, scopeFor) {
      const c = caseNamed(name);
      const scope = scopeFor(NOCK_BASE);
      c.nock(scope);
      const client = new OpenAiClient({ baseUrl: `${NOCK_BASE}/v1`, adminKey: adminKey(), organization: ORG, maxAttempts: 1 });
      await c.run(client);
      await client.close();
      expect(scope.isDone()).toBe(true);
    },
  },
};
