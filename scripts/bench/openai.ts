// plan and apply against the OpenAI sandbox (`groq-rbac sandbox --provider openai`) at 1,000
// projects and 10,000 keys, 50 ms latency, as plan.ts and apply.ts measure Groq's.
//
// Requests: OpenAI's API allows no fewer than openAiReadMinimum(projects) for a read (lib.ts):
// 2 + ⌈1,000/100⌉ + 5 × 1,000 = 5,012 (spend limit and alerts of the organization, 10 project
// pages, and per project model permissions, rate limits, keys with their service accounts, spend
// limit and spend alerts). An apply reads once, then makes per new key with no delivery target one
// request (the service account create, its name carrying the delivered mark), and with a target
// three (the create, `GET /v1/models` with the new key to verify it, the rename that marks it
// delivered): 15,012 and 35,012 in all. The bench counts the sandbox's requests and fails unless
// they equal these.
//
// Floors, measured in the same run with bare fetch, 8 requests in flight, as for Groq:
// - plan: parse the same YAML and make the same 5,012 GETs;
// - apply, no target: the same 10,000 service account creates (the same names);
// - apply, file target: the same create, verify and rename for each key, and the same atomic file
//   write (a temporary file created 0600, written, fsynced, renamed over the destination);
// - end to end: the read's floor followed by the apply's.
// And the no-target apply once more with 40 creates answered 429 (`retry-after: 1`): OpenAI has no
// idempotency key, so a refused create is sent again only after its refusal (a 429 made nothing);
// it must finish with nothing failed, one service account per key, and only those 40 requests more.
import { constants } from 'node:fs';
import fs from 'node:fs';
import { open, rename } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { applyOrganization, type ApplyRequest } from '../../src/app/apply-organization.js';
import { deliverToTargets } from '../../src/app/deliver-to-targets.js';
import { planOrganization } from '../../src/app/plan-organization.js';
import { openSession, type OrgSession } from '../../src/app/session.js';
import { idempotencyKeyFor } from '../../src/apply/apply-change.js';
import { mapLimit } from '../../src/core/concurrency.js';
import { silentLogger } from '../../src/core/log.js';
import { targetsHash } from '../../src/plan/rotation.js';
import { renderPlanText } from '../../src/plan/render-text.js';
import type { DesiredKey, DesiredState } from '../../src/policy/types.js';
import { readPolicies } from '../../src/policy/read-policies.js';
import { DELIVERED_ON_CREATE, decodeName, encodeName, nonceFor } from '../../src/providers/openai/bookkeeping.js';
import {
  best,
  fmt,
  generateOpenAiPolicies,
  OPENAI_BENCH_ORG as ORG,
  openAiReadMinimum,
  readOpenAiOrganizationBare,
  report,
  spawnSandbox,
} from './lib.js';

const ADMIN = 'bench-admin-key';
const TEAMS = Number(process.env.BENCH_OPENAI_TEAMS ?? 100);
const PROJECTS_PER_TEAM = 10;
const KEYS_PER_PROJECT = 10;
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 50);
const CONCURRENCY = 8;
const PUSHBACK_429S = 40;

type Sandbox = Awaited<ReturnType<typeof spawnSandbox>>;
const HEADERS = { authorization: `Bearer ${ADMIN}`, 'openai-organization': ORG, 'content-type': 'application/json' };

const sandboxArgs = (state: string, latency = 0) => [
  '--provider',
  'openai',
  '--admin-key',
  ADMIN,
  '--org-id',
  ORG,
  '--state',
  state,
  ...(latency ? ['--latency-ms', String(latency)] : []),
];
const session = (sandbox: Sandbox, concurrency = CONCURRENCY): OrgSession =>
  openSession({ provider: 'openai', orgId: ORG, baseUrl: `${sandbox.url}/v1`, adminKey: ADMIN, concurrency, logger: silentLogger });
const requestsSoFar = async (sandbox: Sandbox): Promise<number> =>
  ((await (await fetch(`${sandbox.url}/_sandbox/stats`, { headers: HEADERS })).json()) as { requests_total: number }).requests_total;

