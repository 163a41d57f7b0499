// plan for 10,000 keys in 1,000 team files against the sandbox. Floor: YAML-parsing those files plus
// listing the keys page by page with bare fetch, measured in the same run. Requests must equal the
// minimum: the list pages plus organization, models and spending limit.
import fs from 'node:fs';
import path from 'node:path';
import { parseDocument, LineCounter } from 'yaml';
import { applyPlan } from '../../src/apply/apply-plan.js';
import { GroqClient } from '../../src/groq/client.js';
import { readLiveState } from '../../src/groq/types.js';
import { planChanges } from '../../src/plan/plan-changes.js';
import { renderPlanText } from '../../src/plan/render-text.js';
import { readPolicies } from '../../src/policy/read-policies.js';
import { best, fmt, generatePolicies, report, spawnSandbox } from './lib.js';

const ADMIN = 'bench-admin-key';
const TEAMS = Number(process.env.BENCH_TEAMS ?? 1000);
const KEYS_PER_TEAM = 10;

export async function benchPlan(): Promise<{ ratio: number; requests: number; minimum: number }> {
  const dir = generatePolicies(TEAMS, KEYS_PER_TEAM);
  const sandbox = await spawnSandbox(['--admin-key', ADMIN, '--org-id', 'org_bench']);
  const client = new GroqClient({ baseUrl: sandbox.url, adminKey: ADMIN });
  const stats = async () => (await (await fetch(`${sandbox.url}/_sandbox/stats`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { requests_total: number };

  // Bring the org in line with the policies: 10,000 creates through the real apply.
  const desired = readPolicies(dir).desired!;
  const live0 = await readLiveState(client);
  const seedPlan = planChanges(desired, live0, live0.observed_at);
  const seeded = await applyPlan(seedPlan, client, { concurrency: 16 });
  if (seeded.summary.failed > 0) throw new Error(`seeding failed: ${JSON.stringify(seeded.outcomes.find((o) => o.status === 'failed'))}`);

  const files = [path.join(dir, 'org.yaml'), ...fs.readdirSync(path.join(dir, 'teams')).map((f) => path.join(dir, 'teams', f))];
  const floor = await best(5, async () => {
    for (const f of files) parseDocument(fs.readFileSync(f, 'utf8'), { lineCounter: new LineCounter() }).toJS();
    let after = '';
    for (;;) {
      const page = (await (await fetch(`${sandbox.url}/openai/v1/api-keys?limit=100${after ? `&after=${after}` : ''}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { has_more: boolean; last_id: string };
      if (!page.has_more) break;
      after = page.last_id;
    }
  });

  let requests = 0;
  const plan = await best(5, async () => {
    const before = (await stats()).requests_total;
    const result = readPolicies(dir);
    const live = await readLiveState(client);
    const p = planChanges(result.desired!, live, live.observed_at);
    renderPlanText(p);
    requests = (await stats()).requests_total - before;
    return p;
  });
  const keys = TEAMS * KEYS_PER_TEAM;
  const minimum = Math.ceil(keys / 100) + 3;
  if (plan.result.changes.length !== 0) throw new Error(`expected an empty plan, got ${plan.result.changes.length} changes`);
  const ratio = plan.wallMs / floor.wallMs;
  report(`plan: ${fmt(keys)} keys in ${fmt(TEAMS)} team files against the sandbox`, {
    'seeding: apply of all creates': `${fmt(seeded.outcomes.length)} changes`,
    'floor (parse files + list keys)': `${fmt(floor.wallMs)} ms`,
    'plan (read, validate, list, plan, render)': `${fmt(plan.wallMs)} ms`,
    'ratio to floor': `${fmt(ratio, 2)}× (target ≤ 2×)`,
    'HTTP requests': `${requests} (minimum ${minimum}: ${minimum - 3} list pages + org + models + spending)`,
  });
  await client.close();
  await sandbox.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  return { ratio, requests, minimum };
}

if (import.meta.url === `file://${process.argv[1]}`) await benchPlan();
