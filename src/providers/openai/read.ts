/**
 * Wire → domain: OpenAI's organization as groq-rbac's DomainLiveState, in the fewest requests the
 * API allows. Per active project, five (pages of 100 beyond the first add one each):
 *   1. GET …/model_permissions      2. GET …/rate_limits          3. GET …/api_keys?owner_project_access=any
 *   4. GET …/spend_limit            5. GET …/spend_alerts        (4 and 5 only with project spending)
 * The key list alone gives each key's service account (`owner.service_account` with its id and name,
 * SDK `projects/api-keys.ts`), so service accounts are never listed on a read. The organization adds
 * 2 + ⌈projects/100⌉: GET /organization/spend_limit, /organization/spend_alerts and the project pages.
 * OpenAI has no organization model permissions, organization rate limits or GET /organization.
 */
import { createLimiter, type Limiter } from '../../core/concurrency.js';
import type {
  DomainLimitSet,
  DomainLiveProject,
  DomainLiveState,
  DomainModelRule,
  LiveKey,
  LiveLimit,
  LiveSpending,
} from '../../core/domain.js';
import { DELIVERED_ON_CREATE, decodeName, keyLookup } from './bookkeeping.js';
import { projectPath, type OpenAiClient } from './client.js';
import { ProviderError } from './errors.js';
import {
  LIMIT_TO_WIRE,
  type WireModelPermissions,
  type WireProject,
  type WireProjectApiKey,
  type WireRateLimit,
  type WireSpendAlert,
  type WireSpendLimit,
} from './wire.js';

export const DEFAULT_READ_CONCURRENCY = 8;

/** What a read saw of one key: its live form, and its service account's id and raw name where it has one. */
export type KeySeen = (key: LiveKey, account: { id: string; name: string } | null) => void;

export interface ReadOptions {
  concurrency?: number;
  /** The policy key names: hashed names in service accounts map back to them. */
  keyNames?: readonly string[];
  /** Read project spend limits and alerts (2 requests per project); default true. */
  projectSpending?: boolean;
  /** The organization's display name (OpenAI has no call that answers it); default its id. */
  orgName?: string;
  /** Sees each key (the provider keeps its service account and raw name, to rename with the same nonce). */
  onServiceAccount?: KeySeen;
  /** Called once, with the organization's clock, at the first answer. */
  onObserved?: (now: number) => void;
}

export async function readOpenAiState(client: OpenAiClient, options: ReadOptions = {}): Promise<DomainLiveState> {
  const lookup = keyLookup(options.keyNames ?? []);
  // At most `concurrency` requests in flight in all (as Groq's read), each project's starting as soon
  // as its page arrives; the organization's two reads go beside the project pages.
  const limit = createLimiter(options.concurrency ?? DEFAULT_READ_CONCURRENCY);
  let reported = false;
  const observed = () => {
    const now = client.observedNow();
    if (options.onObserved && now !== null && !reported) {
      reported = true;
      options.onObserved(now);
    }
  };
  const orgSpending = readSpending(client, '/organization');
  // A failed org read stops the project reads; it is thrown when awaited below.
  orgSpending.then(observed, limit.stop);
  const reads: Promise<DomainLiveProject>[] = [];
  for await (const page of client.pages<WireProject>('/organization/projects')) {
    observed();
    limit.throwIfStopped();
    for (const p of page) {
      if ((p.status ?? 'active') !== 'active' || p.archived_at) continue;
      const read = readProject(client, p, lookup, options, limit);
      // Awaited below, after the last page; until then a rejection is recorded by the limiter, not unhandled.
      read.catch(() => {});
      reads.push(read);
    }
  }
  const spending = await orgSpending;
  const live = await Promise.all(reads);
  return {
    provider: 'openai',
    org: { id: client.organization, name: options.orgName ?? client.organization },
    permissions: null,
    limits: [],
    spending,
    projects: live,
    observed_at: client.observedNow() ?? Math.floor(Date.now() / 1000),
  };
}

async function readProject(
  client: OpenAiClient,
  p: WireProject,
  lookup: ReadonlyMap<string, string>,
  options: ReadOptions,
  limit: Limiter,
): Promise<DomainLiveProject> {
  const path = projectPath(p.id);
  const spending = options.projectSpending === false ? undefined : readSpending(client, path, limit);
  spending?.catch(() => {});
  const [permissions, limits, keys] = await Promise.all([
    limit(() => orNone(client.call<WireModelPermissions>({ method: 'GET', path: `${path}/model_permissions` }))),
    limit(() => client.list<WireRateLimit>(`${path}/rate_limits`)),
    limit(() => listProjectKeys(client, p.id, lookup, options.onServiceAccount)),
  ]);
  return {
    id: p.id,
    name: p.name ?? p.id,
    created_at: p.created_at,
    permissions: ruleFrom(permissions),
    limits: limits.map(limitFrom),
    keys,
    ...(spending ? { spending: await spending } : {}),
  };
}

