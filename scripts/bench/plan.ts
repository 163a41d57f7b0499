// plan for 1,000 projects and 10,000 keys (100 team files) against the sandbox at a given latency.
// Floor: YAML-parsing the same files and making the same requests with a bare concurrent client
// (fetch, the same 8 requests in flight), measured in the same run. Requests must equal the minimum: the project list
// pages, 3 per project (model permissions, rate limits, keys) and the org's 5 (organization, model
// permissions, rate limits, spend limit, spend alerts).
import fs from 'node:fs';
import path from 'node:path';
import { parseDocument, LineCounter } from 'yaml';
import { planOrganization } from '../../src/app/plan-organization.js';
import { applyOrganization } from '../../src/app/apply-organization.js';
import { openSession } from '../../src/app/session.js';
import { silentLogger } from '../../src/core/log.js';
import { renderPlanText } from '../../src/plan/render-text.js';
import { readPolicies } from '../../src/policy/read-policies.js';
import { best, fmt, generatePolicies, readOrganizationBare, report, spawnSandbox } from './lib.js';

const ADMIN = 'bench-admin-key';
const TEAMS = Number(process.env.BENCH_TEAMS ?? 100);
const PROJECTS_PER_TEAM = 10;
const KEYS_PER_PROJECT = 10;
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 50);
const CONCURRENCY = 8;

export async function benchPlan(): Promise<{ ratio: number; requests: number; minimum: number }> {
  const dir = generatePolicies(TEAMS, PROJECTS_PER_TEAM, KEYS_PER_PROJECT);
  const state = path.join(dir, 'sandbox.json');
  const seeder = await spawnSandbox(['--admin-key', ADMIN, '--org-id', 'org_bench', '--state', state]);
  const auth = { authorization: `Bearer ${ADMIN}` };
  const stats = async () => (await (await fetch(`${sandbox.url}/_sandbox/stats`, { headers: auth })).json()) as { requests_total: number };
  const session = openSession({ baseUrl: seeder.url, adminKey: ADMIN, concurrency: 16, logger: silentLogger });

  // Bring the org in line with the policies through the real apply (no latency while seeding).
  const desired = readPolicies(dir).desired!;
  const seeded = await applyOrganization({ session, desired, expectedFingerprint: null, force: true, confirm: async () => true });
  if (seeded.status !== 'applied' || seeded.report.summary.failed > 0)
    throw new Error(
      `seeding failed: ${JSON.stringify(seeded.status === 'applied' ? seeded.report.outcomes.find((o) => o.status === 'failed') : seeded.status)}`,
    );
  await session.close();
  await seeder.stop();
  // The same organization, now answering every request after LATENCY_MS, as a distant API would.
  const sandbox = await spawnSandbox(['--admin-key', ADMIN, '--org-id', 'org_bench', '--state', state, '--latency-ms', String(LATENCY_MS)]);
  const files = [path.join(dir, 'org.yaml'), ...fs.readdirSync(path.join(dir, 'teams')).map((f) => path.join(dir, 'teams', f))];
  const floor = await best(3, async () => {
    const parsing = (async () => {
      for (const f of files) parseDocument(fs.readFileSync(f, 'utf8'), { lineCounter: new LineCounter() }).toJS();
    })();
    // The same bound as groq-rbac's reads: CONCURRENCY requests in flight.
    await Promise.all([parsing, readOrganizationBare(sandbox.url, auth, CONCURRENCY)]);
  });

  let requests = 0;
  const planSession = openSession({ baseUrl: sandbox.url, adminKey: ADMIN, concurrency: CONCURRENCY, logger: silentLogger });
  const plan = await best(3, async () => {
    const before = (await stats()).requests_total;
    const result = readPolicies(dir);
    const { plan: p } = await planOrganization(planSession, result.desired!);
    renderPlanText(p);
    requests = (await stats()).requests_total - before;
    return p;
  });
  await planSession.close();
  const projects = TEAMS * PROJECTS_PER_TEAM;
  const minimum = Math.ceil(projects / 100) + 3 * projects + 5;
  if (plan.result.changes.length !== 0) throw new Error(`expected an empty plan, got ${plan.result.changes.length} changes`);
  const ratio = plan.wallMs / floor.wallMs;
  report(
    `plan: ${fmt(projects)} projects, ${fmt(projects * KEYS_PER_PROJECT)} keys in ${fmt(TEAMS)} team files, sandbox latency ${LATENCY_MS} ms`,
    {
      'seeding: apply of every create': `${fmt(seeded.report.outcomes.length)} changes`,
      'floor (parse files + same requests, bare fetch)': `${fmt(floor.wallMs)} ms`,
      'plan (read, validate, read org, plan, render)': `${fmt(plan.wallMs)} ms`,
      'ratio to floor': `${fmt(ratio, 2)}× (target ≤ 2×)`,
      'HTTP requests': `${requests} (minimum ${minimum}: ${Math.ceil(projects / 100)} list pages + 3 × ${projects} projects + 5 org reads)`,
    },
  );
  await sandbox.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  return { ratio, requests, minimum };
}

if (import.meta.url === `file://${process.argv[1]}`) await benchPlan();
