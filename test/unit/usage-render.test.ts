import { describe, expect, it } from 'vitest';
import type { CostRow, UsageRow } from '../../src/core/domain.js';
import { containsKeyValue } from '../../src/core/redact.js';
import { renderUsageJson } from '../../src/report/render-usage-json.js';
import { niceCeiling, renderUsageMarkdown } from '../../src/report/render-usage-markdown.js';
import { renderUsageText } from '../../src/report/render-usage-text.js';
import type { UsageReport } from '../../src/report/types.js';
import { buildUsageReport } from '../../src/report/usage-report.js';
import { DAY, usageWindows } from '../../src/report/windows.js';
import {
  makeDesired,
  makeDesiredKey,
  makeDesiredProject,
  makeLive,
  makeLiveKey,
  makeLiveProject,
  managedKeyFor,
  NOW,
} from '../helpers/builders.js';

const M120 = 'openai/gpt-oss-120b';
const M20 = 'openai/gpt-oss-20b';

const use = (
  project_id: string,
  key_id: string | null,
  model: string,
  requests: number,
  input: number,
  output: number,
): Omit<UsageRow, 'start_time' | 'end_time'> => ({ project_id, key_id, model, requests, input_tokens: input, output_tokens: output });
const cost = (project_id: string, line_item: string, value: number): Omit<CostRow, 'start_time' | 'end_time'> => ({
  project_id,
  key_id: null,
  line_item,
  amount_usd: value,
});
/** One bucket's rows, as a provider's `usage`/`costs` answer them. */
const bucket = <R>(start: number, width: number, results: R[]) =>
  results.map((r) => ({ ...r, start_time: start, end_time: start + width }));

/** A week of traffic for two teams and a project in no policy, with fixed ids so the snapshots are stable. */
function sampleReport(leak = ''): UsageReport {
  const chat = makeDesiredProject('chatbot-prod', { team: 'chatbot', source: { file: 'policies/teams/chatbot.yaml', line: 4, column: 5 } });
  const lab = makeDesiredProject('research-lab', {
    team: 'research',
    source: { file: 'policies/teams/research.yaml', line: 6, column: 5 },
  });
  const web = makeDesiredKey('chatbot-web', { source: { file: 'policies/teams/chatbot.yaml', line: 9, column: 9 } });
  const nb = makeDesiredKey('research-notebook', {
    project: 'research-lab',
    team: 'research',
    source: { file: 'policies/teams/research.yaml', line: 10, column: 9 },
  });
  const desired = makeDesired([chat, lab], [web, nb], { file: 'policies/org.yaml' });
  const webKey = managedKeyFor(web, { id: 'key_web', created_at: NOW - 60 * DAY, last_used_at: NOW - 60 });
  const nbKey = managedKeyFor(nb, { id: 'key_nb', created_at: NOW - 90 * DAY, last_used_at: NOW - 45 * DAY });
  const stray = makeLiveKey({ id: 'key_stray', name: `laptop${leak}`, created_at: NOW - 2 * DAY, last_used_at: null });
  const pChat = makeLiveProject('chatbot-prod', { keys: [webKey, stray] });
  pChat.id = 'proj_chat';
  pChat.limits = pChat.limits.map((l) =>
    l.model === M120 ? { ...l, values: { ...l.values, requests_per_minute: 50, tokens_per_minute: 20_000 } } : l,
  );
  const pLab = makeLiveProject('research-lab', { keys: [nbKey] });
  pLab.id = 'proj_lab';
  const pShadow = makeLiveProject('shadow-it', { keys: [makeLiveKey({ id: 'key_shadow', name: 'shadow', created_at: NOW - DAY })] });
  pShadow.id = 'proj_shadow';
  const live = makeLive([pChat, pLab, pShadow], {
    spending: { monthly_cap_usd: 50, enforcing: false, alerts: [{ id: 'sa_1', threshold_usd: 25, recipients: ['platform@acme.example'] }] },
  });
  const windows = usageWindows(NOW, { since: '2026-11-12' });
  const usage: UsageRow[] = [];
  const costs: CostRow[] = [];
  for (let d = 0; d < 7; d++) {
    const t = windows.period.start_time + d * DAY;
    usage.push(
      ...bucket(t, DAY, [
        use('proj_chat', 'key_web', M120, 100 + d * 10, 20_000, 8_000),
        use('proj_lab', 'key_nb', M20, d > 3 ? 40 : 5, 4_000, 1_000),
        use('proj_shadow', 'key_shadow', M20, 2, 300, 100),
      ]),
    );
    costs.push(
      ...bucket(t, DAY, [
        cost('proj_chat', M120, 1.25 + d * 0.25),
        cost('proj_lab', M20, d > 3 ? 1.5 : 0.25),
        cost('proj_shadow', M20, 0.02),
      ]),
    );
  }
  const m = NOW - (NOW % 60) - 3600;
  const minutes = bucket(m, 60, [use('proj_chat', null, M120, 42, 12_000, 5_000), use('proj_lab', null, M20, 3, 300, 100)]);
  return buildUsageReport({ desired, live, windows, by: 'team', usage, minutes, costs });
}

