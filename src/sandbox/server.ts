import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SandboxError, invalid } from './errors.js';
import { OrgState, type Reply } from './org-state.js';
import { StateFile } from './persistence.js';

export interface SandboxOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Where state persists across restarts; none keeps it in memory. */
  statePath?: string;
  adminKey?: string;
  orgId?: string;
  latencyMs?: number;
  usageLagSeconds?: number;
}

export interface Sandbox {
  url: string;
  port: number;
  adminKey: string;
  state: OrgState;
  close(): Promise<void>;
}

interface Fault {
  method?: string;
  path: string;
  status?: number;
  code?: string;
  retry_after?: number;
  delay_ms?: number;
  reset?: boolean;
  times: number;
}

type Handler = (ctx: { params: string[]; query: URLSearchParams; body: unknown; headers: http.IncomingHttpHeaders; requestId: string }) => Reply;
interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  admin: boolean;
  handler: Handler;
}

/** Starts the sandbox Groq organization: the contract over real HTTP, plus the `/_sandbox/` control surface. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const adminKey = options.adminKey ?? `sandbox-admin-${randomBytes(24).toString('hex')}`;
  const snapshot = options.statePath ? StateFile.load(options.statePath) : undefined;
  const state = new OrgState({ ...(options.orgId ? { orgId: options.orgId } : {}), usageLagSeconds: options.usageLagSeconds ?? 0, ...(snapshot ? { snapshot } : {}) });
  const store = options.statePath ? new StateFile(options.statePath, () => state.snapshot()) : null;
  if (store) {
    await store.compact();
    state.onChange = (delta) => store.append(delta);
  }
  let faults: Fault[] = [];
  const stats = { requests_total: 0, by_route: {} as Record<string, number> };

  const routes: Route[] = [];
  const route = (method: string, template: string, handler: Handler, flags: { admin?: boolean } = {}) => {
    const pattern = new RegExp(`^${template.replace(/\{[a-z_]+\}/g, '([^/]+)')}$`);
    routes.push({ method, template, pattern, admin: flags.admin ?? true, handler });
  };
  route('GET', '/openai/v1/organization', () => state.organization());
  route('GET', '/openai/v1/api-keys', ({ query }) => state.listKeys(query));
  route('POST', '/openai/v1/api-keys', ({ body, headers }) => state.createKey(body, headerValue(headers['idempotency-key'])));
  route('GET', '/openai/v1/api-keys/{id}', ({ params }) => state.getKey(params[0]!));
  route('PATCH', '/openai/v1/api-keys/{id}', ({ params, body }) => state.updateKey(params[0]!, body));
  route('DELETE', '/openai/v1/api-keys/{id}', ({ params }) => state.deleteKey(params[0]!));
  route('GET', '/openai/v1/usage', ({ query }) => (query.has('start_date') ? state.dailyUsage(query) : state.usageToday()));
  route('GET', '/openai/v1/organization/spending-limit', () => state.getSpendingLimit());
  route('PUT', '/openai/v1/organization/spending-limit', ({ body }) => state.putSpendingLimit(body));
  route('GET', '/openai/v1/models', () => state.listModels(), { admin: false });
  route('GET', '/openai/v1/models/{id}', ({ params }) => state.getModel(params[0]!), { admin: false });
  route('POST', '/openai/v1/chat/completions', ({ headers, body, requestId }) => state.chatCompletion(bearer(headers), body, requestId), { admin: false });
  route('GET', '/_sandbox/clock', () => ({ status: 200, body: { now: state.now() } }));
  route('POST', '/_sandbox/clock', ({ body }) => ({ status: 200, body: { now: state.advanceClock(Number((body as { advance_seconds?: unknown })?.advance_seconds)) } }));
  route('POST', '/_sandbox/faults', ({ body }) => {
    faults.push(...parseFaults(body));
    return { status: 200, body: { faults } };
  });
  route('DELETE', '/_sandbox/faults', () => {
    faults = [];
    return { status: 200, body: { faults } };
  });
  route('GET', '/_sandbox/stats', () => ({ status: 200, body: stats }));
  route('POST', '/_sandbox/reset', () => {
    state.reset();
    stats.requests_total = 0;
    stats.by_route = {};
    faults = [];
    return { status: 200, body: { reset: true } };
  });

  const server = http.createServer((req, res) => {
    const requestId = `req_${randomUUID().replace(/-/g, '').slice(0, 26)}`;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 1_048_576) chunks.push(c);
    });
    req.on('end', () => {
      void handle(req, res, requestId, size > 1_048_576 ? null : Buffer.concat(chunks).toString('utf8'));
    });
  });
  server.keepAliveTimeout = 30_000;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, requestId: string, rawBody: string | null): Promise<void> {
    const send = (reply: Reply) => {
      const text = JSON.stringify(reply.body);
      // The Date header follows the sandbox clock, so clients plan against the org's own time.
      res.writeHead(reply.status, { 'content-type': 'application/json', 'x-request-id': requestId, date: new Date(state.nowMs()).toUTCString(), ...reply.headers });
      res.end(text);
    };
    try {
      const url = new URL(req.url ?? '/', 'http://sandbox');
      const method = req.method ?? 'GET';
      const found = matchRoute(method, url.pathname);
      const control = url.pathname.startsWith('/_sandbox/');
      if (!control) {
        stats.requests_total += 1;
        const key = `${method} ${found ? found.r.template : url.pathname}`;
        stats.by_route[key] = (stats.by_route[key] ?? 0) + 1;
        const fault = takeFault(method, url.pathname);
        if (options.latencyMs) await sleep(options.latencyMs);
        if (fault) {
          if (fault.delay_ms) await sleep(fault.delay_ms);
          if (fault.reset) {
            req.socket.destroy();
            return;
          }
          if (fault.status) {
            const retryAfter = fault.retry_after !== undefined ? { 'retry-after': String(fault.retry_after) } : undefined;
            send({ status: fault.status, body: { error: { message: `Injected fault: ${fault.status}.`, type: fault.status >= 500 ? 'internal_server_error' : 'invalid_request_error', code: fault.code ?? (fault.status === 429 ? 'rate_limit_exceeded' : 'internal_error') } }, ...(retryAfter ? { headers: retryAfter } : {}) });
            return;
          }
        }
      }
      if (!found) {
        const other = routes.some((r) => r.pattern.test(url.pathname));
        throw other ? new SandboxError(405, 'method_not_allowed', `${method} is not allowed on ${url.pathname}.`) : new SandboxError(404, 'unknown_url', `Unknown request URL: ${method} ${url.pathname}.`);
      }
      const token = bearer(req.headers);
      if (found.r.admin || control) {
        if (token !== adminKey) {
          if (token && state.keyForValue(token)) throw new SandboxError(403, 'permission_denied', 'This endpoint needs an admin key; an inference API key cannot manage the organization.', 'permission_error');
          throw new SandboxError(401, 'invalid_api_key', 'Invalid API Key');
        }
      } else if (found.r.template.startsWith('/openai/v1/models') && token !== adminKey && !(token && state.keyForValue(token))) {
        throw new SandboxError(401, 'invalid_api_key', 'Invalid API Key');
      }
      let body: unknown;
      if (rawBody === null) throw invalid('body', 'The request body is larger than 1 MiB.');
      if (rawBody.length > 0) {
        try {
          body = JSON.parse(rawBody);
        } catch {
          throw invalid('body', 'The request body is not valid JSON.');
        }
      } else if (['POST', 'PUT', 'PATCH'].includes(method) && !control) {
        throw invalid('body', 'The request body must be a JSON object.');
      }
      const reply = found.r.handler({ params: found.m.slice(1).map(decodeURIComponent), query: url.searchParams, body, headers: req.headers, requestId });
      if (store) await store.commit();
      send(reply);
    } catch (error) {
      if (error instanceof SandboxError) {
        send({ status: error.status, body: error.toBody(), headers: error.headers });
      } else {
        send({ status: 500, body: { error: { message: `Sandbox failure: ${(error as Error).message}`, type: 'internal_server_error', code: 'internal_error' } } });
      }
    }
  }

  // On every request: a plain loop, no arrays built.
  function matchRoute(method: string, pathname: string): { r: Route; m: RegExpExecArray } | undefined {
    for (const r of routes) {
      if (r.method !== method) continue;
      const m = r.pattern.exec(pathname);
      if (m) return { r, m };
    }
    return undefined;
  }

  function takeFault(method: string, pathname: string): Fault | undefined {
    const fault = faults.find((f) => (!f.method || f.method.toUpperCase() === method) && (f.path.endsWith('*') ? pathname.startsWith(f.path.slice(0, -1)) : pathname === f.path));
    if (fault && --fault.times <= 0) faults = faults.filter((f) => f !== fault);
    return fault;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8787, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    adminKey,
    state,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (store) await store.close();
    },
  };
}

function bearer(headers: http.IncomingHttpHeaders): string | null {
  const auth = headers.authorization;
  return auth?.startsWith('Bearer ') ? auth.slice(7).trim() : null;
}

function headerValue(v: string | string[] | undefined): string | null {
  return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
}

function parseFaults(body: unknown): Fault[] {
  const list = (body as { faults?: unknown })?.faults;
  if (!Array.isArray(list)) throw invalid('faults', "'faults' must be an array.");
  return list.map((f, i) => {
    const x = f as Partial<Fault>;
    if (typeof x?.path !== 'string') throw invalid(`faults[${i}].path`, "each fault needs a 'path' (exact, or a prefix ending in '*').");
    if (x.status !== undefined && !(Number.isInteger(x.status) && x.status >= 400 && x.status <= 599)) throw invalid(`faults[${i}].status`, "'status' must be an HTTP error status.");
    return { ...x, path: x.path, times: x.times ?? 1 } as Fault;
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
