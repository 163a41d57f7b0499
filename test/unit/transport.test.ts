import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AdaptiveConcurrency } from '../../src/net/adaptive-concurrency.js';
import { UserError } from '../../src/core/errors.js';
import { causeText, NetworkError, ProtocolError } from '../../src/net/errors.js';
import {
  DEFAULT_MAX_RESPONSE_BYTES,
  HttpTransport,
  parseRetryAfter,
  type HttpRequest,
  type TransportOptions,
} from '../../src/net/transport.js';
import type { Logger } from '../../src/core/log.js';

const BASE = 'https://api.groq.test';
const URL_ORG = `${BASE}/openai/v1/organization`;
const org = { object: 'organization', id: 'org_1', name: 'Acme' };
const error = (code: string, message = 'nope') => ({ error: { message, type: 'invalid_request_error', code } });
const get = (url = URL_ORG): HttpRequest => ({ method: 'GET', url, retrySafe: true });

function makeTransport(extra: TransportOptions = {}) {
  const waits: number[] = [];
  const lines: string[] = [];
  const logger: Logger = { debug: (m) => lines.push(m), info: (m) => lines.push(m), warn: (m) => lines.push(m) };
  const transport = new HttpTransport({ logger, sleep: async (ms) => void waits.push(ms), random: () => 0.5, ...extra });
  return { transport, waits, lines };
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('retries', () => {
  it('waits retry-after plus jitter on 429, then succeeds', async () => {
    const scope = nock(BASE)
      .get('/openai/v1/organization')
      .reply(429, error('rate_limit_exceeded'), { 'retry-after': '3' })
      .get('/openai/v1/organization')
      .reply(200, org);
    const { transport, waits, lines } = makeTransport();
    const response = await transport.request(get());
    expect(response).toMatchObject({ status: 200, body: org });
    // 3 s from the server, plus random() × a quarter of it (750 ms): 0.5 × 750.
    expect(waits).toEqual([3375]);
    expect(lines).toContain('retrying GET /openai/v1/organization after 429 (attempt 2/20, waiting 3.38s, 1 in flight at most)');
    expect(scope.isDone()).toBe(true);
  });

  it('keeps retrying pushback (429) past the attempts for failures, within the time budget', async () => {
    const waits: number[] = [];
    let calls = 0;
    const fetchStub = (async () => {
      calls += 1;
      return calls <= 6
        ? new Response('{}', { status: 429, headers: { 'retry-after': '0', 'content-type': 'application/json' } })
        : new Response('{"ok":true}', { status: 200, headers: { 'content-type': 'application/json' } });
    }) as unknown as typeof fetch;
    const pushed = new HttpTransport({ maxAttempts: 2, sleep: async (ms) => void waits.push(ms), random: () => 0, fetch: fetchStub });
    const res = await pushed.request({ method: 'GET', url: 'http://127.0.0.1:9/x', retrySafe: true });
    expect(res.status).toBe(200);
    expect(calls).toBe(7);
    expect(waits).toHaveLength(6);
    await pushed.close();
  });

  it('never waits less than retry-after, and spreads workers pushed back together', async () => {
    const draws = [0, 0.999, 0.25, 0.5, 0.75, 0.1, 0.9, 0.6];
    const waits: number[] = [];
    const transport = new HttpTransport({ sleep: async (ms) => void waits.push(ms), random: () => draws[waits.length]! });
    const scope = nock(BASE)
      .get('/openai/v1/organization')
      .times(8)
      .reply(429, error('rate_limit_exceeded'), { 'retry-after': '1' })
      .get('/openai/v1/organization')
      .times(8)
      .reply(200, org);
    await Promise.all(Array.from({ length: 8 }, () => transport.request(get())));
    expect(waits.every((w) => w >= 1000 && w <= 1250)).toBe(true);
    // Eight workers, eight different moments (base delay 250 ms is the jitter span for a 1 s retry-after).
    expect(new Set(waits).size).toBe(8);
    expect(Math.min(...waits)).toBe(1000);
    expect(scope.isDone()).toBe(true);
  });

  it('backs off exponentially with jitter on 5xx and 498', async () => {
    const scope = nock(BASE)
      .get('/openai/v1/organization')
      .reply(500)
      .get('/openai/v1/organization')
      .reply(503)
      .get('/openai/v1/organization')
      .reply(498)
      .get('/openai/v1/organization')
      .reply(200, org);
    const { transport, waits } = makeTransport();
    expect((await transport.request(get())).status).toBe(200);
    // base 250 ms doubling; with random() = 0.5 each wait is 3/4 of its ceiling.
    expect(waits).toEqual([188, 375, 750]);
    expect(scope.isDone()).toBe(true);
  });

  // Dropped connections come from a fake fetch throwing what undici throws: nock 15's replyWithError breaks on fetch.
  const dropping = (drops: number) => {
    let calls = 0;
    const fetch = (async () => {
      if (calls++ < drops)
        throw new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
      return new Response(JSON.stringify(org), { status: 200, headers: { 'content-type': 'application/json' } });
    }) as typeof globalThis.fetch;
    return { fetch, calls: () => calls };
  };

  it('retries a dropped connection on a retry-safe request', async () => {
    const api = dropping(1);
    const { transport, lines } = makeTransport({ fetch: api.fetch });
    expect(await transport.request(get())).toMatchObject({ status: 200, body: org });
    expect(lines).toEqual(['retrying GET /openai/v1/organization after ECONNRESET (attempt 2/5, waiting 0.19s)']);
    expect(api.calls()).toBe(2);
  });

  it('sends a request that is not retry-safe exactly once, whatever happens', async () => {
    const scope = nock(BASE).post('/openai/v1/chat/completions').once().reply(503, error('overloaded'));
    const { transport, waits } = makeTransport();
    const response = await transport.request({
      method: 'POST',
      url: `${BASE}/openai/v1/chat/completions`,
      body: { model: 'm' },
      retrySafe: false,
    });
    expect(response.status).toBe(503);
    expect(waits).toEqual([]);
    expect(scope.isDone()).toBe(true);

    const api = dropping(1);
    const e = await makeTransport({ fetch: api.fetch })
      .transport.request({ method: 'POST', url: `${BASE}/openai/v1/chat/completions`, body: { model: 'm' }, retrySafe: false })
      .catch((x) => x);
    expect(e).toBeInstanceOf(NetworkError);
    expect(e.reason).toBe('ECONNRESET');
    expect(e.message).toContain('POST https://api.groq.test/openai/v1/chat/completions failed: ECONNRESET.');
    expect(api.calls()).toBe(1);
  });

  it('does not wait longer than the retry budget: a long retry-after fails at once', async () => {
    nock(BASE).get('/openai/v1/organization').reply(429, error('rate_limit_exceeded', 'slow down'), { 'retry-after': '120' });
    const { transport, waits } = makeTransport({ maxRetryTimeMs: 60_000 });
    expect((await transport.request(get())).status).toBe(429);
    expect(waits).toEqual([]);
  });

  it('gives up after maxAttempts and returns the last response', async () => {
    const scope = nock(BASE).get('/openai/v1/organization').times(3).reply(502, error('bad_gateway', 'upstream'));
    const { transport, waits } = makeTransport({ maxAttempts: 3 });
    expect((await transport.request(get())).status).toBe(502);
    expect(waits).toHaveLength(2);
    expect(scope.isDone()).toBe(true);
  });

  it.each([400, 401, 403, 404, 409, 413, 422])('does not retry %i', async (status) => {
    const scope = nock(BASE).get('/openai/v1/organization').once().reply(status, error('x'));
    const { transport, waits } = makeTransport();
    expect((await transport.request(get())).status).toBe(status);
    expect(waits).toEqual([]);
    expect(scope.isDone()).toBe(true);
  });
});

describe('what the transport refuses', () => {
  /** A fetch that records what it is asked to send, and answers `answer()`. */
  const recording = (
    answer: () => Response = () => new Response(JSON.stringify(org), { status: 200, headers: { 'content-type': 'application/json' } }),
  ) => {
    const sent: { url: string; init: RequestInit & { redirect?: string } }[] = [];
    const fetch = (async (url: string, init: RequestInit) => {
      sent.push({ url, init });
      return answer();
    }) as unknown as typeof globalThis.fetch;
    return { fetch, sent };
  };

  it('sends nothing over http:// to another machine, with or without a key; loopback http is fine', async () => {
    const api = recording();
    const { transport } = makeTransport({ fetch: api.fetch });
    for (const url of [
      'http://api.groq.com/openai/v1/organization',
      'http://10.0.0.7:8080/openai/v1/organization',
      'http://[2001:db8::1]/openai/v1/organization',
    ]) {
      const e = await transport.request({ ...get(url), headers: { authorization: 'Bearer not-sent-anywhere' } }).catch((x) => x);
      expect(e).toBeInstanceOf(UserError);
      expect(e.message).toMatch(
        /^refusing to send GET \/openai\/v1\/organization to http:\/\/.+: it is not https:\/\/, so the admin key would travel in clear text/,
      );
    }
    expect(api.sent).toEqual([]);
    for (const url of ['http://127.0.0.1:9/x', 'http://localhost:9/x', 'http://[::1]:9/x', `${BASE}/x`]) await transport.request(get(url));
    expect(api.sent.map((r) => r.url)).toEqual(['http://127.0.0.1:9/x', 'http://localhost:9/x', 'http://[::1]:9/x', `${BASE}/x`]);
  });

  it('asks fetch not to follow redirects, and makes a 3xx an error that is not retried', async () => {
    const api = recording(() => new Response(null, { status: 307, headers: { location: 'https://elsewhere.test/steal?x=1' } }));
    const { transport, waits } = makeTransport({ fetch: api.fetch });
    const e = await transport.request({ method: 'POST', url: URL_ORG, body: { a: 1 }, retrySafe: true }).catch((x) => x);
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e.message).toBe(
      'POST /openai/v1/organization failed: the server answered 307, a redirect to https://elsewhere.test; the admin API never redirects, so it was not followed and nothing was sent there: check the base URL (--base-url / GROQ_BASE_URL)',
    );
    expect(api.sent).toHaveLength(1);
    expect(api.sent[0]!.init.redirect).toBe('manual');
    expect(waits).toEqual([]);
  });

  it('reads at most the cap: a longer body, declared or not, is an error naming the path and the limit, not retried', async () => {
    expect(DEFAULT_MAX_RESPONSE_BYTES).toBe(16 * 1024 * 1024);
    const big = JSON.stringify({ data: 'x'.repeat(2048) });
    // Declared: refused before reading.
    const declared = nock(BASE)
      .get('/openai/v1/organization')
      .once()
      .reply(200, big, { 'content-type': 'application/json', 'content-length': String(big.length) });
    const { transport, waits } = makeTransport({ maxResponseBytes: 1024 });
    const e = await transport.request(get()).catch((x) => x);
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e.message).toBe(
      'GET /openai/v1/organization failed: the answer is larger than 1024 bytes, the most groq-rbac reads from one answer of this API; it was not read further, nor retried',
    );
    expect(declared.isDone()).toBe(true);
    // Streamed without a length: cut off once past the cap.
    let pulled = 0;
    const endless = recording(
      () =>
        new Response(
          new ReadableStream({
            pull(c) {
              pulled++;
              c.enqueue(new Uint8Array(512));
            },
          }),
          { status: 200 },
        ),
    );
    const streamed = await makeTransport({ fetch: endless.fetch, maxResponseBytes: 4096 })
      .transport.request(get())
      .catch((x) => x);
    expect(streamed).toBeInstanceOf(ProtocolError);
    expect(streamed.message).toContain('larger than 4096 bytes');
    expect(endless.sent).toHaveLength(1);
    expect(pulled).toBeLessThan(20);
    // A request may ask for more; within the cap, a body is read whole.
    nock(BASE).get('/openai/v1/organization').reply(200, big, { 'content-type': 'application/json' });
    expect((await transport.request({ ...get(), maxBytes: 4096 })).body).toEqual({ data: 'x'.repeat(2048) });
    expect(waits).toEqual([]);
  });

  it('names the proxy that refused a tunnel, and does not retry it', async () => {
    // What undici throws (lib/dispatcher/proxy-agent.js): fetch failed → AbortError (code 0, a number) → its refusal.
    const refusal = () =>
      new TypeError('fetch failed', {
        cause: Object.assign(new DOMException('Request was cancelled.', 'AbortError'), {
          cause: Object.assign(new Error('Proxy response (407) !== 200 when HTTP Tunneling'), { code: 'UND_ERR_ABORTED' }),
        }),
      });
    let calls = 0;
    const fetch = (async () => {
      calls++;
      throw refusal();
    }) as unknown as typeof globalThis.fetch;
    const e = await makeTransport({ fetch })
      .transport.request(get())
      .catch((x) => x);
    expect(e).toBeInstanceOf(NetworkError);
    expect(e.retryable).toBe(false);
    expect(e.message).toMatch(
      /^GET https:\/\/api\.groq\.test\/openai\/v1\/organization failed: the proxy .+ refused to open a tunnel to api\.groq\.test:443 \(407 Proxy Authentication Required\): check HTTPS_PROXY\/HTTP_PROXY and NO_PROXY$/,
    );
    expect(calls).toBe(1);
    // Named when known; its credentials never shown.
    const named = new NetworkError({ method: 'GET', url: URL_ORG, timedOut: false, cause: refusal(), proxy: 'http://proxy.corp:3128' });
    expect(named.message).toContain(
      'the proxy http://proxy.corp:3128 refused to open a tunnel to api.groq.test:443 (407 Proxy Authentication Required)',
    );
  });

  it('describes any cause as text, whatever its code or shape', () => {
    expect(causeText(Object.assign(new Error('cancelled'), { code: 0 }))).toBe('cancelled');
    expect(causeText(new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }))).toBe(
      'ECONNREFUSED',
    );
    expect(causeText({ code: 42, message: { nested: true } })).toBe('[object Object]');
    expect(causeText(Symbol('s'))).toBe('Symbol(s)');
    expect(causeText(null)).toBe('null');
    const cycle: { cause?: unknown; message: string } = { message: 'loop' };
    cycle.cause = cycle;
    expect(causeText(cycle)).toBe('loop');
    expect(causeText(Object.create(null))).toBe('unknown error');
    for (const cause of [0, 1n, { code: 0 }, new DOMException('x', 'AbortError'), Object.create(null)]) {
      expect(typeof new NetworkError({ method: 'GET', url: URL_ORG, timedOut: false, cause }).message).toBe('string');
    }
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds, fractions and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryAfter(null)).toBeNull();
  });
});

