import { redactSecrets } from '../core/redact.js';
import { alignTable, bar, int, minuteUtc, pct, timeUtc, usd } from './format.js';
import { peakRatio } from './peaks.js';
import type { Breakdown, BreakdownRow, Figures, Finding, UsageReport } from './types.js';

export interface UsageTextStyle {
  bold(s: string): string;
  dim(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
}

const plain: UsageTextStyle = { bold: (s) => s, dim: (s) => s, yellow: (s) => s, red: (s) => s };

/** Rows shown per table in text and Markdown; the JSON has them all. */
export const MAX_TABLE_ROWS = 50;

export const BY_TITLE: Record<Breakdown, string> = { team: 'team', project: 'project', key: 'key', model: 'model' };

/** Aligned tables for the terminal, with a bar for each row's share of cost. */
export function renderUsageText(report: UsageReport, style: UsageTextStyle = plain): string {
  const out: string[] = [];
  const { period, today } = report;
  out.push(
    style.bold(
      `Usage of ${report.org}: ${period.since} – ${period.until} (${period.days} day${period.days === 1 ? '' : 's'}); today ${today.date} until ${timeUtc(report.now)}`,
    ),
    '',
  );

  const totals = (label: string, f: Figures) => [label, int(f.requests), int(f.input_tokens), int(f.output_tokens), usd(f.cost_usd)];
  out.push(
    ...alignTable(
      ['', 'requests', 'input tokens', 'output tokens', 'cost'],
      [totals('period', report.totals.period), totals('today', report.totals.today)],
      ['left', 'right', 'right', 'right', 'right'],
    ),
    '',
  );

  out.push(style.bold(`By ${BY_TITLE[report.by]}`));
  out.push(...breakdownTable(report.by, report.breakdown[report.by]), '');

  if (report.daily.length > 0) {
    const max = Math.max(...report.daily.map((d) => d.cost_usd));
    out.push(style.bold('Cost per day'));
    out.push(
      ...alignTable(
        ['day', 'requests', 'cost', ''],
        report.daily.map((d) => [d.date, int(d.requests), usd(d.cost_usd), max > 0 ? bar(d.cost_usd / max, 30).replace(/░+$/, '') : '']),
        ['left', 'right', 'right', 'left'],
      ),
      '',
    );
  }

  out.push(style.bold(`Peak per-minute use, ${minuteUtc(report.peaks.start_time)} – ${minuteUtc(report.peaks.end_time)}`));
  if (report.peaks.rows.length === 0) out.push('  no requests in this window');
  else {
    const rows = report.peaks.rows
      .slice(0, MAX_TABLE_ROWS)
      .map((p) => [
        p.project,
        p.model,
        `${int(p.peak_requests_per_minute)} / ${p.limit_requests_per_minute === null ? '-' : int(p.limit_requests_per_minute)}`,
        `${int(p.peak_tokens_per_minute)} / ${p.limit_tokens_per_minute === null ? '-' : int(p.limit_tokens_per_minute)}`,
        pct(peakRatio(p)),
        minuteUtc(p.peak_at),
      ]);
    out.push(
      ...alignTable(['project', 'model', 'requests/min', 'tokens/min', 'of limit', 'at'], rows, [
        'left',
        'left',
        'right',
        'right',
        'right',
        'left',
      ]),
    );
    if (report.peaks.rows.length > MAX_TABLE_ROWS) out.push(`  … ${report.peaks.rows.length - MAX_TABLE_ROWS} more (see --format json)`);
  }
  out.push('');

  const s = report.spend;
  out.push(style.bold(`Spend, ${s.month}`));
  const limit =
    s.limit_usd === null
      ? 'no spend limit'
      : `limit ${usd(s.limit_usd)} (${pct(s.limit_usd > 0 ? s.month_to_date_usd / s.limit_usd : 1)} used)${s.enforcing ? ', ENFORCING: inference is blocked' : ''}`;
  out.push(`  month to date ${usd(s.month_to_date_usd)}; ${limit}`);
  out.push(
    `  projected month end ${usd(s.projected_month_end_usd)}${s.projected_limit_date ? `; reaches the limit on ${s.projected_limit_date}` : ''}`,
  );
  if (s.alerts.length > 0)
    out.push(`  alerts: ${s.alerts.map((a) => `${usd(a.threshold_usd)}${a.reached ? ' (reached)' : ''}`).join(', ')}`);
  out.push('');

  out.push(style.bold(`Findings (${report.findings.length})`));
  if (report.findings.length === 0) out.push('  none');
  for (const f of report.findings) out.push(findingLine(f, style));
  return redactSecrets(`${out.join('\n')}\n`);
}

function breakdownTable(by: Breakdown, rows: readonly BreakdownRow[]): string[] {
  const context = by === 'project' ? ['team'] : by === 'key' ? ['project'] : [];
  const header = [BY_TITLE[by], ...context, 'requests', 'input tokens', 'output tokens', 'cost', 'share', '', 'today req', 'today cost'];
  const align = header.map((_, i) => (i <= context.length || i === context.length + 6 ? 'left' : 'right') as 'left' | 'right');
  const cells = rows
    .slice(0, MAX_TABLE_ROWS)
    .map((r) => [
      `${r.name}${r.managed ? '' : ' *'}`,
      ...(by === 'project' ? [r.team ?? ''] : by === 'key' ? [r.project ?? ''] : []),
      int(r.requests),
      int(r.input_tokens),
      int(r.output_tokens),
      `${r.cost_estimated ? '~' : ''}${usd(r.cost_usd)}`,
      pct(r.share),
      bar(r.share),
      int(r.today.requests),
      usd(r.today.cost_usd),
    ]);
  const lines = alignTable(header, cells, align);
  if (rows.length > MAX_TABLE_ROWS) lines.push(`  … ${rows.length - MAX_TABLE_ROWS} more (see --format json)`);
  const notes = [
    rows.some((r) => !r.managed) ? '* in no policy' : '',
    rows.some((r) => r.cost_estimated) ? '~ split between keys by tokens (costs are billed per project and model)' : '',
  ].filter(Boolean);
  if (notes.length) lines.push(`  ${notes.join('; ')}`);
  return lines;
}

function findingLine(f: Finding, style: UsageTextStyle): string {
  const mark = f.severity === 'warning' ? style.red('!') : style.yellow('-');
  return `  ${mark} ${f.message}`;
}
