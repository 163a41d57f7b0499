// Growth and memory at organization scale. Each figure against a floor from the same run:
// - seeding 10,000 vs 50,000 keys through the sandbox, every create with an Idempotency-Key: linear;
// - validate's and plan's time per key at 1,000 / 10,000 / 50,000 keys (beyond starting up): no superlinear step;
// - peak RSS of `validate` and of `plan` at 50,000 keys against a process that only reads and
//   YAML-parses the same files.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HEAP_GROWING_PERCENT } from '../../src/core/heap.js';
import { fmt, generatePolicies, load, report, spawnSandbox } from './lib.js';

const ADMIN = 'bench-admin-key';
const BIN = path.resolve('bin/groq-rbac.js');

/** Peak RSS in MiB and wall time of a whole process. */
function peak(args: string[], env: NodeJS.ProcessEnv = {}): { mib: number; ms: number; status: number | null; stderr: string } {
  const start = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  const ms = performance.now() - start;
  const kb = Number(r.stderr.trim().split('\n').at(-1));
  if (!Number.isFinite(kb)) throw new Error(`no RSS figure from: ${r.stderr.slice(-300)}`);
  return { mib: kb / 1024, ms, status: r.status, stderr: r.stderr.slice(-600) };
}

async function seed(keys: number): Promise<number> {
  const sandbox = await spawnSandbox(['--admin-key', ADMIN, '--org-id', 'org_bench']);
  const auth = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
  const project = (await (
    await fetch(`${sandbox.url}/openai/v1/organization/projects`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'seed' }) })
  ).json()) as { id: string };
  const result = await load(sandbox.url, {
    connections: 16,
    seconds: 600,
    maxRequests: keys,
    next: (i) => ({
      method: 'POST',
      path: `/openai/v1/organization/projects/${project.id}/api_keys`,
      headers: { ...auth, 'idempotency-key': `seed-${i}` },
      body: { name: `k${i}`, metadata: { 'groq-rbac/key': `k${i}` } },
    }),
  });
  await sandbox.stop();
  if (result.statuses[201] !== keys) throw new Error(`seeding ${keys}: ${JSON.stringify(result.statuses)}`);
  return result.seconds * 1000;
}

/** An organization seeded with `dir`'s policies by `groq-rbac apply`, then `plan` as a whole process, best of `runs`. */
async function seededPlan(dir: string, runs: number): Promise<{ mib: number; ms: number }> {
  // Outside the policies: they are a git repository whose committed tree plan compares with.
  const state = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-bench-state-')), 'sandbox.json');
  // As a team keeps them: committed on main, so project ownership is what main says.
  const git = (...args: string[]) =>
    spawnSync('git', ['-C', dir, '-c', 'user.email=bench@example.com', '-c', 'user.name=bench', ...args], { encoding: 'utf8' });
  if (git('rev-parse', '--git-dir').status !== 0) {
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    if (git('commit', '-q', '-m', 'policies').status !== 0) throw new Error(`cannot commit the generated policies in ${dir}`);
  }
  const seeder = await spawnSandbox(['--admin-key', ADMIN, '--org-id', 'org_bench', '--state', state]);
  try {
    // In a folder of its own: the sandbox's stand-in deliveries (a file per key under .groq-rbac/)
    // land there, not in this repository nor among the policies. --sandbox-url, not --base-url: only
    // the flag diverts the policies' GitHub targets to those files.
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-bench-deliveries-'));
    const applied = spawnSync(
      process.execPath,
      [
        BIN,
        'apply',
        '--policies',
        dir,
        '--yes',
        '--force',
        '--concurrency',
        '16',
        '--sandbox-url',
        seeder.url,
        '--audit-log',
        path.join(work, 'audit.jsonl'),
      ],
      { cwd: work, env: { ...process.env, GROQ_ADMIN_KEY: ADMIN }, encoding: 'utf8', maxBuffer: 1 << 30 },
    );
    fs.rmSync(work, { recursive: true, force: true });
    if (applied.status !== 0) throw new Error(`seeding ${dir} by apply failed: ${applied.stderr.slice(-500)}`);
    let top: { mib: number; ms: number; status: number | null; stderr: string } | null = null;
    for (let i = 0; i < runs; i++) {
      const run = peak([BIN, 'plan', '--policies', dir, '--base-url', seeder.url, '--detailed-exitcode'], { GROQ_ADMIN_KEY: ADMIN });
      if (run.status !== 0) throw new Error(`plan right after apply exited ${run.status}, not 0 (no changes): ${run.stderr}`);
      top = top === null ? run : { ...run, mib: Math.max(top.mib, run.mib), ms: Math.min(top.ms, run.ms) };
    }
    return top!;
  } finally {
    await seeder.stop();
  }
}

