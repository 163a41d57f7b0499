import { randomInt } from 'node:crypto';
import sodium from 'libsodium-wrappers';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deliverKey, DeliveryError, type DeliveryContext } from '../../src/apply/deliver/index.js';
import { containsKeyValue } from '../../src/core/redact.js';
import { createGitHubClient } from '../../src/github/client.js';
import type { Delivery } from '../../src/policy/types.js';
import { startRefusingProxy } from '../helpers/refusing-proxy.js';

// Issue 17, item 3 (run-time half): a GitHub target reaches only the repository, environment and
// secret it names, and the token goes only to the GitHub API's own origin.

const API = 'https://api.github.com';
const ELSEWHERE = 'https://collector.attacker.example';
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function fake(prefix: string, length: number): string {
  return `${prefix}${Array.from({ length }, () => BASE62[randomInt(BASE62.length)]).join('')}`;
}

let value: string;
let token: string;
let publicKey: string;
let lines: string[];
let context: DeliveryContext;
let received: { origin: string; method: string; path: string; headers: Record<string, string>; body: string }[];

beforeAll(async () => {
  await sodium.ready;
  nock.disableNetConnect();
});
afterAll(() => nock.enableNetConnect());

beforeEach(() => {
  value = fake('gsk_', 52);
  token = fake('ghs_', 36);
  publicKey = sodium.to_base64(sodium.crypto_box_keypair().publicKey, sodium.base64_variants.ORIGINAL);
  lines = [];
  received = [];
  const record = (m: string) => void lines.push(m);
  context = { env: { GITHUB_TOKEN: token }, cwd: '/', logger: { debug: record, info: record, warn: record } };
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

/** A GitHub API at `origin` that records every request; `answer` decides the reply (default: a public key, then 201). */
function recordingGitHub(
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
  return scope.get(/.*/).reply(reply('GET')).put(/.*/).reply(reply('PUT')).post(/.*/).reply(reply('POST'));
}

function defaultAnswer(method: string): [number, unknown] {
  return method === 'GET' ? [200, { key_id: '012345678912345678', key: publicKey }] : [201, {}];
}

async function failure(target: Delivery): Promise<DeliveryError> {
  const error = await deliverKey(target, value, context).then(
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

describe('GitHub targets name one repository, environment and secret', () => {
  it('environment ".." (which Octokit would turn into the repository secret) is refused with no request', async () => {
    recordingGitHub(API);
    const e = await failure({ kind: 'github', repository: 'acme/payments', secret: 'NPM_TOKEN', environment: '..' });
    expect(e.message).toBe(
      'cannot deliver to github acme/payments environment .. secret NPM_TOKEN: environment ".." holds "..", which would change the API path it names; nothing was sent to GitHub',
    );
    expect(e.retryable).toBe(false);
    expect(received).toEqual([]);
  });

  it.each([
    ['an environment that climbs out', { environment: '../../payments' }, 'holds one of / \\ % ? #'],
    ['an environment already percent-encoded', { environment: '%2e%2e' }, 'holds one of / \\ % ? #'],
    ['an environment with a control character', { environment: 'prod\nx' }, 'environment "prod\\u000ax" holds a control character'],
    ['a secret name GitHub reserves', { secret: 'GITHUB_TOKEN' }, 'starts with GITHUB_, which GitHub reserves'],
    ['a secret name with a path in it', { secret: 'NPM_TOKEN/../X' }, 'may hold only letters, digits and _'],
    ['a repository with a path in it', { repository: 'acme/../payments' }, 'repository must be written owner/name, not "acme/../payments"'],
    ['a repository named ..', { repository: 'acme/..' }, 'repository name ".." is not a GitHub repository name'],
  ])('%s is refused with no request', async (_what, change, expected) => {
    recordingGitHub(API);
    const e = await failure({ kind: 'github', repository: 'acme/chatbot', secret: 'GROQ_API_KEY', ...change } as Delivery);
    expect(e.message).toContain(expected);
    expect(e.message).toContain('nothing was sent to GitHub');
    expect(received).toEqual([]);
  });
});

describe('the GitHub token goes only to the GitHub API', () => {
  it('GITHUB_API_URL over http:// to another host is refused before any request', async () => {
    context.env = { GITHUB_TOKEN: token, GITHUB_API_URL: 'http://github.example.com/api/v3' };
    recordingGitHub('http://github.example.com');
    const e = await failure({ kind: 'github', repository: 'acme/chatbot', secret: 'GROQ_API_KEY' });
    expect(e.message).toContain(
      'GITHUB_API_URL "http://github.example.com/api/v3" uses http:// to github.example.com, which would send credentials in clear text',
    );
    expect(received).toEqual([]);
  });

  it('a 307 from the API to another origin is not followed: that origin receives nothing, and the error says so', async () => {
    recordingGitHub(API, (method, path) =>
      method === 'GET' ? [200, { key_id: '012345678912345678', key: publicKey }] : [307, '', { location: `${ELSEWHERE}${path}` }],
    );
    recordingGitHub(ELSEWHERE);
    context.github = createGitHubClient({ token, env: {}, logger: context.logger, retryAfterBaseMs: 1 });
    const e = await failure({ kind: 'github', repository: 'acme/chatbot', secret: 'GROQ_API_KEY' });
    expect(e.message).toBe(
      `cannot deliver to github acme/chatbot secret GROQ_API_KEY: GitHub at ${API} answered 307 redirecting to ${ELSEWHERE}: not followed, so the token and the sealed value went nowhere else; check GITHUB_API_URL (and any proxy in front of GitHub)`,
    );
    expect(e.retryable).toBe(false);
    expect(received.filter((r) => r.origin === ELSEWHERE)).toEqual([]);
    // Every request, retries included, went to the API with its token.
    expect(received.length).toBeGreaterThan(1);
    for (const r of received) {
      expect(r.origin).toBe(API);
      expect(r.headers.authorization).toBe(`token ${token}`);
    }
  });

  it('goes through HTTPS_PROXY like every other request (a proxy on 127.0.0.1 sees the CONNECT, not the token)', async () => {
    const proxy = await startRefusingProxy();
    // nock intercepts the platform fetch ahead of any dispatcher: step it aside so the request is real.
    nock.restore();
    try {
      context.env = { GITHUB_TOKEN: token, HTTPS_PROXY: proxy.url, NO_PROXY: '' };
      context.github = createGitHubClient({ token, env: context.env, logger: context.logger, retries: 0, retryAfterBaseMs: 1 });
      const e = await failure({ kind: 'github', repository: 'acme/chatbot', secret: 'GROQ_API_KEY' });
      expect(e.message).toBe(
        `cannot deliver to github acme/chatbot secret GROQ_API_KEY: cannot reach GitHub at ${API}: the proxy ${proxy.url} refused the tunnel with 403: check HTTPS_PROXY and HTTP_PROXY, or add GitHub's host to NO_PROXY`,
      );
      expect(proxy.seen).toEqual(['CONNECT api.github.com:443']);
      for (const headers of proxy.headers) expectClean(headers);
    } finally {
      nock.activate();
      await proxy.close();
    }
  });
});
