import { randomBytes } from 'node:crypto';
import type { OrgSession } from '../../../src/app/session.js';
import { idempotencyKeyFor } from '../../../src/apply/apply-change.js';
import type { KeyMarks } from '../../../src/core/domain.js';
import type { TransportOptions } from '../../../src/net/transport.js';
import { decodeName, nonceFor } from '../../../src/providers/openai/bookkeeping.js';
import { OpenAiProvider } from '../../../src/providers/openai/provider.js';
import { startSandbox, type Sandbox, type SandboxRequestEvent } from '../../../src/sandbox/server.js';
import { scannedLogger } from './org.js';
import { scanner } from './secrets.js';

/** The OpenAI sandbox's routes the suite kills and fault-injects at. */
export const OPENAI_ACCOUNTS_ROUTE = '/v1/organization/projects/{project_id}/service_accounts';
export const OPENAI_ACCOUNT_ROUTE = '/v1/organization/projects/{project_id}/service_accounts/{service_account_id}';
export const OPENAI_ORG = 'org-resilience';

/** A service account as the suite sees it: its raw name decoded, and the keys it owns. */
export interface LiveAccount {
  id: string;
  name: string;
  marks: KeyMarks | null;
  nonce: string | null;
  keyIds: string[];
}

export interface OpenAiSnapshotProject {
  id: string;
  name: string;
  accounts: LiveAccount[];
  /** Every key of the project (`owner_project_access=any`), with its owner's service account, if any. */
  keys: { id: string; accountId: string | null }[];
}

export interface IssuedOpenAiKey {
  /** The key's id. */
  id: string;
  accountId: string;
  projectId: string;
}

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface ResilientOpenAiOrg {
  sandbox: Sandbox;
  /** Every key value a service account create answered (lost answers included), with its key and account. */
  issued: Map<string, IssuedOpenAiKey>;
  session(clientOptions?: TransportOptions, concurrency?: number): OrgSession;
  request(method: string, path: string, options?: { body?: unknown; token?: string | null }): Promise<{ status: number; body: Json }>;
  advance(seconds: number): Promise<void>;
  /** Active projects, each with every service account (listed, not only those owning a key) and every key. */
  snapshot(): Promise<OpenAiSnapshotProject[]>;
  close(): Promise<void>;
}

/**
 * The OpenAI sandbox on 127.0.0.1 with a frozen clock, a distinctive admin key, and every key value
 * a service account create answered captured for the leak scanner.
 */
