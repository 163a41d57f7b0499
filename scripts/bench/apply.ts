// apply of 2,000 key creates (into existing projects) against the sandbox at 50 ms latency, twice:
//
// - with no delivery target (issue 12): each key is one create that carries its delivered mark.
//   Floor: the same create POSTs (an Idempotency-Key each, the same body, metadata included) with
//   bare fetch, CONCURRENCY in flight.
// - with one file target per key: create, verify, deliver, mark. Floor: the same requests (the
//   create, GET /openai/v1/models with the new key, the mark) with bare fetch, CONCURRENCY keys in
//   flight, plus writing the same files the least a secret file needs (a temporary file created
//   0600, written, fsynced, renamed over the destination).
//
// The ratios compare the apply phase (from the moment apply has its plan to the last change) with
// the floor. Before it, apply reads the organization to plan (a list page per 100 projects, 3
// requests per project, 5 org reads: the minimum, see plan.ts); the whole apply is also compared with
// that read made with bare fetch followed by the floor's requests: the same requests end to end.
import { constants } from 'node:fs';
import fs from 'node:fs';
import { open, rename } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { idempotencyKeyFor } from '../../src/apply/apply-change.js';
import { applyOrganization, type ApplyRequest } from '../../src/app/apply-organization.js';
import { deliverToTargets } from '../../src/app/deliver-to-targets.js';
import { openSession } from '../../src/app/session.js';
import { mapLimit } from '../../src/core/concurrency.js';
import { silentLogger } from '../../src/core/log.js';
import { DELIVERED_ON_CREATE, METADATA } from '../../src/providers/groq/metadata.js';
import { targetsHash } from '../../src/plan/rotation.js';
import type { DesiredKey, DesiredState } from '../../src/policy/types.js';
import { readPolicies } from '../../src/policy/read-policies.js';
import { fmt, generatePolicies, readOrganizationBare, report, spawnSandbox } from './lib.js';

const ADMIN = 'bench-admin-key';
const ORG = 'org_bench';
const PROJECTS = Number(process.env.BENCH_APPLY_PROJECTS ?? 200);
const KEYS_PER_PROJECT = 10;
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 50);
const CONCURRENCY = 8;

type Sandbox = Awaited<ReturnType<typeof spawnSandbox>>;

/**
 * `ratio` and `targetedRatio`: the apply phase over its floor, without and with a file target per
 * key; the `endToEnd` ratios: the whole apply over the same requests end to end (read + floor).
 */
