/**
 * The crash suite, for any provider's sandbox: `groq-rbac apply` as a real process, SIGKILLed when
 * the N-th request of a kind reaches the sandbox, before the server commits it or after (the kill
 * happens inside the sandbox's request hook, and the hook waits for the child's exit before the
 * request goes on or is dropped: no timer, no race). Seeds pick the scenario, the kind of request and
 * N; rotation steps are each covered. Re-runs then converge, and services that read the delivered
 * files never see a failed request. crashes.test.ts runs it for Groq, openai-crashes.test.ts for OpenAI.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxRequestEvent } from '../../../src/sandbox/server.js';
import { childEnv, runCliScanned, spawnCli } from './cli.js';
import { trackFigures } from './figures.js';
import { scanner } from './secrets.js';

type OnRequest = (e: SandboxRequestEvent) => void | 'drop' | Promise<void | 'drop'>;

/** A live key as the suite compares them across providers. */
export interface CrashLiveKey {
  id: string;
  project: string;
  /** The policy key its bookkeeping names; undefined for a key groq-rbac did not make. */
  key: string | undefined;
  delivered: boolean;
}

/** One provider's sandbox, as the crash suite drives it. */
export interface CrashOrg {
  /** What `--base-url` is given. */
  baseUrl: string;
  /** The admin key's environment, for the CLI. */
  env: Record<string, string>;
  /** Every key value the sandbox handed out, with its key id. */
  issued: Map<string, { id: string }>;
  advance(seconds: number): Promise<void>;
  request(method: string, path: string, options: { token: string; body?: unknown }): Promise<{ status: number; body: unknown }>;
  liveKeys(): Promise<CrashLiveKey[]>;
  /** Duplicates (and, for OpenAI, orphaned accounts and stale nonces), with `allowed` live keys per policy key. */
  findings(allowed: number): Promise<string[]>;
  auditLog(): Promise<unknown>;
  close(): Promise<void>;
}

export interface CrashProvider {
  /** The figures part (docs/reliability.md). */
  part: string;
  start(onRequest?: OnRequest): Promise<CrashOrg>;
  writePolicies(ws: string, trigger: string | null): void;
  /** Which project each policy key is in. */
  keys: Record<string, string>;
  /** The model each service calls. */
  model: string;
  /** The route template of a key create, and of the resource whose POST marks delivery and whose DELETE retires a key. */
  createRoute: string;
  keyRoute: string;
  /** The cheapest call with a key (apply's verification), and inference. */
  verifyPath: string;
  chatPath: string;
}

const SCENARIOS = ['first', 'rotate', 'age', 'retire'] as const;
type Scenario = (typeof SCENARIOS)[number];
const SEEDS = 64;
const MAX_RUNS = 8;
const DAY = 86_400;

