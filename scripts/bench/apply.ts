// apply of 2,000 key creates (into existing projects) against the sandbox at 50 ms latency.
// Floor: the same requests a new key needs, made with bare fetch at the same concurrency: the
// create (with its Idempotency-Key), the verifying call with the new key, and the delivery mark.
import fs from 'node:fs';
import path from 'node:path';
import { applyOrganization } from '../../src/app/apply-organization.js';
import { openSession } from '../../src/app/session.js';
import { mapLimit } from '../../src/core/concurrency.js';
import { silentLogger } from '../../src/core/log.js';
import { readPolicies } from '../../src/policy/read-policies.js';
import { fmt, generatePolicies, report, spawnSandbox } from './lib.js';

const ADMIN = 'bench-admin-key';
const PROJECTS = Number(process.env.BENCH_APPLY_PROJECTS ?? 200);
const KEYS_PER_PROJECT = 10;
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 50);
const CONCURRENCY = 8;

export async function benchApply(): Promise<{ ratio: number; keys: number; pushbackFailed: number }> {
  const dir = generatePolicies(PROJECTS / 10, 10, KEYS_PER_PROJECT);
  const state = path.join(dir, 'sandbox.json');
  const auth = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
  const desired = readPolicies(dir).desired!;
  const projectsOnly = { ...desired, keys: [] };

  // Projects, permissions and limits first, without latency: the measured applies only create keys.
  const seeder = await spawnSandbox(['--admin-key', ADMIN, '--org-id', 'org_bench', '--state', state]);
  const seedSession = openSession({ baseUrl: seeder.url, adminKey: ADMIN, concurrency: 16, logger: silentLogger });
  const seeded = await applyOrganization({ session: seedSession, desired: projectsOnly, expectedFingerprint: null, force: true, confirm: async () => true });
  if (seeded.status !== 'applied' || seeded.report.summary.failed > 0) throw new Error('seeding the projects failed');
  await seedSession.close();
  await seeder.stop();
  const pristine = `${state}.pristine`;
  fs.copyFileSync(state, pristine);

  // Floor: every key's three requests with bare fetch, CONCURRENCY keys in flight.
  let sandbox = await spawnSandbox(['--admin-key', ADMIN, '--org-id', 'org_bench', '--state', state, '--latency-ms', String(LATENCY_MS)]);
  const projects = (await (await fetch(`${sandbox.url}/openai/v1/organization/projects?limit=100`, { headers: auth })).json()) as { data: { id: string; name: string }[]; has_more: boolean; last_id: string };
  const ids = new Map<string, string>();
  for (let page = projects; ; ) {
    for (const p of page.data) ids.set(p.name, p.id);
    if (!page.has_more) break;
    page = (await (await fetch(`${sandbox.url}/openai/v1/organization/projects?limit=100&after=${page.last_id}`, { headers: auth })).json()) as typeof projects;
  }
  const floorStart = performance.now();
  await mapLimit(desired.keys, CONCURRENCY, async (k) => {
    const base = `${sandbox.url}/openai/v1/organization/projects/${ids.get(k.project)}/api_keys`;
    const created = (await (await fetch(base, { method: 'POST', headers: { ...auth, 'idempotency-key': `floor-${k.name}` }, body: JSON.stringify({ name: k.name, metadata: { 'groq-rbac/key': k.name, 'groq-rbac/generation': '1' } }) })).json()) as { id: string; value: string };
    await (await fetch(`${sandbox.url}/openai/v1/models`, { headers: { authorization: `Bearer ${created.value}` } })).text();
    await (await fetch(`${base}/${created.id}`, { method: 'POST', headers: auth, body: JSON.stringify({ metadata: { 'groq-rbac/delivered_at': '1' } }) })).text();
  });
  const floorMs = performance.now() - floorStart;
  await sandbox.stop();

  // groq-rbac apply on the same organization as it was before the floor's creates.
  fs.copyFileSync(pristine, state);
  fs.rmSync(`${state}.journal`, { force: true });
  sandbox = await spawnSandbox(['--admin-key', ADMIN, '--org-id', 'org_bench', '--state', state, '--latency-ms', String(LATENCY_MS)]);
  const session = openSession({ baseUrl: sandbox.url, adminKey: ADMIN, concurrency: CONCURRENCY, logger: silentLogger });
  const start = performance.now();
  const result = await applyOrganization({ session, desired: { ...desired, keys: desired.keys.map((k) => ({ ...k, rotation: { ...k.rotation, deliver: [] } })) }, expectedFingerprint: null, force: true, confirm: async () => true });
  const applyMs = performance.now() - start;
  await session.close();
  await sandbox.stop();
  if (result.status !== 'applied' || result.report.summary.failed > 0) throw new Error(`apply failed: ${result.status}`);
  const creates = result.report.outcomes.filter((o) => o.action === 'create').length;
  const ratio = applyMs / floorMs;

  // Pushback: the same apply again on a fresh copy, with 40 creates answered 429 (retry-after 1 s)
  // along the way; it must finish with nothing failed, slowing down rather than failing piecemeal.
  fs.copyFileSync(pristine, state);
  fs.rmSync(`${state}.journal`, { force: true });
  sandbox = await spawnSandbox(['--admin-key', ADMIN, '--org-id', 'org_bench', '--state', state, '--latency-ms', String(LATENCY_MS)]);
  await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'POST', headers: auth, body: JSON.stringify({ faults: Array.from({ length: 40 }, () => ({ method: 'POST', path: '/openai/v1/organization/projects/*', status: 429, retry_after: 1, times: 1 })) }) });
  const pushed = openSession({ baseUrl: sandbox.url, adminKey: ADMIN, concurrency: CONCURRENCY, logger: silentLogger });
  const pushStart = performance.now();
  const underPushback = await applyOrganization({ session: pushed, desired: { ...desired, keys: desired.keys.map((k) => ({ ...k, rotation: { ...k.rotation, deliver: [] } })) }, expectedFingerprint: null, force: true, confirm: async () => true });
  const pushMs = performance.now() - pushStart;
  await pushed.close();
  await sandbox.stop();
  const pushFailed = underPushback.status === 'applied' ? underPushback.report.summary.failed : -1;
  report(`apply: ${fmt(creates)} key creates at ${LATENCY_MS} ms latency, ${CONCURRENCY} in flight`, {
    'floor (create + verify + mark, bare fetch)': `${fmt(floorMs)} ms`,
    'apply (plan read + the same requests)': `${fmt(applyMs)} ms`,
    'ratio to floor': `${fmt(ratio, 2)}× (target ≤ 1.15×)`,
    'same apply with 40 injected 429s (retry-after 1 s)': `${fmt(pushMs)} ms, ${pushFailed} failed (target: 0 failed)`,
  });
  fs.rmSync(dir, { recursive: true, force: true });
  return { ratio, keys: creates, pushbackFailed: pushFailed };
}

if (import.meta.url === `file://${process.argv[1]}`) await benchApply();