/** Brings a fresh OpenAI sandbox (state in `state`) in line with `desired`, without latency. */
async function seed(state: string, desired: DesiredState): Promise<number> {
  const seeder = await spawnSandbox(sandboxArgs(state));
  const s = session(seeder, 16);
  const seeded = await applyOrganization({ session: s, desired, expectedFingerprint: null, force: true, confirm: async () => true });
  await s.close();
  await seeder.stop();
  if (seeded.status !== 'applied' || seeded.report.summary.failed > 0)
    throw new Error(
      `seeding failed: ${JSON.stringify(seeded.status === 'applied' ? seeded.report.outcomes.find((o) => o.status === 'failed') : seeded.status)}`,
    );
  return seeded.report.outcomes.length;
}

export interface OpenAiPlanResult {
  ratio: number;
  requests: number;
  minimum: number;
  projects: number;
  keys: number;
}

export async function benchOpenAiPlan(): Promise<OpenAiPlanResult> {
  const dir = generateOpenAiPolicies(TEAMS, PROJECTS_PER_TEAM, KEYS_PER_PROJECT);
  const state = path.join(dir, 'sandbox.json');
  const desired = readPolicies(dir).desired!;
  const seeded = await seed(state, desired);
  const sandbox = await spawnSandbox(sandboxArgs(state, LATENCY_MS));
  const files = [path.join(dir, 'org.yaml'), ...fs.readdirSync(path.join(dir, 'teams')).map((f) => path.join(dir, 'teams', f))];
  const floor = await best(3, async () => {
    const parsing = (async () => {
      for (const f of files) parseDocument(fs.readFileSync(f, 'utf8'), { lineCounter: new LineCounter() }).toJS();
    })();
    await Promise.all([parsing, readOpenAiOrganizationBare(sandbox.url, HEADERS, CONCURRENCY)]);
  });
  const requests: number[] = [];
  const planSession = session(sandbox);
  const plan = await best(3, async () => {
    const before = await requestsSoFar(sandbox);
    const { plan: p } = await planOrganization(planSession, readPolicies(dir).desired!);
    renderPlanText(p);
    requests.push((await requestsSoFar(sandbox)) - before);
    return p;
  });
  await planSession.close();
  await sandbox.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  const projects = TEAMS * PROJECTS_PER_TEAM;
  const minimum = openAiReadMinimum(projects);
  if (plan.result.changes.length !== 0) throw new Error(`expected an empty plan, got ${plan.result.changes.length} changes`);
  // Every one of the three plans made exactly the minimum (one more would hide in a best-of).
  const made = requests.every((r) => r === requests[0]) ? requests[0]! : -1;
  const ratio = plan.wallMs / floor.wallMs;
  report(
    `openai plan: ${fmt(projects)} projects, ${fmt(projects * KEYS_PER_PROJECT)} keys in ${fmt(TEAMS)} team files, OpenAI sandbox latency ${LATENCY_MS} ms`,
    {
      'seeding: apply of every create': `${fmt(seeded)} changes`,
      'floor (parse files + same requests, bare fetch)': `${fmt(floor.wallMs)} ms`,
      'plan (read, validate, read org, plan, render)': `${fmt(plan.wallMs)} ms`,
      'ratio to floor': `${fmt(ratio, 2)}× (target ≤ 1.15×)`,
      'HTTP requests': `${requests.map((r) => fmt(r)).join(' / ')} (minimum ${fmt(minimum)}: 2 org spend reads + ${Math.ceil(projects / 100)} project pages + 5 × ${fmt(projects)} projects)`,
    },
  );
  return { ratio, requests: made, minimum, projects, keys: projects * KEYS_PER_PROJECT };
}

export interface OpenAiApplyResult {
  ratio: number;
  targetedRatio: number;
  endToEndRatio: number;
  targetedEndToEndRatio: number;
  keys: number;
  requests: number;
  requestsMinimum: number;
  targetedRequests: number;
  targetedRequestsMinimum: number;
  pushbackFailed: number;
  pushbackRequests: number;
  pushbackRequestsExpected: number;
  pushbackAccounts: number;
}

