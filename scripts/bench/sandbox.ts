// Sandbox throughput on one core over loopback: admin and inference requests per second.
// Floor: a bare node:http server answering a fixed JSON body, measured in the same run with the same
// load generator; the ratio says how much of the machine's HTTP ceiling the sandbox keeps. Floor,
// admin and inference take turns for ROUNDS rounds and each keeps its best: one measurement alone
// moved by ±15 % with the machine's state (the floor read 54,000 to 65,000 req/s in one hour).
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fmt, load, report, spawnSandbox, type LoadResult } from './lib.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 32;
const ADMIN = 'bench-admin-key';
const auth = { authorization: `Bearer ${ADMIN}` };

async function floorServer(): Promise<{ url: string; stop: () => void }> {
  const child = fork(new URL('./floor-server.mjs', import.meta.url), { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const url = await new Promise<string>((resolve) => child.once('message', (m) => resolve(String(m))));
  return { url, stop: () => child.kill('SIGTERM') };
}

export async function benchSandbox(): Promise<{ admin: LoadResult; inference: LoadResult; floor: LoadResult }> {
  const floor = await floorServer();

  // As `groq-rbac sandbox` runs by default: every acknowledged change journalled to its state file.
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-bench-state-'));
  const sandbox = await spawnSandbox(['--admin-key', ADMIN, '--state', path.join(stateDir, 'sandbox.json')]);
  // Seed: one project with 200 keys to read and update, and room in its limits for the whole run.
  const json = { ...auth, 'content-type': 'application/json' };
  const project = (await (
    await fetch(`${sandbox.url}/openai/v1/organization/projects`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 'bench' }),
    })
  ).json()) as { id: string };
  const keysPath = `/openai/v1/organization/projects/${project.id}/api_keys`;
  const seed = await load(sandbox.url, {
    connections: 8,
    seconds: 30,
    maxRequests: 200,
    next: (i) => ({ method: 'POST', path: keysPath, headers: auth, body: { name: `seed-${i}`, metadata: {} } }),
  });
  if (seed.statuses[201] !== 200) throw new Error(`seeding failed: ${JSON.stringify(seed.statuses)}`);
  const page = (await (await fetch(`${sandbox.url}${keysPath}?limit=100`, { headers: auth })).json()) as { data: { id: string }[] };
  const ids = page.data.map((k) => k.id);
  const created = (await (
    await fetch(`${sandbox.url}${keysPath}`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 'bench-inference', metadata: {} }),
    })
  ).json()) as { value: string };
  // Room for the whole run in the org's and the project's limits, so inference requests succeed.
  const roomy = {
    max_requests_per_1_minute: 100_000_000,
    max_tokens_per_1_minute: 1_000_000_000_000,
    max_requests_per_1_day: 1_000_000_000,
    max_tokens_per_1_day: 1_000_000_000_000,
  };
  await fetch(`${sandbox.url}/_sandbox/rate_limits`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ model: 'openai/gpt-oss-20b', ...roomy }),
  });
  await fetch(`${sandbox.url}/openai/v1/organization/projects/${project.id}/rate_limits/rl-openai%2Fgpt-oss-20b`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify(roomy),
  });

  // The admin mix a plan and an apply make: list pages, reads, updates, creates, usage.
  const projectPath = `/openai/v1/organization/projects/${project.id}`;
  const runAdmin = () =>
    load(sandbox.url, {
      connections: CONNECTIONS,
      seconds: SECONDS,
      maxRequests: 1_000_000,
      next: (i) => {
        const id = ids[i % ids.length]!;
        switch (i % 10) {
          case 0:
            return { method: 'GET', path: `${keysPath}?limit=100`, headers: auth };
          case 1:
            return {
              method: 'POST',
              path: keysPath,
              headers: auth,
              body: { name: `load-${i}`, metadata: { 'groq-rbac/key': `load-${i}` } },
            };
          case 2:
            return {
              method: 'POST',
              path: `${keysPath}/${id}`,
              headers: auth,
              body: { metadata: { 'groq-rbac/delivered_at': String(i) } },
            };
          case 3:
            return { method: 'GET', path: `/openai/v1/organization/usage/completions?start_time=0&bucket_width=1d`, headers: auth };
          case 4:
            return { method: 'GET', path: `${projectPath}/rate_limits?limit=100`, headers: auth };
          case 5:
            return { method: 'GET', path: `${projectPath}/model_permissions`, headers: auth };
          default:
            return { method: 'GET', path: `${keysPath}/${id}`, headers: auth };
        }
      },
    });
  const runInference = () =>
    load(sandbox.url, {
      connections: CONNECTIONS,
      seconds: SECONDS,
      maxRequests: 1_000_000,
      next: () => ({
        method: 'POST',
        path: '/openai/v1/chat/completions',
        headers: { authorization: `Bearer ${created.value}` },
        body: { model: 'openai/gpt-oss-20b', messages: [{ role: 'user', content: 'Say hello.' }], max_completion_tokens: 16 },
      }),
    });
  const runFloor = () =>
    load(floor.url, { connections: CONNECTIONS, seconds: SECONDS, maxRequests: 1_000_000, next: () => ({ method: 'GET', path: '/' }) });
  const better = (a: LoadResult | null, b: LoadResult) => (a === null || b.perSecond > a.perSecond ? b : a);
  let floorResult: LoadResult | null = null;
  let admin: LoadResult | null = null;
  let inference: LoadResult | null = null;
  for (let round = 0; round < ROUNDS; round++) {
    floorResult = better(floorResult, await runFloor());
    admin = better(admin, await runAdmin());
    inference = better(inference, await runInference());
  }
  floor.stop();
  await sandbox.stop();
  fs.rmSync(stateDir, { recursive: true, force: true });

  const ok = (r: LoadResult) =>
    `${fmt(
      Object.entries(r.statuses)
        .filter(([s]) => Number(s) < 400)
        .reduce((a, [, n]) => a + n, 0),
    )} ok of ${fmt(r.requests)}`;
  report(
    `sandbox throughput (one sandbox process with its state file, ${CONNECTIONS} keep-alive connections, best of ${ROUNDS} turns of ${SECONDS}s each)`,
    {
      'floor: bare node:http JSON server': `${fmt(floorResult!.perSecond)} req/s`,
      'admin mix': `${fmt(admin!.perSecond)} req/s (${ok(admin!)}; target ≥ 2,000) = ${fmt(admin!.perSecond / floorResult!.perSecond, 2)}× floor`,
      'inference (chat completions)': `${fmt(inference!.perSecond)} req/s (${ok(inference!)}; target ≥ 2,000) = ${fmt(inference!.perSecond / floorResult!.perSecond, 2)}× floor`,
    },
  );
  return { admin: admin!, inference: inference!, floor: floorResult! };
}

if (import.meta.url === `file://${process.argv[1]}`) await benchSandbox();