export async function benchApply(): Promise<{
  ratio: number;
  targetedRatio: number;
  endToEndRatio: number;
  targetedEndToEndRatio: number;
  keys: number;
  pushbackFailed: number;
}> {
  const dir = generatePolicies(PROJECTS / 10, 10, KEYS_PER_PROJECT);
  const state = path.join(dir, 'sandbox.json');
  const auth = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
  const policies = readPolicies(dir).desired!;
  const withTargets = (deliver: (k: DesiredKey) => DesiredKey['rotation']['deliver']): DesiredState => ({
    ...policies,
    keys: policies.keys.map((k) => ({ ...k, rotation: { ...k.rotation, deliver: deliver(k) } })),
  });
  const untargeted = withTargets(() => []);
  const fileTarget = (k: DesiredKey) => `keys/${k.name}.key`;
  const targeted = withTargets((k) => [{ kind: 'file', path: fileTarget(k) }]);

  // Projects, permissions and limits first, without latency: the measured applies only create keys.
  const seeder = await spawnSandbox(['--admin-key', ADMIN, '--org-id', ORG, '--state', state]);
  const seedSession = openSession({ baseUrl: seeder.url, adminKey: ADMIN, concurrency: 16, logger: silentLogger });
  const seeded = await applyOrganization({
    session: seedSession,
    desired: { ...policies, keys: [] },
    expectedFingerprint: null,
    force: true,
    confirm: async () => true,
  });
  if (seeded.status !== 'applied' || seeded.report.summary.failed > 0) throw new Error('seeding the projects failed');
  await seedSession.close();
  await seeder.stop();
  const pristine = `${state}.pristine`;
  fs.copyFileSync(state, pristine);
  /** The organization as seeded, answering every request after LATENCY_MS. */
  const fresh = async (): Promise<Sandbox> => {
    fs.copyFileSync(pristine, state);
    fs.rmSync(`${state}.journal`, { force: true });
    return spawnSandbox(['--admin-key', ADMIN, '--org-id', ORG, '--state', state, '--latency-ms', String(LATENCY_MS)]);
  };
  const projectIds = async (sandbox: Sandbox): Promise<Map<string, string>> => {
    type Page = { data: { id: string; name: string }[]; has_more: boolean; last_id: string };
    const ids = new Map<string, string>();
    for (let after = ''; ;) {
      const page = (await (
        await fetch(`${sandbox.url}/openai/v1/organization/projects?limit=100${after ? `&after=${after}` : ''}`, { headers: auth })
      ).json()) as Page;
      for (const p of page.data) ids.set(p.name, p.id);
      if (!page.has_more) return ids;
      after = page.last_id;
    }
  };
  /** Where a key is created, and the create request as groq-rbac sends it for generation 1. */
  const createOf = (sandbox: Sandbox, ids: Map<string, string>, k: DesiredKey, marked: boolean) => {
    const projectId = ids.get(k.project)!;
    const metadata: Record<string, string> = { [METADATA.key]: k.name, [METADATA.generation]: '1' };
    if (marked) Object.assign(metadata, { [METADATA.deliveredAt]: DELIVERED_ON_CREATE, [METADATA.targets]: targetsHash([]) });
    return {
      url: `${sandbox.url}/openai/v1/organization/projects/${projectId}/api_keys`,
      init: {
        method: 'POST',
        headers: { ...auth, 'idempotency-key': idempotencyKeyFor(ORG, { project: projectId, key: k.name, generation: '1' }) },
        body: JSON.stringify({ name: k.name, metadata }),
      },
    };
  };
  /** groq-rbac apply of `desired` on a fresh copy: the apply phase (after the plan is made) and the whole. */
  const measureApply = async (desired: DesiredState, extra: Pick<ApplyRequest, 'deliver'> = {}) => {
    const sandbox = await fresh();
    const session = openSession({ baseUrl: sandbox.url, adminKey: ADMIN, concurrency: CONCURRENCY, logger: silentLogger });
    const start = performance.now();
    let planned = start;
    const result = await applyOrganization({
      session,
      desired,
      expectedFingerprint: null,
      force: true,
      confirm: async () => true,
      onPlan: () => void (planned = performance.now()),
      ...extra,
    });
    const end = performance.now();
    await session.close();
    await sandbox.stop();
    if (result.status !== 'applied' || result.report.summary.failed > 0)
      throw new Error(
        `apply failed: ${result.status === 'applied' ? result.report.outcomes.find((o) => o.status === 'failed')?.message : result.status}`,
      );
    return {
      applyMs: end - planned,
      planMs: planned - start,
      totalMs: end - start,
      creates: result.report.outcomes.filter((o) => o.action === 'create').length,
    };
  };

  /** The read a plan makes of the seeded organization, with bare fetch. */
  const readFloor = async (sandbox: Sandbox): Promise<number> => {
    const start = performance.now();
    await readOrganizationBare(sandbox.url, auth, CONCURRENCY);
    return performance.now() - start;
  };

  // 1. No delivery target. Floor: the create POSTs alone.
  let sandbox = await fresh();
  const readMs = await readFloor(sandbox);
  let ids = await projectIds(sandbox);
  let floorStart = performance.now();
  await mapLimit(untargeted.keys, CONCURRENCY, async (k) => {
    const { url, init } = createOf(sandbox, ids, k, true);
    const res = await fetch(url, init);
    if (res.status !== 201) throw new Error(`floor create: ${res.status}`);
    await res.text();
  });
  const floorMs = performance.now() - floorStart;
  await sandbox.stop();
  // With the delivery step the CLI and the Action give apply (it registers each new value for masking), though it reaches no target.
  const noTargetDir = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-bench-files-'));
  const plain = await measureApply(untargeted, {
    deliver: deliverToTargets(untargeted, { env: {}, cwd: noTargetDir, logger: silentLogger }),
  });
  const ratio = plain.applyMs / floorMs;

  // 2. One file target per key. Floor: create, verify, write the file, mark, with bare fetch and fs.
  const floorFiles = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-bench-files-'));
  sandbox = await fresh();
  ids = await projectIds(sandbox);
  floorStart = performance.now();
  await mapLimit(targeted.keys, CONCURRENCY, async (k) => {
    const { url, init } = createOf(sandbox, ids, k, false);
    const res = await fetch(url, init);
    if (res.status !== 201) throw new Error(`floor create: ${res.status}`);
    const created = (await res.json()) as { id: string; value: string };
    const models = await fetch(`${sandbox.url}/openai/v1/models`, { headers: { authorization: `Bearer ${created.value}` } });
    if (models.status !== 200) throw new Error(`floor verify: ${models.status}`);
    await models.text();
    const destination = path.join(floorFiles, fileTarget(k));
    fs.mkdirSync(path.dirname(destination), { recursive: true, mode: 0o700 });
    const temporary = `${destination}.tmp`;
    const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    await handle.writeFile(`${created.value}\n`);
    await handle.sync();
    await handle.close();
    await rename(temporary, destination);
    const mark = await fetch(`${url}/${created.id}`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        metadata: { [METADATA.deliveredAt]: String(Math.floor(Date.now() / 1000)), [METADATA.targets]: targetsHash(k.rotation.deliver) },
      }),
    });
    if (mark.status !== 200) throw new Error(`floor mark: ${mark.status}`);
    await mark.text();
  });
  const targetedFloorMs = performance.now() - floorStart;
  await sandbox.stop();
  fs.rmSync(floorFiles, { recursive: true, force: true });
  const applyFiles = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-bench-files-'));
  const withFiles = await measureApply(targeted, {
    deliver: deliverToTargets(targeted, { env: {}, cwd: applyFiles, logger: silentLogger }),
  });
  const written = fs.readdirSync(path.join(applyFiles, 'keys')).length;
  fs.rmSync(applyFiles, { recursive: true, force: true });
  if (written !== withFiles.creates) throw new Error(`${written} files written for ${withFiles.creates} keys`);
  const targetedRatio = withFiles.applyMs / targetedFloorMs;

  // Pushback: the no-target apply again on a fresh copy, with 40 creates answered 429 (retry-after
  // 1 s) along the way; it must finish with nothing failed, slowing down rather than failing piecemeal.
  sandbox = await fresh();
  await fetch(`${sandbox.url}/_sandbox/faults`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({
      faults: Array.from({ length: 40 }, () => ({
        method: 'POST',
        path: '/openai/v1/organization/projects/*',
        status: 429,
        retry_after: 1,
        times: 1,
      })),
    }),
  });
  const pushed = openSession({ baseUrl: sandbox.url, adminKey: ADMIN, concurrency: CONCURRENCY, logger: silentLogger });
  const pushStart = performance.now();
  const underPushback = await applyOrganization({
    session: pushed,
    desired: untargeted,
    expectedFingerprint: null,
    force: true,
    confirm: async () => true,
    deliver: deliverToTargets(untargeted, { env: {}, cwd: noTargetDir, logger: silentLogger }),
  });
  const pushMs = performance.now() - pushStart;
  await pushed.close();
  await sandbox.stop();
  const pushFailed = underPushback.status === 'applied' ? underPushback.report.summary.failed : -1;

  report(`apply: ${fmt(plain.creates)} key creates at ${LATENCY_MS} ms latency, ${CONCURRENCY} in flight`, {
    'no target: floor (create POSTs, bare fetch)': `${fmt(floorMs)} ms`,
    'no target: apply phase (one create each)': `${fmt(plain.applyMs)} ms`,
    'no target: ratio to floor': `${fmt(ratio, 2)}× (target ≤ 1.15×)`,
    'no target: plan read before it': `${fmt(plain.planMs)} ms; the same read with bare fetch ${fmt(readMs)} ms`,
    'no target: end to end': `${fmt(plain.totalMs)} ms = ${fmt(plain.totalMs / (readMs + floorMs), 2)}× the same requests (read + creates, target ≤ 1.15×), ${fmt(plain.totalMs / floorMs, 2)}× the creates alone`,
    'file target: floor (create + verify + write + mark)': `${fmt(targetedFloorMs)} ms`,
    'file target: apply phase (the same, delivered)': `${fmt(withFiles.applyMs)} ms`,
    'file target: ratio to floor': `${fmt(targetedRatio, 2)}× (target ≤ 1.15×)`,
    'file target: end to end': `${fmt(withFiles.totalMs)} ms = ${fmt(withFiles.totalMs / (readMs + targetedFloorMs), 2)}× the same requests and writes (target ≤ 1.15×)`,
    'no target, 40 injected 429s (retry-after 1 s)': `${fmt(pushMs)} ms end to end, ${pushFailed} failed (target: 0 failed)`,
  });
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(noTargetDir, { recursive: true, force: true });
  return {
    ratio,
    targetedRatio,
    endToEndRatio: plain.totalMs / (readMs + floorMs),
    targetedEndToEndRatio: withFiles.totalMs / (readMs + targetedFloorMs),
    keys: plain.creates,
    pushbackFailed: pushFailed,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) await benchApply();
