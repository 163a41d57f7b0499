import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deliverKey, DeliveryError, type DeliveryContext } from '../../src/apply/deliver/index.js';
import { containsKeyValue } from '../../src/core/redact.js';
import type { Delivery } from '../../src/policy/types.js';
import { startRefusingProxy } from '../helpers/refusing-proxy.js';

// Issue 17, items 1 and 8: the Vault token (and the key) go only to the organization's Vault, over
// https unless loopback, never through a redirect, and through the proxy like every other request.

const ORG_VAULT = 'https://vault.acme.example:8200';
const TEAM_VAULT = 'https://vault.attacker.example';
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const SECRET = '/v1/secret/data/groq/research';
const MOUNTS = '/v1/sys/internal/ui/mounts/secret/data/groq/research';
const target: Delivery = { kind: 'vault', path: 'secret/data/groq/research', field: 'api_key' };

/** Values shaped like a Groq key and a Vault token, made at run time so no such literal is committed. */
function fake(prefix: string, length: number): string {
  return `${prefix}${Array.from({ length }, () => BASE62[randomInt(BASE62.length)]).join('')}`;
}

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../fixtures/vault/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
}

let value: string;
let token: string;
let lines: string[];
let context: DeliveryContext;
/** Every request nock answered, by origin: what each server received. */
let received: { origin: string; method: string; path: string; headers: Record<string, string>; body: string }[];

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());

beforeEach(() => {
  value = fake('gsk_', 52);
  token = fake('hvs.', 24);
  lines = [];
  received = [];
  const record = (m: string) => void lines.push(m);
  context = { env: { VAULT_ADDR: ORG_VAULT, VAULT_TOKEN: token }, cwd: '/', logger: { debug: record, info: record, warn: record } };
});

afterEach(() => {
  nock.cleanAll();
  for (const line of lines) expectClean(line);
});

function expectClean(text: string): void {
  expect(text.includes(value)).toBe(false);
  expect(text.includes(token)).toBe(false);
  expect(containsKeyValue(text)).toBe(false);
}

/** A Vault at `origin` that records every request it receives and answers like a KV v2 mount. */
function recordingVault(
  origin: string,
  answer: (method: string, path: string) => [number, unknown, Record<string, string>?] = defaultAnswer,
) {
  const scope = nock(origin).persist();
  // nock 15 hands listeners and reply functions the fetch Request.
  scope.on('request', (req: Request, _interceptor: unknown, body: string) => {
    const url = new URL(req.url);
    received.push({
      origin,
      method: req.method,
      path: url.pathname + url.search,
      headers: Object.fromEntries(req.headers),
      body: body ?? '',
    });
  });
  const reply =
    (method: string) =>
    (req: Request): [number, unknown, Record<string, string>] => {
      const [status, payload, headers] = answer(method, new URL(req.url).pathname);
      return [status, payload, headers ?? {}];
    };
  return scope.get(/.*/).reply(reply('GET')).post(/.*/).reply(reply('POST'));
}

function defaultAnswer(method: string, path: string): [number, unknown] {
  if (path === MOUNTS) return [200, fixture('ui-mounts-kv2')];
  if (method === 'GET' && path === SECRET) return [404, fixture('not-found-404')];
  return [200, fixture('kv2-write')];
}

