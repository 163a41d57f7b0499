import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import sodium from 'libsodium-wrappers';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deliverKey, DeliveryError, describeTarget, type DeliveryContext } from '../../src/apply/deliver/index.js';
import { containsKeyValue } from '../../src/core/redact.js';
import { createGitHubClient, resolveGitHubApiUrl } from '../../src/github/client.js';
import type { Delivery } from '../../src/policy/types.js';

const API = 'https://api.github.com';
const TOKEN = 'ghs_testtoken0000000000000000000000000000';
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A value shaped like a Groq key, made at run time so no key-like literal is committed. */
function fakeKeyValue(): string {
  return `gsk_${Array.from({ length: 52 }, () => BASE62[randomInt(BASE62.length)]).join('')}`;
}

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../fixtures/github/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
}

interface Keypair {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
  base64: string;
}

const repoSecret: Delivery = { kind: 'github', repository: 'acme/chatbot', secret: 'GROQ_API_KEY' };
const envSecret: Delivery = { kind: 'github', repository: 'acme/chatbot', secret: 'GROQ_API_KEY', environment: 'production' };

let keys: Keypair;
let value: string;
let lines: string[];
let context: DeliveryContext;

beforeAll(async () => {
  await sodium.ready;
  nock.disableNetConnect();
});
afterAll(() => nock.enableNetConnect());

beforeEach(() => {
  const pair = sodium.crypto_box_keypair();
  keys = { ...pair, base64: sodium.to_base64(pair.publicKey, sodium.base64_variants.ORIGINAL) };
  value = fakeKeyValue();
  lines = [];
  const record = (m: string) => void lines.push(m);
  context = { env: { GITHUB_TOKEN: TOKEN }, cwd: '/', logger: { debug: record, info: record, warn: record } };
});

afterEach(() => {
  nock.cleanAll();
  for (const line of lines) {
    expect(line.includes(value)).toBe(false);
    expect(containsKeyValue(line)).toBe(false);
  }
});

/** A client whose retry waits are milliseconds, so retry tests run fast. */
function fastClient(extra: Partial<Parameters<typeof createGitHubClient>[0]> = {}) {
  return createGitHubClient({ token: TOKEN, env: {}, logger: context.logger, retryAfterBaseMs: 1, ...extra });
}

/** The sealed box opened with the repository's private key: what GitHub would store. */
function open(encrypted: string): string {
  return sodium.crypto_box_seal_open(
    sodium.from_base64(encrypted, sodium.base64_variants.ORIGINAL),
    keys.publicKey,
    keys.privateKey,
    'text',
  );
}

/** Asserts a PUT body is exactly {encrypted_value, key_id} and keeps it. */
function capture(into: { body?: { encrypted_value: string; key_id: string } }, keyId: string) {
  return (body: Record<string, unknown>) => {
    into.body = body as { encrypted_value: string; key_id: string };
    return (
      Object.keys(body).sort().join(',') === 'encrypted_value,key_id' && body.key_id === keyId && typeof body.encrypted_value === 'string'
    );
  };
}

