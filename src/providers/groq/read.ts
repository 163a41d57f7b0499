/**
 * Groq's read module: the organization read once, in the fewest requests, and mapped from contract
 * v2's wire shapes to groq-rbac's domain (core/domain.ts): key metadata decoded into marks, limits
 * by the policies' field names, permissions as rules, money in dollars.
 */
import type { DomainLiveProject, DomainLiveState, DomainModelRule, LiveKey, LiveLimit, LiveSpending } from '../../core/domain.js';
import { createLimiter } from '../../core/concurrency.js';
import { centsToUsd } from '../../core/money.js';
import type { GroqAdmin } from './admin.js';
import { decodeMarks, GROQ_LIMIT_FIELDS, LIMIT_TO_CONTRACT } from './metadata.js';
import type { ModelPermissions, Organization, Project, ProjectApiKey, RateLimit, SpendAlert, SpendLimit } from './wire.js';

/** Per-project reads in flight at once, unless the caller says otherwise. */
export const DEFAULT_READ_CONCURRENCY = 8;

/**
 * An admin that hands out the project list one page at a time (GroqClient does), so the reads of a
 * page's projects start while the next page is on its way. Any other GroqAdmin is read through
 * `listProjects`, all pages first.
 */
export interface ProjectPageSource {
  listProjectPages(options?: { includeArchived?: boolean }): AsyncIterable<Project[]>;
}

/**
 * Reads the organization once, in the fewest requests: the org's five reads, in parallel with the
 * project list pages, then three per active project (model permissions, rate limits, keys), at most
 * `concurrency` of them in flight, each project's starting as soon as its page arrives.
 */
export async function readLiveState(admin: GroqAdmin, options: { concurrency?: number } = {}): Promise<DomainLiveState> {
  const limit = createLimiter(options.concurrency ?? DEFAULT_READ_CONCURRENCY);
  const orgReads = Promise.all([
    admin.getOrganization(),
    admin.getOrgModelPermissions(),
    admin.listOrgRateLimits(),
    admin.getSpendLimit(),
    admin.listSpendAlerts(),
  ]);
  // A failed org read stops the project reads; it is thrown when awaited below.
  orgReads.catch(limit.stop);

  const projectReads: Promise<DomainLiveProject>[] = [];
  for await (const page of projectPages(admin)) {
    limit.throwIfStopped();
    for (const project of page) {
      if (project.status !== 'active') continue;
      const read = Promise.all([
        limit(() => admin.getProjectModelPermissions(project.id)),
        limit(() => admin.listProjectRateLimits(project.id)),
        limit(() => admin.listProjectKeys(project.id)),
      ]).then(([permissions, rateLimits, keys]) => decodeProject(project, permissions, rateLimits, keys));
      // Awaited below, after the last page; until then a rejection is recorded by the limiter, not unhandled.
      read.catch(() => {});
      projectReads.push(read);
    }
  }
  const [org, permissions, rateLimits, spendLimit, spendAlerts] = await orgReads;
  const projects = await Promise.all(projectReads);
  return decodeOrganization(
    { org, permissions, rateLimits, spendLimit, spendAlerts },
    projects,
    admin.observedNow() ?? Math.floor(Date.now() / 1000),
  );
}

/** The organization's own reads and its decoded projects, as one domain state. */
export function decodeOrganization(
  wire: {
    org: Organization;
    permissions: ModelPermissions;
    rateLimits: readonly RateLimit[];
    spendLimit: SpendLimit | null;
    spendAlerts: readonly SpendAlert[];
  },
  projects: DomainLiveProject[],
  observedAt: number,
): DomainLiveState {
  return {
    provider: 'groq',
    org: { id: wire.org.id, name: wire.org.name },
    permissions: decodeRule(wire.permissions),
    limits: wire.rateLimits.map(decodeLimit),
    spending: decodeSpending(wire.spendLimit, wire.spendAlerts),
    projects,
    observed_at: observedAt,
  };
}

export function decodeProject(
  project: Project,
  permissions: ModelPermissions,
  rateLimits: readonly RateLimit[],
  keys: readonly ProjectApiKey[],
): DomainLiveProject {
  return {
    id: project.id,
    name: project.name,
    created_at: project.created_at,
    permissions: decodeRule(permissions),
    limits: rateLimits.map(decodeLimit),
    keys: keys.map(decodeKey),
  };
}

/** A key in groq-rbac's terms: its metadata decoded into marks (other metadata is not groq-rbac's, and not read). */
export function decodeKey(k: ProjectApiKey): LiveKey {
  return {
    id: k.id,
    name: k.name,
    redacted_value: k.redacted_value,
    created_at: k.created_at,
    last_used_at: k.last_used_at,
    marks: decodeMarks(k.metadata ?? {}, k.created_at),
  };
}

/** No restriction (`deny_list` with `[]`, what the contract answers when none is set) is `null`. */
export function decodeRule(p: ModelPermissions): DomainModelRule | null {
  if (p.mode === 'deny_list' && p.model_ids.length === 0) return null;
  return { mode: p.mode, models: [...new Set(p.model_ids)].sort() };
}

/** One model's limits by the policies' field names: only the four fields contract v2 has. */
export function decodeLimit(r: RateLimit): LiveLimit {
  const values: LiveLimit['values'] = {};
  for (const f of GROQ_LIMIT_FIELDS) values[f] = r[LIMIT_TO_CONTRACT[f]];
  // Limits are addressed as `rl-<model>` (docs/groq-admin-api.md); an id of another form is read as that.
  return { id: typeof r.id === 'string' && r.id.startsWith('rl-') ? r.id : `rl-${r.model}`, model: r.model, values };
}

export function decodeSpending(limit: SpendLimit | null, alerts: readonly SpendAlert[]): LiveSpending {
  return {
    monthly_cap_usd: limit ? centsToUsd(limit.threshold_amount) : null,
    enforcing: limit?.enforcement.status === 'enforcing',
    alerts: alerts.map((a) => ({
      id: a.id,
      threshold_usd: centsToUsd(a.threshold_amount),
      recipients: [...a.notification_channel.recipients],
    })),
  };
}

function projectPages(admin: GroqAdmin): AsyncIterable<Project[]> {
  const paged = admin as GroqAdmin & Partial<ProjectPageSource>;
  if (typeof paged.listProjectPages === 'function') return paged.listProjectPages();
  return (async function* () {
    yield await admin.listProjects();
  })();
}