export async function benchOpenAiApply(): Promise<OpenAiApplyResult> {
  const dir = generateOpenAiPolicies(TEAMS, PROJECTS_PER_TEAM, KEYS_PER_PROJECT);
  const state = path.join(dir, 'sandbox.json');
  const policies = readPolicies(dir).desired!;
  const withTargets = (deliver: (k: DesiredKey) => DesiredKey['rotation']['deliver']): DesiredState => ({
    ...policies,
    keys: policies.keys.map((k) => ({ ...k, rotation: { ...k.rotation, deliver: deliver(k) } })),
  });
  const untargeted = withTargets(() => []);
  const fileTarget = (k: DesiredKey) => `keys/${k.name}.key`;
  const targeted = withTargets((k) => [{ kind: 'file', path: fileTarget(k) }]);
  const keys = policies.keys.length;
  const projects = policies.projects.length;

  // Projects, permissions and limits first, without latency: the measured applies only create keys.
  await seed(state, { ...policies, keys: [] });
  const pristine = `${state}.pristine`;
  fs.copyFileSync(state, pristine);
  const fresh = async (): Promise<Sandbox> => {
    fs.copyFileSync(pristine, state);
    fs.rmSync(`${state}.journal`, { force: true });
    return spawnSandbox(sandboxArgs(state, LATENCY_MS));
  };
  const projectIds = async (sandbox: Sandbox): Promise<Map<string, string>> => {
    const ids = new Map<string, string>();
    for (let after = ''; ;) {
      const page = (await (
        await fetch(`${sandbox.url}/v1/organization/projects?limit=100${after ? `&after=${after}` : ''}`, { headers: HEADERS })
      ).json()) as { data: { id: string; name: string }[]; has_more: boolean; last_id: string };
      for (const p of page.data) ids.set(p.name, p.id);
      if (!page.has_more) return ids;
      after = page.last_id;
    }
  };
  /** The service account create as groq-rbac sends it for generation 1 (its name: src/providers/openai/bookkeeping.ts). */
  const createOf = (sandbox: Sandbox, ids: Map<string, string>, k: DesiredKey) => {
    const projectId = ids.get(k.project)!;
    const targets = targetsHash(k.rotation.deliver);
    const nonce = nonceFor(idempotencyKeyFor(ORG, { project: projectId, key: k.name, generation: '1', targets }));
    const marks = {
      key: k.name,
      generation: 1,
      trigger: null,
      delivered_at: k.rotation.deliver.length === 0 ? DELIVERED_ON_CREATE : null,
      targets,
      protect: false,
    };
    return { url: `${sandbox.url}/v1/organization/projects/${projectId}/service_accounts`, name: encodeName(marks, nonce), marks, nonce };
  };
  const measureApply = async (desired: DesiredState, extra: Pick<ApplyRequest, 'deliver'> = {}, faults: unknown[] = []) => {
    const sandbox = await fresh();
    if (faults.length)
      await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'POST', headers: HEADERS, body: JSON.stringify({ faults }) });
    const s = session(sandbox);
    const start = performance.now();
    let planned = start;
    const result = await applyOrganization({
      session: s,
      desired,
      expectedFingerprint: null,
      force: true,
      confirm: async () => true,
      onPlan: () => void (planned = performance.now()),
      ...extra,
    });
    const end = performance.now();
    await s.close();
    const requests = await requestsSoFar(sandbox);
    // Counted after the measured requests: every project's service accounts, to find any duplicate.
    const accounts = faults.length ? await countAccounts(sandbox, await projectIds(sandbox)) : -1;
    await sandbox.stop();
    const failed = result.status === 'applied' ? result.report.summary.failed : -1;
    return {
      applyMs: end - planned,
      planMs: planned - start,
      totalMs: end - start,
      creates: result.status === 'applied' ? result.report.outcomes.filter((o) => o.action === 'create').length : 0,
      failed,
      requests,
      accounts,
      result,
    };
  };
  const countAccounts = async (sandbox: Sandbox, ids: Map<string, string>): Promise<number> => {
    const counts = await mapLimit([...ids.values()], CONCURRENCY, async (id) => {
      const page = (await (
        await fetch(`${sandbox.url}/v1/organization/projects/${id}/service_accounts?limit=100`, { headers: HEADERS })
      ).json()) as { data: { name: string }[]; has_more: boolean };
      if (page.has_more) throw new Error(`more than 100 service accounts in ${id}`);
      return page.data.filter((a) => decodeName(a.name) !== null).length;
    });
    return counts.reduce((a, b) => a + b, 0);
  };

  // The read an apply makes of the seeded organization, with bare fetch.
  let sandbox = await fresh();
  let start = performance.now();
  await readOpenAiOrganizationBare(sandbox.url, HEADERS, CONCURRENCY);
  const readMs = performance.now() - start;
  await sandbox.stop();

  // 1. No delivery target: one create each. Floor: the same creates.
  sandbox = await fresh();
  let ids = await projectIds(sandbox);
  start = performance.now();
  await mapLimit(untargeted.keys, CONCURRENCY, async (k) => {
    const { url, name } = createOf(sandbox, ids, k);
    const res = await fetch(url, { method: 'POST', headers: HEADERS, body: JSON.stringify({ name }) });
    if (res.status !== 200) throw new Error(`floor create: ${res.status}`);
    await res.text();
  });
  const floorMs = performance.now() - start;
  await sandbox.stop();
  const noTargetDir = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-bench-files-'));
  const plain = await measureApply(untargeted, {
    deliver: deliverToTargets(untargeted, { env: {}, cwd: noTargetDir, logger: silentLogger }),
  });
  if (plain.failed !== 0)
    throw new Error(
      `apply failed: ${plain.result.status === 'applied' ? plain.result.report.outcomes.find((o) => o.status === 'failed')?.message : plain.result.status}`,
    );

  // 2. One file target per key: create, verify, deliver, mark. Floor: the same requests and writes.
  const floorFiles = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-bench-files-'));
  sandbox = await fresh();
  ids = await projectIds(sandbox);
  start = performance.now();
  await mapLimit(targeted.keys, CONCURRENCY, async (k) => {
    const { url, name, marks, nonce } = createOf(sandbox, ids, k);
    const res = await fetch(url, { method: 'POST', headers: HEADERS, body: JSON.stringify({ name }) });
    if (res.status !== 200) throw new Error(`floor create: ${res.status}`);
    const created = (await res.json()) as { id: string; api_key: { value: string } };
    const models = await fetch(`${sandbox.url}/v1/models`, { headers: { authorization: `Bearer ${created.api_key.value}` } });
    if (models.status !== 200) throw new Error(`floor verify: ${models.status}`);
    await models.text();
    const destination = path.join(floorFiles, fileTarget(k));
    fs.mkdirSync(path.dirname(destination), { recursive: true, mode: 0o700 });
    const temporary = `${destination}.tmp`;
    const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    await handle.writeFile(`${created.api_key.value}\n`);
    await handle.sync();
    await handle.close();
    await rename(temporary, destination);
    const renamed = encodeName({ ...marks, delivered_at: Math.floor(Date.now() / 1000) }, nonce);
    const mark = await fetch(`${url}/${created.id}`, { method: 'POST', headers: HEADERS, body: JSON.stringify({ name: renamed }) });
    if (mark.status !== 200) throw new Error(`floor mark: ${mark.status}`);
    await mark.text();
  });
  const targetedFloorMs = performance.now() - start;
  await sandbox.stop();
  fs.rmSync(floorFiles, { recursive: true, force: true });
  const applyFiles = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-bench-files-'));
  const withFiles = await measureApply(targeted, {
    deliver: deliverToTargets(targeted, { env: {}, cwd: applyFiles, logger: silentLogger }),
  });
  if (withFiles.failed !== 0)
    throw new Error(
      `apply with file targets failed: ${withFiles.result.status === 'applied' ? withFiles.result.report.outcomes.find((o) => o.status === 'failed')?.message : withFiles.result.status}`,
    );
  const written = fs.readdirSync(path.join(applyFiles, 'keys')).length;
  fs.rmSync(applyFiles, { recursive: true, force: true });
  if (written !== withFiles.creates) throw new Error(`${written} files written for ${withFiles.creates} keys`);

  // 3. Pushback: 40 creates answered 429 with retry-after 1 s.
  const faults = Array.from({ length: PUSHBACK_429S }, () => ({
    method: 'POST',
    path: '/v1/organization/projects/*/service_accounts',
    status: 429,
    retry_after: 1,
    times: 1,
  }));
  const pushed = await measureApply(
    untargeted,
    { deliver: deliverToTargets(untargeted, { env: {}, cwd: noTargetDir, logger: silentLogger }) },
    faults,
  );
  fs.rmSync(noTargetDir, { recursive: true, force: true });
  fs.rmSync(dir, { recursive: true, force: true });

  const read = openAiReadMinimum(projects);
  const result: OpenAiApplyResult = {
    ratio: plain.applyMs / floorMs,
    targetedRatio: withFiles.applyMs / targetedFloorMs,
    endToEndRatio: plain.totalMs / (readMs + floorMs),
    targetedEndToEndRatio: withFiles.totalMs / (readMs + targetedFloorMs),
    keys: plain.creates,
    requests: plain.requests,
    requestsMinimum: read + keys,
    targetedRequests: withFiles.requests,
    targetedRequestsMinimum: read + 3 * keys,
    pushbackFailed: pushed.failed,
    pushbackRequests: pushed.requests,
    pushbackRequestsExpected: read + keys + PUSHBACK_429S,
    pushbackAccounts: pushed.accounts,
  };
  report(
    `openai apply: ${fmt(plain.creates)} service account creates into ${fmt(projects)} projects at ${LATENCY_MS} ms latency, ${CONCURRENCY} in flight`,
    {
      'no target: floor (create POSTs, bare fetch)': `${fmt(floorMs)} ms`,
      'no target: apply phase (one create each)': `${fmt(plain.applyMs)} ms`,
      'no target: ratio to floor': `${fmt(result.ratio, 2)}× (target ≤ 1.15×)`,
      'no target: plan read before it': `${fmt(plain.planMs)} ms; the same read with bare fetch ${fmt(readMs)} ms`,
      'no target: end to end': `${fmt(plain.totalMs)} ms = ${fmt(result.endToEndRatio, 2)}× the same requests (read + creates, target ≤ 1.15×)`,
      'no target: HTTP requests': `${fmt(plain.requests)} (minimum ${fmt(result.requestsMinimum)}: the read's ${fmt(read)} + 1 × ${fmt(keys)} keys)`,
      'file target: floor (create + verify + write + rename)': `${fmt(targetedFloorMs)} ms`,
      'file target: apply phase (the same, delivered)': `${fmt(withFiles.applyMs)} ms`,
      'file target: ratio to floor': `${fmt(result.targetedRatio, 2)}× (target ≤ 1.15×)`,
      'file target: end to end': `${fmt(withFiles.totalMs)} ms = ${fmt(result.targetedEndToEndRatio, 2)}× the same requests and writes (target ≤ 1.15×)`,
      'file target: HTTP requests': `${fmt(withFiles.requests)} (minimum ${fmt(result.targetedRequestsMinimum)}: the read's ${fmt(read)} + 3 × ${fmt(keys)} keys)`,
      [`no target, ${PUSHBACK_429S} injected 429s (retry-after 1 s)`]: `${fmt(pushed.totalMs)} ms end to end, ${pushed.failed} failed, ${fmt(pushed.accounts)} service accounts for ${fmt(keys)} keys, ${fmt(pushed.requests)} requests (expected ${fmt(result.pushbackRequestsExpected)})`,
    },
  );
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchOpenAiPlan();
  await benchOpenAiApply();
}

