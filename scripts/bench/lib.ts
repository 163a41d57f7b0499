import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { mapLimit } from '../../src/core/concurrency.js';

/**
 * Writes policy v2 for `teams` teams of `projectsPerTeam` projects with `keysPerProject` keys each,
 * plus org.yaml, and returns the folder.
 */
export function generatePolicies(teams: number, projectsPerTeam: number, keysPerProject: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-bench-'));
  fs.mkdirSync(path.join(dir, 'teams'));
  fs.writeFileSync(
    path.join(dir, 'org.yaml'),
    `version: 2
org: org_bench
admins: ["@bench/platform"]
models: [openai/gpt-oss-120b, openai/gpt-oss-20b, qwen/qwen3.8-27b]
limits:
  default: {requests_per_minute: 1000, tokens_per_minute: 1000000}
unmanaged: {projects: report, keys: report}
safety: {max_deletes: 100000, max_delete_percent: 100}
`,
  );
  for (let t = 0; t < teams; t++) {
    const team = `team-${String(t).padStart(4, '0')}`;
    const projects = Array.from({ length: projectsPerTeam }, (_, p) => {
      const project = `${team}-p${p}`;
      const keys = Array.from(
        { length: keysPerProject },
        (_, k) => `      - name: ${project}-key-${k}
        rotation:
          deliver:
            - github: {repository: bench/${project}, secret: KEY_${k}}
`,
      ).join('');
      return `  - name: ${project}
    models: [${p % 2 ? 'openai/gpt-oss-20b' : 'openai/gpt-oss-120b'}]
    limits:
      default: {requests_per_minute: ${100 + p}, tokens_per_minute: 50000}
    keys:
${keys}`;
    }).join('');
    fs.writeFileSync(
      path.join(dir, 'teams', `${team}.yaml`),
      `team: ${team}\nowners: ["@bench/${team}"]\nmodels: [openai/gpt-oss-120b, openai/gpt-oss-20b]\nprojects:\n${projects}`,
    );
  }
  return dir;
}

/** CPU time (user + system) and wall time of `fn`, in milliseconds. */
export async function measure<T>(fn: () => Promise<T> | T): Promise<{ result: T; wallMs: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const result = await fn();
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { result, wallMs, cpuMs: (used.user + used.system) / 1000 };
}

/** The best of `runs` measurements: the least disturbed by the rest of the machine. */
export async function best<T>(runs: number, fn: () => Promise<T> | T): Promise<{ result: T; wallMs: number; cpuMs: number }> {
  let top: { result: T; wallMs: number; cpuMs: number } | undefined;
  for (let i = 0; i < runs; i++) {
    const m = await measure(fn);
    if (!top || m.wallMs < top.wallMs) top = m;
  }
  return top!;
}

