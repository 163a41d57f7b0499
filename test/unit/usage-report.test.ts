import { describe, expect, it } from 'vitest';
import type { CostRow, UsageRow } from '../../src/core/domain.js';
import { UserError } from '../../src/core/errors.js';
import { buildUsageReport } from '../../src/report/usage-report.js';
import { DAY, usageWindows } from '../../src/report/windows.js';
import type { Breakdown } from '../../src/report/types.js';
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

const TODAY = NOW - (NOW % DAY);
const M120 = 'openai/gpt-oss-120b';
const M20 = 'openai/gpt-oss-20b';

type Use = Omit<UsageRow, 'start_time' | 'end_time'>;
type Cost = Omit<CostRow, 'start_time' | 'end_time'>;
function use(project_id: string, key_id: string | null, model: string, requests: number, input: number, output: number): Use {
  return { project_id, key_id, model, requests, input_tokens: input, output_tokens: output };
}
function cost(project_id: string, line_item: string, value: number): Cost {
  return { project_id, key_id: null, line_item, amount_usd: value };
}
/** One bucket's rows, as a provider's `usage`/`costs` answer them. */
function bucket<R>(start: number, width: number, results: R[]): (R & { start_time: number; end_time: number })[] {
  return results.map((r) => ({ ...r, start_time: start, end_time: start + width }));
}

/** Two teams, three projects (one unmanaged), keys of each kind. */
function world() {
  const chatProd = makeDesiredProject('chatbot-prod', {
    team: 'chatbot',
    source: { file: 'policies/teams/chatbot.yaml', line: 4, column: 5 },
  });
  const research = makeDesiredProject('research-lab', {
    team: 'research',
    source: { file: 'policies/teams/research.yaml', line: 6, column: 5 },
  });
  const web = makeDesiredKey('chatbot-web', {
    project: 'chatbot-prod',
    team: 'chatbot',
    source: { file: 'policies/teams/chatbot.yaml', line: 9, column: 9 },
  });
  const batch = makeDesiredKey('chatbot-batch', {
    project: 'chatbot-prod',
    team: 'chatbot',
    source: { file: 'policies/teams/chatbot.yaml', line: 11, column: 9 },
  });
  const lab = makeDesiredKey('research-notebook', {
    project: 'research-lab',
    team: 'research',
    source: { file: 'policies/teams/research.yaml', line: 10, column: 9 },
  });
  const desired = makeDesired([chatProd, research], [web, batch, lab], { file: 'policies/org.yaml' });
  const webKey = managedKeyFor(web, { created_at: NOW - 60 * DAY, last_used_at: NOW - 600 });
  const batchKey = managedKeyFor(batch, { created_at: NOW - 60 * DAY, last_used_at: NOW - 3600 });
  const strayKey = makeLiveKey({ name: 'laptop', created_at: NOW - 5 * DAY, last_used_at: NOW - 7200 });
  const labKey = managedKeyFor(lab, { created_at: NOW - 90 * DAY, last_used_at: NOW - 40 * DAY });
  const pChat = makeLiveProject('chatbot-prod', { keys: [webKey, batchKey, strayKey] });
  const pLab = makeLiveProject('research-lab', { keys: [labKey] });
  const shadowKey = makeLiveKey({ name: 'shadow-key', created_at: NOW - 3 * DAY, last_used_at: NOW - 100 });
  const pShadow = makeLiveProject('shadow-it', { keys: [shadowKey] });
  const live = makeLive([pChat, pLab, pShadow]);
  return {
    desired,
    live,
    ids: {
      chat: pChat.id,
      lab: pLab.id,
      shadow: pShadow.id,
      web: webKey.id,
      batch: batchKey.id,
      stray: strayKey.id,
      lab_key: labKey.id,
      shadow_key: shadowKey.id,
    },
  };
}

function report(
  options: {
    usage?: UsageRow[][];
    minutes?: UsageRow[][];
    costs?: CostRow[][];
    since?: string;
    until?: string;
    by?: Breakdown;
    w?: ReturnType<typeof world>;
  } = {},
) {
  const w = options.w ?? world();
  const windows = usageWindows(NOW, { since: options.since ?? null, until: options.until ?? null });
  return buildUsageReport({
    desired: w.desired,
    live: w.live,
    windows,
    by: options.by ?? 'team',
    usage: (options.usage ?? []).flat(),
    minutes: (options.minutes ?? []).flat(),
    costs: (options.costs ?? []).flat(),
  });
}