async function failure(target: Delivery): Promise<DeliveryError> {
  const error = await deliverKey(target, value, context).then(
    () => {
      throw new Error('expected the delivery to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  const e = error as DeliveryError;
  for (const text of [
    e.message,
    String(e),
    e.stack ?? '',
    String((e.cause as Error | undefined)?.message ?? ''),
    JSON.stringify(e.cause ?? null),
  ]) {
    expect(text.includes(value)).toBe(false);
    expect(containsKeyValue(text)).toBe(false);
  }
  return e;
}

describe('github delivery, against recorded GitHub API shapes', () => {
  it('seals the value to the repository public key; the box opens to the value with the private key', async () => {
    const put: { body?: { encrypted_value: string; key_id: string } } = {};
    const scope = nock(API, { reqheaders: { authorization: `token ${TOKEN}` } })
      .get('/repos/acme/chatbot/actions/secrets/public-key')
      .reply(200, { ...fixture('repo-public-key'), key: keys.base64 })
      .put('/repos/acme/chatbot/actions/secrets/GROQ_API_KEY', capture(put, '012345678912345678'))
      .reply(201, fixture('create-secret-201'));
    const result = await deliverKey(repoSecret, value, context);
    expect(scope.isDone()).toBe(true);
    expect(result).toEqual({ target: 'github acme/chatbot secret GROQ_API_KEY', outcome: 'created' });
    expect(open(put.body!.encrypted_value)).toBe(value);
    // Only the sealed box travels: the plain value is not in the request.
    expect(JSON.stringify(put.body).includes(value)).toBe(false);
  });

  it('writes an environment secret under the environment, and reports an update on 204', async () => {
    const put: { body?: { encrypted_value: string; key_id: string } } = {};
    const scope = nock(API)
      .get('/repos/acme/chatbot/environments/production/secrets/public-key')
      .reply(200, { ...fixture('environment-public-key'), key: keys.base64 })
      .put('/repos/acme/chatbot/environments/production/secrets/GROQ_API_KEY', capture(put, '568250167242549743'))
      .reply(204);
    const result = await deliverKey(envSecret, value, context);
    expect(scope.isDone()).toBe(true);
    expect(result).toEqual({ target: 'github acme/chatbot environment production secret GROQ_API_KEY', outcome: 'updated' });
    expect(open(put.body!.encrypted_value)).toBe(value);
  });

  it('encodes an environment name that needs it', async () => {
    const target: Delivery = { kind: 'github', repository: 'acme/chatbot', secret: 'GROQ_API_KEY', environment: 'prod eu' };
    const scope = nock(API)
      .get('/repos/acme/chatbot/environments/prod%20eu/secrets/public-key')
      .reply(200, { ...fixture('environment-public-key'), key: keys.base64 })
      .put(
        '/repos/acme/chatbot/environments/prod%20eu/secrets/GROQ_API_KEY',
        (body: { key_id?: string }) => body.key_id === '568250167242549743',
      )
      .reply(201, {});
    await deliverKey(target, value, context);
    expect(scope.isDone()).toBe(true);
  });

  it('talks to GitHub Enterprise Server at GITHUB_API_URL', async () => {
    context.env = { ...context.env, GITHUB_API_URL: 'https://ghe.acme.example/api/v3/' };
    const put: { body?: { encrypted_value: string; key_id: string } } = {};
    const scope = nock('https://ghe.acme.example')
      .get('/api/v3/repos/acme/chatbot/actions/secrets/public-key')
      .reply(200, { ...fixture('repo-public-key'), key: keys.base64 })
      .put('/api/v3/repos/acme/chatbot/actions/secrets/GROQ_API_KEY', capture(put, '012345678912345678'))
      .reply(201, {});
    await deliverKey(repoSecret, value, context);
    expect(scope.isDone()).toBe(true);
    expect(open(put.body!.encrypted_value)).toBe(value);
  });

  it('uses an injected client', async () => {
    context.env = {};
    context.github = fastClient({ baseUrl: 'https://github.internal.example/api/v3' });
    const scope = nock('https://github.internal.example')
      .get('/api/v3/repos/acme/chatbot/actions/secrets/public-key')
      .reply(200, { ...fixture('repo-public-key'), key: keys.base64 })
      .put('/api/v3/repos/acme/chatbot/actions/secrets/GROQ_API_KEY', (body: { key_id?: string }) => body.key_id === '012345678912345678')
      .reply(201, {});
    await deliverKey(repoSecret, value, context);
    expect(scope.isDone()).toBe(true);
  });

  it('follows a redirect within the API (a renamed repository answers 301), re-sending the PUT body on a 307', async () => {
    const put: { body?: { encrypted_value: string; key_id: string } } = {};
    const scope = nock(API, { reqheaders: { authorization: `token ${TOKEN}` } })
      .get('/repos/acme/chatbot/actions/secrets/public-key')
      .reply(301, '', { location: `${API}/repositories/42/actions/secrets/public-key` })
      .get('/repositories/42/actions/secrets/public-key')
      .reply(200, { ...fixture('repo-public-key'), key: keys.base64 })
      .put('/repos/acme/chatbot/actions/secrets/GROQ_API_KEY')
      .reply(307, '', { location: '/repositories/42/actions/secrets/GROQ_API_KEY' })
      .put('/repositories/42/actions/secrets/GROQ_API_KEY', capture(put, '012345678912345678'))
      .reply(201, {});
    const result = await deliverKey(repoSecret, value, context);
    expect(scope.isDone()).toBe(true);
    expect(result.outcome).toBe('created');
    expect(open(put.body!.encrypted_value)).toBe(value);
  });

  describe('failures name what to change', () => {
    it('no GITHUB_TOKEN: says which variable to set, sends nothing', async () => {
      context.env = {};
      const e = await failure(repoSecret);
      expect(e.message).toMatch(
        /^cannot deliver to github acme\/chatbot secret GROQ_API_KEY: no GitHub token: set GITHUB_TOKEN to a token that may write Actions secrets/,
      );
      expect(nock.pendingMocks()).toEqual([]);
    });

    it('404 on the public key: the token cannot see the repository', async () => {
      const scope = nock(API).get('/repos/acme/chatbot/actions/secrets/public-key').reply(404, fixture('error-404'));
      const e = await failure(repoSecret);
      expect(scope.isDone()).toBe(true);
      expect(e.message).toBe(
        "cannot deliver to github acme/chatbot secret GROQ_API_KEY: the token cannot see acme/chatbot (404 Not Found - https://docs.github.com/rest/actions/secrets#get-a-repository-public-key): check the repository name and that the token's app/PAT has access",
      );
      expect(e.retryable).toBe(false);
    });

    it('404 for an environment: says to check that the environment exists', async () => {
      nock(API).get('/repos/acme/chatbot/environments/production/secrets/public-key').reply(404, fixture('error-404'));
      const e = await failure(envSecret);
      expect(e.message).toContain('the token cannot see environment production of acme/chatbot');
      expect(e.message).toContain('that the environment exists');
    });

    it('403 on the write: names the permission to grant, and is not retried', async () => {
      const scope = nock(API)
        .get('/repos/acme/chatbot/actions/secrets/public-key')
        .reply(200, { ...fixture('repo-public-key'), key: keys.base64 })
        .put('/repos/acme/chatbot/actions/secrets/GROQ_API_KEY')
        .once()
        .reply(403, fixture('error-403'));
      context.github = fastClient();
      const e = await failure(repoSecret);
      expect(scope.isDone()).toBe(true);
      expect(e.message).toContain(
        'the token in GITHUB_TOKEN may not write Actions secrets of acme/chatbot (403 Resource not accessible by integration',
      );
      expect(e.message).toContain('grant it "Secrets: read and write" on acme/chatbot');
      expect(e.message).toContain("A workflow's own GITHUB_TOKEN can never write secrets");
      expect(e.retryable).toBe(false);
    });

    it('403 for an environment secret: also names the environments permission', async () => {
      nock(API).get('/repos/acme/chatbot/environments/production/secrets/public-key').reply(403, fixture('error-403'));
      const e = await failure(envSecret);
      expect(e.message).toContain('may not read the public key of secrets of environment production in acme/chatbot');
      expect(e.message).toContain('"Environments: read and write" and "Secrets: read and write"');
    });

    it('401: the token is bad or expired', async () => {
      nock(API).get('/repos/acme/chatbot/actions/secrets/public-key').reply(401, fixture('error-401'));
      const e = await failure(repoSecret);
      expect(e.message).toContain('GitHub rejected the token in GITHUB_TOKEN (401 Bad credentials');
    });

    it('422: explains secret names', async () => {
      nock(API)
        .get('/repos/acme/chatbot/actions/secrets/public-key')
        .reply(200, { ...fixture('repo-public-key'), key: keys.base64 })
        .put('/repos/acme/chatbot/actions/secrets/GROQ_API_KEY')
        .reply(422, fixture('error-422'));
      const e = await failure(repoSecret);
      expect(e.message).toContain('GitHub refused secret GROQ_API_KEY (422 Invalid request.');
    });

    it('a public key that is not 32 bytes is refused before anything is written', async () => {
      const scope = nock(API)
        .get('/repos/acme/chatbot/actions/secrets/public-key')
        .reply(200, { ...fixture('repo-public-key'), key: sodium.to_base64(new Uint8Array(16), sodium.base64_variants.ORIGINAL) });
      const e = await failure(repoSecret);
      expect(scope.isDone()).toBe(true);
      expect(e.message).toContain('GitHub returned a public key of 16 bytes, not 32');
    });

    it('a repository not written owner/name', async () => {
      const e = await failure({ kind: 'github', repository: 'chatbot', secret: 'GROQ_API_KEY' });
      expect(e.message).toContain('repository must be written owner/name, not "chatbot"');
    });

    it('a network error, after the bounded retries: retryable', async () => {
      context.github = fastClient({ retries: 2 });
      const scope = nock(API)
        .get('/repos/acme/chatbot/actions/secrets/public-key')
        .times(3)
        .replyWithError({ code: 'ECONNRESET', message: 'socket hang up' });
      const e = await failure(repoSecret);
      expect(scope.isDone()).toBe(true);
      expect(e.message).toContain('cannot reach GitHub at https://api.github.com');
      expect(e.retryable).toBe(true);
    });

    it('a request that hangs times out', async () => {
      // nock's delay() does not hold a fetch response back, so the hang is a fetch that never answers.
      const hang: typeof fetch = (_input, init) =>
        new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)));
      context.github = fastClient({ retries: 1, timeoutMs: 100, fetch: hang });
      const e = await failure(repoSecret);
      expect(e.message).toMatch(/cannot reach GitHub at https:\/\/api\.github\.com \(.*timeout.*\)/i);
      expect(e.retryable).toBe(true);
    });

    it('a 5xx that persists: retried a bounded number of times, then reported as retryable', async () => {
      context.github = fastClient({ retries: 2 });
      const scope = nock(API).get('/repos/acme/chatbot/actions/secrets/public-key').times(3).reply(502, fixture('error-500'));
      const e = await failure(repoSecret);
      expect(scope.isDone()).toBe(true);
      expect(e.message).toContain('GitHub answered 502');
      expect(e.retryable).toBe(true);
    });

    it('a rate limit that resets too late: not waited for, reported as retryable', async () => {
      context.github = fastClient();
      const reset = Math.floor(Date.now() / 1000) + 3600;
      nock(API)
        .get('/repos/acme/chatbot/actions/secrets/public-key')
        .reply(403, fixture('rate-limit-403'), { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) });
      const e = await failure(repoSecret);
      expect(e.message).toContain(`GitHub's rate limit for this token is used up until ${new Date(reset * 1000).toISOString()}`);
      expect(e.retryable).toBe(true);
      expect(lines.some((l) => l.includes('GitHub primary rate limit') && l.includes('giving up'))).toBe(true);
    });
  });

  describe('retries', () => {
    it('a 5xx once, then success', async () => {
      context.github = fastClient();
      const scope = nock(API)
        .get('/repos/acme/chatbot/actions/secrets/public-key')
        .reply(503, fixture('error-500'))
        .get('/repos/acme/chatbot/actions/secrets/public-key')
        .reply(200, { ...fixture('repo-public-key'), key: keys.base64 })
        .put('/repos/acme/chatbot/actions/secrets/GROQ_API_KEY', (body: { key_id?: string }) => body.key_id === '012345678912345678')
        .reply(201, {});
      await expect(deliverKey(repoSecret, value, context)).resolves.toMatchObject({ outcome: 'created' });
      expect(scope.isDone()).toBe(true);
    });

    it('a primary rate limit about to reset: waited for, logged at debug level, then success', async () => {
      context.github = fastClient();
      const scope = nock(API)
        .get('/repos/acme/chatbot/actions/secrets/public-key')
        .reply(403, fixture('rate-limit-403'), { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000)) })
        .get('/repos/acme/chatbot/actions/secrets/public-key')
        .reply(200, { ...fixture('repo-public-key'), key: keys.base64 })
        .put('/repos/acme/chatbot/actions/secrets/GROQ_API_KEY', (body: { key_id?: string }) => body.key_id === '012345678912345678')
        .reply(201, {});
      const debug: string[] = [];
      context.github = createGitHubClient({
        token: TOKEN,
        env: {},
        retryAfterBaseMs: 1,
        logger: { debug: (m) => void debug.push(m), info() {}, warn() {} },
      });
      await deliverKey(repoSecret, value, context);
      expect(scope.isDone()).toBe(true);
      expect(debug.some((l) => /GitHub primary rate limit on GET .*public-key: retrying in \d+s \(retry 1 of 2\)/.test(l))).toBe(true);
    });

    it('a secondary rate limit: retried after Retry-After', async () => {
      const debug: string[] = [];
      context.github = createGitHubClient({
        token: TOKEN,
        env: {},
        retryAfterBaseMs: 1,
        logger: { debug: (m) => void debug.push(m), info() {}, warn() {} },
      });
      const scope = nock(API)
        .get('/repos/acme/chatbot/actions/secrets/public-key')
        .reply(
          403,
          { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' },
          { 'retry-after': '2' },
        )
        .get('/repos/acme/chatbot/actions/secrets/public-key')
        .reply(200, { ...fixture('repo-public-key'), key: keys.base64 })
        .put('/repos/acme/chatbot/actions/secrets/GROQ_API_KEY', (body: { key_id?: string }) => body.key_id === '012345678912345678')
        .reply(201, {});
      await deliverKey(repoSecret, value, context);
      expect(scope.isDone()).toBe(true);
      expect(debug.some((l) => l.includes('GitHub secondary rate limit') && l.includes('retrying in 2s'))).toBe(true);
    });
  });
});

