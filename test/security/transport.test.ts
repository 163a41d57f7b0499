import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import sodium from 'libsodium-wrappers';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readInputs } from '../../src/action/inputs.js';
import { deliverToTargets, SANDBOX_DELIVERIES } from '../../src/app/deliver-to-targets.js';
import { containsKeyValue } from '../../src/core/redact.js';
import { GroqClient } from '../../src/providers/groq/client.js';
import { ProtocolError } from '../../src/net/errors.js';
import { HttpTransport } from '../../src/net/transport.js';
import type { Delivery } from '../../src/policy/types.js';
import { runCli } from '../helpers/cli.js';
import { makeDesired, makeDesiredKey, makeDesiredProject } from '../helpers/builders.js';
import { makeKeyChange } from '../helpers/plan-builders.js';
import { ORG_YAML, writePolicies } from '../helpers/policies.js';
import { startTestOrg, type TestOrg } from '../helpers/sandbox.js';

// Issue 17, items 9, 11, 12 and 14: what a hostile or impersonated provider (or a network path to
// it) could do through the transport, each reproduced and seen refused, with nothing sent where it
// should not go. Tests talk only to 127.0.0.1; other hosts are nock interceptors that must stay
// unused. nock is switched on only inside `withNock`: its fetch interception loses undici's
// `dispatcher` (so no proxy) and cannot pass a POST body through to a local server.

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Made at run time, so no tracked line looks like a key. */
const fakeSecret = (prefix = 'adm') => `${prefix}_${Array.from({ length: 40 }, () => BASE62[randomInt(BASE62.length)]).join('')}`;