describe('usageWindows', () => {
  it('defaults to the last 30 days through now, and fetches them with today in one range', () => {
    const w = usageWindows(NOW);
    expect(w.period).toEqual({ since: '2026-10-20', until: '2026-11-18', start_time: TODAY - 29 * DAY, end_time: NOW, days: 30 });
    expect(w.today).toEqual({ date: '2026-11-18', start_time: TODAY, end_time: NOW });
    expect(w.usageRanges).toEqual([{ start_time: TODAY - 29 * DAY, end_time: NOW }]);
    // The month began inside the period: one costs range covers both.
    expect(w.costRanges).toEqual([{ start_time: TODAY - 29 * DAY, end_time: NOW }]);
    expect(w.peaks.end_time).toBe(NOW);
    expect(w.peaks.start_time % 60).toBe(0);
    expect(Math.ceil((w.peaks.end_time - w.peaks.start_time) / 60)).toBeLessThanOrEqual(1440);
  });

  it('keeps a past period apart from today and the month to date', () => {
    const w = usageWindows(NOW, { since: '2026-09-01', until: '2026-09-30' });
    const sept = Date.UTC(2026, 8, 1) / 1000;
    const oct1 = Date.UTC(2026, 9, 1) / 1000;
    expect(w.period).toMatchObject({ start_time: sept, end_time: oct1, days: 30 });
    expect(w.usageRanges).toEqual([
      { start_time: sept, end_time: oct1 },
      { start_time: TODAY, end_time: NOW },
    ]);
    expect(w.costRanges).toEqual([
      { start_time: sept, end_time: oct1 },
      { start_time: Date.UTC(2026, 10, 1) / 1000, end_time: NOW },
    ]);
    expect(w.peaks).toEqual({ start_time: oct1 - DAY, end_time: oct1 });
  });

  it('refuses bad dates, empty, future and overlong periods', () => {
    expect(() => usageWindows(NOW, { since: '2026-11-31' })).toThrow(/--since must be a date written YYYY-MM-DD/);
    expect(() => usageWindows(NOW, { until: '11/18/2026' })).toThrow(UserError);
    expect(() => usageWindows(NOW, { since: '2026-11-10', until: '2026-11-01' })).toThrow(/is after --until/);
    expect(() => usageWindows(NOW, { since: '2026-12-01', until: '2026-12-02' })).toThrow(/in the future/);
    expect(() => usageWindows(NOW, { since: '2026-01-01' })).toThrow(/at most 180/);
  });
});