/** `owner_project_access=any`: without it "some enabled keys" may be left out (SDK `projects/api-keys.ts`). */
export async function listProjectKeys(
  client: OpenAiClient,
  projectId: string,
  lookup: ReadonlyMap<string, string>,
  seen?: KeySeen,
): Promise<LiveKey[]> {
  const keys = await client.list<WireProjectApiKey>(`${projectPath(projectId)}/api_keys`, { owner_project_access: 'any' });
  return keys.map((k) => liveKeyFrom(k, lookup, seen));
}

/** A project key as the domain sees it: a service account's key carries its account's decoded name. */
export function liveKeyFrom(k: WireProjectApiKey, lookup: ReadonlyMap<string, string>, seen?: KeySeen): LiveKey {
  const account = k.owner?.type === 'service_account' ? k.owner.service_account : undefined;
  const live = liveKey(k, account, lookup);
  seen?.(live, account ? { id: account.id, name: account.name } : null);
  return live;
}

function liveKey(k: WireProjectApiKey, account: { id: string; name: string } | undefined, lookup: ReadonlyMap<string, string>): LiveKey {
  const decoded = account ? decodeName(account.name, lookup) : null;
  const marks = decoded
    ? { ...decoded.marks, delivered_at: decoded.marks.delivered_at === DELIVERED_ON_CREATE ? k.created_at : decoded.marks.delivered_at }
    : null;
  return {
    id: k.id,
    ...(account ? { handle: account.id } : {}),
    name: marks ? marks.key : (account?.name ?? k.name),
    redacted_value: k.redacted_value,
    created_at: k.created_at,
    last_used_at: k.last_used_at ?? null,
    marks,
    // Marks live in a service account's name: a user's key has none to carry them.
    ...(k.owner?.type === 'user' ? { personal: true as const } : {}),
  };
}

/** No rule set: the sandbox answers `deny_list` with no models (assumed; the sources are silent), or 404. */
export function ruleFrom(p: WireModelPermissions | null): DomainModelRule | null {
  if (!p || (p.mode === 'deny_list' && (p.model_ids ?? []).length === 0)) return null;
  return { mode: p.mode, models: [...new Set(p.model_ids ?? [])].sort() };
}

export function limitFrom(l: WireRateLimit): LiveLimit {
  const values: DomainLimitSet = {};
  for (const [field, wire] of Object.entries(LIMIT_TO_WIRE)) {
    const v = l[wire!];
    if (typeof v === 'number') values[field as keyof DomainLimitSet] = v;
  }
  return { id: l.id, model: l.model, values };
}

/** `base`: `/organization` or a project's path; the limit is `null` where none is set. `slot`: a read's limiter. */
export async function readSpending(
  client: OpenAiClient,
  base: string,
  slot: <T>(task: () => Promise<T>) => Promise<T> = (task) => task(),
): Promise<LiveSpending> {
  const [limit, alerts] = await Promise.all([
    slot(() => getSpendLimit(client, base)),
    slot(() => client.list<WireSpendAlert>(`${base}/spend_alerts`)),
  ]);
  return {
    monthly_cap_usd: limit === null ? null : limit.threshold_amount / 100,
    alerts: alerts.map((a) => ({
      id: a.id,
      threshold_usd: a.threshold_amount / 100,
      recipients: [...(a.notification_channel?.recipients ?? [])],
    })),
  };
}

/**
 * What OpenAI answers with no limit set is not in the sources: a 404 (the sandbox) or an empty
 * answer both read as none. A 404 for a wrong URL says "Invalid URL"/`unknown_url` and stays an error.
 */
async function getSpendLimit(client: OpenAiClient, base: string): Promise<WireSpendLimit | null> {
  const limit = await orNone(client.call<WireSpendLimit | null>({ method: 'GET', path: `${base}/spend_limit` }));
  return limit && typeof limit.threshold_amount === 'number' ? limit : null;
}

/** Nothing set (model permissions, a spend limit): a 404 reads as none; a 404 for a wrong URL does not. */
async function orNone<T>(call: Promise<T>): Promise<T | null> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof ProviderError && error.kind === 'not_found' && error.code !== 'unknown_url' && !/invalid url/i.test(error.message))
      return null;
    throw error;
  }
}