describe('the GitHub client', () => {
  it('takes its base URL from the argument, else GITHUB_API_URL, else api.github.com', () => {
    expect(resolveGitHubApiUrl('https://ghe.example/api/v3/', { GITHUB_API_URL: 'https://other.example' })).toBe(
      'https://ghe.example/api/v3',
    );
    expect(resolveGitHubApiUrl(undefined, { GITHUB_API_URL: 'https://ghe.example/api/v3' })).toBe('https://ghe.example/api/v3');
    expect(resolveGitHubApiUrl(undefined, {})).toBe('https://api.github.com');
  });

  it('sends requests through the platform fetch with the token, where nock sees them', async () => {
    const scope = nock('https://ghe.example', { reqheaders: { authorization: `token ${TOKEN}` } })
      .get('/api/v3/rate_limit')
      .reply(200, { resources: {} });
    const client = createGitHubClient({ token: TOKEN, env: { GITHUB_API_URL: 'https://ghe.example/api/v3' } });
    const res = await client.request('GET /rate_limit');
    expect(res.status).toBe(200);
    expect(scope.isDone()).toBe(true);
  });
});

describe('describeTarget', () => {
  it('describes GitHub targets without the value', () => {
    expect(describeTarget(repoSecret)).toBe('github acme/chatbot secret GROQ_API_KEY');
    expect(describeTarget(envSecret)).toBe('github acme/chatbot environment production secret GROQ_API_KEY');
  });
});