export async function benchScale(): Promise<{
  seedingRatio: number;
  validateGrowth: number;
  planGrowth: number;
  validateRss: number;
  planRss: number;
}> {
  // Seeding: 5× the keys must take at most 1.2 × 5× the time.
  const seed10 = await seed(10_000);
  const seed50 = await seed(50_000);
  const seedingRatio = seed50 / seed10 / 5;

  const sizes = [
    [10, 10],
    [100, 10],
    [500, 10],
  ] as const; // teams × 10 projects × 10 keys
  const dirs = sizes.map(([teams]) => generatePolicies(teams, 10, 10));
  const parseOnly = `import fs from 'node:fs'; import path from 'node:path'; import { parseDocument } from 'yaml';
    const dir = process.argv[1]; const files = [path.join(dir, 'org.yaml'), ...fs.readdirSync(path.join(dir, 'teams')).map((f) => path.join(dir, 'teams', f))];
    const kept = files.map((f) => parseDocument(fs.readFileSync(f, 'utf8')).toJS()); if (kept.length === 0) process.exit(1);`;
  // The floor runs with the heap setting groq-rbac gives itself (src/core/heap.ts), so that only the
  // work differs; the default setting's figure is printed beside it.
  const floors = dirs.map((d) => peak([`--heap-growing-percent=${HEAP_GROWING_PERCENT}`, '--input-type=module', '-e', parseOnly, d]));
  const defaultFloor = peak(['--input-type=module', '-e', parseOnly, dirs[2]!]);
  // Time per key beyond starting up (a validate of the four example files): since validate costs
  // little more than parsing, a difference from the parse-only floor was noise-sized (even negative).
  const startup = Math.min(...[0, 1, 2].map(() => peak([BIN, 'validate', '--policies', 'policies']).ms));
  const best2 = (args: string[]) =>
    [peak(args), peak(args)].reduce((a, b) => ({ ...b, mib: Math.max(a.mib, b.mib), ms: Math.min(a.ms, b.ms) }));
  const validates = dirs.map((d) => best2([BIN, 'validate', '--policies', d]));
  const perKey = validates.map((v, i) => (v.ms - startup) / (sizes[i]![0] * 100));
  const validateGrowth = perKey[2]! / perKey[1]!;

  // plan at each size: an organization seeded with the policies, then plan as a whole process (the
  // highest peak, the fastest time); per key beyond starting up, as for validate.
  const plans = [await seededPlan(dirs[0]!, 2), await seededPlan(dirs[1]!, 2), await seededPlan(dirs[2]!, 2)];
  const plan = plans[2]!;
  const planPerKey = plans.map((p, i) => (p.ms - startup) / (sizes[i]![0] * 100));
  const planGrowth = planPerKey[2]! / planPerKey[1]!;

  const validateRss = validates[2]!.mib / floors[2]!.mib;
  const planRss = plan.mib / floors[2]!.mib;
  report('scale: growth and memory', {
    'seeding 10,000 keys (idempotent creates)': `${fmt(seed10)} ms`,
    'seeding 50,000 keys': `${fmt(seed50)} ms = ${fmt(seed50 / seed10, 2)}× for 5× the keys (target ≤ 6×)`,
    'start-up (validate of the examples)': `${fmt(startup)} ms`,
    'validate per key at 1k / 10k / 50k keys':
      perKey.map((x) => `${fmt(x * 1000, 1)} µs`).join(' / ') + ` (50k/10k: ${fmt(validateGrowth, 2)}×, target ≤ 1.2×)`,
    'plan per key at 1k / 10k / 50k keys':
      planPerKey.map((x) => `${fmt(x * 1000, 1)} µs`).join(' / ') + ` (50k/10k: ${fmt(planGrowth, 2)}×, target ≤ 1.2×)`,
    'plan at 1k / 10k / 50k keys (whole process)': plans.map((p) => `${fmt(p.ms)} ms, ${fmt(p.mib)} MiB`).join(' / '),
    'parse-only floor, peak RSS at 50k keys': `${fmt(floors[2]!.mib)} MiB with --heap-growing-percent=${HEAP_GROWING_PERCENT} (${fmt(defaultFloor.mib)} MiB with V8's default)`,
    'validate, peak RSS at 50k keys': `${fmt(validates[2]!.mib)} MiB = ${fmt(validateRss, 2)}× (target ≤ 2×)`,
    'plan, peak RSS at 50k keys': `${fmt(plan.mib)} MiB = ${fmt(planRss, 2)}× (target ≤ 2×)`,
  });
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  return { seedingRatio, validateGrowth, planGrowth, validateRss, planRss };
}

if (import.meta.url === `file://${process.argv[1]}`) await benchScale();