interface Recorded {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

/** A server on 127.0.0.1 answering with `handle`, recording every request it gets. */
async function startServer(handle: (req: http.IncomingMessage, res: http.ServerResponse, seen: Recorded[]) => void, host = '127.0.0.1') {
  const seen: Recorded[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, body });
      handle(req, res, seen);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    seen,
    port,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
type Server = Awaited<ReturnType<typeof startServer>>;

const json = (res: http.ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

const TEAM_WITH_GITHUB_TARGET = `team: chatbot
owners: ["@acme/chatbot"]
projects:
  - name: chatbot-staging
    models: [openai/gpt-oss-20b]
    keys:
      - name: chatbot-staging-web
        rotation: {deliver: [{github: {repository: acme/chatbot, secret: GROQ_API_KEY, environment: staging}}]}
`;

/** Runs `test` with nock intercepting and every host but this machine's refused. */
async function withNock(test: () => Promise<void>): Promise<void> {
  nock.activate();
  nock.disableNetConnect();
  nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
  try {
    await test();
  } finally {
    nock.cleanAll();
    nock.enableNetConnect();
    nock.restore();
  }
}

const servers: Server[] = [];
let org: TestOrg | null = null;
const savedEnv = {
  HTTPS_PROXY: process.env.HTTPS_PROXY,
  https_proxy: process.env.https_proxy,
  HTTP_PROXY: process.env.HTTP_PROXY,
  http_proxy: process.env.http_proxy,
  NO_PROXY: process.env.NO_PROXY,
  no_proxy: process.env.no_proxy,
};

beforeAll(async () => {
  await sodium.ready;
  nock.restore();
});
afterEach(async () => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await org?.close();
  org = null;
});
afterAll(() => nock.activate());

describe('item 9: the admin key never travels over http:// to another machine', () => {
  it('refuses --base-url, GROQ_BASE_URL and groq-base-url with http:// to a non-loopback host before any request', () =>
    withNock(async () => {
      const adminKey = fakeSecret();
      // Were anything sent, it would land here (the attacker's plain-http endpoint).
      const listener = nock('http://groq.attacker.example').get(/.*/).reply(200, {}).post(/.*/).reply(200, {});
      const ws = writePolicies({ 'org.yaml': ORG_YAML });
      const flag = await runCli(['plan', '--policies', ws, '--base-url', 'http://groq.attacker.example'], {
        cwd: ws,
        env: { GROQ_ADMIN_KEY: adminKey },
      });
      const env = await runCli(['plan', '--policies', ws], {
        cwd: ws,
        env: { GROQ_ADMIN_KEY: adminKey, GROQ_BASE_URL: 'http://groq.attacker.example/openai/v1' },
      });
      for (const [result, where] of [
        [flag, 'in --base-url'],
        [env, 'in GROQ_BASE_URL'],
      ] as const) {
        expect(result.code).toBe(1);
        expect(result.stderr).toContain('uses http:// to groq.attacker.example, which would send credentials in clear text; use https://');
        expect(result.stderr).toContain(where);
        expect(result.stderr).not.toContain(adminKey);
      }
      expect(() =>
        readInputs(
          (name) =>
            ({ mode: 'plan', 'groq-admin-key': adminKey, 'groq-base-url': 'http://groq.attacker.example', 'github-token': 'x' })[name] ??
            '',
          {
            eventName: 'pull_request',
            owner: 'acme',
            repo: 'p',
            sha: '',
            ref: '',
            defaultBranch: 'main',
            pullRequest: { number: 1, headSha: 'a', baseSha: '', fromFork: false },
            runUrl: null,
            serverUrl: 'https://github.com',
            apiUrl: 'https://api.github.com',
            workspace: ws,
            runId: null,
            actors: [],
            before: null,
          },
        ),
      ).toThrow(
        'input `groq-base-url` "http://groq.attacker.example" uses http:// to groq.attacker.example, which would send credentials in clear text',
      );
      expect(listener.isDone()).toBe(false);
      expect(listener.pendingMocks()).toHaveLength(2);
    }));

  it('refuses in the transport itself, whoever built the request (defence in depth)', async () => {
    const sent: string[] = [];
    const fetch = (async (url: string) => {
      sent.push(url);
      return new Response('{}', { status: 200 });
    }) as unknown as typeof globalThis.fetch;
    const transport = new HttpTransport({ fetch });
    const e = await transport
      .request({
        method: 'POST',
        url: 'http://10.1.2.3/openai/v1/organization/projects',
        headers: { authorization: `Bearer ${fakeSecret()}` },
        body: { name: 'x' },
        retrySafe: true,
      })
      .catch((x) => x);
    expect(e.message).toContain('refusing to send POST /openai/v1/organization/projects to http://10.1.2.3: it is not https://');
    expect(sent).toEqual([]);
    await transport.close();
  });
});

describe('item 9: a redirect never carries the admin key or a body to another origin', () => {
  it('does not follow a 307 to another origin, and does not retry it', async () => {
    const elsewhere = await startServer((_req, res) => json(res, 200, { id: 'proj_stolen' }), 'localhost');
    const api = await startServer((_req, res) => {
      res.writeHead(307, { location: `${elsewhere.url}/collect` });
      res.end();
    });
    servers.push(elsewhere, api);
    const adminKey = fakeSecret();
    const client = new GroqClient({ baseUrl: api.url, adminKey });
    // A create: retry-safe (Idempotency-Key) and with a body a 307 would re-send.
    const e = (await client.createProject({ name: 'payments' }, 'idem-1').catch((x) => x)) as ProtocolError;
    await client.close();
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e.message).toBe(
      `POST /openai/v1/organization/projects failed: the server answered 307, a redirect to ${elsewhere.url}; the admin API never redirects, so it was not followed and nothing was sent there: check the base URL (--base-url / GROQ_BASE_URL)`,
    );
    expect(api.seen).toHaveLength(1);
    expect(elsewhere.seen).toEqual([]);
  });
});

