import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deliverKey, DeliveryError, describeTarget, type DeliveryContext } from '../../src/apply/deliver/index.js';
import { containsKeyValue } from '../../src/core/redact.js';
import type { Delivery } from '../../src/policy/types.js';

const VAULT = 'https://vault.acme.example:8200';
const TOKEN = 'hvs.test-token-000000000000000000000000';
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A value shaped like a Groq key, made at run time so no key-like literal is committed. */
function fakeKeyValue(): string {
  return `gsk_${Array.from({ length: 52 }, () => BASE62[randomInt(BASE62.length)]).join('')}`;
}

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../fixtures/vault/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
}

const target: Delivery = { kind: 'vault', path: 'secret/data/groq/chatbot-prod', field: 'api_key' };
const SECRET = '/v1/secret/data/groq/chatbot-prod';
const MOUNTS = '/v1/sys/internal/ui/mounts/secret/data/groq/chatbot-prod';

let value: string;
let lines: string[];
let context: DeliveryContext;

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());

beforeEach(() => {
  value = fakeKeyValue();
  lines = [];
  const record = (m: string) => void lines.push(m);
  context = { env: { VAULT_ADDR: VAULT, VAULT_TOKEN: TOKEN }, cwd: '/', logger: { debug: record, info: record, warn: record } };
});

afterEach(() => {
  nock.cleanAll();
  for (const line of lines) {
    expect(line.includes(value)).toBe(false);
    expect(containsKeyValue(line)).toBe(false);
  }
});

/** Every Vault request carries the token and the CLI's request header; no namespace unless set. */
function vault(headers: Record<string, string> = {}) {
  return nock(VAULT, {
    reqheaders: { 'x-vault-token': TOKEN, 'x-vault-request': 'true', ...headers },
    badheaders: headers['x-vault-namespace'] ? [] : ['x-vault-namespace'],
  });
}

/** A write body matcher: exactly this data, with check-and-set at this version. */
function write(cas: number, data: () => Record<string, unknown>) {
  return (body: { options?: { cas?: number }; data?: Record<string, unknown> }) => {
    expect(body).toEqual({ options: { cas }, data: data() });
    return true;
  };
}

