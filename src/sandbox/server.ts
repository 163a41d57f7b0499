import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearerToken, requireAdmin } from './auth.js';
import { controlRoutes, type Stats } from './control.js';
import { UserError } from '../core/errors.js';
import { SandboxError, invalid, invalidApiKey, notFound } from './errors.js';
import { FaultTable, type Fault } from './faults.js';
import { Inference } from './inference.js';
import { OrgState } from './org-state.js';
import { StateFile } from './persistence.js';
import { groqMemberRoutes, memberControlRoutes, presentGroqInvite } from './member-routes.js';
import { DEFAULT_OWNER_EMAIL, isEmail } from './members.js';
import { compileRoutes, matchRoute, type Reply, type Route } from './router.js';
import { openAiErrorBody, mismatchedOrganization } from './openai/errors.js';
import { newServiceAccountKeyValue, redactOpenAiKey } from './openai/keys.js';
import { OPENAI_MEMBER_RULES, openAiMemberRoutes, presentOpenAiInvite } from './openai/members.js';
import { openAiCatalogue } from './openai/models.js';
import { OPENAI_ORG_DEFAULTS } from './openai/rate-limits.js';
import { openAiRoutes } from './openai/routes.js';
import { apiRoutes } from './routes.js';
import { StateLock } from './state-lock.js';

/**
 * On every answer: says "this is the stand-in, not Groq", for people and tools reading the traffic.
 * groq-rbac itself never acts on it (any server could send it): sandbox deliveries come only from
 * --sandbox or --sandbox-url (src/cli/connect.ts).
 */
export const SANDBOX_HEADER = 'x-groq-rbac-sandbox';

export type SandboxProvider = 'groq' | 'openai';

export interface SandboxOptions {
  /**
   * Whose API it speaks: `groq` (default) serves contract v2 under `/openai/v1`; `openai` serves
   * OpenAI's Administration API and inference under `/v1` (docs/openai-admin-api.md) from the same engine.
   */
  provider?: SandboxProvider;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Where state persists across restarts (locked while this sandbox runs); none keeps it in memory. */
  statePath?: string;
  adminKey?: string;
  /**
   * The e-mail of the organization's first owner, whose the admin key is (default
   * `owner@sandbox.example`). Seeded when the organization has no members; a state file's own owner stays.
   */
  owner?: string;
  orgId?: string;
  latencyMs?: number;
  /** How long `last_used_at` lags traffic. */
  usageLagSeconds?: number;
  /** How long month-to-date spend (and so the spend limit) lags traffic; Groq's is 10–15 minutes. */
  spendLagSeconds?: number;
  /**
   * Test-only (the resilience suite's crash points and key capture): called for each organization-API
   * request (not `/_sandbox/`), with `phase: 'before'` as it arrives and `phase: 'after'` once it
   * succeeded and its change is committed, before the answer is sent. Returning (or resolving to)
   * `'drop'` destroys the connection instead of going on. Unset, it costs nothing.
   */
  onRequest?: (event: SandboxRequestEvent) => void | 'drop' | Promise<void | 'drop'>;
}

/** What `onRequest` sees. `reply` (status and body, a new key's `value` included) only `after`. */
export interface SandboxRequestEvent {
  phase: 'before' | 'after';
  method: string;
  path: string;
  /** The route template (`/openai/v1/organization/projects/{project_id}/api_keys`), null when none matched. */
  route: string | null;
  reply?: { status: number; body: unknown };
}