describe('item 11: sandbox delivery never comes from what a server answers', () => {
  /** GitHub's environment-secret API for acme/chatbot/staging, on 127.0.0.1, recording what it is sent. */
  async function startFakeGitHub(token: string) {
    const pair = sodium.crypto_box_keypair();
    const github = await startServer((req, res) => {
      if (req.headers.authorization !== `token ${token}`) return json(res, 401, { message: 'Bad credentials' });
      if (req.method === 'GET' && req.url === '/repos/acme/chatbot/environments/staging/secrets/public-key')
        return json(res, 200, { key_id: '0123456789', key: sodium.to_base64(pair.publicKey, sodium.base64_variants.ORIGINAL) });
      if (req.method === 'PUT' && req.url === '/repos/acme/chatbot/environments/staging/secrets/GROQ_API_KEY')
        return void res.writeHead(201).end();
      json(res, 404, { message: 'Not Found' });
    });
    servers.push(github);
    const opened = () => {
      const put = github.seen.find((r) => r.method === 'PUT')!;
      const box = (JSON.parse(put.body) as { encrypted_value: string }).encrypted_value;
      return sodium.crypto_box_seal_open(sodium.from_base64(box, sodium.base64_variants.ORIGINAL), pair.publicKey, pair.privateKey, 'text');
    };
    return { seen: github.seen, url: github.url, opened };
  }

  it('a server sending x-groq-rbac-sandbox: 1 (the sandbox itself, reached by GROQ_BASE_URL) does not divert a GitHub delivery to a local file', async () => {
    org = await startTestOrg({ orgId: 'org_sandbox' });
    const probe = await org.request('GET', '/openai/v1/organization');
    // The attack's lever: the header is there.
    expect(probe.headers.get('x-groq-rbac-sandbox')).toBe('1');
    const ws = writePolicies({ 'org.yaml': ORG_YAML, 'teams/chatbot.yaml': TEAM_WITH_GITHUB_TARGET });
    const token = fakeSecret('ghs');
    const github = await startFakeGitHub(token);
    const result = await runCli(['apply', '--policies', ws, '--yes'], {
      cwd: ws,
      env: { GROQ_ADMIN_KEY: org.sandbox.adminKey, GROQ_BASE_URL: org.sandbox.url, GITHUB_TOKEN: token, GITHUB_API_URL: github.url },
    });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stderr).not.toContain('sandbox: GitHub and Vault deliveries are written under');
    // The key went to its real target, and nowhere local.
    expect(github.seen.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /repos/acme/chatbot/environments/staging/secrets/public-key',
      'PUT /repos/acme/chatbot/environments/staging/secrets/GROQ_API_KEY',
    ]);
    const delivered = github.opened();
    const live = (await org.client.listProjects()).find((p) => p.name === 'chatbot-staging')!;
    expect((await org.client.listProjectKeys(live.id)).map((k) => k.redacted_value)).toEqual([`gsk_…${delivered.slice(-4)}`]);
    expect(fs.existsSync(path.join(ws, SANDBOX_DELIVERIES))).toBe(false);
    for (const text of [result.stdout, result.stderr]) expect(containsKeyValue(text)).toBe(false);
  });

  it('--sandbox-url, a loopback URL, is the explicit way: GitHub is never called and the key lands under .groq-rbac/deliveries/', async () => {
    org = await startTestOrg({ orgId: 'org_sandbox' });
    const ws = writePolicies({ 'org.yaml': ORG_YAML, 'teams/chatbot.yaml': TEAM_WITH_GITHUB_TARGET });
    const token = fakeSecret('ghs');
    const github = await startFakeGitHub(token);
    const result = await runCli(['apply', '--policies', ws, '--yes', '--sandbox-url', org.sandbox.url], {
      cwd: ws,
      env: { GROQ_ADMIN_KEY: org.sandbox.adminKey, GITHUB_TOKEN: token, GITHUB_API_URL: github.url },
    });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stderr).toContain(`sandbox: GitHub and Vault deliveries are written under ${SANDBOX_DELIVERIES}/ instead`);
    expect(github.seen).toEqual([]);
    expect(fs.readFileSync(path.join(ws, SANDBOX_DELIVERIES, 'github/acme/chatbot/staging/GROQ_API_KEY'), 'utf8')).toMatch(/^gsk_\w+\n$/);
  });

  it('--sandbox-url to another machine is refused before any request', () =>
    withNock(async () => {
      const listener = nock('https://sandbox.attacker.example').get(/.*/).reply(200, {});
      const ws = writePolicies({ 'org.yaml': ORG_YAML });
      const result = await runCli(['plan', '--policies', ws, '--sandbox-url', 'https://sandbox.attacker.example'], {
        cwd: ws,
        env: { GROQ_ADMIN_KEY: fakeSecret() },
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        '--sandbox-url "https://sandbox.attacker.example" is not on this machine: a sandbox is always on 127.0.0.1, ::1 or localhost',
      );
      expect(listener.isDone()).toBe(false);
    }));

  it('a sandbox delivery whose names hold .., / or control characters stays inside .groq-rbac/deliveries/', async () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-sandbox-names-'));
    const dir = path.join(ws, SANDBOX_DELIVERIES);
    const hostile: Delivery[] = [
      { kind: 'github', repository: 'acme/chatbot', secret: 'GROQ_API_KEY', environment: '../../../x' },
      { kind: 'github', repository: '../..', secret: '..', environment: '..' },
      { kind: 'github', repository: 'acme/chatbot', secret: 'A\n\u001b[2J/../../B' },
      { kind: 'vault', path: '../../../../escaped', field: 'api_key' },
      { kind: 'vault', path: 'secret/data/..', field: '../x' },
    ];
    const keys = hostile.map((target, i) => makeDesiredKey(`k${i}`, { rotation: { ...makeDesiredKey('x').rotation, deliver: [target] } }));
    const desired = makeDesired([makeDesiredProject('chatbot-prod')], keys);
    const deliver = deliverToTargets(desired, { env: {}, cwd: ws, logger: { debug() {}, info() {}, warn() {} }, redirectTo: dir });
    const value = `gsk_${'A'.repeat(48)}`;
    for (const key of keys)
      await deliver(
        makeKeyChange('create', { key: key.name }),
        {
          key: { id: 'key_1', name: key.name, redacted_value: 'gsk_…AAAA', created_at: 0, last_used_at: null, marks: null },
          value,
          replayed: false,
        },
        'proj_1',
      );
    const files = (fs.readdirSync(ws, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(ws, f)).isFile());
    expect(files).toHaveLength(hostile.length);
    for (const f of files) expect(path.resolve(ws, f).startsWith(dir + path.sep), f).toBe(true);
    expect(files.map((f) => path.relative(dir, path.join(ws, f))).sort()).toEqual(
      [
        'github/%2E%2E/%2E%2E/%2E%2E/%2E%2E',
        // Dots stay where they cannot climb: only a part of dots alone is escaped; no / survives.
        'github/acme/chatbot/..%2F..%2F..%2Fx/GROQ_API_KEY',
        'github/acme/chatbot/_repository/A%0A%1B%5B2J%2F..%2F..%2FB',
        'vault/%2E%2E/%2E%2E/%2E%2E/%2E%2E/escaped.api_key',
        'vault/secret/data/.....%2Fx',
      ].sort(),
    );
  });
});