/** Starts `groq-rbac sandbox` as its own process (its own core) and resolves with its URL. */
export async function spawnSandbox(args: string[]): Promise<{ url: string; child: ChildProcess; stop: () => Promise<void> }> {
  const bin = path.resolve('bin/groq-rbac.js');
  // Memory-only unless the caller passes its own --state (a later flag wins).
  const child = spawn(process.execPath, [bin, 'sandbox', '--port', '0', '--state', '', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`sandbox exited with ${code}`)));
  });
  return {
    url,
    child,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface LoadResult {
  requests: number;
  seconds: number;
  perSecond: number;
  statuses: Record<number, number>;
}

/**
 * Sends requests from `next()` over `connections` keep-alive connections for `seconds`, bounded in
 * count and time, and only ever to the given loopback origin.
 */
export async function load(
  origin: string,
  options: {
    connections: number;
    seconds: number;
    maxRequests: number;
    next: (i: number) => { method: 'GET' | 'POST' | 'PATCH'; path: string; body?: unknown; headers?: Record<string, string> };
  },
): Promise<LoadResult> {
  if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(origin))
    throw new Error(`benchmarks only talk to loopback, not ${origin}`);
  const pool = new Pool(origin, { connections: options.connections, pipelining: 1 });
  const statuses: Record<number, number> = {};
  let sent = 0;
  const deadline = performance.now() + options.seconds * 1000;
  const start = performance.now();
  const worker = async () => {
    while (performance.now() < deadline && sent < options.maxRequests) {
      const r = options.next(sent++);
      const res = await pool.request({
        method: r.method,
        path: r.path,
        headers: { 'content-type': 'application/json', ...r.headers },
        body: r.body === undefined ? undefined : JSON.stringify(r.body),
      });
      // Read to the end, not decoded: the generator should spend as little as it can per answer.
      await res.body.arrayBuffer();
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  const seconds = (performance.now() - start) / 1000;
  await pool.close();
  const requests = Object.values(statuses).reduce((a, b) => a + b, 0);
  return { requests, seconds, perSecond: requests / seconds, statuses };
}

/**
 * The requests `plan` reads an organization with (the org's 5 reads beside the project list pages,
 * then 3 per project, `concurrency` in flight), made with bare fetch: the floor of any read.
 */
export async function readOrganizationBare(url: string, headers: Record<string, string>, concurrency: number): Promise<void> {
  const get = async (p: string) => (await fetch(`${url}/openai/v1${p}`, { headers })).text();
  const org = Promise.all(
    [
      '/organization',
      '/organization/model_permissions',
      '/organization/rate_limits?limit=100',
      '/organization/spend_limit',
      '/organization/spend_alerts?limit=100',
    ].map(get),
  );
  const ids: string[] = [];
  for (let after = ''; ;) {
    const page = JSON.parse(await get(`/organization/projects?limit=100${after ? `&after=${after}` : ''}`)) as {
      data: { id: string }[];
      has_more: boolean;
      last_id: string;
    };
    ids.push(...page.data.map((p) => p.id));
    if (!page.has_more) break;
    after = page.last_id;
  }
  const paths = ids.flatMap((id) => [
    `/organization/projects/${id}/model_permissions`,
    `/organization/projects/${id}/rate_limits?limit=100`,
    `/organization/projects/${id}/api_keys?limit=100`,
  ]);
  await mapLimit(paths, concurrency, get);
  await org;
}

export function report(name: string, lines: Record<string, string | number>): void {
  console.log(`\n## ${name}`);
  for (const [k, v] of Object.entries(lines)) console.log(`  ${k.padEnd(34)} ${v}`);
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The OpenAI sandbox's organization id in the OpenAI benchmarks (sent as OpenAI-Organization). */
export const OPENAI_BENCH_ORG = 'org-bench';

/**
 * The same organization as generatePolicies, for `provider: openai`: OpenAI's models, its limit
 * fields, and one GitHub secret per key (never reached: the plan delivers nothing).
 */
export function generateOpenAiPolicies(teams: number, projectsPerTeam: number, keysPerProject: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-bench-openai-'));
  fs.mkdirSync(path.join(dir, 'teams'));
  fs.writeFileSync(
    path.join(dir, 'org.yaml'),
    `version: 2
provider: openai
org: ${OPENAI_BENCH_ORG}
admins: ["@bench/platform"]
models: [gpt-4.1-mini, gpt-4o, gpt-4o-mini]
limits:
  default: {requests_per_minute: 1000, tokens_per_minute: 1000000}
unmanaged: {projects: report, keys: report}
safety: {max_deletes: 100000, max_delete_percent: 100}
`,
  );
  for (let t = 0; t < teams; t++) {
    const team = `team-${String(t).padStart(4, '0')}`;
    const projects = Array.from({ length: projectsPerTeam }, (_, p) => {
      const project = `${team}-p${p}`;
      const keys = Array.from(
        { length: keysPerProject },
        (_, k) => `      - name: ${project}-key-${k}
        rotation:
          deliver:
            - github: {repository: bench/${project}, secret: KEY_${k}}
`,
      ).join('');
      return `  - name: ${project}
    models: [${p % 2 ? 'gpt-4o-mini' : 'gpt-4o'}]
    limits:
      default: {requests_per_minute: ${100 + p}, tokens_per_minute: 50000}
    keys:
${keys}`;
    }).join('');
    fs.writeFileSync(
      path.join(dir, 'teams', `${team}.yaml`),
      `team: ${team}\nowners: ["@bench/${team}"]\nmodels: [gpt-4o, gpt-4o-mini]\nprojects:\n${projects}`,
    );
  }
  return dir;
}

/**
 * The fewest requests OpenAI's Administration API allows for a read of `projects` active projects
 * (src/providers/openai/README.md, "Requests of a read"): the organization's spend limit and spend
 * alerts, ⌈projects/100⌉ pages of projects (100 is the most a page holds), and 5 per project (model
 * permissions, rate limits, keys with their service accounts, spend limit, spend alerts), each in
 * one page of at most 100 (the benchmarks' projects have 10 keys, 6 rate limits, no alerts). OpenAI
 * has no call that answers several projects' permissions, limits, keys or spend at once, nor any
 * organization call beyond these two (no GET /organization, no organization rate limits or model
 * permissions); service accounts come with their keys (`owner.service_account`), so they are never listed.
 */
export const openAiReadMinimum = (projects: number): number => 2 + Math.ceil(projects / 100) + 5 * projects;

/**
 * The requests groq-rbac's OpenAI read makes (openAiReadMinimum), made with bare fetch,
 * `concurrency` per-project requests in flight beside the organization's two: the floor of any read.
 */
export async function readOpenAiOrganizationBare(url: string, headers: Record<string, string>, concurrency: number): Promise<void> {
  const get = async (p: string) => {
    const res = await fetch(`${url}/v1${p}`, { headers });
    if (res.status !== 200 && res.status !== 404) throw new Error(`bare read ${p}: ${res.status}`);
    return res.text();
  };
  const org = Promise.all(['/organization/spend_limit', '/organization/spend_alerts?limit=100'].map(get));
  const ids: string[] = [];
  for (let after = ''; ;) {
    const page = JSON.parse(await get(`/organization/projects?limit=100${after ? `&after=${after}` : ''}`)) as {
      data: { id: string }[];
      has_more: boolean;
      last_id: string;
    };
    ids.push(...page.data.map((p) => p.id));
    if (!page.has_more) break;
    after = page.last_id;
  }
  const paths = ids.flatMap((id) => {
    const p = `/organization/projects/${id}`;
    return [
      `${p}/model_permissions`,
      `${p}/rate_limits?limit=100`,
      `${p}/api_keys?owner_project_access=any&limit=100`,
      `${p}/spend_limit`,
      `${p}/spend_alerts?limit=100`,
    ];
  });
  await mapLimit(paths, concurrency, get);
  await org;
}
