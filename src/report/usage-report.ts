import type { CostRow, DomainLiveState as LiveState, UsageRow } from '../core/domain.js';
import type { DesiredState } from '../policy/types.js';
import { buildDirectory, type Directory } from './attribution.js';
import { buildFindings } from './findings.js';
import { buildPeaks } from './peaks.js';
import { byStart, type RowBucket } from './rows.js';
import { buildSpendStatus } from './spend.js';
import {
  BREAKDOWNS,
  UNMANAGED_TEAM,
  type Breakdown,
  type BreakdownRow,
  type DailyCost,
  type Figures,
  type UsageReport,
  type UsageWindows,
} from './types.js';
import { DAY, isoDate } from './windows.js';

export interface UsageReportInput {
  desired: DesiredState;
  live: LiveState;
  windows: UsageWindows;
  by: Breakdown;
  /** 1d usage rows grouped by project, key and model, covering `windows.usageRanges`. */
  usage: readonly UsageRow[];
  /** 1m usage rows grouped by project and model over `windows.peaks`. */
  minutes: readonly UsageRow[];
  /** 1d cost rows grouped by project and line item, covering `windows.costRanges`. */
  costs: readonly CostRow[];
}

interface Acc {
  row: Omit<BreakdownRow, keyof Figures | 'share' | 'today' | 'cost_estimated'>;
  period: Figures;
  today: Figures;
  estimated: boolean;
}

const zero = (): Figures => ({ requests: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0 });
/** Sums of the endpoint's amounts, without float dust (the amounts themselves carry 9 decimals). */
export const roundUsd = (usd: number): number => Math.round(usd * 1e9) / 1e9;
/** The model a cost line item is for: the sandbox names the model; OpenAI writes `model, input`. */
export const lineItemModel = (lineItem: string | null): string => (lineItem === null ? '(unknown)' : lineItem.split(', ')[0]!);

/**
 * The report, purely from its inputs: requests and tokens from the usage buckets, cost from the
 * costs endpoint's amounts (never recomputed from prices), named through the policies.
 */