export async function startResilientOpenAiOrg(
  options: { onRequest?: (event: SandboxRequestEvent) => void | 'drop' | Promise<void | 'drop'> } = {},
): Promise<ResilientOpenAiOrg> {
  const issued = new Map<string, IssuedOpenAiKey>();
  const adminKey = `sandbox-admin-${randomBytes(20).toString('hex')}`;
  scanner.addSecret(adminKey);
  const sandbox = await startSandbox({
    provider: 'openai',
    host: '127.0.0.1',
    port: 0,
    adminKey,
    orgId: OPENAI_ORG,
    onRequest(event) {
      if (event.phase === 'after' && event.method === 'POST' && event.route === OPENAI_ACCOUNTS_ROUTE && event.reply?.status === 200) {
        const made = event.reply.body as { id: string; api_key: { id: string; value: string } | null };
        if (made.api_key) {
          scanner.addSecret(made.api_key.value);
          issued.set(made.api_key.value, { id: made.api_key.id, accountId: made.id, projectId: event.path.split('/')[4]! });
        }
      }
      return options.onRequest?.(event);
    },
  });
  const clients: OpenAiProvider[] = [];
  const request = async (method: string, path: string, o: { body?: unknown; token?: string | null } = {}) => {
    const token = o.token === undefined ? adminKey : o.token;
    const res = await fetch(`${sandbox.url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: text && res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text || null,
    };
  };
  const all = async (path: string): Promise<Json[]> => {
    const items: Json[] = [];
    for (let after = ''; ;) {
      const page = await request('GET', `${path}${path.includes('?') ? '&' : '?'}limit=100${after ? `&after=${after}` : ''}`);
      if (page.status !== 200) throw new Error(`GET ${path}: ${page.status} ${JSON.stringify(page.body)}`);
      items.push(...page.body.data);
      if (!page.body.has_more) return items;
      after = page.body.last_id;
    }
  };
  await request('POST', '/_sandbox/clock', { body: { freeze: true } });
  return {
    sandbox,
    issued,
    request,
    session(clientOptions = {}, concurrency = 8) {
      const admin = new OpenAiProvider({
        baseUrl: `${sandbox.url}/v1`,
        adminKey,
        organization: OPENAI_ORG,
        baseDelayMs: 5,
        maxDelayMs: 40,
        logger: scannedLogger('client'),
        ...clientOptions,
      });
      clients.push(admin);
      return { admin, adminKeyRedacted: null, target: 'resilience OpenAI sandbox', concurrency, close: () => admin.close() };
    },
    async advance(seconds) {
      await request('POST', '/_sandbox/clock', { body: { advance_seconds: seconds } });
    },
    async snapshot() {
      const projects = (await all('/v1/organization/projects')).filter((p) => p.status === 'active' && !p.archived_at);
      return Promise.all(
        projects.map(async (p) => {
          const [accounts, keys] = await Promise.all([
            all(`/v1/organization/projects/${p.id}/service_accounts`),
            all(`/v1/organization/projects/${p.id}/api_keys?owner_project_access=any`),
          ]);
          const owned = keys.map((k) => ({
            id: k.id as string,
            accountId: (k.owner?.type === 'service_account' ? k.owner.service_account.id : null) as string | null,
          }));
          return {
            id: p.id as string,
            name: p.name as string,
            accounts: accounts.map((a) => {
              const decoded = decodeName(a.name);
              return {
                id: a.id,
                name: a.name,
                marks: decoded?.marks ?? null,
                nonce: decoded?.nonce ?? null,
                keyIds: owned.filter((k) => k.accountId === a.id).map((k) => k.id),
              };
            }),
            keys: owned,
          };
        }),
      );
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await sandbox.close();
    },
  };
}

/**
 * What must never be left in an OpenAI organization after convergence: a project name twice; a
 * service account groq-rbac did not make, or without its key (orphaned), or with more than one; a key
 * with no service account; a policy key with more than `keysPerPolicyKey` live accounts; a (policy
 * key, generation) twice; a nonce twice; and a stale nonce: one that is not the nonce of the create
 * its own marks describe (its key, generation and targets in this project), so it came from another create.
 */
export function openAiFindings(snapshot: OpenAiSnapshotProject[], keysPerPolicyKey = 1): string[] {
  const out: string[] = [];
  const names = new Map<string, number>();
  for (const p of snapshot) names.set(p.name, (names.get(p.name) ?? 0) + 1);
  for (const [name, n] of names) if (n > 1) out.push(`project "${name}" exists ${n} times`);
  const nonces = new Set<string>();
  for (const p of snapshot) {
    const perKey = new Map<string, number>();
    const generations = new Set<string>();
    for (const k of p.keys) if (k.accountId === null) out.push(`key ${k.id} in ${p.name} has no service account`);
    for (const a of p.accounts) {
      if (a.keyIds.length !== 1)
        out.push(`service account ${a.id} "${a.name}" in ${p.name} owns ${a.keyIds.length} keys (orphaned when 0)`);
      if (a.marks === null || a.nonce === null) {
        out.push(`service account ${a.id} "${a.name}" in ${p.name} was not made by groq-rbac`);
        continue;
      }
      perKey.set(a.marks.key, (perKey.get(a.marks.key) ?? 0) + 1);
      const g = `${a.marks.key}#${a.marks.generation}`;
      if (generations.has(g)) out.push(`generation ${g} exists twice in ${p.name}`);
      generations.add(g);
      if (nonces.has(a.nonce)) out.push(`nonce ${a.nonce} (${g}) is carried twice`);
      nonces.add(a.nonce);
      const expected = nonceFor(
        idempotencyKeyFor(OPENAI_ORG, {
          project: p.id,
          key: a.marks.key,
          generation: String(a.marks.generation),
          targets: a.marks.targets ?? '',
        }),
      );
      if (a.nonce !== expected) out.push(`service account ${a.id} (${g}) in ${p.name} carries the stale nonce ${a.nonce}, not ${expected}`);
    }
    for (const [key, n] of perKey) if (n > keysPerPolicyKey) out.push(`policy key "${key}" has ${n} live service accounts in ${p.name}`);
  }
  return out;
}
