// usage report for 1,000 projects and 10,000 keys over 90 days against the sandbox at a given latency.
// Floor: YAML-parsing the same policy files and making the same requests with a bare concurrent
// client (fetch, 8 in flight), measured in the same run: the org's 5 reads, the project list pages, 3 per project, and the report's bucket pages (1d
// usage per project, key and model; 1m usage per project and model; 1d costs per project and line
// item). Requests must equal that minimum.
import fs from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { openSession } from '../../src/app/session.js';
import { readUsageReport } from '../../src/app/read-usage-report.js';
import { mapLimit } from '../../src/core/concurrency.js';
import { silentLogger } from '../../src/core/log.js';
import catalogue from '../../src/core/model-catalogue.json' with { type: 'json' };
import { readPolicies } from '../../src/policy/read-policies.js';
import { renderUsageText } from '../../src/report/render-usage-text.js';
import { StateFile } from '../../src/sandbox/persistence.js';
import type { UsageRow } from '../../src/sandbox/snapshot.js';
import { usageWindows } from '../../src/report/windows.js';
import { best, fmt, generatePolicies, report, spawnSandbox } from './lib.js';

const ADMIN = 'bench-admin-key';
const TEAMS = Number(process.env.BENCH_TEAMS ?? 100);
const PROJECTS_PER_TEAM = 10;
const KEYS_PER_PROJECT = 10;
const DAYS = 90;
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 50);
const CONCURRENCY = 8;
const DAY = 86_400;
const PRICES = new Map(catalogue.live.map((m) => [m.id, m.price_per_million]));

