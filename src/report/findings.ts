import type { DesiredState, SourceRef } from '../policy/types.js';
import type { Directory, KeyInfo } from './attribution.js';
import { NEAR_LIMIT_RATIO, peakRatio } from './peaks.js';
import {
  UNMANAGED_TEAM,
  type DailyCost,
  type Finding,
  type FindingKind,
  type PeakUse,
  type SpendStatus,
  type UsageWindows,
} from './types.js';
import { DAY, isoDate } from './windows.js';

/** A key unused for this long is a candidate to delete. */
export const IDLE_DAYS = 30;
/** A team whose share of spend rose by at least this much between the period's halves is reported. */
export const SHARE_GROWTH_THRESHOLD = 0.05;
/** At most this many teams are reported as growing fastest. */
export const MAX_GROWTH_FINDINGS = 3;

const ORDER: FindingKind[] = [
  'spend_limit',
  'limit_reached',
  'limit_near',
  'idle_key',
  'unmanaged_project',
  'unmanaged_key',
  'spend_share_growth',
];

export interface FindingsInput {
  desired: DesiredState;
  dir: Directory;
  windows: UsageWindows;
  /** Key id → start of the latest 1d bucket with its use. */
  lastUse: ReadonlyMap<string, number>;
  peaks: readonly PeakUse[];
  daily: readonly DailyCost[];
  spend: SpendStatus;
}

/** What to act on, each pointing at the policy file (and line) to change. */
export function buildFindings(input: FindingsInput): Finding[] {
  const findings = [
    ...spendFindings(input),
    ...limitFindings(input),
    ...idleKeyFindings(input),
    ...unmanagedFindings(input),
    ...growthFindings(input),
  ];
  return findings.sort(
    (a, b) =>
      ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind) ||
      cmp(a.project ?? '', b.project ?? '') ||
      cmp(a.key ?? '', b.key ?? '') ||
      cmp(a.model ?? '', b.model ?? '') ||
      cmp(a.team ?? '', b.team ?? ''),
  );
}

const at = (s: SourceRef): Finding['source'] => ({ file: s.file, line: s.line });
const where = (s: Finding['source']) => (s === null ? '' : s.line === null ? s.file : `${s.file}:${s.line}`);
const num = (n: number) => n.toLocaleString('en-US');
const pct = (r: number) => `${Math.round(r * 100)} %`;
const usd = (n: number) => `$${n.toFixed(2)}`;

function finding(
  kind: FindingKind,
  severity: Finding['severity'],
  subject: Partial<Pick<Finding, 'team' | 'project' | 'key' | 'model'>>,
  message: string,
  source: Finding['source'],
): Finding {
  return {
    kind,
    severity,
    team: subject.team ?? null,
    project: subject.project ?? null,
    key: subject.key ?? null,
    model: subject.model ?? null,
    message,
    source,
  };
}

function limitFindings({ peaks, dir }: FindingsInput): Finding[] {
  const out: Finding[] = [];
  for (const p of peaks) {
    const ratio = peakRatio(p);
    if (ratio < NEAR_LIMIT_RATIO) continue;
    const byTokens = (p.tokens_ratio ?? 0) >= (p.requests_ratio ?? 0);
    const [field, peak, limit] = byTokens
      ? ['tokens_per_minute', p.peak_tokens_per_minute, p.limit_tokens_per_minute!]
      : ['requests_per_minute', p.peak_requests_per_minute, p.limit_requests_per_minute!];
    const project = dir.project(p.project_id);
    const source = project.desired ? at(project.desired.source) : null;
    const reached = ratio >= 1;
    const what = `project "${p.project}" ${reached ? 'hit' : 'reached'} ${pct(ratio)} of its ${p.model} ${field.replace(/_/g, ' ')} limit (${num(peak)} of ${num(limit)} at ${minute(p.peak_at)})`;
    const todo = source
      ? `raise limits."${p.model}".${field} at ${where(source)}`
      : 'no policy sets its limits: add the project to a team file';
    out.push(
      finding(
        reached ? 'limit_reached' : 'limit_near',
        reached ? 'warning' : 'notice',
        { team: p.team, project: p.project, model: p.model },
        `${what}; ${todo}`,
        source,
      ),
    );
  }
  return out;
}