describe('item 12: answers and lists are bounded', () => {
  it('an endless answer is cut off at 16 MiB with an error naming the path and the limit, not retried', async () => {
    let written = 0;
    let closed = false;
    const api = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      res.on('close', () => (closed = true));
      const pump = () => {
        while (!closed && written < 1024 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      res.write('{"data": "');
      pump();
    });
    servers.push(api);
    const client = new GroqClient({ baseUrl: api.url, adminKey: fakeSecret() });
    const e = (await client.getOrganization().catch((x) => x)) as ProtocolError;
    await client.close();
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e.message).toBe(
      'GET /openai/v1/organization failed: the answer is larger than 16 MiB, the most groq-rbac reads from one answer of this API; it was not read further, nor retried',
    );
    expect(api.seen).toHaveLength(1);
    await expect.poll(() => closed).toBe(true);
    // It stopped soon after the cap (what was in flight in the socket buffers), not at the server's 1 GiB.
    expect(written).toBeLessThan(64 * 1024 * 1024);
  });

  it('a declared length over the cap is refused without reading the body', async () => {
    const api = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(2 * 1024 * 1024 * 1024) });
      res.write('{');
      // …and nothing more: a client that waited for the body would hang here.
    });
    servers.push(api);
    const client = new GroqClient({ baseUrl: api.url, adminKey: fakeSecret() });
    const e = (await client.listProjects().catch((x) => x)) as ProtocolError;
    await client.close();
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e.message).toContain('GET /openai/v1/organization/projects failed: the answer is larger than 16 MiB');
    expect(api.seen).toHaveLength(1);
  });

  it('a server that answers every page with the same cursor gets two requests, then an error', async () => {
    const api = await startServer((_req, res) =>
      json(res, 200, {
        object: 'list',
        data: [{ id: 'key_1', object: 'organization.project.api_key' }],
        first_id: 'key_1',
        last_id: 'key_1',
        has_more: true,
      }),
    );
    servers.push(api);
    const client = new GroqClient({ baseUrl: api.url, adminKey: fakeSecret() });
    const e = (await client.listProjectKeys('proj_1').catch((x) => x)) as ProtocolError;
    await client.close();
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e.message).toBe(
      'GET /openai/v1/organization/projects/proj_1/api_keys failed: the server sent the same last_id cursor twice, so the list would never end; stopped after 2 pages',
    );
    expect(api.seen.map((r) => r.url)).toEqual([
      '/openai/v1/organization/projects/proj_1/api_keys?limit=100',
      '/openai/v1/organization/projects/proj_1/api_keys?limit=100&after=key_1',
    ]);
  });

  it('a usage cursor that repeats is an error too', async () => {
    const api = await startServer((_req, res) => json(res, 200, { object: 'page', data: [], has_more: true, next_page: 'page_again' }));
    servers.push(api);
    const client = new GroqClient({ baseUrl: api.url, adminKey: fakeSecret() });
    const e = (await client
      .listCompletionsUsage({ start_time: 1764201600, end_time: 1764288000, bucket_width: '1d' })
      .catch((x) => x)) as ProtocolError;
    await client.close();
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e.message).toContain('the server sent the same next_page cursor twice');
    expect(api.seen).toHaveLength(2);
  });
});