export async function benchUsage(): Promise<{ ratio: number; requests: number; minimum: number }> {
  const dir = generatePolicies(TEAMS, PROJECTS_PER_TEAM, KEYS_PER_PROJECT);
  const state = path.join(dir, 'sandbox.json');
  const auth = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
  const desired = readPolicies(dir).desired!;

  // Projects and managed keys through the admin API (no latency while seeding); then 90 days of
  // traffic, one row per key and day, written straight into the stopped sandbox's state file.
  const seeder = await spawnSandbox(['--admin-key', ADMIN, '--org-id', 'org_bench', '--state', state]);
  const post = async (p: string, body: unknown) =>
    (await fetch(`${seeder.url}/openai/v1${p}`, { method: 'POST', headers: auth, body: JSON.stringify(body) })).json() as Promise<{
      id: string;
    }>;
  const projectIds = new Map<string, string>();
  await mapLimit(desired.projects, 16, async (p) => projectIds.set(p.name, (await post('/organization/projects', { name: p.name })).id));
  const keys: { id: string; project_id: string; model: string }[] = [];
  await mapLimit(desired.keys, 16, async (k) => {
    const project = desired.projects.find((p) => p.name === k.project)!;
    const created = await post(`/organization/projects/${projectIds.get(k.project)}/api_keys`, {
      name: k.name,
      metadata: { 'groq-rbac/key': k.name },
    });
    keys.push({ id: created.id, project_id: projectIds.get(k.project)!, model: project.models!.models[0]! });
  });
  const now = ((await (await fetch(`${seeder.url}/_sandbox/clock`, { headers: auth })).json()) as { now: number }).now;
  await seeder.stop();
  // The snapshot with its journal folded in; rewritten below with the usage rows, journal removed.
  const snapshot = StateFile.load(state)!;
  fs.rmSync(`${state}.journal`, { force: true });
  const today = now - (now % DAY);
  const rows: UsageRow[] = [];
  for (let d = DAYS - 1; d >= 0; d--) {
    keys.forEach((k, i) => {
      const minute = today - d * DAY + ((i * 7) % 600) * 60;
      if (minute >= now) return;
      const requests = 1 + ((i + d) % 5);
      const input = 100 * requests;
      const output = 40 * requests;
      const price = PRICES.get(k.model)!;
      rows.push({
        minute,
        project_id: k.project_id,
        api_key_id: k.id,
        model: k.model,
        requests,
        input_tokens: input,
        output_tokens: output,
        cost_usd: (input * price.input + output * price.output) / 1e6,
      });
    });
  }
  snapshot.usage = rows.sort((a, b) => a.minute - b.minute);
  fs.writeFileSync(state, JSON.stringify(snapshot));

  // The same organization, now answering every request after LATENCY_MS, as a distant API would.
  const sandbox = await spawnSandbox(['--admin-key', ADMIN, '--org-id', 'org_bench', '--state', state, '--latency-ms', String(LATENCY_MS)]);
  const stats = async () => (await (await fetch(`${sandbox.url}/_sandbox/stats`, { headers: auth })).json()) as { requests_total: number };
  const since = new Date((today - (DAYS - 1) * DAY) * 1000).toISOString().slice(0, 10);
  const get = async (p: string) =>
    (await fetch(`${sandbox.url}/openai/v1${p}`, { headers: auth })).json() as Promise<{
      data: { id: string }[];
      has_more: boolean;
      last_id: string;
      next_page: string | null;
    }>;
  const windows = usageWindows(now, { since });
  const bucketQueries = [
    ...windows.usageRanges.map((r) => ({
      path: '/organization/usage/completions',
      q: `start_time=${r.start_time}&end_time=${r.end_time}&bucket_width=1d&group_by[]=project_id&group_by[]=api_key_id&group_by[]=model&limit=31`,
    })),
    {
      path: '/organization/usage/completions',
      q: `start_time=${windows.peaks.start_time}&end_time=${windows.peaks.end_time}&bucket_width=1m&group_by[]=project_id&group_by[]=model&limit=1440`,
    },
    ...windows.costRanges.map((r) => ({
      path: '/organization/costs',
      q: `start_time=${r.start_time}&end_time=${r.end_time}&bucket_width=1d&group_by[]=project_id&group_by[]=line_item&limit=180`,
    })),
  ];
  let bucketPages = 0;
  const files = [path.join(dir, 'org.yaml'), ...fs.readdirSync(path.join(dir, 'teams')).map((f) => path.join(dir, 'teams', f))];
  const floor = await best(3, async () => {
    bucketPages = 0;
    const parsing = (async () => {
      for (const f of files) parseDocument(fs.readFileSync(f, 'utf8'), { lineCounter: new LineCounter() }).toJS();
    })();
    const buckets = Promise.all(
      bucketQueries.map(async ({ path: p, q }) => {
        for (let page: string | null = null; ;) {
          const answer = await get(`${p}?${q}${page ? `&page=${page}` : ''}`);
          bucketPages++;
          if (!answer.has_more || !answer.next_page) return;
          page = answer.next_page;
        }
      }),
    );
    const org = Promise.all(
      [
        '/organization',
        '/organization/model_permissions',
        '/organization/rate_limits?limit=100',
        '/organization/spend_limit',
        '/organization/spend_alerts?limit=100',
      ].map((p) => fetch(`${sandbox.url}/openai/v1${p}`, { headers: auth }).then((r) => r.text())),
    );
    const ids: string[] = [];
    for (let after = ''; ;) {
      const page = await get(`/organization/projects?limit=100${after ? `&after=${after}` : ''}`);
      ids.push(...page.data.map((p) => p.id));
      if (!page.has_more) break;
      after = page.last_id;
    }
    // 8 in flight in all, as the report's session has.
    const reads = ids.flatMap((id) => [
      `/organization/projects/${id}/model_permissions`,
      `/organization/projects/${id}/rate_limits?limit=100`,
      `/organization/projects/${id}/api_keys?limit=100`,
    ]);
    await mapLimit(reads, CONCURRENCY, get);
    await Promise.all([parsing, org, buckets]);
  });

  let requests = 0;
  const session = openSession({ baseUrl: sandbox.url, adminKey: ADMIN, concurrency: CONCURRENCY, logger: silentLogger });
  const run = await best(3, async () => {
    const before = (await stats()).requests_total;
    const result = readPolicies(dir);
    const r = await readUsageReport({ session, desired: result.desired!, since, by: 'team' });
    renderUsageText(r);
    requests = (await stats()).requests_total - before;
    return r;
  });
  await session.close();
  const projects = TEAMS * PROJECTS_PER_TEAM;
  const minimum = Math.ceil(projects / 100) + 3 * projects + 5 + bucketPages;
  const expected = rows.reduce((s, r) => s + r.requests, 0);
  if (run.result.totals.period.requests !== expected)
    throw new Error(`the report counted ${run.result.totals.period.requests} requests, the traffic was ${expected}`);
  const ratio = run.wallMs / floor.wallMs;
  report(
    `usage: ${fmt(projects)} projects, ${fmt(keys.length)} keys, ${DAYS} days (${fmt(rows.length)} usage rows), sandbox latency ${LATENCY_MS} ms`,
    {
      'floor (parse files + same requests, bare fetch)': `${fmt(floor.wallMs)} ms`,
      'usage report (read policies, org and buckets, build, render)': `${fmt(run.wallMs)} ms`,
      'ratio to floor': `${fmt(ratio, 2)}× (target ≤ 2×)`,
      'HTTP requests': `${requests} (minimum ${minimum}: ${Math.ceil(projects / 100)} list pages + 3 × ${projects} projects + 5 org reads + ${bucketPages} bucket pages)`,
    },
  );
  await sandbox.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  return { ratio, requests, minimum };
}

if (import.meta.url === `file://${process.argv[1]}`) await benchUsage();