/** The subset of Mermaid the report emits: `pie` and `xychart-beta` bar charts. Returns the problems found. */
function checkMermaid(source: string): string[] {
  const lines = source
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const problems: string[] = [];
  const NUMBER = /^-?\d+(\.\d+)?$/;
  if (/^pie( showData)?$/.test(lines[0] ?? '')) {
    let slices = 0;
    for (const [i, line] of lines.slice(1).entries()) {
      if (i === 0 && /^title [^\n]+$/.test(line)) continue;
      const m = /^"([^"]+)"\s*:\s*(\S+)$/.exec(line);
      if (!m) problems.push(`pie: cannot parse "${line}"`);
      else if (!NUMBER.test(m[2]!) || Number(m[2]) <= 0) problems.push(`pie: slice "${m[1]}" has value ${m[2]}, not a positive decimal`);
      else slices++;
    }
    if (slices === 0) problems.push('pie: no slices');
    return problems;
  }
  if (lines[0] !== 'xychart-beta') return [`unknown diagram "${lines[0]}"`];
  let categories: string[] | null = null;
  let yMax: number | null = null;
  const series: number[][] = [];
  for (const line of lines.slice(1)) {
    let m: RegExpExecArray | null;
    if (/^title "[^"]*"$/.test(line)) continue;
    if ((m = /^x-axis(?: "[^"]*")? \[(.*)\]$/.exec(line))) {
      const items = m[1]!.split(',').map((s) => s.trim());
      if (!items.every((s) => /^"[^"]*"$/.test(s))) problems.push(`x-axis: categories must be quoted: ${m[1]}`);
      categories = items.map((s) => s.slice(1, -1));
    } else if ((m = /^y-axis(?: "[^"]*")? (\S+) --> (\S+)$/.exec(line))) {
      if (!NUMBER.test(m[1]!) || !NUMBER.test(m[2]!) || Number(m[1]) >= Number(m[2]))
        problems.push(`y-axis: bad range ${m[1]} --> ${m[2]}`);
      yMax = Number(m[2]);
    } else if ((m = /^(bar|line) \[(.*)\]$/.exec(line))) {
      const values = m[2]!.split(',').map((s) => s.trim());
      if (!values.every((v) => NUMBER.test(v))) problems.push(`${m[1]}: values must be plain decimals: ${m[2]}`);
      series.push(values.map(Number));
    } else problems.push(`xychart: cannot parse "${line}"`);
  }
  if (!categories) problems.push('xychart: no x-axis categories');
  if (series.length === 0) problems.push('xychart: no bar or line');
  for (const s of series) {
    if (categories && s.length !== categories.length) problems.push(`xychart: ${s.length} values for ${categories.length} categories`);
    if (yMax !== null && s.some((v) => v > yMax!)) problems.push('xychart: a value is above the y-axis maximum');
  }
  return problems;
}

const mermaidBlocks = (markdown: string) => [...markdown.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('the Mermaid checker', () => {
  it('catches what GitHub would fail to render', () => {
    expect(checkMermaid('pie showData\n  title T\n  "a" : 1.5\n  "b" : 2')).toEqual([]);
    expect(checkMermaid('pie\n  "a" : 1e-7')).toEqual(['pie: slice "a" has value 1e-7, not a positive decimal', 'pie: no slices']);
    expect(checkMermaid('pie\n  "a\' : 1')).toHaveLength(2);
    expect(checkMermaid('xychart-beta\n  x-axis ["a", "b"]\n  y-axis "USD" 0 --> 5\n  bar [1, 2]')).toEqual([]);
    expect(checkMermaid('xychart-beta\n  x-axis ["a", "b"]\n  y-axis "USD" 0 --> 5\n  bar [1]')).toEqual([
      'xychart: 1 values for 2 categories',
    ]);
    expect(checkMermaid('xychart-beta\n  x-axis [a, "b"]\n  y-axis 0 --> 1\n  bar [1, 2]')).toEqual([
      'x-axis: categories must be quoted: a, "b"',
      'xychart: a value is above the y-axis maximum',
    ]);
  });
});

describe('renderUsageMarkdown', () => {
  const markdown = renderUsageMarkdown(sampleReport());

  it('matches the snapshot', async () => {
    await expect(markdown).toMatchFileSnapshot('__snapshots__/usage-report.md');
  });

  it('emits a pie of cost per team and a bar chart of cost per day, both valid Mermaid', () => {
    const blocks = mermaidBlocks(markdown);
    expect(blocks).toHaveLength(2);
    expect(blocks[0]).toMatch(/^pie showData\n/);
    expect(blocks[1]).toMatch(/^xychart-beta\n/);
    for (const b of blocks) expect(checkMermaid(b)).toEqual([]);
    // chatbot: 1.25 + 0.25·d for d = 0..6; research: 0.25 for four days, then 1.50; shadow-it: 0.02 a day.
    expect(blocks[0]).toContain('"chatbot" : 14\n    "research" : 5.5\n    "(no policy)" : 0.14');
    expect(blocks[1]).toContain('bar [1.52, 1.77, 2.02, 2.27, 3.77, 4.02, 4.27]');
  });

  it('keeps Mermaid valid for tiny amounts and quotes in names', () => {
    const r = sampleReport();
    r.breakdown.team = r.breakdown.team.map((t) => ({ ...t, name: `${t.name} "x"`, cost_usd: t.cost_usd / 1e5 }));
    r.daily = r.daily.map((d) => ({ ...d, cost_usd: d.cost_usd / 1e5 }));
    for (const b of mermaidBlocks(renderUsageMarkdown(r))) expect(checkMermaid(b)).toEqual([]);
  });

  it('leaves the charts out when nothing cost anything', () => {
    const r = sampleReport();
    r.breakdown.team = r.breakdown.team.map((t) => ({ ...t, cost_usd: 0 }));
    r.daily = r.daily.map((d) => ({ ...d, cost_usd: 0 }));
    const md = renderUsageMarkdown(r);
    expect(mermaidBlocks(md)).toEqual([]);
    expect(md).toContain('No cost in this period.');
  });
});

describe('renderUsageText', () => {
  it('matches the snapshot: aligned tables, a bar per team', async () => {
    const text = renderUsageText(sampleReport());
    await expect(text).toMatchFileSnapshot('__snapshots__/usage-report.txt');
    const table = text.split('\n').filter((l) => /^ {2}(chatbot|research|\(no policy\)) /.test(l));
    expect(table).toHaveLength(3);
    // Aligned: every row's cost column ends at the same place.
    const ends = table.map((l) => l.indexOf('%'));
    expect(new Set(ends).size).toBe(1);
    expect(table[0]).toMatch(/█{10,}░*/);
  });
});

describe('renderers and key values', () => {
  it('never print a key value, even one pasted into a key name', () => {
    const leak = '-gsk_' + 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789';
    const r = sampleReport(leak);
    for (const out of [renderUsageText(r), renderUsageMarkdown(r), renderUsageJson(r)]) {
      expect(containsKeyValue(out)).toBe(false);
      expect(out).toContain('laptop-gsk_[REDACTED]');
    }
  });

  it('renders JSON that parses back to the report', () => {
    const r = sampleReport();
    expect(JSON.parse(renderUsageJson(r))).toEqual(r);
  });
});

describe('niceCeiling', () => {
  it('rounds a maximum up to 1, 2 or 5 times a power of ten', () => {
    expect([0, 0.7, 1, 1.3, 4.52, 7, 12, 0.000031].map(niceCeiling)).toEqual([1, 1, 1, 2, 5, 10, 20, 0.00005]);
  });
});