/** The OpenAI targets of `npm run bench`, from whichever of the two benchmarks ran. */
export function openAiTargets(plan: OpenAiPlanResult | undefined, apply: OpenAiApplyResult | undefined): [string, boolean][] {
  const out: [string, boolean][] = [];
  if (plan) {
    out.push(['openai plan: 1,000 projects / 10,000 keys within 1.15× of the floor', plan.ratio <= 1.15]);
    out.push([
      'openai plan: HTTP requests equal the minimum OpenAI allows (2 + ⌈projects/100⌉ + 5 × projects)',
      plan.requests === plan.minimum,
    ]);
  }
  if (apply) {
    out.push([
      'openai apply: 10,000 service account creates (no target) within 1.15× of the same POSTs with bare fetch',
      apply.ratio <= 1.15,
    ]);
    out.push([
      'openai apply: 10,000 keys with a file target each within 1.15× of the same requests and writes',
      apply.targetedRatio <= 1.15,
    ]);
    out.push([
      'openai apply end to end (read + creates) within 1.15× of the same requests with bare fetch',
      apply.endToEndRatio <= 1.15 && apply.targetedEndToEndRatio <= 1.15,
    ]);
    out.push([
      'openai apply: HTTP requests equal the minimum (the read + 1 per key, or 3 with a target)',
      apply.requests === apply.requestsMinimum && apply.targetedRequests === apply.targetedRequestsMinimum,
    ]);
    out.push([
      'openai apply under 429 pushback: every change finishes, one service account per key, one request per 429',
      apply.pushbackFailed === 0 && apply.pushbackAccounts === apply.keys && apply.pushbackRequests === apply.pushbackRequestsExpected,
    ]);
  }
  return out;
}
