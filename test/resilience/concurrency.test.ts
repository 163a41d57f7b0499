/**
 * Concurrency: two and four applies started at once against one organization, from the same policy
 * version and from different ones. One end state, no duplicates, and no apply reports an error for
 * work another one finished.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { METADATA } from '../../src/providers/groq/metadata.js';
import type { DesiredState } from '../../src/policy/types.js';
import { applyOnce, inMemoryDelivery, planOnce, type Deliveries } from './helpers/apply.js';
import { childEnv, runCliScanned, spawnCli } from './helpers/cli.js';
import { largeOrg } from './helpers/desired.js';
import { trackFigures } from './helpers/figures.js';
import { findDuplicates, startResilientOrg } from './helpers/org.js';
import { KEYS, MODEL, writePolicies } from './helpers/policy-files.js';
import { chat } from '../helpers/sandbox.js';
import { scanner } from './helpers/secrets.js';

const SAME = largeOrg();
/** Another version of the same org: every key rotated by a trigger, other limits, other alert recipients, one more key. */
const OTHER: DesiredState = largeOrg({ trigger: 'rotate 2026-11', limitOffset: 7, recipients: ['finance@acme.example'], extraKeys: 1 });
const THIRD: DesiredState = largeOrg({ trigger: 'rotate 2026-12', limitOffset: 3 });

const CASES: { name: string; versions: DesiredState[] }[] = [
  { name: 'two applies of the same version', versions: [SAME, SAME] },
  { name: 'four applies of the same version', versions: [SAME, SAME, SAME, SAME] },
  { name: 'two applies of different versions', versions: [SAME, OTHER] },
  { name: 'four applies of three versions', versions: [SAME, OTHER, THIRD, OTHER] },
];

/** Holds writes until `count` have arrived, then lets them all go (a safety valve opens it after 10 s). */
function barrier(count: number): (event: { phase: string; method: string }) => Promise<void> | undefined {
  const held: (() => void)[] = [];
  let open = false;
  const release = () => {
    open = true;
    for (const go of held.splice(0)) go();
  };
  setTimeout(release, 10_000).unref();
  return (event) => {
    if (open || event.phase !== 'before' || event.method === 'GET') return undefined;
    return new Promise<void>((resolve) => {
      held.push(resolve);
      if (held.length >= count) release();
    });
  };
}

const figures = { applies: 0, duplicates: 0 };
const part = trackFigures('concurrency', CASES.length + 1);

afterAll(() => {
  const leaks = scanner.findings();
  part.record({ ...figures, leaks: leaks.length, bytesScanned: scanner.bytesScanned, secrets: scanner.secretCount });
  expect(leaks).toEqual([]);
});