async function failure(t: Delivery = target): Promise<DeliveryError> {
  const error = await deliverKey(t, value, context).then(
    () => {
      throw new Error('expected the delivery to be refused');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  const e = error as DeliveryError;
  for (const text of [e.message, String(e), e.stack ?? '', String((e.cause as Error | undefined)?.message ?? '')]) expectClean(text);
  return e;
}

describe("Vault: the token goes only to the organization's Vault", () => {
  it('a team target naming its own address is refused; that host receives nothing', async () => {
    recordingVault(ORG_VAULT);
    recordingVault(TEAM_VAULT);
    const e = await failure({ ...target, address: TEAM_VAULT } as Delivery);
    expect(e.message).toContain(`the target names Vault at ${TEAM_VAULT}, but the organization's Vault is ${ORG_VAULT} (VAULT_ADDR)`);
    expect(e.message).toContain('remove `address:` from the target');
    expect(e.retryable).toBe(false);
    expect(received).toEqual([]);
  });

  it("a target address is refused against org.yaml's vault.address too, also in clear text to 127.0.0.1", async () => {
    context.env = { VAULT_TOKEN: token };
    context.vaultAddress = ORG_VAULT;
    recordingVault(ORG_VAULT);
    recordingVault('http://127.0.0.1:18299');
    const e = await failure({ ...target, address: 'http://127.0.0.1:18299' } as Delivery);
    expect(e.message).toContain(
      `the target names Vault at http://127.0.0.1:18299, but the organization's Vault is ${ORG_VAULT} (org.yaml's vault.address)`,
    );
    expect(received).toEqual([]);
  });

  it('a target address with no organization Vault configured is refused, not used', async () => {
    context.env = { VAULT_TOKEN: token };
    recordingVault(TEAM_VAULT);
    const e = await failure({ ...target, address: TEAM_VAULT } as Delivery);
    expect(e.message).toContain(
      'the target names its own Vault address, but the organization names none: set VAULT_ADDR, or `vault: {address: …}` in org.yaml',
    );
    expect(received).toEqual([]);
  });

  it('http:// to a host that is not this machine is refused before any request', async () => {
    context.env = { VAULT_ADDR: 'http://vault.example.com', VAULT_TOKEN: token };
    recordingVault('http://vault.example.com');
    const e = await failure();
    expect(e.message).toBe(
      'cannot deliver to vault secret/data/groq/research#api_key: VAULT_ADDR "http://vault.example.com" uses http:// to vault.example.com, which would send credentials in clear text; use https:// (http:// is allowed only for 127.0.0.1, ::1 or localhost): set VAULT_ADDR to the Vault\'s https:// address',
    );
    expect(received).toEqual([]);
  });

  it('a 307 to another origin is not followed: the other origin receives nothing, and the error says where it pointed', async () => {
    recordingVault(ORG_VAULT, (method, path) =>
      path === MOUNTS ? [200, fixture('ui-mounts-kv2')] : [307, '', { location: `${TEAM_VAULT}/v1${path.slice(3)}?steal=1` }],
    );
    recordingVault(TEAM_VAULT);
    const e = await failure();
    expect(e.message).toBe(
      `cannot deliver to vault secret/data/groq/research#api_key: Vault at ${ORG_VAULT} answered 307 redirecting to ${TEAM_VAULT}: not followed, so the token and the value went nowhere else; point VAULT_ADDR at the Vault that answers itself (the active node, or the load balancer in front of the cluster)`,
    );
    // A refusal: nothing was written, and nothing is retried.
    expect(e.retryable).toBe(false);
    expect(received.filter((r) => r.origin === TEAM_VAULT)).toEqual([]);
    // Only the mount lookup and the read reached the organization's Vault: no write was attempted.
    expect(received.map((r) => `${r.method} ${r.path}`)).toEqual([`GET ${MOUNTS}`, `GET ${SECRET}`]);
    expect(received.some((r) => r.body.includes(value))).toBe(false);
  });

  it('a 307 on the write itself: the body with the key is not re-sent anywhere', async () => {
    recordingVault(ORG_VAULT, (method, path) => {
      if (path === MOUNTS) return [200, fixture('ui-mounts-kv2')];
      if (method === 'GET') return [404, fixture('not-found-404')];
      return [307, '', { location: `${TEAM_VAULT}${path}` }];
    });
    recordingVault(TEAM_VAULT);
    const e = await failure();
    expect(e.message).toContain(`answered 307 redirecting to ${TEAM_VAULT}: not followed`);
    expect(received.filter((r) => r.origin === TEAM_VAULT)).toEqual([]);
    // The one write went to the organization's Vault, once.
    expect(received.filter((r) => r.method === 'POST').map((r) => r.origin)).toEqual([ORG_VAULT]);
  });
});

describe('Vault: through the proxy', () => {
  it('HTTPS_PROXY carries the Vault request (a proxy on 127.0.0.1 sees the CONNECT; the token stays inside the tunnel)', async () => {
    const proxy = await startRefusingProxy();
    // nock intercepts the platform fetch ahead of any dispatcher: step it aside so the request is real.
    nock.restore();
    try {
      context.env = { VAULT_ADDR: ORG_VAULT, VAULT_TOKEN: token, HTTPS_PROXY: proxy.url, NO_PROXY: '' };
      const e = await failure();
      expect(e.message).toBe(
        `cannot deliver to vault secret/data/groq/research#api_key: cannot reach Vault at ${ORG_VAULT}: the proxy ${proxy.url} refused the tunnel with 403: check HTTPS_PROXY and HTTP_PROXY, or add the Vault's host to NO_PROXY`,
      );
      expect(e.retryable).toBe(true);
      expect(proxy.seen).toEqual([`CONNECT ${new URL(ORG_VAULT).host}`]);
      for (const headers of proxy.headers) expectClean(headers);
    } finally {
      nock.activate();
      await proxy.close();
    }
  });

  it('NO_PROXY sends the Vault request direct (the proxy sees nothing)', async () => {
    const proxy = await startRefusingProxy();
    const port = await closedPort();
    nock.restore();
    try {
      context.env = { VAULT_ADDR: `http://127.0.0.1:${port}`, VAULT_TOKEN: token, HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' };
      const e = await failure();
      expect(e.message).toContain(`cannot reach Vault at http://127.0.0.1:${port} (ECONNREFUSED)`);
      expect(proxy.seen).toEqual([]);
      // And without NO_PROXY the same request goes to the proxy.
      context.env = { ...context.env, NO_PROXY: '' };
      expect((await failure()).message).toContain(`the proxy ${proxy.url} refused the tunnel with 403`);
      expect(proxy.seen).toEqual([`CONNECT 127.0.0.1:${port}`]);
    } finally {
      nock.activate();
      await proxy.close();
    }
  });
});

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("Vault: apply's delivery reads the organization's address from org.yaml", () => {
  it("deliverToTargets sends the token to org.yaml's vault.address, with VAULT_ADDR unset", async () => {
    const { deliverToTargets } = await import('../../src/app/deliver-to-targets.js');
    const { makeDesired, makeDesiredKey, makeDesiredProject } = await import('../helpers/builders.js');
    const key = makeDesiredKey('research-evals', { project: 'research-lab', team: 'research' });
    const withTarget = { ...key, rotation: { ...key.rotation, deliver: [target] } };
    const desired = makeDesired([makeDesiredProject('research-lab', { team: 'research' })], [withTarget], {
      vault: { address: ORG_VAULT },
    });
    recordingVault(ORG_VAULT);
    const deliver = deliverToTargets(desired, { env: { VAULT_TOKEN: token }, cwd: '/', logger: context.logger });
    const change = { key: 'research-evals' } as Parameters<typeof deliver>[0];
    await deliver(change, { value } as Parameters<typeof deliver>[1], 'proj_1');
    const writes = received.filter((r) => r.method === 'POST' && r.path === SECRET);
    expect(writes).toHaveLength(1);
    expect(writes[0]!.origin).toBe(ORG_VAULT);
    expect(writes[0]!.headers['x-vault-token']).toBe(token);
    expect(JSON.parse(writes[0]!.body).data.api_key).toBe(value);
  });
});
