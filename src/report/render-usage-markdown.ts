import { PROVIDER_TITLES, type ProviderName } from '../core/capabilities.js';
import { redactSecrets } from '../core/redact.js';
import { escapeMarkdown } from '../core/sanitize.js';
import { int, minuteUtc, pct, plainNumber, timeUtc, usd } from './format.js';
import { peakRatio } from './peaks.js';
import { BY_TITLE, MAX_TABLE_ROWS } from './render-usage-text.js';
import type { Breakdown, BreakdownRow, DailyCost, FindingKind, UsageReport } from './types.js';

const KIND_TITLE: Record<FindingKind, string> = {
  spend_limit: 'spend limit',
  limit_reached: 'limit hit',
  limit_near: 'near a limit',
  idle_key: 'idle key',
  unmanaged_project: 'project in no policy',
  unmanaged_key: 'key in no policy',
  spend_share_growth: 'spend share grew',
};

/** Tables plus Mermaid charts (GitHub renders them in comments and job summaries). */
export function renderUsageMarkdown(report: UsageReport): string {
  const { period, today } = report;
  const out: string[] = [];
  out.push(`## ${PROVIDER_TITLES[(report.provider ?? 'groq') as ProviderName] ?? 'Groq'} usage: ${cell(report.org)}`, '');
  out.push(
    `${period.since} – ${period.until} (${period.days} day${period.days === 1 ? '' : 's'}) · today ${today.date} until ${timeUtc(report.now)}`,
    '',
  );
  out.push('| | requests | input tokens | output tokens | cost |', '|---|--:|--:|--:|--:|');
  for (const [label, f] of [
    ['period', report.totals.period],
    ['today', report.totals.today],
  ] as const)
    out.push(`| ${label} | ${int(f.requests)} | ${int(f.input_tokens)} | ${int(f.output_tokens)} | ${usd(f.cost_usd)} |`);
  out.push('');

  out.push(`### By ${BY_TITLE[report.by]}`, '', ...breakdownTable(report.by, report.breakdown[report.by]), '');

  out.push('### Cost per team', '');
  const pie = teamPie(report.breakdown.team);
  out.push(...(pie ?? ['No cost in this period.']), '');
  out.push('### Cost per day', '');
  out.push(...(dailyChart(report.daily) ?? ['No cost in this period.']), '');

  out.push(
    `### Peak per-minute use`,
    '',
    `${minuteUtc(report.peaks.start_time)} – ${minuteUtc(report.peaks.end_time)}, against each project's per-model limits.`,
    '',
  );
  if (report.peaks.rows.length === 0) out.push('No requests in this window.');
  else {
    out.push('| project | model | requests/min | tokens/min | of limit | at |', '|---|---|--:|--:|--:|---|');
    for (const p of report.peaks.rows.slice(0, MAX_TABLE_ROWS)) {
      const lim = (n: number | null) => (n === null ? '–' : int(n));
      out.push(
        `| ${cell(p.project)} | ${cell(p.model)} | ${int(p.peak_requests_per_minute)} / ${lim(p.limit_requests_per_minute)} | ${int(p.peak_tokens_per_minute)} / ${lim(p.limit_tokens_per_minute)} | ${pct(peakRatio(p))} | ${minuteUtc(p.peak_at)} |`,
      );
    }
    if (report.peaks.rows.length > MAX_TABLE_ROWS) out.push('', `… ${report.peaks.rows.length - MAX_TABLE_ROWS} more in the JSON report.`);
  }
  out.push('');

  const s = report.spend;
  out.push(`### Spend, ${s.month}`, '');
  out.push(
    `- Month to date: **${usd(s.month_to_date_usd)}**${s.limit_usd === null ? ' (no spend limit)' : ` of the ${usd(s.limit_usd)} limit (${pct(s.limit_usd > 0 ? s.month_to_date_usd / s.limit_usd : 1)})`}${s.enforcing ? ' — **enforcing: inference is blocked**' : ''}`,
  );
  out.push(
    `- Projected month end: ${usd(s.projected_month_end_usd)}${s.projected_limit_date ? `, reaching the limit on ${s.projected_limit_date}` : ''}`,
  );
  if (s.alerts.length > 0)
    out.push(`- Alerts: ${s.alerts.map((a) => `${usd(a.threshold_usd)}${a.reached ? ' ✅ reached' : ''}`).join(', ')}`);
  out.push('');

  out.push(`### Findings (${report.findings.length})`, '');
  if (report.findings.length === 0) out.push('None.');
  for (const f of report.findings) {
    const at = f.source ? (f.source.line === null ? f.source.file : `${f.source.file}:${f.source.line}`) : null;
    const where = at && !f.message.includes(at) ? ` — \`${at}\`` : '';
    out.push(`- ${f.severity === 'warning' ? '⚠️' : 'ℹ️'} **${KIND_TITLE[f.kind]}**: ${inline(f.message)}${where}`);
  }
  return redactSecrets(`${out.join('\n')}\n`);
}

