// Races between runs of one rotation (found by review): neither may leave a target holding a deleted key.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { applyOrganization } from '../../src/app/apply-organization.js';
import { deliverToTargets } from '../../src/app/deliver.js';
import type { OrgSession } from '../../src/app/session.js';
import { silentLogger } from '../../src/core/log.js';
import type { GroqAdmin } from '../../src/groq/types.js';
import type { DesiredKey } from '../../src/policy/types.js';
import { makeDesired, makeDesiredKey, makeDesiredProject } from '../helpers/builders.js';
import { chat, startTestOrg, type TestOrg } from '../helpers/sandbox.js';

let org: TestOrg;
let dir: string;
beforeEach(async () => {
  org = await startTestOrg({ orgId: 'org_test' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'review-conc-'));
});
afterEach(async () => { await org.close(); });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const project = makeDesiredProject('chatbot-prod');
const keyWith = (rotation: Partial<DesiredKey['rotation']> = {}): DesiredKey => {
  const base = makeDesiredKey('web', { project: 'chatbot-prod' });
  return { ...base, rotation: { ...base.rotation, deliver: [{ kind: 'file', path: 'a/web.key' }], ...rotation } };
};
const infer = async (value: string) => (await org.request('POST', '/openai/v1/chat/completions', { token: value, body: chat('openai/gpt-oss-20b') })).status;
const read = (p: string) => fs.readFileSync(path.join(dir, p), 'utf8').trim();
const liveKeys = async () => org.client.listProjectKeys((await org.client.listProjects())[0]!.id);

/** Both runs reach their create before either sends it (both planned on the same live state); A's goes first. */
function barrier() {
  let arrived = 0;
  let release!: () => void;
  const all = new Promise<void>((r) => (release = r));
  return async (who: 'A' | 'B') => {
    arrived += 1;
    if (arrived === 2) release();
    await all;
    if (who === 'B') await sleep(150);
  };
}
function adminFor(who: 'A' | 'B', gate: (w: 'A' | 'B') => Promise<void>): GroqAdmin {
  const real = org.client;
  return new Proxy(real, {
    get(target, prop, receiver) {
      if (prop === 'createProjectKey') return async (...args: unknown[]) => { await gate(who); return (real.createProjectKey as (...a: unknown[]) => unknown).apply(real, args); };
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(real) : v;
    },
  }) as GroqAdmin;
}

async function run(who: 'A' | 'B', gate: (w: 'A' | 'B') => Promise<void>, key: DesiredKey, failDelivery: boolean) {
  const desired = makeDesired([project], [key], { id: 'org_test' });
  const session: OrgSession = { admin: adminFor(who, gate), adminKeyRedacted: null, target: who, concurrency: 4, close: async () => {} };
  const real = deliverToTargets(desired, { env: {}, cwd: dir, logger: silentLogger });
  const deliver = failDelivery
    ? async () => { await sleep(600); throw new Error(`${who}: Vault at https://vault is unavailable (503)`); }
    : real;
  return applyOrganization({ session, desired, expectedFingerprint: null, force: false, confirm: async () => true, deliver });
}

it('when the run that created a generation fails its delivery, it does not delete the generation another run delivered', async () => {
  // quiet_period 0s: how a leaked key is rotated. Every apply sees the same trigger change.
  const key = keyWith({ quietPeriodSeconds: 0, minOverlapSeconds: 0 });
  await run('A', async () => {}, key, false);
  const first = read('a/web.key');
  const rotated = keyWith({ quietPeriodSeconds: 0, minOverlapSeconds: 0, trigger: 'leaked' });
  const gate = barrier();
  const [a, b] = await Promise.all([run('A', gate, rotated, true), run('B', gate, rotated, false)]);
  expect([a.status, b.status]).toEqual(['applied', 'applied']);
  const keys = await liveKeys();
  // The delivered value must work, and at least one key must be left.
  expect(await infer(read('a/web.key'))).toBe(200);
  expect(keys.length).toBeGreaterThan(0);
  expect(await infer(first)).toBe(401); // (the old, leaked key is gone, as intended)
});

const sessionOf = (): OrgSession => ({ admin: org.client, adminKeyRedacted: null, target: 't', concurrency: 4, close: async () => {} });
const advance = (s: number) => org.request('POST', '/_sandbox/clock', { body: { advance_seconds: s } });
const slowKey = (trigger: string | null): DesiredKey => {
  const base = makeDesiredKey('web', { project: 'chatbot-prod' });
  return { ...base, rotation: { ...base.rotation, quietPeriodSeconds: 0, minOverlapSeconds: 0, trigger, deliver: [{ kind: 'file', path: 'web.key' }] } };
};

it('a delivery that outlasts the in-progress grace stops before writing, so the run that took over keeps its target working', async () => {
  const d0 = makeDesired([project], [slowKey(null)], { id: 'org_test' });
  await applyOrganization({ session: sessionOf(), desired: d0, expectedFingerprint: null, force: false, confirm: async () => true, deliver: deliverToTargets(d0, { env: {}, cwd: dir, logger: silentLogger }) });
  const d1 = makeDesired([project], [slowKey('leaked')], { id: 'org_test' });
  const real = deliverToTargets(d1, { env: {}, cwd: dir, logger: silentLogger });
  let slowStarted!: () => void;
  const started = new Promise<void>((r) => (slowStarted = r));
  let resume!: () => void;
  const resumed = new Promise<void>((r) => (resume = r));
  // Run A: its delivery is slow (GitHub throttling, Vault timeouts and retries, many targets).
  const a = applyOrganization({ session: sessionOf(), desired: d1, expectedFingerprint: null, force: false, confirm: async () => true,
    deliver: async (c, created, p, check) => { slowStarted(); await resumed; await org.client.getOrganization(); await real(c, created, p, check); } });
  await started;
  await advance(16 * 60);
  // Run B (the next apply or reconcile) sees g2 undelivered and older than 15 min: "interrupted".
  const b = await applyOrganization({ session: sessionOf(), desired: d1, expectedFingerprint: null, force: false, confirm: async () => true, deliver: real });
  expect(b.status === 'applied' && b.report.outcomes.find((o) => o.action === 'rotate')?.status).toBe('applied');
  resume();
  const ra = await a;
  // A saw the deadline pass (on the organization's clock) and stopped before writing its target.
  expect(ra.status === 'applied' && ra.report.outcomes.find((o) => o.action === 'rotate')?.message).toMatch(/took longer than 10 minutes/);
  const live = await org.client.listProjectKeys((await org.client.listProjects())[0]!.id);
  expect(live.filter((k) => k.metadata['groq-rbac/delivered_at'] !== undefined).map((k) => k.metadata['groq-rbac/generation'])).toEqual(['3']);
  expect(await infer(fs.readFileSync(path.join(dir, 'web.key'), 'utf8').trim())).toBe(200);
});