describe('item 14: a proxy that refuses the tunnel is named, not a crash', () => {
  /** A proxy on 127.0.0.1 that answers every CONNECT with `status`, recording what it was asked. */
  async function startRefusingProxy(status: number, text: string) {
    const seen: { line: string; authorization: string | undefined }[] = [];
    const server = http.createServer((req, res) => {
      seen.push({ line: `${req.method} ${req.url}`, authorization: req.headers.authorization });
      res.writeHead(status);
      res.end();
    });
    server.on('connect', (req: http.IncomingMessage, socket: Socket) => {
      seen.push({ line: `CONNECT ${req.url}`, authorization: req.headers.authorization });
      socket.end(
        `HTTP/1.1 ${status} ${text}\r\ncontent-length: 0\r\n${status === 407 ? 'proxy-authenticate: Basic realm="corp"\r\n' : ''}\r\n`,
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    servers.push({
      server,
      seen: [],
      port: 0,
      url,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    });
    return { url, seen };
  }

  it.each([
    [403, 'Forbidden'],
    [407, 'Proxy Authentication Required'],
  ])('CONNECT answered %i: the CLI says which proxy refused which host, once, and sends no key', async (status, text) => {
    const proxy = await startRefusingProxy(status, text);
    for (const k of ['https_proxy', 'http_proxy', 'HTTP_PROXY', 'NO_PROXY', 'no_proxy']) delete process.env[k];
    process.env.HTTPS_PROXY = proxy.url;
    const adminKey = fakeSecret();
    const ws = writePolicies({ 'org.yaml': ORG_YAML });
    // api.groq.test never resolves: were the proxy bypassed, nothing would leave this machine either.
    const result = await runCli(['plan', '--policies', ws, '--base-url', 'https://api.groq.test'], {
      cwd: ws,
      env: { GROQ_ADMIN_KEY: adminKey },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).not.toContain('unexpected');
    expect(result.stderr).toContain(
      `failed: the proxy ${proxy.url} refused to open a tunnel to api.groq.test:443 (${status} ${text}): check HTTPS_PROXY/HTTP_PROXY and NO_PROXY`,
    );
    expect(result.stderr).not.toContain(adminKey);
    // Only tunnels were asked for, and each of the first reads (five org reads and the project list, in
    // parallel) asked once: a refusal is not retried, the proxy's answer will not change.
    expect(new Set(proxy.seen.map((s) => s.line))).toEqual(new Set(['CONNECT api.groq.test:443']));
    expect(proxy.seen.length).toBeLessThanOrEqual(6);
    expect(proxy.seen.every((s) => s.authorization === undefined)).toBe(true);
  });
});