describe('buildUsageReport figures', () => {
  const w = world();
  const { ids } = w;
  const yesterday = TODAY - DAY;
  const usage = [
    bucket(yesterday, DAY, [
      use(ids.chat, ids.web, M120, 10, 1000, 500),
      use(ids.chat, ids.batch, M120, 5, 3000, 1500),
      use(ids.lab, ids.lab_key, M20, 2, 200, 100),
    ]),
    bucket(TODAY, DAY, [
      use(ids.chat, ids.web, M120, 4, 400, 200),
      use(ids.shadow, ids.shadow_key, M20, 1, 50, 50),
      use(ids.chat, 'key_gone', M20, 3, 30, 30),
    ]),
  ];
  const costs = [
    bucket(yesterday, DAY, [cost(ids.chat, M120, 0.4), cost(ids.lab, M20, 0.1)]),
    bucket(TODAY, DAY, [cost(ids.chat, M120, 0.2), cost(ids.shadow, M20, 0.05), cost(ids.chat, M20, 0.01)]),
  ];
  const r = report({ w, usage, costs });

  it('totals the period and today from the buckets and the costs endpoint', () => {
    expect(r.totals.period).toEqual({ requests: 25, input_tokens: 4680, output_tokens: 2380, cost_usd: 0.76 });
    expect(r.totals.today).toEqual({ requests: 8, input_tokens: 480, output_tokens: 280, cost_usd: 0.26 });
  });

  it('names teams through the policies and counts projects no policy names under "(no policy)"', () => {
    expect(r.breakdown.team.map((t) => [t.name, t.requests, t.cost_usd, t.managed])).toEqual([
      ['chatbot', 22, 0.61, true],
      ['research', 2, 0.1, true],
      ['(no policy)', 1, 0.05, false],
    ]);
    expect(r.breakdown.team[0]!.share).toBeCloseTo(0.61 / 0.76, 5);
    expect(r.breakdown.project.find((p) => p.name === 'shadow-it')).toMatchObject({ team: '(no policy)', managed: false });
  });

  it('splits a project-and-model cost between its keys by tokens, marked as estimated, summing to the whole', () => {
    const key = (name: string) => r.breakdown.key.find((k) => k.name === name)!;
    // Yesterday: chatbot-prod × 120b cost 0.40 for 1500 (web) and 4500 (batch) tokens; today 0.20 for web alone.
    expect(key('chatbot-web').cost_usd).toBeCloseTo(0.1 + 0.2, 9);
    expect(key('chatbot-batch').cost_usd).toBeCloseTo(0.3, 9);
    expect(key('chatbot-web').cost_estimated).toBe(true);
    expect(key('key_gone (deleted)')).toMatchObject({
      project: 'chatbot-prod',
      team: 'chatbot',
      requests: 3,
      cost_usd: 0.01,
      managed: false,
    });
    expect(key('shadow-key (' + ids.shadow_key + ')')).toMatchObject({ managed: false, team: '(no policy)' });
    const sum = r.breakdown.key.reduce((s, k) => s + k.cost_usd, 0);
    expect(sum).toBeCloseTo(r.totals.period.cost_usd, 9);
  });

  it('breaks down by model from the cost line items', () => {
    expect(r.breakdown.model.map((m) => [m.name, m.requests, m.cost_usd])).toEqual([
      [M120, 19, 0.6],
      [M20, 6, 0.16],
    ]);
  });

  it("keeps a day row for every day of the period, with each team's cost", () => {
    expect(r.daily).toHaveLength(30);
    expect(r.daily.at(-2)).toEqual({ date: '2026-11-17', cost_usd: 0.5, requests: 17, by_team: { chatbot: 0.4, research: 0.1 } });
    expect(r.daily.at(-1)!.by_team).toEqual({ '(no policy)': 0.05, chatbot: 0.21 });
    expect(r.daily[0]).toEqual({ date: '2026-10-20', cost_usd: 0, requests: 0, by_team: {} });
  });

  it('counts a bucket passed twice once', () => {
    const twice = report({ w, usage: [...usage, usage[1]!], costs: [...costs, costs[0]!] });
    expect(twice.totals).toEqual(r.totals);
  });

  it('reports spend against the limit and alerts, projected linearly to the month end', () => {
    const w2 = world();
    w2.live.spending = {
      monthly_cap_usd: 100,
      enforcing: false,
      alerts: [50, 80].map((usd, i) => ({ id: `sa_${i}`, threshold_usd: usd, recipients: ['a@b.c'] })),
    };
    const nov1 = Date.UTC(2026, 10, 1) / 1000;
    // $70 on Nov 1 and $30 on Oct 31: only November counts towards month to date.
    const spendCosts = [bucket(nov1 - DAY, DAY, [cost(w2.ids.chat, M120, 30)]), bucket(nov1, DAY, [cost(w2.ids.chat, M120, 70)])];
    const s = report({ w: w2, costs: spendCosts }).spend;
    const elapsed = NOW - nov1;
    expect(s).toMatchObject({ month: '2026-11', month_to_date_usd: 70, limit_usd: 100, enforcing: false });
    expect(s.alerts).toEqual([
      { threshold_usd: 50, reached: true },
      { threshold_usd: 80, reached: false },
    ]);
    expect(s.projected_month_end_usd).toBeCloseTo((70 * 30 * DAY) / elapsed, 2);
    expect(s.projected_limit_date).toBe(new Date((nov1 + Math.floor((100 / 70) * elapsed)) * 1000).toISOString().slice(0, 10));
    const finding = report({ w: w2, costs: spendCosts }).findings.find((f) => f.kind === 'spend_limit')!;
    expect(finding.message).toMatch(/reaches the spend limit \$100\.00 on 2026-/);
    expect(finding.source).toEqual({ file: 'policies/org.yaml', line: null });
  });
});

