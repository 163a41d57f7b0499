// Races between runs of one rotation (found by review): neither may leave a target holding a deleted key.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { applyOrganization } from '../../src/app/apply-organization.js';
import { deliverToTargets } from '../../src/app/deliver-to-targets.js';
import type { OrgSession } from '../../src/app/session.js';
import { silentLogger } from '../../src/core/log.js';
import type { GroqAdmin } from '../../src/providers/groq/admin.js';
import { GroqProvider } from '../../src/providers/groq/write.js';
import type { DesiredKey } from '../../src/policy/types.js';
import type { ApplyOptions } from '../../src/apply/apply-plan.js';
import { DeliveryIncomplete } from '../../src/apply/deliver/types.js';
import { METADATA } from '../../src/providers/groq/metadata.js';
import { makeDesired, makeDesiredKey, makeDesiredProject } from '../helpers/builders.js';
import { chat, startTestOrg, type TestOrg } from '../helpers/sandbox.js';

let org: TestOrg;
let dir: string;
beforeEach(async () => {
  org = await startTestOrg({ orgId: 'org_test' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'review-conc-'));
});
afterEach(async () => {
  await org.close();
});

const project = makeDesiredProject('chatbot-prod');
const keyWith = (rotation: Partial<DesiredKey['rotation']> = {}): DesiredKey => {
  const base = makeDesiredKey('web', { project: 'chatbot-prod' });
  return { ...base, rotation: { ...base.rotation, deliver: [{ kind: 'file', path: 'a/web.key' }], ...rotation } };
};
const infer = async (value: string) =>
  (await org.request('POST', '/openai/v1/chat/completions', { token: value, body: chat('openai/gpt-oss-20b') })).status;
const read = (p: string) => fs.readFileSync(path.join(dir, p), 'utf8').trim();
const liveKeys = async () => org.client.listProjectKeys((await org.client.listProjects())[0]!.id);

/** A promise and the function that settles it: the tests order two runs' steps with these, never with time. */
function signal() {
  let fire!: () => void;
  const fired = new Promise<void>((r) => (fire = r));
  return { fire, fired };
}

type AdminHooks = Partial<
  Record<'createProjectKey' | 'updateProjectKey' | 'deleteProjectKey', { before?: () => Promise<void> | void; after?: () => void }>
>;
/** The real client, with a hook before and after some of its calls (only the first `updateProjectKey`'s `after` fires). */
function adminWith(hooks: AdminHooks): GroqAdmin {
  const real = org.client;
  let updates = 0;
  return new Proxy(real, {
    get(target, prop, receiver) {
      const hook = hooks[prop as keyof AdminHooks];
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      if (!hook) return v.bind(real);
      return async (...args: unknown[]) => {
        await hook.before?.();
        const result = await (v as (...a: unknown[]) => unknown).apply(real, args);
        if (prop !== 'updateProjectKey' || (updates += 1) === 1) hook.after?.();
        return result;
      };
    },
  }) as GroqAdmin;
}

async function run(admin: GroqAdmin, key: DesiredKey, deliver?: ApplyOptions['deliver']) {
  const desired = makeDesired([project], [key], { id: 'org_test' });
  const session: OrgSession = {
    admin: new GroqProvider(admin),
    adminKeyRedacted: null,
    target: 'race',
    concurrency: 4,
    close: async () => {},
  };
  return applyOrganization({
    session,
    desired,
    expectedFingerprint: null,
    force: false,
    confirm: async () => true,
    deliver: deliver ?? deliverToTargets(desired, { env: {}, cwd: dir, logger: silentLogger }),
  });
}
const realDeliver = (key: DesiredKey) =>
  deliverToTargets(makeDesired([project], [key], { id: 'org_test' }), { env: {}, cwd: dir, logger: silentLogger });
const rotateOutcome = (r: Awaited<ReturnType<typeof run>>) =>
  r.status === 'applied' ? r.report.outcomes.find((o) => o.action === 'rotate') : undefined;