function idleKeyFindings({ dir, windows, lastUse }: FindingsInput): Finding[] {
  const cutoff = windows.now - IDLE_DAYS * DAY;
  // A policy key's generations are one key: it is idle only if every generation is.
  const groups = new Map<string, KeyInfo[]>();
  for (const k of dir.liveKeys()) {
    const id = k.desired ? `policy:${k.desired.name}` : `live:${k.id}`;
    groups.set(id, [...(groups.get(id) ?? []), k]);
  }
  const out: Finding[] = [];
  for (const keys of groups.values()) {
    const last = Math.max(...keys.map((k) => Math.max(k.live!.last_used_at ?? 0, lastUse.get(k.id) ?? 0)));
    const oldest = Math.min(...keys.map((k) => k.live!.created_at));
    if (oldest > cutoff || last > cutoff) continue;
    const k = keys[0]!;
    const since = last > 0 ? `since ${isoDate(last)}` : 'ever';
    const source = k.desired ? at(k.desired.source) : null;
    const todo = source
      ? `delete it from ${where(source)} if nothing needs it`
      : 'no policy names it: delete it in the Console, or set unmanaged.keys: delete';
    out.push(
      finding(
        'idle_key',
        'notice',
        { team: k.project.team, project: k.project.name, key: k.label },
        `key "${k.label}" in project "${k.project.name}" has not been used ${since} (${IDLE_DAYS}+ days); ${todo}`,
        source,
      ),
    );
  }
  return out;
}

function unmanagedFindings({ desired, dir }: FindingsInput): Finding[] {
  const out: Finding[] = [];
  const orgSource = { file: desired.org.file, line: null };
  for (const k of dir.liveKeys()) {
    if (k.desired || !k.project.desired) continue;
    const source = at(k.project.desired.source);
    out.push(
      finding(
        'unmanaged_key',
        'notice',
        { team: k.project.team, project: k.project.name, key: k.label },
        `key "${k.label}" in project "${k.project.name}" is in no policy; add it to the project at ${where(source)}, or delete it`,
        source,
      ),
    );
  }
  for (const p of dir.liveProjects()) {
    if (p.desired) continue;
    const keys = p.live!.keys.length;
    out.push(
      finding(
        'unmanaged_project',
        'notice',
        { team: UNMANAGED_TEAM, project: p.name },
        `project "${p.name}" (${p.id}, ${keys} key${keys === 1 ? '' : 's'}) is in no policy; add it to a team file, or archive it (unmanaged.projects: archive in ${desired.org.file})`,
        orgSource,
      ),
    );
  }
  return out;
}

/** Teams whose share of spend rose most from the period's first half to its second. */
function growthFindings({ daily, desired }: FindingsInput): Finding[] {
  if (daily.length < 2) return [];
  const half = Math.floor(daily.length / 2);
  const shares = (days: readonly DailyCost[]) => {
    const byTeam = new Map<string, number>();
    let total = 0;
    for (const d of days)
      for (const [team, usd] of Object.entries(d.by_team)) {
        byTeam.set(team, (byTeam.get(team) ?? 0) + usd);
        total += usd;
      }
    return { byTeam, total };
  };
  const first = shares(daily.slice(0, half));
  const second = shares(daily.slice(half));
  if (first.total <= 0 || second.total <= 0) return [];
  const files = new Map(desired.teams.map((t) => [t.name, t.file]));
  const growth = [...second.byTeam.keys()].map((team) => {
    const before = (first.byTeam.get(team) ?? 0) / first.total;
    const after = (second.byTeam.get(team) ?? 0) / second.total;
    return { team, before, after, delta: after - before };
  });
  return growth
    .filter((g) => g.delta >= SHARE_GROWTH_THRESHOLD)
    .sort((a, b) => b.delta - a.delta || cmp(a.team, b.team))
    .slice(0, MAX_GROWTH_FINDINGS)
    .map((g) => {
      const file = files.get(g.team);
      const source = file ? { file, line: null } : null;
      return finding(
        'spend_share_growth',
        'notice',
        { team: g.team },
        `team "${g.team}" grew from ${pct(g.before)} to ${pct(g.after)} of spend (${daily[0]!.date} – ${daily[half - 1]!.date} vs ${daily[half]!.date} – ${daily.at(-1)!.date})${source ? `; review its projects' limits in ${source.file}` : ''}`,
        source,
      );
    });
}

function spendFindings({ spend, desired }: FindingsInput): Finding[] {
  if (spend.limit_usd === null) return [];
  const source = { file: desired.org.file, line: null };
  if (spend.month_to_date_usd >= spend.limit_usd || spend.enforcing) {
    return [
      finding(
        'spend_limit',
        'warning',
        {},
        `month-to-date spend ${usd(spend.month_to_date_usd)} has reached the spend limit ${usd(spend.limit_usd)}: every inference request is refused (blocked_api_access) until the limit is raised (spending.monthly_cap_usd in ${source.file}) or the month turns`,
        source,
      ),
    ];
  }
  if (spend.projected_limit_date !== null) {
    return [
      finding(
        'spend_limit',
        'notice',
        {},
        `at this month's rate, spend (${usd(spend.month_to_date_usd)} so far, ${usd(spend.projected_month_end_usd)} projected) reaches the spend limit ${usd(spend.limit_usd)} on ${spend.projected_limit_date}; every key is then refused until the month turns (spending.monthly_cap_usd in ${source.file})`,
        source,
      ),
    ];
  }
  return [];
}

function minute(t: number): string {
  return `${new Date(t * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