describe('findings', () => {
  it('idle: a key unused for 30 days points at its policy line; recent and new keys are not idle', () => {
    const r = report();
    const idle = r.findings.filter((f) => f.kind === 'idle_key');
    expect(idle).toHaveLength(1);
    expect(idle[0]).toMatchObject({
      key: 'research-notebook',
      project: 'research-lab',
      team: 'research',
      source: { file: 'policies/teams/research.yaml', line: 10 },
    });
    expect(idle[0]!.message).toContain('has not been used since 2026-10-09');
  });

  it('idle: usage in the buckets counts as use even when last_used_at lags', () => {
    const w = world();
    const r = report({ w, usage: [bucket(TODAY - 2 * DAY, DAY, [use(w.ids.lab, w.ids.lab_key, M20, 1, 1, 1)])] });
    expect(r.findings.filter((f) => f.kind === 'idle_key')).toEqual([]);
  });

  it('idle: a policy key is idle only when all its generations are', () => {
    const w = world();
    const lab = w.desired.keys.find((k) => k.name === 'research-notebook')!;
    w.live.projects[1]!.keys.push(
      managedKeyFor(lab, { created_at: NOW - 2 * DAY, last_used_at: NOW - 60, marks: { delivered_at: null, targets: null } }, 2),
    );
    expect(report({ w }).findings.filter((f) => f.kind === 'idle_key')).toEqual([]);
  });

  it("near and at a limit: the busiest minute against the project's live per-model limits", () => {
    const w = world();
    const chat = w.live.projects[0]!;
    chat.limits = chat.limits.map((l) =>
      l.model === M120 ? { ...l, values: { ...l.values, requests_per_minute: 100, tokens_per_minute: 10_000 } } : l,
    );
    const lab = w.live.projects[1]!;
    lab.limits = lab.limits.map((l) =>
      l.model === M20 ? { ...l, values: { ...l.values, requests_per_minute: 20, tokens_per_minute: 1_000_000 } } : l,
    );
    const m = NOW - (NOW % 60) - 600;
    const minutes = [
      bucket(m, 60, [use(w.ids.chat, null, M120, 30, 6000, 2600), use(w.ids.lab, null, M20, 20, 100, 100)]),
      bucket(m + 60, 60, [use(w.ids.chat, null, M120, 40, 1000, 1000), use(w.ids.lab, null, M20, 5, 10, 10)]),
      bucket(m + 120, 60, [use(w.ids.chat, null, M20, 1, 10, 10)]),
    ];
    const r = report({ w, minutes });
    expect(r.peaks.rows[0]).toMatchObject({
      project: 'research-lab',
      model: M20,
      peak_requests_per_minute: 20,
      requests_ratio: 1,
      peak_at: m,
    });
    expect(r.peaks.rows[1]).toMatchObject({
      project: 'chatbot-prod',
      model: M120,
      peak_requests_per_minute: 40,
      peak_tokens_per_minute: 8600,
      tokens_ratio: 0.86,
      requests_ratio: 0.4,
      peak_at: m,
    });
    const reached = r.findings.filter((f) => f.kind === 'limit_reached');
    const near = r.findings.filter((f) => f.kind === 'limit_near');
    expect(reached).toHaveLength(1);
    expect(reached[0]).toMatchObject({
      project: 'research-lab',
      model: M20,
      severity: 'warning',
      source: { file: 'policies/teams/research.yaml', line: 6 },
    });
    expect(reached[0]!.message).toContain('hit 100 % of its openai/gpt-oss-20b requests per minute limit (20 of 20');
    expect(near).toHaveLength(1);
    expect(near[0]).toMatchObject({ project: 'chatbot-prod', model: M120, source: { file: 'policies/teams/chatbot.yaml', line: 4 } });
    expect(near[0]!.message).toContain(`raise limits."${M120}".tokens_per_minute at policies/teams/chatbot.yaml:4`);
    // 1 of the org's 1000 requests per minute: neither near nor at.
    expect(r.findings.some((f) => f.model === M20 && f.project === 'chatbot-prod')).toBe(false);
  });

  it('unmanaged: projects and keys no policy names, with where to add them', () => {
    const r = report();
    const w = world();
    expect(r.findings.filter((f) => f.kind === 'unmanaged_project').map((f) => [f.project, f.source])).toEqual([
      ['shadow-it', { file: 'policies/org.yaml', line: null }],
    ]);
    const keys = r.findings.filter((f) => f.kind === 'unmanaged_key');
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ project: 'chatbot-prod', source: { file: 'policies/teams/chatbot.yaml', line: 4 } });
    expect(keys[0]!.key).toMatch(/^laptop \(key_\d+\)$/);
    // A key named like a policy key in its project is named by it (apply adopts it), not unmanaged.
    w.live.projects[0]!.keys = w.live.projects[0]!.keys.map((k) => (k.name === 'laptop' ? { ...k, name: 'chatbot-batch' } : k));
    expect(report({ w }).findings.filter((f) => f.kind === 'unmanaged_key')).toEqual([]);
  });

  it('spend share growth: the team whose share rose most from the first half of the period to the second', () => {
    const w = world();
    const start = TODAY - 29 * DAY;
    const costs: CostRow[][] = [];
    for (let d = 0; d < 30; d++) {
      const research = d < 15 ? 1 : 3;
      costs.push(bucket(start + d * DAY, DAY, [cost(w.ids.chat, M120, 3), cost(w.ids.lab, M20, research)]));
    }
    const growth = report({ w, costs }).findings.filter((f) => f.kind === 'spend_share_growth');
    expect(growth).toHaveLength(1);
    expect(growth[0]).toMatchObject({ team: 'research', source: { file: 'teams/research.yaml', line: null } });
    expect(growth[0]!.message).toContain('grew from 25 % to 50 % of spend (2026-10-20 – 2026-11-03 vs 2026-11-04 – 2026-11-18)');
  });

  it('a spend limit reached is a warning that every key is refused', () => {
    const w = world();
    w.live.spending = { monthly_cap_usd: 1, enforcing: true, alerts: [] };
    const r = report({ w, costs: [bucket(TODAY, DAY, [cost(w.ids.chat, M120, 1.5)])] });
    expect(r.spend.enforcing).toBe(true);
    expect(r.findings[0]).toMatchObject({ kind: 'spend_limit', severity: 'warning' });
    expect(r.findings[0]!.message).toContain('blocked_api_access');
  });
});