function breakdownTable(by: Breakdown, rows: readonly BreakdownRow[]): string[] {
  const context = by === 'project' ? ['team'] : by === 'key' ? ['project'] : [];
  const out = [
    `| ${[BY_TITLE[by], ...context, 'requests', 'input tokens', 'output tokens', 'cost', 'share', 'today: requests', 'today: cost'].join(' | ')} |`,
    `|${[...context.map(() => '---'), '---', '--:', '--:', '--:', '--:', '--:', '--:', '--:'].join('|')}|`,
  ];
  for (const r of rows.slice(0, MAX_TABLE_ROWS)) {
    const ctx = by === 'project' ? [cell(r.team ?? '')] : by === 'key' ? [cell(r.project ?? '')] : [];
    out.push(
      `| ${[`${cell(r.name)}${r.managed ? '' : ' ¹'}`, ...ctx, int(r.requests), int(r.input_tokens), int(r.output_tokens), `${r.cost_estimated ? '~' : ''}${usd(r.cost_usd)}`, pct(r.share), int(r.today.requests), usd(r.today.cost_usd)].join(' | ')} |`,
    );
  }
  if (rows.length > MAX_TABLE_ROWS) out.push('', `… ${rows.length - MAX_TABLE_ROWS} more in the JSON report.`);
  const notes = [
    rows.some((r) => !r.managed) ? '¹ in no policy' : '',
    rows.some((r) => r.cost_estimated) ? '~ split between keys by tokens (costs are billed per project and model)' : '',
  ].filter(Boolean);
  if (notes.length) out.push('', notes.join(' · '));
  return out;
}

/** A Mermaid pie of each team's cost; `null` when nothing cost anything. */
function teamPie(teams: readonly BreakdownRow[]): string[] | null {
  const slices = teams.filter((t) => Number(plainNumber(t.cost_usd)) > 0);
  if (slices.length === 0) return null;
  return [
    '```mermaid',
    'pie showData',
    '    title Cost per team (USD)',
    ...slices.map((t) => `    "${label(t.name)}" : ${plainNumber(t.cost_usd)}`),
    '```',
  ];
}

/** A Mermaid bar chart of the cost of each day of the period; `null` when nothing cost anything. */
function dailyChart(days: readonly DailyCost[]): string[] | null {
  if (days.length === 0 || days.every((d) => d.cost_usd === 0)) return null;
  const max = Math.max(...days.map((d) => d.cost_usd));
  return [
    '```mermaid',
    'xychart-beta',
    '    title "Cost per day (USD)"',
    `    x-axis [${days.map((d) => `"${d.date.slice(5)}"`).join(', ')}]`,
    `    y-axis "USD" 0 --> ${plainNumber(niceCeiling(max))}`,
    `    bar [${days.map((d) => plainNumber(d.cost_usd)).join(', ')}]`,
    '```',
  ];
}

/** 1, 2 or 5 times a power of ten, at least `x`: a y-axis top that reads well. */
export function niceCeiling(x: number): number {
  if (x <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return Number((m * p).toPrecision(12));
  return 10 * p;
}

// Mermaid labels end at a quote; Markdown cells at a pipe.
const label = (s: string) => s.replace(/["\n]/g, "'");
// Names come from the organization (anyone with Console access names projects and keys): escaped, one line.
const cell = (s: string) => escapeMarkdown(s);
const inline = (s: string) => s.replace(/\n/g, ' ');