export interface Sandbox {
  provider: SandboxProvider;
  url: string;
  port: number;
  adminKey: string;
  state: OrgState;
  inference: Inference;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1_048_576;
const EMPTY_QUERY = new URLSearchParams();

/** Starts the sandbox Groq organization: contract v2 over real HTTP, plus the `/_sandbox/` control surface. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const provider = options.provider ?? 'groq';
  const openai = provider === 'openai';
  if (options.owner !== undefined && !isEmail(options.owner))
    throw new UserError(`the sandbox's owner must be an e-mail address, such as ${DEFAULT_OWNER_EMAIL}`);
  // A generated admin key is the sandbox's own, on both providers: `sandbox-admin-…` is no secret shape
  // the redactor hides (a real OpenAI admin key, `sk-admin-…`, is), so `groq-rbac sandbox` can print it.
  const adminKey = options.adminKey ?? `sandbox-admin-${randomBytes(24).toString('hex')}`;
  // OpenAI's organization ids are `org-…`, Groq's (assumed) `org_…`.
  const orgId = options.orgId ?? (openai ? 'org-sandbox' : undefined);
  const lock = options.statePath ? StateLock.acquire(options.statePath) : null;
  let store: StateFile | null = null;
  let state: OrgState;
  try {
    const snapshot = options.statePath ? StateFile.load(options.statePath) : undefined;
    state = new OrgState({
      ...(orgId ? { orgId } : {}),
      usageLagSeconds: options.usageLagSeconds ?? 0,
      spendLagSeconds: options.spendLagSeconds ?? 0,
      ...(snapshot ? { snapshot } : {}),
      owner: options.owner ?? DEFAULT_OWNER_EMAIL,
      ...(openai
        ? {
            catalogue: openAiCatalogue,
            keyValue: newServiceAccountKeyValue,
            redactValue: redactOpenAiKey,
            defaultLimits: OPENAI_ORG_DEFAULTS,
            memberRules: OPENAI_MEMBER_RULES,
          }
        : {}),
    });
    if (options.statePath) {
      const file = new StateFile(options.statePath, () => state.snapshot());
      await file.compact();
      state.onChange = (delta) => file.append(delta);
      store = file;
    }
  } catch (error) {
    lock?.release();
    throw error;
  }
  const inference = new Inference(state);
  const faults = new FaultTable();
  const stats: Stats = { requests_total: 0, by_route: {} };
  const routes = compileRoutes([
    ...(openai ? openAiRoutes(state, inference) : apiRoutes(state, inference)),
    ...(openai ? openAiMemberRoutes(state, adminKey) : groqMemberRoutes(state)),
    ...controlRoutes(state, inference, faults, stats),
    ...memberControlRoutes(state, provider, openai ? presentOpenAiInvite : presentGroqInvite),
  ]);
  const errorBody = (e: SandboxError): unknown => (openai ? openAiErrorBody(e) : e.toBody());
  const isProjectKey = (token: string) => state.authenticate(token) !== null;
  const latencyMs = options.latencyMs ?? 0;
  const onRequest = options.onRequest;

  // Request ids as Groq's (`req_` + 26 characters): a per-run prefix and a counter, cheaper than a UUID per request.
  const idPrefix = randomBytes(8).toString('hex');
  let requestCount = 0;
  let dateSecond = -1;
  let dateText = '';

  const server = http.createServer((req, res) => {
    const requestId = `req_${idPrefix}${(++requestCount).toString(36).padStart(10, '0')}`;
    if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
      void handle(req, res, requestId, '');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on(
      'end',
      () =>
        void handle(
          req,
          res,
          requestId,
          size > MAX_BODY_BYTES ? null : chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'),
        ),
    );
  });
  server.keepAliveTimeout = 30_000;

  function send(res: http.ServerResponse, requestId: string, reply: Reply): void {
    const nowMs = state.nowMs();
    const second = Math.floor(nowMs / 1000);
    // The Date header follows the sandbox clock, so clients plan against the organization's own time.
    if (second !== dateSecond) {
      dateSecond = second;
      dateText = new Date(second * 1000).toUTCString();
    }
    if (reply.events) {
      res.writeHead(reply.status, { 'x-request-id': requestId, date: dateText, [SANDBOX_HEADER]: '1', ...reply.headers });
      for (const e of reply.events) res.write(e);
      res.end();
      return;
    }
    // With its length known the answer goes out as one write, not as chunked encoding (writev of
    // header, chunk size, body and trailer), and clients parse it faster.
    const body = reply.body === undefined ? '' : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'x-request-id': requestId,
      date: dateText,
      [SANDBOX_HEADER]: '1',
      ...reply.headers,
    });
    res.end(body);
  }

  /** Answers an injected fault (a dropped connection or an error status); false when it has neither. */
  function answerFault(req: http.IncomingMessage, res: http.ServerResponse, requestId: string, fault: Fault): boolean {
    if (fault.reset) {
      req.socket.destroy();
      return true;
    }
    if (!fault.status) return false;
    const code = fault.code ?? (fault.status === 429 ? 'rate_limit_exceeded' : 'internal_error');
    const type = fault.status >= 500 ? 'internal_server_error' : 'invalid_request_error';
    const headers = fault.retry_after !== undefined ? { 'retry-after': String(fault.retry_after) } : undefined;
    send(res, requestId, {
      status: fault.status,
      body: errorBody(new SandboxError(fault.status, code, `Injected fault: ${fault.status}.`, type)),
      ...(headers ? { headers } : {}),
    });
    return true;
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, requestId: string, rawBody: string | null): Promise<void> {
    let lateFault: Fault | undefined;
    try {
      const method = req.method ?? 'GET';
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const pathname = q < 0 ? url : url.slice(0, q);
      const query = q < 0 ? EMPTY_QUERY : new URLSearchParams(url.slice(q + 1));
      const found = matchRoute(routes, method, pathname);
      const control = found.route?.access === 'control' || pathname.startsWith('/_sandbox/');
      if (!control) {
        stats.requests_total += 1;
        const key = `${method} ${found.route ? found.route.template : pathname}`;
        stats.by_route[key] = (stats.by_route[key] ?? 0) + 1;
        if (latencyMs) await sleep(latencyMs);
        if (onRequest && (await onRequest({ phase: 'before', method, path: pathname, route: found.route?.template ?? null })) === 'drop') {
          req.socket.destroy();
          return;
        }
        const fault = faults.take(method, pathname);
        if (fault) {
          if (fault.delay_ms) await sleep(fault.delay_ms);
          if (fault.after_commit) lateFault = fault;
          else if (answerFault(req, res, requestId, fault)) return;
        }
      }
      if (!found.route) {
        if (found.pathExists) throw new SandboxError(405, 'method_not_allowed', `${method} is not allowed on ${pathname}.`);
        throw notFound('unknown_url', `Unknown request URL: ${method} ${pathname}.`);
      }
      const route: Route = found.route;
      const token = bearerToken(req.headers);
      if (route.access !== 'inference') requireAdmin(token, adminKey, isProjectKey);
      else if (route.method === 'GET' && token !== adminKey && !(token && isProjectKey(token))) throw invalidApiKey();
      // OpenAI checks `OpenAI-Organization` against the key's organization (the sandbox has one).
      if (openai && route.access !== 'control') {
        const named = req.headers['openai-organization'];
        if (typeof named === 'string' && named !== '' && named !== state.organization().id) throw mismatchedOrganization();
      }
      if (rawBody === null) throw invalid('body', 'The request body is larger than 1 MiB.');
      let body: unknown;
      if (rawBody.length > 0) {
        try {
          body = JSON.parse(rawBody);
        } catch {
          throw invalid('body', 'The request body is not valid JSON.');
        }
      }
      const ctx = { params: found.params, query, body, headers: req.headers, token, requestId };
      const idempotencyKey = route.create ? req.headers['idempotency-key'] : undefined;
      let reply: Reply;
      if (typeof idempotencyKey === 'string' && idempotencyKey !== '') {
        const now = state.now();
        const replay = state.idempotency.lookUp(idempotencyKey, pathname, body, now);
        if (replay) {
          reply = { status: replay.status, body: replay.body, headers: { 'idempotent-replayed': 'true' } };
        } else {
          reply = route.handler(ctx);
          if (reply.status < 300) {
            const [k, r] = state.idempotency.remember(idempotencyKey, pathname, body, { status: reply.status, body: reply.body }, now);
            state.emit({ op: 'idem', k, r });
          }
        }
      } else {
        reply = route.handler(ctx);
      }
      // A change is acknowledged only once its journal line is on disk. An inference answer is not
      // a change to the organization: its usage row and last use are written with the next batch,
      // not waited for (Groq's own usage data trails traffic by minutes; a kill loses at most the
      // counts of the last few milliseconds).
      if (store && route.access === 'inference') void store.commit().catch(() => undefined);
      else if (store) await store.commit();
      if (
        onRequest &&
        !control &&
        (await onRequest({
          phase: 'after',
          method,
          path: pathname,
          route: route.template,
          reply: { status: reply.status, body: reply.body },
        })) === 'drop'
      ) {
        req.socket.destroy();
        return;
      }
      if (lateFault && answerFault(req, res, requestId, lateFault)) return;
      send(res, requestId, reply);
    } catch (error) {
      if (error instanceof SandboxError) {
        if (store) await store.commit().catch(() => undefined);
        send(res, requestId, { status: error.status, body: errorBody(error), headers: error.headers });
      } else {
        send(res, requestId, {
          status: 500,
          body: errorBody(new SandboxError(500, 'internal_error', `Sandbox failure: ${(error as Error).message}`, 'internal_server_error')),
        });
      }
    }
  }

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 8787, options.host ?? '127.0.0.1', () => resolve());
    });
  } catch (error) {
    if (store) await store.close();
    lock?.release();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | null = null;
  return {
    provider,
    url: `http://${host}:${address.port}`,
    port: address.port,
    adminKey,
    state,
    inference,
    close() {
      closing ??= (async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        try {
          if (store) await store.close();
        } finally {
          lock?.release();
        }
      })();
      return closing;
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
