import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import catalogue from '../../src/core/model-catalogue.json' with { type: 'json' };
import { containsKeyValue } from '../../src/core/redact.js';
import type { UsageReport } from '../../src/report/types.js';
import { runCli, workspaceWith } from '../helpers/cli.js';
import { ORG_YAML, projectYaml, teamYaml, writePolicies } from '../helpers/policies.js';
import { chat, createKey, startTestOrg, type TestOrg } from '../helpers/sandbox.js';

const V1 = '/openai/v1/organization';
const DAY = 86_400;
const M120 = 'openai/gpt-oss-120b';
const M20 = 'openai/gpt-oss-20b';
const PRICES = new Map(catalogue.live.map((m) => [m.id, m.price_per_million]));

interface Sent {
  project: string;
  team: string;
  key: string;
  model: string;
  day: number;
  input: number;
  output: number;
}

let org: TestOrg;
let cwd: string;
const sent: Sent[] = [];
const values: string[] = [];
let now = 0;

const advance = async (seconds: number) => {
  now = (await org.request('POST', '/_sandbox/clock', { body: { advance_seconds: seconds } })).body.now;
};
const dayOf = (t: number) => t - (t % DAY);

/** One completion; what it used is recorded from the response, independently of the code under test. */
async function complete(key: { value: string; name: string; project: string; team: string }, model: string, n: number): Promise<void> {
  const res = await org.request('POST', '/openai/v1/chat/completions', {
    token: key.value,
    body: chat(model, `request ${n} ${'word '.repeat(n % 7)}`, { max_tokens: 64 }),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  sent.push({
    project: key.project,
    team: key.team,
    key: key.name,
    model,
    day: dayOf(now),
    input: res.body.usage.prompt_tokens,
    output: res.body.usage.completion_tokens,
  });
}

beforeAll(async () => {
  org = await startTestOrg();
  await org.request('POST', '/_sandbox/clock', { body: { freeze: true } });
  const policies = writePolicies({
    'org.yaml': ORG_YAML,
    'teams/chatbot.yaml': teamYaml('chatbot', projectYaml('chatbot-prod', { keys: ['chatbot-web', 'chatbot-batch', 'chatbot-old'] })),
    'teams/research.yaml': teamYaml('research', projectYaml('research-lab', { keys: ['research-nb'] })),
  });
  cwd = workspaceWith(policies);

  const project = async (name: string) => (await org.request('POST', `${V1}/projects`, { body: { name } })).body.id as string;
  const chatProd = await project('chatbot-prod');
  const lab = await project('research-lab');
  const shadow = await project('shadow-it');
  // Tight per-minute request limits, to be reached on the last day.
  await org.request('POST', `${V1}/projects/${chatProd}/rate_limits/rl-${M20}`, { body: { max_requests_per_1_minute: 10 } });
  await org.request('POST', `${V1}/projects/${lab}/rate_limits/rl-${M120}`, { body: { max_requests_per_1_minute: 5 } });
  await org.request('POST', `${V1}/spend_limit`, { body: { threshold_amount: 50_000, currency: 'USD', interval: 'month' } });

  const key = async (projectId: string, projectName: string, team: string, name: string, managed: boolean) => {
    const k = await createKey(org, projectId, name, managed ? { 'groq-rbac/key': name } : {});
    values.push(k.value);
    return { value: k.value, name, project: projectName, team };
  };
  const web = await key(chatProd, 'chatbot-prod', 'chatbot', 'chatbot-web', true);
  const batch = await key(chatProd, 'chatbot-prod', 'chatbot', 'chatbot-batch', true);
  await key(chatProd, 'chatbot-prod', 'chatbot', 'chatbot-old', true);
  const laptop = await key(chatProd, 'chatbot-prod', 'chatbot', 'laptop', false);
  const nb = await key(lab, 'research-lab', 'research', 'research-nb', true);
  const shadowKey = await key(shadow, 'shadow-it', '(no policy)', 'shadow-key', false);

  // Five weeks pass: chatbot-old, never used, is idle. Then four days of traffic, each from just after midnight UTC.
  await advance(0);
  await advance(35 * DAY);
  let n = 0;
  for (let d = 0; d < 4; d++) {
    await advance(DAY - (now % DAY) + 600);
    for (let i = 0; i < 3; i++) await complete(web, M120, n++);
    for (let i = 0; i < 2; i++) await complete(web, M20, n++);
    await advance(61);
    for (let i = 0; i < 2 + d; i++) await complete(batch, M20, n++);
    await advance(61);
    for (let i = 0; i <= d; i++) await complete(nb, M120, n++);
    await complete(laptop, M20, n++);
    await complete(shadowKey, M20, n++);
    await advance(3600);
  }
  // The last day's bursts: 8 of chatbot-prod's 10 requests a minute on 20b, all 5 of research-lab's on 120b.
  await advance(61);
  for (let i = 0; i < 8; i++) await complete(batch, M20, n++);
  for (let i = 0; i < 5; i++) await complete(nb, M120, n++);
  await advance(300);
}, 60_000);

afterAll(async () => {
  await org?.close();
});

async function report(args: string[] = []): Promise<{ report: UsageReport; requests: number; byRoute: Record<string, number> }> {
  const before = (await org.request('GET', '/_sandbox/stats')).body;
  const out = path.join(cwd, 'usage.json');
  const result = await runCli(['usage', '--base-url', org.sandbox.url, '--format', 'json', '--out', out, ...args], {
    cwd,
    env: { GROQ_ADMIN_KEY: org.sandbox.adminKey },
  });
  expect(result.stderr).toContain('Wrote the usage report');
  expect(result.code).toBe(0);
  const after = (await org.request('GET', '/_sandbox/stats')).body;
  const byRoute: Record<string, number> = {};
  for (const [route, count] of Object.entries(after.by_route as Record<string, number>))
    if (count - (before.by_route[route] ?? 0) > 0) byRoute[route] = count - (before.by_route[route] ?? 0);
  return { report: JSON.parse(fs.readFileSync(out, 'utf8')), requests: after.requests_total - before.requests_total, byRoute };
}

function sum(rows: Sent[]) {
  return {
    requests: rows.length,
    input_tokens: rows.reduce((s, r) => s + r.input, 0),
    output_tokens: rows.reduce((s, r) => s + r.output, 0),
  };
}
const priced = (rows: Sent[]) =>
  rows.reduce((s, r) => s + (r.input * PRICES.get(r.model)!.input + r.output * PRICES.get(r.model)!.output) / 1e6, 0);

describe('groq-rbac usage against the sandbox', () => {
  let r: UsageReport;
  let requests: number;
  let byRoute: Record<string, number>;
  beforeAll(async () => {
    ({ report: r, requests, byRoute } = await report());
  });

  it('counts requests and tokens per team, project, key and model exactly as the traffic sent', () => {
    const today = dayOf(now);
    const check = (by: 'team' | 'project' | 'key' | 'model', name: string, rows: Sent[]) => {
      const row = r.breakdown[by].find((x) => x.name === name);
      expect(row, `${by} ${name}`).toBeDefined();
      expect({ requests: row!.requests, input_tokens: row!.input_tokens, output_tokens: row!.output_tokens }, `${by} ${name}`).toEqual(
        sum(rows),
      );
      const t = rows.filter((x) => x.day === today);
      expect(
        { requests: row!.today.requests, input_tokens: row!.today.input_tokens, output_tokens: row!.today.output_tokens },
        `${by} ${name} today`,
      ).toEqual(sum(t));
    };
    for (const team of ['chatbot', 'research', '(no policy)'])
      check(
        'team',
        team,
        sent.filter((s) => s.team === team),
      );
    for (const project of ['chatbot-prod', 'research-lab', 'shadow-it'])
      check(
        'project',
        project,
        sent.filter((s) => s.project === project),
      );
    for (const key of ['chatbot-web', 'chatbot-batch', 'research-nb'])
      check(
        'key',
        key,
        sent.filter((s) => s.key === key),
      );
    for (const model of [M120, M20])
      check(
        'model',
        model,
        sent.filter((s) => s.model === model),
      );
    expect(r.breakdown.key.find((k) => k.name.startsWith('laptop ('))).toMatchObject({ managed: false, requests: 4 });
    const { requests: total, input_tokens, output_tokens } = r.totals.period;
    expect({ requests: total, input_tokens, output_tokens }).toEqual(sum(sent));
    // Day by day.
    for (const day of new Set(sent.map((s) => s.day))) {
      const row = r.daily.find((d) => d.date === new Date(day * 1000).toISOString().slice(0, 10));
      expect(row?.requests).toBe(sent.filter((s) => s.day === day).length);
    }
  });

  it("takes costs from the costs endpoint: equal to the org's own figures, and to the tokens at catalogue prices", async () => {
    const start = r.period.start_time;
    const costs = (await org.request('GET', `${V1}/costs?start_time=${start}&bucket_width=1d&limit=180&group_by[]=project_id`)).body;
    const own = new Map<string, number>();
    for (const b of costs.data) for (const c of b.results) own.set(c.project_id, (own.get(c.project_id) ?? 0) + c.amount.value);
    const projects = (await org.request('GET', `${V1}/projects`)).body.data as { id: string; name: string }[];
    for (const p of projects) {
      const row = r.breakdown.project.find((x) => x.name === p.name)!;
      expect(row.cost_usd).toBeCloseTo(own.get(p.id) ?? 0, 9);
      expect(row.cost_usd).toBeCloseTo(priced(sent.filter((s) => s.project === p.name)), 9);
    }
    expect(r.totals.period.cost_usd).toBeCloseTo(priced(sent), 9);
    expect(r.breakdown.team.find((t) => t.name === 'chatbot')!.cost_usd).toBeCloseTo(priced(sent.filter((s) => s.team === 'chatbot')), 9);
    expect(r.breakdown.model.find((m) => m.name === M120)!.cost_usd).toBeCloseTo(priced(sent.filter((s) => s.model === M120)), 9);
    // A key alone in its project and model costs exactly its tokens.
    expect(r.breakdown.key.find((k) => k.name === 'research-nb')!.cost_usd).toBeCloseTo(
      priced(sent.filter((s) => s.key === 'research-nb')),
      9,
    );
  });

  it('reports month-to-date spend against the limit', async () => {
    const d = new Date(now * 1000);
    const monthStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / 1000;
    const mtd = priced(sent.filter((s) => s.day >= monthStart));
    expect(r.spend.month_to_date_usd).toBeCloseTo(mtd, 9);
    expect(r.spend.limit_usd).toBe(500);
    expect(r.spend.enforcing).toBe(false);
  });

  it('finds the idle key, the project near and the project at its per-minute limit, and what no policy names', () => {
    const kinds = (kind: string) => r.findings.filter((f) => f.kind === kind);
    expect(kinds('idle_key').map((f) => [f.key, f.source?.file.endsWith('teams/chatbot.yaml'), typeof f.source?.line])).toEqual([
      ['chatbot-old', true, 'number'],
    ]);
    expect(kinds('limit_near').map((f) => [f.project, f.model])).toEqual([['chatbot-prod', M20]]);
    expect(kinds('limit_reached').map((f) => [f.project, f.model])).toEqual([['research-lab', M120]]);
    expect(kinds('limit_reached')[0]!.message).toContain('(5 of 5 at');
    expect(kinds('unmanaged_project').map((f) => f.project)).toEqual(['shadow-it']);
    expect(kinds('unmanaged_key').map((f) => f.key)).toEqual([expect.stringMatching(/^laptop \(key_/)]);
    const peak = r.peaks.rows.find((p) => p.project === 'chatbot-prod' && p.model === M20)!;
    expect(peak).toMatchObject({ peak_requests_per_minute: 8, limit_requests_per_minute: 10, requests_ratio: 0.8 });
  });

  it('makes a bounded number of requests: the org once, then one page each of 1d usage, 1m usage and costs', () => {
    const d = new Date(now * 1000);
    const monthStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / 1000;
    const costPages = monthStart < r.period.start_time ? 2 : 1;
    const projects = 3;
    expect(byRoute[`GET ${V1}/usage/completions`]).toBe(2);
    expect(byRoute[`GET ${V1}/costs`]).toBe(costPages);
    expect(requests).toBe(5 + 1 + 3 * projects + 2 + costPages);
  });

  it('never writes a key value', () => {
    const text = JSON.stringify(r);
    expect(containsKeyValue(text)).toBe(false);
    for (const v of values) expect(text).not.toContain(v);
  });

  it('renders text and Markdown through the CLI', async () => {
    const text = await runCli(['usage', '--base-url', org.sandbox.url, '--by', 'key'], {
      cwd,
      env: { GROQ_ADMIN_KEY: org.sandbox.adminKey },
    });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/By key\n\s+key\s+project\s+requests/);
    expect(text.stdout).toContain('chatbot-web');
    const md = await runCli(['usage', '--base-url', org.sandbox.url, '--format', 'markdown'], {
      cwd,
      env: { GROQ_ADMIN_KEY: org.sandbox.adminKey },
    });
    expect(md.stdout).toContain('```mermaid\npie showData');
    expect(md.stdout).toContain('```mermaid\nxychart-beta');
  });

  it('refuses bad options before any request', async () => {
    const before = (await org.request('GET', '/_sandbox/stats')).body.requests_total;
    const bad = await runCli(['usage', '--base-url', org.sandbox.url, '--since', '2026-13-01'], {
      cwd,
      env: { GROQ_ADMIN_KEY: org.sandbox.adminKey },
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--since must be a date written YYYY-MM-DD');
    const by = await runCli(['usage', '--base-url', org.sandbox.url, '--by', 'colour'], {
      cwd,
      env: { GROQ_ADMIN_KEY: org.sandbox.adminKey },
    });
    expect(by.stderr).toContain('--by must be one of team, project, key, model');
    expect((await org.request('GET', '/_sandbox/stats')).body.requests_total).toBe(before);
  });
});