function mulberry32(seed: number): () => number {
  let t = seed * 0x9e3779b9;
  return () => {
    t = (t + 0x6d2b79f5) | 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

export function defineCrashSuite(provider: CrashProvider): void {
  /**
   * Where the child dies. `before`: the N-th such request reaches the sandbox and is dropped
   * uncommitted; `after`: the N-th is committed, and its answer never arrives.
   */
  const POINTS = {
    'any write, before commit': { phase: 'before', match: (e: SandboxRequestEvent) => e.method !== 'GET' },
    'any write, after commit': { phase: 'after', match: (e: SandboxRequestEvent) => e.method !== 'GET' },
    'key create, before commit': {
      phase: 'before',
      match: (e: SandboxRequestEvent) => e.method === 'POST' && e.route === provider.createRoute,
    },
    'after create': { phase: 'after', match: (e: SandboxRequestEvent) => e.method === 'POST' && e.route === provider.createRoute },
    'after verify': { phase: 'after', match: (e: SandboxRequestEvent) => e.method === 'GET' && e.path === provider.verifyPath },
    // The next request after a file delivery is the mark: dying as it arrives is dying after delivery.
    'after delivery': { phase: 'before', match: (e: SandboxRequestEvent) => e.method === 'POST' && e.route === provider.keyRoute },
    'after mark': { phase: 'after', match: (e: SandboxRequestEvent) => e.method === 'POST' && e.route === provider.keyRoute },
    'key delete, before commit': {
      phase: 'before',
      match: (e: SandboxRequestEvent) => e.method === 'DELETE' && e.route === provider.keyRoute,
    },
    'after key delete': { phase: 'after', match: (e: SandboxRequestEvent) => e.method === 'DELETE' && e.route === provider.keyRoute },
  } as const;
  type Point = keyof typeof POINTS;
  type KeyName = string;

  interface Seed {
    seed: number;
    scenario: Scenario;
    point: Point;
    /** Kill at the n-th matching request (1-based), drawn from the seed. */
    n: number;
    concurrency: number;
  }

  /** How many requests of each point's kind an uninterrupted apply of each scenario makes: N is drawn below that. */
  const counts = new Map<string, number>();
  const figures = { kills: 0, killsBeforeCommit: 0, killsAfterCommit: 0, reruns: 0, servedRequests: 0, keysIssued: 0, duplicates: 0 };
  const part = trackFigures(provider.part, SEEDS);

  afterAll(() => {
    const leaks = scanner.findings();
    part.record({ ...figures, leaks: leaks.length, bytesScanned: scanner.bytesScanned, secrets: scanner.secretCount });
    expect(leaks).toEqual([]);
  });

  interface World {
    org: CrashOrg;
    ws: string;
    env: Record<string, string>;
    /** The value each service holds (read from its file), and every failure it saw. */
    service: Map<KeyName, string>;
    failures: string[];
    served: number;
  }

  async function openWorld(onRequest?: OnRequest): Promise<World> {
    const org = await provider.start(onRequest);
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), `groq-rbac-crash-${provider.part}-`));
    return { org, ws, env: { ...org.env, NO_PROXY: '127.0.0.1' }, service: new Map(), failures: [], served: 0 };
  }

  async function closeWorld(w: World): Promise<void> {
    await w.org.close();
    fs.rmSync(w.ws, { recursive: true, force: true });
  }

  const applyArgs = (w: World, concurrency = 8, out?: string) => [
    'apply',
    '--yes',
    '--policies',
    'policies',
    '--base-url',
    w.org.baseUrl,
    '--concurrency',
    String(concurrency),
    ...(out ? ['--out', out] : []),
  ];

  /** Each service sends one request with the value it holds; a failure is recorded, never thrown. */
  async function serve(w: World, when: string): Promise<void> {
    for (const [key, value] of w.service) {
      const r = await w.org.request('POST', provider.chatPath, {
        token: value,
        body: { model: provider.model, messages: [{ role: 'user', content: 'ping' }], max_completion_tokens: 8 },
      });
      w.served += 1;
      if (r.status !== 200) w.failures.push(`${when}: service of ${key} got ${r.status} (${JSON.stringify(r.body).slice(0, 160)})`);
    }
  }

  /**
   * Services pick up what their files hold now (a new value replaces the one in use). The laggard
   * (the last key's service) reads its file once and then keeps the value it has until told to catch
   * up: while it keeps using an old generation, that generation must not be retired.
   */
  const LAGGARD: KeyName = Object.keys(provider.keys).at(-1)!;
  function reload(w: World, options: { laggardCatchesUp: boolean }): void {
    for (const key of Object.keys(provider.keys)) {
      const file = path.join(w.ws, 'delivered', `${key}.key`);
      if (key === LAGGARD && w.service.has(key) && !options.laggardCatchesUp) continue;
      if (fs.existsSync(file)) w.service.set(key, fs.readFileSync(file, 'utf8').trim());
    }
  }

  async function planJson(w: World, label: string): Promise<{ changes: unknown[]; pending: { waiting_for: string }[] }> {
    const r = await runCliScanned(
      ['plan', '--policies', 'policies', '--base-url', w.org.baseUrl, '--format', 'json', '--out', 'plan.json'],
      { cwd: w.ws, env: w.env, label },
    );
    expect(r.code, r.stderr).toBe(0);
    scanner.recordPath(path.join(w.ws, 'plan.json'));
    return JSON.parse(fs.readFileSync(path.join(w.ws, 'plan.json'), 'utf8'));
  }

  /** Brings the workspace to where the scenario's killed apply starts. */
  async function prepare(w: World, scenario: Scenario): Promise<void> {
    provider.writePolicies(w.ws, null);
    if (scenario === 'first') return;
    const first = await runCliScanned(applyArgs(w), { cwd: w.ws, env: w.env, label: 'first apply' });
    expect(first.code, first.stderr).toBe(0);
    reload(w, { laggardCatchesUp: true });
    await serve(w, 'after the first apply');
    if (scenario === 'age') await w.org.advance(31 * DAY);
    else provider.writePolicies(w.ws, 'rotation 2');
    if (scenario !== 'retire') return;
    // The rotation completes; every service moves to the new values, and the old ones go quiet.
    const rotation = await runCliScanned(applyArgs(w), { cwd: w.ws, env: w.env, label: 'rotation apply' });
    expect(rotation.code, rotation.stderr).toBe(0);
    reload(w, { laggardCatchesUp: true });
    await serve(w, 'after the rotation');
    await w.org.advance(2 * 3600);
    await serve(w, 'before the retiring apply');
  }

  beforeAll(async () => {
    // The reference runs: how many requests of each kind each scenario's apply makes, uninterrupted.
    for (const scenario of SCENARIOS) {
      for (const concurrency of [1, 4]) {
        const seen = new Map<Point, number>();
        let counting = false;
        const w = await openWorld((e) => {
          if (!counting) return;
          for (const [point, spec] of Object.entries(POINTS) as [Point, (typeof POINTS)[Point]][]) {
            if (e.phase === spec.phase && spec.match(e)) seen.set(point, (seen.get(point) ?? 0) + 1);
          }
        });
        try {
          await prepare(w, scenario);
          counting = true;
          const r = await spawnCli(applyArgs(w, concurrency), { cwd: w.ws, env: childEnv(w.env), label: `reference ${scenario}` });
          expect(r.code, r.stderr).toBe(0);
          for (const point of Object.keys(POINTS) as Point[]) counts.set(`${scenario} ${concurrency} ${point}`, seen.get(point) ?? 0);
        } finally {
          await closeWorld(w);
        }
      }
    }
  });

  /**
   * Seed i: the scenario cycles, and so do the points that scenario's apply reaches (each at least
   * twice over the seeds); N and the concurrency come from the seed.
   */
  function seedPlan(seed: number): Seed {
    const random = mulberry32(seed + 1);
    const concurrency = random() < 0.5 ? 1 : 4;
    const scenario = SCENARIOS[seed % SCENARIOS.length]!;
    const points = (Object.keys(POINTS) as Point[]).filter((p) => (counts.get(`${scenario} ${concurrency} ${p}`) ?? 0) > 0);
    const point = points[Math.floor(seed / SCENARIOS.length) % points.length]!;
    const max = counts.get(`${scenario} ${concurrency} ${point}`) ?? 0;
    return { seed, scenario, point, concurrency, n: 1 + Math.floor(random() * max) };
  }

  describe('apply killed with SIGKILL at seeded points', () => {
    it.each(Array.from({ length: SEEDS }, (_, i) => i))('seed %i', async (seed) => {
      const s = seedPlan(seed);
      expect(counts.get(`${s.scenario} ${s.concurrency} ${s.point}`), `${s.point} never happens in ${s.scenario}`).toBeGreaterThan(0);
      const spec = POINTS[s.point];
      let seen = 0;
      let armed = false;
      let killed = false;
      let kill: (() => Promise<void>) | null = null;
      const w = await openWorld(async (e) => {
        if (!armed || killed || e.phase !== spec.phase || !spec.match(e) || ++seen !== s.n) return undefined;
        killed = true;
        await kill!();
        return 'drop';
      });
      try {
        await prepare(w, s.scenario);
        armed = true;
        const crashed = await spawnCli(applyArgs(w, s.concurrency), {
          cwd: w.ws,
          env: childEnv(w.env),
          label: `seed ${seed} killed apply`,
          onSpawn: (pid, exited) => {
            kill = async () => {
              process.kill(pid, 'SIGKILL');
              await exited;
            };
          },
        });
        armed = false;
        expect(killed, `seed ${seed}: the kill point was never reached`).toBe(true);
        expect(crashed.signal).toBe('SIGKILL');
        figures.kills += 1;
        if (spec.phase === 'before') figures.killsBeforeCommit += 1;
        else figures.killsAfterCommit += 1;

        // Whatever the crash left, every value a service holds still works, and so does any new one delivered.
        await serve(w, 'after the kill');
        reload(w, { laggardCatchesUp: false });
        await serve(w, 'after the kill, with the files as they are');

        // Re-runs: the first at once (a young undelivered key is another run's, and must be left alone),
        // then each after two hours of the sandbox clock (past the in-progress grace and the quiet period).
        let converged = false;
        let reruns = 0;
        for (let run = 1; run <= MAX_RUNS && !converged; run++) {
          if (run > 1) await w.org.advance(2 * 3600);
          await serve(w, `before re-run ${run}`);
          const held = new Map(w.service);
          const before = new Set((await w.org.liveKeys()).map((k) => k.id));
          const r = await runCliScanned(applyArgs(w, 8, 'report.json'), { cwd: w.ws, env: w.env, label: `seed ${seed} re-run ${run}` });
          reruns += 1;
          scanner.recordPath(path.join(w.ws, 'report.json'));
          expect(r.code, `seed ${seed} re-run ${run}: ${r.stderr}`).toBe(0);
          // Nothing a service held (and used a moment ago) was deleted by the run.
          w.service = held;
          await serve(w, `after re-run ${run}, with the values held before it`);
          // The laggard keeps its old value through two re-runs, then catches up.
          reload(w, { laggardCatchesUp: run >= 3 });
          await serve(w, `after re-run ${run}`);
          if (run === 1) {
            // Right after a crash, the run does not start a second generation while one is in progress.
            expect(await w.org.findings(2)).toEqual([]);
            expect((await w.org.liveKeys()).filter((k) => !before.has(k.id) && !k.delivered)).toEqual([]);
          }
          const plan = await planJson(w, `seed ${seed} plan ${run}`);
          converged = plan.changes.length === 0 && plan.pending.length === 0;
        }
        figures.reruns += reruns;
        figures.servedRequests += w.served;
        figures.keysIssued += w.org.issued.size;
        expect(converged, `seed ${seed} (${s.scenario}, ${s.point} #${s.n}) did not converge in ${MAX_RUNS} runs`).toBe(true);
        expect(w.failures).toEqual([]);

        const findings = await w.org.findings(1);
        figures.duplicates += findings.length;
        expect(findings).toEqual([]);
        const live = new Map((await w.org.liveKeys()).map((k) => [k.id, k]));
        // Exactly one delivered generation per policy key, in its project, and its file holds that key's value.
        for (const [key, project] of Object.entries(provider.keys)) {
          const mine = [...live.values()].filter((l) => l.key === key);
          expect(mine.map((l) => l.project)).toEqual([project]);
          expect(mine[0]!.delivered).toBe(true);
          expect(w.org.issued.get(w.service.get(key)!)?.id).toBe(mine[0]!.id);
        }
        // Every key ever created is the one delivered, or deleted (and then refused).
        for (const [value, { id }] of w.org.issued) {
          if (live.has(id)) continue;
          const r = await w.org.request('GET', provider.verifyPath, { token: value });
          expect(r.status).toBe(401);
        }
        expect(w.org.issued.size).toBeGreaterThan(0);
        scanner.record(`seed ${seed} audit log`, JSON.stringify(await w.org.auditLog()));
      } finally {
        await closeWorld(w);
      }
    });
  });
}