it('when the run that created a generation fails its delivery, it does not delete the generation another run delivered', async () => {
  // quiet_period 0s: how a leaked key is rotated. Both applies plan the same trigger change.
  const key = keyWith({ quietPeriodSeconds: 0, minOverlapSeconds: 0 });
  await run(org.client, key);
  const first = read('a/web.key');
  const rotated = keyWith({ quietPeriodSeconds: 0, minOverlapSeconds: 0, trigger: 'leaked' });
  // B plans before A creates; B's create (a replay of A's) comes once A's key exists; A's delivery
  // fails (after it may have written) once B has delivered.
  const bPlanned = signal();
  const aCreated = signal();
  const bDelivered = signal();
  const real = realDeliver(rotated);
  const a = run(adminWith({ createProjectKey: { before: () => bPlanned.fired, after: aCreated.fire } }), rotated, async () => {
    await bDelivered.fired;
    throw new Error('A: Vault at https://vault is unavailable (503)');
  });
  const b = run(
    adminWith({
      createProjectKey: {
        before: async () => {
          bPlanned.fire();
          await aCreated.fired;
        },
      },
    }),
    rotated,
    async (...args) => {
      await real(...args);
      bDelivered.fire();
    },
  );
  const [ra, rb] = await Promise.all([a, b]);
  expect([ra.status, rb.status]).toEqual(['applied', 'applied']);
  expect(rotateOutcome(rb)?.status).toBe('applied');
  // The delivered value works, and the old, leaked key is gone, as intended.
  expect(await infer(read('a/web.key'))).toBe(200);
  expect((await liveKeys()).length).toBeGreaterThan(0);
  expect(await infer(first)).toBe(401);
});

// Issue 17, item 15a: the creator's first target refuses (nothing written) while a run that replayed
// its create is delivering the same value. Deleting then would leave that run's target holding a deleted key.
it("a creator whose first target refuses keeps the key a replaying run claimed, and that run's target keeps working", async () => {
  await run(org.client, keyWith());
  const first = read('a/web.key');
  const rotated = keyWith({ trigger: 'leaked' });
  const bPlanned = signal();
  const aInDelivery = signal();
  const bWrote = signal();
  const aDone = signal();
  const real = realDeliver(rotated);
  const a = run(adminWith({ createProjectKey: { before: () => bPlanned.fired } }), rotated, async () => {
    aInDelivery.fire();
    await bWrote.fired;
    throw new DeliveryIncomplete('A: the first target refused (403)', { written: false });
  });
  const b = run(
    adminWith({
      createProjectKey: {
        before: async () => {
          bPlanned.fire();
          await aInDelivery.fired;
        },
      },
    }),
    rotated,
    async (...args) => {
      await real(...args);
      bWrote.fire();
      // B marks its generation delivered only after A has finished its failure handling.
      await aDone.fired;
    },
  );
  const ra = await a;
  aDone.fire();
  const rb = await b;
  expect(rotateOutcome(ra)).toMatchObject({ status: 'failed', message: expect.stringContaining('the first target refused') });
  expect(rotateOutcome(rb)).toMatchObject({ status: 'applied' });
  // The target B wrote holds a live key, delivered and marked; the old key is still there too.
  const value = read('a/web.key');
  expect(value).not.toBe(first);
  expect(await infer(value)).toBe(200);
  expect(await infer(first)).toBe(200);
  const g2 = (await liveKeys()).find((k) => k.metadata[METADATA.generation] === '2');
  expect(g2?.metadata).toMatchObject({
    [METADATA.claimedAt]: expect.any(String),
    [METADATA.discardedAt]: expect.any(String),
    [METADATA.deliveredAt]: expect.any(String),
  });
});