describe('applies started at once', () => {
  it.each(CASES.map((c) => [c.name, c] as const))(
    '%s: one end state, no duplicates, no error for work another apply did',
    async (name, c) => {
      // Every apply reads the organization before any writes: all plan from the same state, the
      // hardest race. Their first phase (org permissions, spend limit, three alerts) is held until all
      // of them have sent it, then released at once.
      const org = await startResilientOrg({ onRequest: barrier(5 * c.versions.length) });
      try {
        const deliveries: Deliveries = new Map();
        // Each apply its own process in real life: its own client and connection pool.
        const results = await Promise.all(
          c.versions.map((desired, i) =>
            applyOnce(org.session({}, 8), desired, { deliver: inMemoryDelivery(deliveries), label: `${name} #${i}` }),
          ),
        );
        for (const result of results) {
          expect(result.status).toBe('applied');
          // Soft: a wrongly failed change is reported, and the end state is still checked.
          if (result.status === 'applied')
            expect
              .soft(
                result.report.outcomes
                  .filter((o) => o.status !== 'applied')
                  .map((o) => `${o.resource} ${o.action} ${o.project ?? ''} ${o.key ?? ''}: ${o.message}`),
              )
              .toEqual([]);
        }
        const last = c.versions.at(-1)!;
        const session = org.session();
        let plan = await planOnce(session, last, `${name} plan after`);
        const sameVersion = c.versions.every((v) => v === last);
        if (sameVersion) {
          // The same version raced: already the end state.
          expect(plan.changes).toEqual([]);
        } else {
          // Whichever version landed a change last, one apply of the version that stands now settles it.
          if (plan.pending.some((p) => p.waiting_for === 'in_progress')) await org.advance(16 * 60);
          const settle = await applyOnce(session, last, { deliver: inMemoryDelivery(deliveries), label: `${name} settle` });
          if (settle.status === 'applied') expect.soft(settle.report.outcomes.filter((o) => o.status !== 'applied')).toEqual([]);
          plan = await planOnce(session, last, `${name} final plan`);
          expect(plan.changes).toEqual([]);
        }
        expect(plan.pending).toEqual([]);
        expect(plan.warnings.filter((w) => w.code === 'surplus_key_in_use' || w.code === 'duplicate_project_name')).toEqual([]);

        const snapshot = await org.snapshot();
        const duplicates = findDuplicates(snapshot);
        const alerts = await org.client.listSpendAlerts();
        if (new Set(alerts.map((a) => a.threshold_amount)).size !== alerts.length) duplicates.push('a spend alert threshold twice');
        figures.applies += c.versions.length;
        figures.duplicates += duplicates.length;
        expect(duplicates).toEqual([]);
        expect(snapshot.map((p) => p.name).sort()).toEqual(last.projects.map((p) => p.name).sort());
        expect(snapshot.flatMap((p) => p.keys.map((k) => k.metadata[METADATA.key])).sort()).toEqual(last.keys.map((k) => k.name).sort());
        // The value each policy key's targets hold last is its live key's.
        const byId = new Map([...org.issued].map(([value, k]) => [k.id, value]));
        for (const k of snapshot.flatMap((p) => p.keys)) expect(deliveries.get(k.metadata[METADATA.key]!)?.at(-1)).toBe(byId.get(k.id));
        scanner.record(`${name} audit log`, JSON.stringify(await org.client.listAuditLogs({ effective_at_gte: 0 })));
      } finally {
        await org.close();
      }
    },
  );

  it('four `groq-rbac apply` processes at once in one workspace: all succeed, each file holds its live key, which works', async () => {
    // Org phase of these policies: model permissions, spend limit, two alerts.
    const org = await startResilientOrg({ onRequest: barrier(4 * 4) });
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-race-'));
    try {
      writePolicies(ws, null);
      const env = { GROQ_ADMIN_KEY: org.sandbox.adminKey };
      const args = ['apply', '--yes', '--policies', 'policies', '--base-url', org.sandbox.url];
      const runs = await Promise.all([0, 1, 2, 3].map((i) => spawnCli(args, { cwd: ws, env: childEnv(env), label: `process ${i}` })));
      for (const r of runs) expect(r.code, r.stderr).toBe(0);
      const plan = await runCliScanned(['plan', '--policies', 'policies', '--base-url', org.sandbox.url, '--detailed-exitcode'], {
        cwd: ws,
        env,
        label: 'plan after the race',
      });
      expect(plan.code, plan.stdout).toBe(0);
      const snapshot = await org.snapshot();
      const duplicates = findDuplicates(snapshot);
      figures.applies += runs.length;
      figures.duplicates += duplicates.length;
      expect(duplicates).toEqual([]);
      for (const key of Object.keys(KEYS)) {
        const value = fs.readFileSync(path.join(ws, 'delivered', `${key}.key`), 'utf8').trim();
        const live = snapshot.flatMap((p) => p.keys).filter((k) => k.metadata[METADATA.key] === key);
        expect(live.map((k) => k.id)).toEqual([org.issued.get(value)?.id]);
        expect((await org.request('POST', '/openai/v1/chat/completions', { token: value, body: chat(MODEL) })).status).toBe(200);
      }
      scanner.record('race audit log', JSON.stringify(await org.client.listAuditLogs({ effective_at_gte: 0 })));
    } finally {
      await org.close();
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });
});