export function buildUsageReport(input: UsageReportInput): UsageReport {
  const { windows, live, desired } = input;
  const dir = buildDirectory(desired, live);
  const { period, today } = windows;
  const inPeriod = (b: RowBucket<unknown>) => b.start_time >= period.start_time && b.start_time < period.end_time;
  const isToday = (b: RowBucket<unknown>) => b.start_time === today.start_time;

  const accs: Record<Breakdown, Map<string, Acc>> = { team: new Map(), project: new Map(), key: new Map(), model: new Map() };
  for (const team of desired.teams) acc(accs.team, team.name, { name: team.name, team: team.name, project: null, managed: true });
  const totals = { period: zero(), today: zero() };
  const daily = new Map<number, DailyCost>();
  for (let t = period.start_time; t < period.end_time; t += DAY) daily.set(t, { date: isoDate(t), cost_usd: 0, requests: 0, by_team: {} });

  const targets = (projectId: string | null, keyId: string | null, model: string) => {
    const key = keyId === null ? null : dir.key(keyId, projectId);
    const project = key?.project ?? dir.project(projectId);
    const team = project.team;
    const out = [
      acc(accs.team, team, { name: team, team, project: null, managed: team !== UNMANAGED_TEAM }),
      acc(accs.project, project.id, { name: project.name, team, project: project.name, managed: project.desired !== null }),
      acc(accs.model, model, { name: model, team: null, project: null, managed: true }),
    ];
    if (keyId !== null) out.push(acc(accs.key, keyId, { name: key!.label, team, project: project.name, managed: key!.desired !== null }));
    return { out, team };
  };

  // Tokens per key within each (day, project, model), to split that cell's cost between its keys.
  const cells = new Map<string, { keyId: string; tokens: number }[]>();
  const lastUse = new Map<string, number>();
  for (const b of byStart(input.usage)) {
    const p = inPeriod(b);
    const t = isToday(b);
    for (const r of b.results) {
      if (r.requests === 0 && r.input_tokens === 0 && r.output_tokens === 0) continue;
      const model = r.model ?? '(unknown)';
      if (r.key_id !== null) lastUse.set(r.key_id, Math.max(lastUse.get(r.key_id) ?? 0, b.start_time));
      const { out, team } = targets(r.project_id, r.key_id, model);
      if (p) {
        for (const a of out) add(a.period, r);
        add(totals.period, r);
        const day = daily.get(b.start_time);
        if (day) {
          day.requests += r.requests;
          day.by_team[team] ??= 0;
        }
      }
      if (p || t) {
        if (r.key_id !== null) {
          const id = `${b.start_time}|${r.project_id}|${model}`;
          let cell = cells.get(id);
          if (!cell) cells.set(id, (cell = []));
          cell.push({ keyId: r.key_id, tokens: r.input_tokens + r.output_tokens });
        }
      }
      if (t) {
        for (const a of out) add(a.today, r);
        add(totals.today, r);
      }
    }
  }

  const costs = byStart(input.costs);
  for (const b of costs) {
    const p = inPeriod(b);
    const t = isToday(b);
    if (!p && !t) continue;
    for (const r of b.results) {
      const usd = r.amount_usd;
      if (usd === 0) continue;
      const model = lineItemModel(r.line_item);
      const { out, team } = targets(r.project_id, null, model);
      const shares = keyShares(cells.get(`${b.start_time}|${r.project_id}|${model}`), usd);
      const keyAccs = shares.map((s) => ({ a: targets(r.project_id, s.keyId, model).out[3]!, usd: s.usd, estimated: shares.length > 1 }));
      if (keyAccs.length === 0)
        keyAccs.push({
          a: acc(accs.key, `${r.project_id}|unattributed`, {
            name: '(unattributed)',
            team,
            project: dir.project(r.project_id).name,
            managed: false,
          }),
          usd,
          estimated: false,
        });
      if (p) {
        for (const a of out) a.period.cost_usd += usd;
        for (const k of keyAccs) {
          k.a.period.cost_usd += k.usd;
          k.a.estimated ||= k.estimated;
        }
        totals.period.cost_usd += usd;
        const day = daily.get(b.start_time);
        if (day) {
          day.cost_usd += usd;
          day.by_team[team] = (day.by_team[team] ?? 0) + usd;
        }
      }
      if (t) {
        for (const a of out) a.today.cost_usd += usd;
        for (const k of keyAccs) k.a.today.cost_usd += k.usd;
        totals.today.cost_usd += usd;
      }
    }
  }

  roundFigures(totals.period);
  roundFigures(totals.today);
  const breakdown = Object.fromEntries(BREAKDOWNS.map((by) => [by, rows(accs[by], totals.period.cost_usd)])) as Record<
    Breakdown,
    BreakdownRow[]
  >;
  const dailyRows = [...daily.values()].map((d) => ({
    ...d,
    cost_usd: roundUsd(d.cost_usd),
    by_team: Object.fromEntries(
      Object.entries(d.by_team)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, roundUsd(v)]),
    ),
  }));
  const peaks = buildPeaks(input.minutes, dir, live);
  const spend = buildSpendStatus(
    costs.flatMap((b) => b.results),
    live,
    windows,
  );
  const findings = buildFindings({ desired, dir, windows, lastUse, peaks, daily: dailyRows, spend });
  return {
    format_version: 1,
    org: live.org.id,
    provider: live.provider,
    now: windows.now,
    period: { ...period },
    today: { ...today },
    by: input.by,
    totals,
    breakdown,
    daily: dailyRows,
    peaks: { start_time: windows.peaks.start_time, end_time: windows.peaks.end_time, rows: peaks },
    spend,
    findings,
  };
}

function acc(map: Map<string, Acc>, id: string, row: Acc['row']): Acc {
  let a = map.get(id);
  if (!a) map.set(id, (a = { row, period: zero(), today: zero(), estimated: false }));
  return a;
}

function add(f: Figures, r: UsageRow): void {
  f.requests += r.requests;
  f.input_tokens += r.input_tokens;
  f.output_tokens += r.output_tokens;
}

function roundFigures(f: Figures): Figures {
  f.cost_usd = roundUsd(f.cost_usd);
  return f;
}

/** A cell's cost split between its keys by tokens; the last key takes the remainder, so the parts sum to the whole. */
function keyShares(cell: { keyId: string; tokens: number }[] | undefined, usd: number): { keyId: string; usd: number }[] {
  if (!cell || cell.length === 0) return [];
  const total = cell.reduce((s, c) => s + c.tokens, 0);
  if (cell.length === 1 || total === 0)
    return cell.length === 1 ? [{ keyId: cell[0]!.keyId, usd }] : cell.map((c) => ({ keyId: c.keyId, usd: usd / cell.length }));
  let left = usd;
  return cell.map((c, i) => {
    const part = i === cell.length - 1 ? left : (usd * c.tokens) / total;
    left -= part;
    return { keyId: c.keyId, usd: part };
  });
}

function rows(map: Map<string, Acc>, totalCost: number): BreakdownRow[] {
  return [...map.values()]
    .map((a): BreakdownRow => {
      const cost = roundUsd(a.period.cost_usd);
      return {
        ...a.row,
        ...a.period,
        cost_usd: cost,
        share: totalCost > 0 ? Math.round((cost / totalCost) * 1e6) / 1e6 : 0,
        cost_estimated: a.estimated,
        today: roundFigures({ ...a.today }),
      };
    })
    .sort((a, b) => b.cost_usd - a.cost_usd || b.requests - a.requests || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export type { Directory };