it('a replaying run that finds the creator discarding the key delivers nothing, and the creator deletes it', async () => {
  await run(org.client, keyWith());
  const first = read('a/web.key');
  const rotated = keyWith({ trigger: 'leaked' });
  const bPlanned = signal();
  const aMarkedDiscard = signal();
  const bClaimed = signal();
  let bDeliveries = 0;
  // A: its first target refuses; it marks the key discarded, and its delete waits until B has claimed.
  const a = run(
    adminWith({
      createProjectKey: { before: () => bPlanned.fired },
      updateProjectKey: { after: aMarkedDiscard.fire },
      deleteProjectKey: { before: () => bClaimed.fired },
    }),
    rotated,
    async () => {
      throw new DeliveryIncomplete('A: the first target refused (403)', { written: false });
    },
  );
  // B: replays A's create once A has marked it discarded, then claims it.
  const b = run(
    adminWith({
      createProjectKey: {
        before: async () => {
          bPlanned.fire();
          await aMarkedDiscard.fired;
        },
      },
      updateProjectKey: { after: bClaimed.fire },
    }),
    rotated,
    async () => {
      bDeliveries += 1;
    },
  );
  const [ra, rb] = await Promise.all([a, b]);
  expect(rotateOutcome(ra)).toMatchObject({ status: 'failed' });
  expect(rotateOutcome(rb)).toMatchObject({ status: 'failed', message: expect.stringContaining('which is discarding it') });
  expect(bDeliveries).toBe(0);
  expect(read('a/web.key')).toBe(first);
  expect(await infer(first)).toBe(200);
  expect((await liveKeys()).map((k) => k.metadata[METADATA.generation])).toEqual(['1']);
});

const sessionOf = (): OrgSession => ({ admin: org.provider, adminKeyRedacted: null, target: 't', concurrency: 4, close: async () => {} });
const advance = (s: number) => org.request('POST', '/_sandbox/clock', { body: { advance_seconds: s } });
const slowKey = (trigger: string | null): DesiredKey => {
  const base = makeDesiredKey('web', { project: 'chatbot-prod' });
  return {
    ...base,
    rotation: { ...base.rotation, quietPeriodSeconds: 0, minOverlapSeconds: 0, trigger, deliver: [{ kind: 'file', path: 'web.key' }] },
  };
};

it('a delivery that outlasts the in-progress grace stops before writing, so the run that took over keeps its target working', async () => {
  const d0 = makeDesired([project], [slowKey(null)], { id: 'org_test' });
  await applyOrganization({
    session: sessionOf(),
    desired: d0,
    expectedFingerprint: null,
    force: false,
    confirm: async () => true,
    deliver: deliverToTargets(d0, { env: {}, cwd: dir, logger: silentLogger }),
  });
  const d1 = makeDesired([project], [slowKey('leaked')], { id: 'org_test' });
  const real = deliverToTargets(d1, { env: {}, cwd: dir, logger: silentLogger });
  let slowStarted!: () => void;
  const started = new Promise<void>((r) => (slowStarted = r));
  let resume!: () => void;
  const resumed = new Promise<void>((r) => (resume = r));
  // Run A: its delivery is slow (GitHub throttling, Vault timeouts and retries, many targets).
  const a = applyOrganization({
    session: sessionOf(),
    desired: d1,
    expectedFingerprint: null,
    force: false,
    confirm: async () => true,
    deliver: async (c, created, p, check) => {
      slowStarted();
      await resumed;
      await org.client.getOrganization();
      await real(c, created, p, check);
    },
  });
  await started;
  await advance(16 * 60);
  // Run B (the next apply or reconcile) sees g2 undelivered and older than 15 min: "interrupted".
  const b = await applyOrganization({
    session: sessionOf(),
    desired: d1,
    expectedFingerprint: null,
    force: false,
    confirm: async () => true,
    deliver: real,
  });
  expect(b.status === 'applied' && b.report.outcomes.find((o) => o.action === 'rotate')?.status).toBe('applied');
  resume();
  const ra = await a;
  // A saw the deadline pass (on the organization's clock) and stopped before writing its target.
  expect(ra.status === 'applied' && ra.report.outcomes.find((o) => o.action === 'rotate')?.message).toMatch(/took longer than 10 minutes/);
  const live = await org.client.listProjectKeys((await org.client.listProjects())[0]!.id);
  expect(live.filter((k) => k.metadata['groq-rbac/delivered_at'] !== undefined).map((k) => k.metadata['groq-rbac/generation'])).toEqual([
    '3',
  ]);
  expect(await infer(fs.readFileSync(path.join(dir, 'web.key'), 'utf8').trim())).toBe(200);
});