describe('AdaptiveConcurrency', () => {
  it('halves what was in flight after a 429, once per burst, never below 1', async () => {
    const gate = new AdaptiveConcurrency(32);
    const permits = await Promise.all(Array.from({ length: 8 }, () => gate.acquire()));
    expect(gate.inFlight).toBe(8);
    // Eight workers under a ceiling of 32: the first 429 leaves 4, not 16.
    gate.release(permits[0]!, 'throttled');
    expect(gate.limit).toBe(4);
    // The other 429s of the same burst were sent before the decrease: no further halving.
    for (const p of permits.slice(1)) gate.release(p, 'throttled');
    expect(gate.limit).toBe(4);
    for (let i = 0; i < 5; i++) gate.release(await gate.acquire(), 'throttled');
    expect(gate.limit).toBe(1);
  });

  it('grows by one after a window of successes, up to its maximum', async () => {
    const gate = new AdaptiveConcurrency(3, 1);
    const succeed = async (n: number) => {
      for (let i = 0; i < n; i++) gate.release(await gate.acquire(), 'success');
    };
    await succeed(1);
    expect(gate.limit).toBe(2);
    await succeed(1);
    expect(gate.limit).toBe(2);
    await succeed(1);
    expect(gate.limit).toBe(3);
    await succeed(20);
    expect(gate.limit).toBe(3);
    gate.release(await gate.acquire(), 'neutral');
    expect(gate.limit).toBe(3);
  });

  it('lets no more than the limit through, first come first served', async () => {
    const gate = new AdaptiveConcurrency(2);
    const order: number[] = [];
    const held = await Promise.all([gate.acquire(), gate.acquire()]);
    const waiting = [1, 2, 3].map((n) => gate.acquire().then((p) => (order.push(n), p)));
    await Promise.resolve();
    expect(order).toEqual([]);
    gate.release(held[0]!, 'neutral');
    const first = await waiting[0]!;
    expect(order).toEqual([1]);
    expect(gate.inFlight).toBe(2);
    gate.release(held[1]!, 'neutral');
    gate.release(first, 'neutral');
    await Promise.all(waiting);
    expect(order).toEqual([1, 2, 3]);
  });
});