async function failure(t: Delivery = target): Promise<DeliveryError> {
  const error = await deliverKey(t, value, context).then(
    () => {
      throw new Error('expected the delivery to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  const e = error as DeliveryError;
  for (const text of [e.message, String(e), e.stack ?? '', String((e.cause as Error | undefined)?.message ?? '')]) {
    expect(text.includes(value)).toBe(false);
    expect(containsKeyValue(text)).toBe(false);
    expect(text.includes(TOKEN)).toBe(false);
  }
  return e;
}

describe('vault delivery (KV v2), against recorded Vault API shapes', () => {
  it('reads the secret, merges the field, writes with check-and-set: other fields survive', async () => {
    const scope = vault()
      .get(MOUNTS)
      .reply(200, fixture('ui-mounts-kv2'))
      .get(SECRET)
      .reply(200, fixture('kv2-read'))
      .post(
        SECRET,
        write(2, () => ({ api_key: value, base_url: 'https://api.groq.com/openai/v1', retries: 3 })),
      )
      .reply(200, fixture('kv2-write'));
    const result = await deliverKey(target, value, context);
    expect(scope.isDone()).toBe(true);
    expect(result).toEqual({ target: 'vault secret/data/groq/chatbot-prod#api_key', outcome: 'updated', version: 3 });
  });

  it('takes a path without data/ as the same secret', async () => {
    const scope = vault()
      .get('/v1/sys/internal/ui/mounts/secret/groq/chatbot-prod')
      .reply(200, fixture('ui-mounts-kv2'))
      .get(SECRET)
      .reply(200, fixture('kv2-read'))
      .post(
        SECRET,
        write(2, () => ({ api_key: value, base_url: 'https://api.groq.com/openai/v1', retries: 3 })),
      )
      .reply(200, fixture('kv2-write'));
    await deliverKey({ kind: 'vault', path: 'secret/groq/chatbot-prod', field: 'api_key' }, value, context);
    expect(scope.isDone()).toBe(true);
  });

  it('creates a new secret with cas 0', async () => {
    const scope = vault()
      .get(MOUNTS)
      .reply(200, fixture('ui-mounts-kv2'))
      .get(SECRET)
      .reply(404, fixture('not-found-404'))
      .post(
        SECRET,
        write(0, () => ({ api_key: value })),
      )
      .reply(200, { ...fixture('kv2-write'), data: { ...(fixture('kv2-write').data as object), version: 1 } });
    const result = await deliverKey(target, value, context);
    expect(scope.isDone()).toBe(true);
    expect(result).toEqual({ target: 'vault secret/data/groq/chatbot-prod#api_key', outcome: 'created', version: 1 });
  });

  it('writes on top of a deleted latest version with that version as cas', async () => {
    const scope = vault()
      .get(MOUNTS)
      .reply(200, fixture('ui-mounts-kv2'))
      .get(SECRET)
      .reply(404, fixture('kv2-read-deleted-404'))
      .post(
        SECRET,
        write(5, () => ({ api_key: value })),
      )
      .reply(200, fixture('kv2-write'));
    await deliverKey(target, value, context);
    expect(scope.isDone()).toBe(true);
  });

  it("sends X-Vault-Namespace when VAULT_NAMESPACE is set; a target address on the organization's origin is accepted", async () => {
    context.env = { ...context.env, VAULT_NAMESPACE: 'acme/platform' };
    const scope = nock(VAULT, { reqheaders: { 'x-vault-token': TOKEN, 'x-vault-namespace': 'acme/platform' } })
      .get(MOUNTS)
      .reply(200, fixture('ui-mounts-kv2'))
      .get(SECRET)
      .reply(200, fixture('kv2-read'))
      .post(
        SECRET,
        write(2, () => ({ api_key: value, base_url: 'https://api.groq.com/openai/v1', retries: 3 })),
      )
      .reply(200, fixture('kv2-write'));
    const withAddress: Delivery = { ...target, address: `${VAULT}/` } as Delivery;
    await deliverKey(withAddress, value, context);
    expect(scope.isDone()).toBe(true);
    expect(describeTarget(withAddress)).toBe(`vault secret/data/groq/chatbot-prod#api_key at ${VAULT}`);
  });

  it("takes the organization's Vault (org.yaml's vault.address) without VAULT_ADDR", async () => {
    context.env = { VAULT_TOKEN: TOKEN };
    context.vaultAddress = 'https://vault.eu.acme.example/';
    const scope = nock('https://vault.eu.acme.example', { reqheaders: { 'x-vault-token': TOKEN } })
      .get(MOUNTS)
      .reply(200, fixture('ui-mounts-kv2'))
      .get(SECRET)
      .reply(404, fixture('not-found-404'))
      .post(
        SECRET,
        write(0, () => ({ api_key: value })),
      )
      .reply(200, fixture('kv2-write'));
    await deliverKey(target, value, context);
    expect(scope.isDone()).toBe(true);
  });

  it("refuses a VAULT_ADDR that names another Vault than org.yaml's, before any request", async () => {
    context.vaultAddress = 'https://vault.eu.acme.example';
    const e = await failure();
    expect(e.message).toBe(
      `cannot deliver to vault secret/data/groq/chatbot-prod#api_key: VAULT_ADDR (${VAULT}) and org.yaml's vault.address (https://vault.eu.acme.example) name different Vaults, and the token goes only to the organization's: unset VAULT_ADDR or set it to https://vault.eu.acme.example`,
    );
    expect(e.retryable).toBe(false);
  });

  it('asks Vault for the mount, so a nested mount works', async () => {
    const scope = vault()
      .get('/v1/sys/internal/ui/mounts/teams/chatbot/data/groq')
      .reply(200, fixture('ui-mounts-nested'))
      .get('/v1/teams/chatbot/data/groq')
      .reply(404, fixture('not-found-404'))
      .post(
        '/v1/teams/chatbot/data/groq',
        write(0, () => ({ key: value })),
      )
      .reply(200, fixture('kv2-write'));
    await deliverKey({ kind: 'vault', path: 'teams/chatbot/data/groq', field: 'key' }, value, context);
    expect(scope.isDone()).toBe(true);
  });

  it('falls back to the first segment as the mount when the token may not ask', async () => {
    const scope = vault()
      .get(MOUNTS)
      .reply(403, fixture('permission-denied-403'))
      .get(SECRET)
      .reply(200, fixture('kv2-read'))
      .post(
        SECRET,
        write(2, () => ({ api_key: value, base_url: 'https://api.groq.com/openai/v1', retries: 3 })),
      )
      .reply(200, fixture('kv2-write'));
    await deliverKey(target, value, context);
    expect(scope.isDone()).toBe(true);
  });

  describe('check-and-set', () => {
    it('a concurrent writer is detected, and the merge redone on top of its version', async () => {
      const theirs = fixture('kv2-read') as { data: { data: Record<string, unknown>; metadata: Record<string, unknown> } };
      const after = { ...theirs, data: { data: { ...theirs.data.data, region: 'eu' }, metadata: { ...theirs.data.metadata, version: 3 } } };
      const scope = vault()
        .get(MOUNTS)
        .reply(200, fixture('ui-mounts-kv2'))
        .get(SECRET)
        .reply(200, fixture('kv2-read'))
        .post(
          SECRET,
          write(2, () => ({ api_key: value, base_url: 'https://api.groq.com/openai/v1', retries: 3 })),
        )
        .reply(400, fixture('cas-mismatch-400'))
        .get(SECRET)
        .reply(200, after)
        .post(
          SECRET,
          write(3, () => ({ api_key: value, base_url: 'https://api.groq.com/openai/v1', retries: 3, region: 'eu' })),
        )
        .reply(200, { ...fixture('kv2-write'), data: { ...(fixture('kv2-write').data as object), version: 4 } });
      const result = await deliverKey(target, value, context);
      expect(scope.isDone()).toBe(true);
      expect(result.version).toBe(4);
      expect(lines.some((l) => l.includes('changed while writing'))).toBe(true);
    });

    it('a writer that keeps winning: gives up after three tries, retryable', async () => {
      const scope = vault().get(MOUNTS).reply(200, fixture('ui-mounts-kv2'));
      for (let i = 0; i < 3; i++) scope.get(SECRET).reply(200, fixture('kv2-read')).post(SECRET).reply(400, fixture('cas-mismatch-400'));
      const e = await failure();
      expect(scope.isDone()).toBe(true);
      expect(e.message).toBe(
        'cannot deliver to vault secret/data/groq/chatbot-prod#api_key: another writer kept changing secret/data/groq/chatbot-prod (check-and-set failed 3 times); run again',
      );
      expect(e.retryable).toBe(true);
    });
  });

  describe('failures name what to change', () => {
    it('permission denied on the write: grant create/update on that path', async () => {
      vault()
        .get(MOUNTS)
        .reply(200, fixture('ui-mounts-kv2'))
        .get(SECRET)
        .reply(200, fixture('kv2-read'))
        .post(SECRET)
        .reply(403, fixture('permission-denied-403'));
      const e = await failure();
      expect(e.message).toBe(
        'cannot deliver to vault secret/data/groq/chatbot-prod#api_key: the Vault token may not write secret/data/groq/chatbot-prod (403 permission denied): grant create/update on that path, or check that VAULT_TOKEN is right and not expired',
      );
      expect(e.retryable).toBe(false);
    });

    it('permission denied on the read: grant read, and why', async () => {
      const scope = vault().get(MOUNTS).reply(200, fixture('ui-mounts-kv2')).get(SECRET).reply(403, fixture('permission-denied-403'));
      const e = await failure();
      // Nothing is written blind: other fields would be lost.
      expect(scope.isDone()).toBe(true);
      expect(e.message).toContain(
        'the Vault token may not read secret/data/groq/chatbot-prod (403 permission denied): grant read on that path (groq-rbac reads the secret first so its other fields survive)',
      );
    });

    it('a sealed Vault', async () => {
      vault().get(MOUNTS).reply(503, fixture('sealed-503')).get(SECRET).reply(503, fixture('sealed-503'));
      const e = await failure();
      expect(e.message).toBe(
        `cannot deliver to vault secret/data/groq/chatbot-prod#api_key: Vault at ${VAULT} is sealed (503 Vault is sealed): unseal it, then run again`,
      );
      expect(e.retryable).toBe(true);
    });

    it('a proxy answering 502 with an HTML page', async () => {
      vault().get(MOUNTS).reply(502, '<html>Bad Gateway</html>').get(SECRET).reply(502, '<html>Bad Gateway</html>');
      const e = await failure();
      expect(e.message).toContain(`Vault at ${VAULT} is unavailable (502 <html>Bad Gateway</html>)`);
      expect(e.retryable).toBe(true);
    });

    it('a KV version 1 mount is refused before anything is read or written', async () => {
      const scope = vault().get('/v1/sys/internal/ui/mounts/kv1/groq/chatbot-prod').reply(200, fixture('ui-mounts-kv1'));
      const e = await failure({ kind: 'vault', path: 'kv1/groq/chatbot-prod', field: 'api_key' });
      expect(scope.isDone()).toBe(true);
      expect(e.message).toContain('kv1/ is a KV version 1 mount; groq-rbac writes KV version 2 only');
    });

    it('nothing mounted there', async () => {
      vault()
        .get('/v1/sys/internal/ui/mounts/nomount/data/groq/chatbot-prod')
        .reply(400, { errors: ['no matching mount'] })
        .get('/v1/nomount/data/groq/chatbot-prod')
        .reply(404, fixture('no-handler-404'));
      const e = await failure({ kind: 'vault', path: 'nomount/data/groq/chatbot-prod', field: 'api_key' });
      expect(e.message).toContain('nothing at Vault https://vault.acme.example:8200 serves nomount/data/groq/chatbot-prod');
      expect(e.message).toContain("check the path's mount (its first segment)");
    });

    it('a path that names only a mount', async () => {
      vault().get('/v1/sys/internal/ui/mounts/secret').reply(200, fixture('ui-mounts-kv2'));
      const e = await failure({ kind: 'vault', path: 'secret/', field: 'api_key' });
      expect(e.message).toContain('the path must name a secret under its mount');
    });

    it('no VAULT_ADDR, no VAULT_TOKEN: says which variable to set, sends nothing', async () => {
      context.env = { VAULT_TOKEN: TOKEN };
      expect((await failure()).message).toBe(
        'cannot deliver to vault secret/data/groq/chatbot-prod#api_key: no Vault address: set VAULT_ADDR, or `vault: {address: …}` in org.yaml',
      );
      context.env = { VAULT_ADDR: VAULT };
      expect((await failure()).message).toBe(
        'cannot deliver to vault secret/data/groq/chatbot-prod#api_key: no Vault token: set VAULT_TOKEN to a token that may read and write this path',
      );
      expect(nock.pendingMocks()).toEqual([]);
    });

    it('a VAULT_ADDR that is not a URL', async () => {
      context.env = { VAULT_ADDR: 'vault.acme.example', VAULT_TOKEN: TOKEN };
      expect((await failure()).message).toBe(
        'cannot deliver to vault secret/data/groq/chatbot-prod#api_key: VAULT_ADDR "vault.acme.example" is not a URL: set VAULT_ADDR to the Vault\'s https:// address',
      );
    });

    it('an unreachable Vault (a real closed port): says so, retryable', async () => {
      const port = await closedPort();
      nock.enableNetConnect('127.0.0.1');
      try {
        context.env = { VAULT_ADDR: `http://127.0.0.1:${port}`, VAULT_TOKEN: TOKEN };
        const e = await failure();
        expect(e.message).toBe(
          `cannot deliver to vault secret/data/groq/chatbot-prod#api_key: cannot reach Vault at http://127.0.0.1:${port} (ECONNREFUSED): check VAULT_ADDR and that Vault is running and unsealed`,
        );
        expect(e.retryable).toBe(true);
      } finally {
        nock.disableNetConnect();
      }
    });

    it('a Vault that does not answer: times out', async () => {
      // nock's delay() does not hold a fetch response back, so the hang is a fetch that never answers.
      context.fetch = (_input, init) =>
        new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)));
      context.timeoutMs = 100;
      const e = await failure();
      expect(e.message).toContain(`Vault at ${VAULT} did not answer within 100ms`);
      expect(e.retryable).toBe(true);
    });

    it('an error body that echoes the value is redacted', async () => {
      vault()
        .get(MOUNTS)
        .reply(200, fixture('ui-mounts-kv2'))
        .get(SECRET)
        .reply(200, fixture('kv2-read'))
        .post(SECRET)
        .reply(400, () => ({ errors: [`invalid value ${value} for ${TOKEN}`] }));
      const e = await failure();
      expect(e.message).toContain('Vault refused to write secret/data/groq/chatbot-prod (400 invalid value [REDACTED] for [REDACTED])');
    });
  });

  it('describes targets without the value', () => {
    expect(describeTarget(target)).toBe('vault secret/data/groq/chatbot-prod#api_key');
    expect(describeTarget({ kind: 'vault', path: 'secret/groq/x/', field: 'k' })).toBe('vault secret/groq/x#k');
  });
});

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