/**
 * A fake API that serves at most `capacity` requests at once and answers 429 (retry-after 0) to
 * the rest, counting what it saw. Its latency is real (a few ms), so requests overlap.
 */
function fakeRateLimitedApi(capacity: number) {
  const seen = { inFlight: 0, maxInFlight: 0, ok: 0, throttled: 0 };
  const fetch = (async () => {
    seen.inFlight++;
    seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
    const over = seen.inFlight > capacity;
    await new Promise((resolve) => setTimeout(resolve, 3));
    seen.inFlight--;
    if (over) {
      seen.throttled++;
      return new Response(JSON.stringify(error('rate_limit_exceeded')), {
        status: 429,
        headers: { 'content-type': 'application/json', 'retry-after': '0' },
      });
    }
    seen.ok++;
    return new Response(JSON.stringify(org), { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof globalThis.fetch;
  return { fetch, seen };
}

describe('the transport slows down as a whole when the server pushes back', () => {
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  let seed = 1;
  // Deterministic jitter, so the comparison below does not depend on luck.
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;

  it('finishes 300 requests against an API serving 4 at a time, where the same requests without the gate fail piecemeal', async () => {
    const gatedApi = fakeRateLimitedApi(4);
    const gated = new HttpTransport({ fetch: gatedApi.fetch, connections: 32, baseDelayMs: 5, sleep, random });
    const results = await Promise.all(Array.from({ length: 300 }, () => gated.request(get())));
    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    expect(gatedApi.seen.ok).toBe(300);
    expect(gated.gate.limit).toBeLessThanOrEqual(5);

    const ungatedApi = fakeRateLimitedApi(4);
    const ungated = new HttpTransport({ fetch: ungatedApi.fetch, connections: 32, baseDelayMs: 5, sleep, random });
    const blind = await Promise.all(Array.from({ length: 300 }, () => ungated.request({ ...get(), gated: false })));
    expect(blind.filter((r) => r.status === 429).length).toBeGreaterThan(100);
    // The gate probes above the capacity now and then and backs off each time: far fewer 429s than retrying blindly.
    expect(gatedApi.seen.throttled * 4).toBeLessThan(ungatedApi.seen.throttled);
    expect(ungatedApi.seen.maxInFlight).toBe(300);
  });

  it('never has more requests in flight than its connections', async () => {
    const api = fakeRateLimitedApi(1000);
    const transport = new HttpTransport({ fetch: api.fetch, connections: 6, sleep, random });
    await Promise.all(Array.from({ length: 50 }, () => transport.request(get())));
    expect(api.seen.maxInFlight).toBe(6);
    expect(api.seen.ok).toBe(50);
  });

  it('leaves inference requests out of the gate: a key over its own limit does not slow the admin calls', async () => {
    const api = fakeRateLimitedApi(0);
    const transport = new HttpTransport({ fetch: api.fetch, connections: 8, sleep, random, maxAttempts: 1 });
    await Promise.all(
      Array.from({ length: 8 }, () =>
        transport.request({ method: 'POST', url: `${BASE}/openai/v1/chat/completions`, body: {}, retrySafe: false, gated: false }),
      ),
    );
    expect(api.seen.throttled).toBe(8);
    expect(transport.gate.limit).toBe(8);
  });
});
