import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyOrganization, type ApplyResult } from '../../src/app/apply-organization.js';
import { deliverToTargets } from '../../src/app/deliver-to-targets.js';
import type { OrgSession } from '../../src/app/session.js';
import { silentLogger } from '../../src/core/log.js';
import { containsKeyValue } from '../../src/core/redact.js';
import { METADATA } from '../../src/providers/groq/metadata.js';
import { renderPlanText } from '../../src/plan/render-text.js';
import type { DesiredKey } from '../../src/policy/types.js';
import { makeDesired, makeDesiredKey, makeDesiredProject } from '../helpers/builders.js';
import { chat, startTestOrg, type TestOrg } from '../helpers/sandbox.js';

const DAY = 86_400;
let org: TestOrg;
let dir: string;
let session: OrgSession;
let printed: string[];

beforeEach(async () => {
  org = await startTestOrg({ orgId: 'org_test' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-rotation-'));
  session = { admin: org.provider, adminKeyRedacted: null, target: 'test sandbox', concurrency: 4, close: async () => {} };
  printed = [];
});

afterEach(async () => {
  for (const text of printed) expect(containsKeyValue(text)).toBe(false);
  await org.close();
});

const project = makeDesiredProject('chatbot-prod');
function keyWith(rotation: Partial<DesiredKey['rotation']> = {}): DesiredKey {
  const base = makeDesiredKey('web', { project: 'chatbot-prod' });
  return { ...base, rotation: { ...base.rotation, deliver: [{ kind: 'file', path: 'delivered/web.key' }], ...rotation } };
}

async function apply(
  key: DesiredKey,
  deliver = deliverToTargets(makeDesired([project], [key], { id: 'org_test' }), { env: {}, cwd: dir, logger: silentLogger }),
): Promise<ApplyResult> {
  const desired = makeDesired([project], [key], { id: 'org_test' });
  const result = await applyOrganization({
    session,
    desired,
    expectedFingerprint: null,
    force: false,
    confirm: async () => true,
    deliver,
    onPlan: (p) => printed.push(renderPlanText(p)),
  });
  printed.push(JSON.stringify(result));
  return result;
}
const delivered = () => fs.readFileSync(path.join(dir, 'delivered/web.key'), 'utf8').trim();
const liveKeys = async () => {
  const [p] = await org.client.listProjects();
  return org.client.listProjectKeys(p!.id);
};
const advance = (seconds: number) => org.request('POST', '/_sandbox/clock', { body: { advance_seconds: seconds } });
const infer = async (value: string) =>
  (await org.request('POST', '/openai/v1/chat/completions', { token: value, body: chat('openai/gpt-oss-20b') })).status;

describe('delivery and staged rotation against the sandbox', () => {
  it('delivers a first key to its file target, and the value works for inference', async () => {
    const result = await apply(keyWith());
    expect(result.status).toBe('applied');
    const [live] = await liveKeys();
    expect(live!.metadata).toMatchObject({ [METADATA.key]: 'web', [METADATA.generation]: '1' });
    expect(Number(live!.metadata[METADATA.deliveredAt])).toBeGreaterThan(0);
    expect((fs.statSync(path.join(dir, 'delivered/web.key')).mode & 0o777).toString(8)).toBe('600');
    expect(await infer(delivered())).toBe(200);
  });

  it('rotates a due key with no failed request, and retires the old one only after quiet and overlap', async () => {
    await apply(keyWith({ everySeconds: 30 * DAY, quietPeriodSeconds: DAY, minOverlapSeconds: 3600 }));
    const first = delivered();
    await advance(31 * DAY);
    expect(await infer(first)).toBe(200);
    const rotation = await apply(keyWith({ everySeconds: 30 * DAY, quietPeriodSeconds: DAY, minOverlapSeconds: 3600 }));
    expect(rotation.status).toBe('applied');
    const second = delivered();
    expect(second).not.toBe(first);
    // Both work while the old one drains; services still on the old value keep working.
    expect(await infer(first)).toBe(200);
    expect(await infer(second)).toBe(200);
    expect((await liveKeys()).map((k) => k.metadata[METADATA.generation]).sort()).toEqual(['1', '2']);
    // Still in use: never retired, however often apply runs.
    for (let i = 0; i < 3; i++) {
      await advance(12 * 3600);
      expect(await infer(first)).toBe(200);
      const again = await apply(keyWith({ everySeconds: 30 * DAY, quietPeriodSeconds: DAY, minOverlapSeconds: 3600 }));
      expect(again.status === 'no_changes' || again.status === 'applied').toBe(true);
      expect((await liveKeys()).length).toBe(2);
    }
    // Quiet for the quiet period (plus the usage-lag allowance and the hour buckets' rounding): retired.
    await advance(DAY + 2 * 3600);
    expect(await infer(second)).toBe(200);
    const retire = await apply(keyWith({ everySeconds: 30 * DAY, quietPeriodSeconds: DAY, minOverlapSeconds: 3600 }));
    expect(retire.status).toBe('applied');
    expect((await liveKeys()).map((k) => k.metadata[METADATA.generation])).toEqual(['2']);
    expect(await infer(first)).toBe(401);
    expect(await infer(second)).toBe(200);
  });

  it('rotates at once on a new trigger, and with quiet_period 0s deletes the old key in the same run', async () => {
    await apply(keyWith({ quietPeriodSeconds: 0, minOverlapSeconds: 0 }));
    const first = delivered();
    const result = await apply(keyWith({ quietPeriodSeconds: 0, minOverlapSeconds: 0, trigger: 'leaked 2026-11-29' }));
    expect(result.status).toBe('applied');
    expect(delivered()).not.toBe(first);
    const keys = await liveKeys();
    expect(keys.map((k) => [k.metadata[METADATA.generation], k.metadata[METADATA.trigger]])).toEqual([['2', 'leaked 2026-11-29']]);
    expect(await infer(first)).toBe(401);
    expect(await infer(delivered())).toBe(200);
  });

  it('leaves no new key behind and the old key untouched when a delivery is refused', async () => {
    await apply(keyWith());
    const first = delivered();
    const before = await liveKeys();
    // A Vault target with no VAULT_ADDR: refused before anything is written.
    const result = await apply(keyWith({ trigger: 'again', deliver: [{ kind: 'vault', path: 'secret/data/groq/web', field: 'api_key' }] }));
    expect(result.status).toBe('applied');
    if (result.status !== 'applied') return;
    expect(result.report.summary.failed).toBe(1);
    expect(result.report.outcomes.find((o) => o.action === 'rotate')).toMatchObject({
      status: 'failed',
      message: expect.stringContaining('cannot deliver to vault'),
    });
    expect(await liveKeys()).toEqual(before);
    expect(delivered()).toBe(first);
    expect(await infer(first)).toBe(200);
  });

  it('never deletes a new key a target may hold: after a partial delivery it stays unmarked, and the next run starts over', async () => {
    await apply(keyWith({ quietPeriodSeconds: 3600, minOverlapSeconds: 0 }));
    const first = delivered();
    // The file target is written, then the GitHub target (no token) refuses.
    const partial = keyWith({
      quietPeriodSeconds: 3600,
      minOverlapSeconds: 0,
      trigger: 'leak',
      deliver: [
        { kind: 'file', path: 'delivered/web.key' },
        { kind: 'github', repository: 'acme/web', secret: 'GROQ_API_KEY' },
      ],
    });
    const result = await apply(partial);
    if (result.status !== 'applied') throw new Error(result.status);
    expect(result.report.outcomes.find((o) => o.action === 'rotate')).toMatchObject({
      status: 'failed',
      message: expect.stringContaining('is kept unmarked because a target may hold it'),
    });
    const second = delivered();
    expect(second).not.toBe(first);
    // The service that got the new value keeps working, and so does the one still on the old.
    expect(await infer(second)).toBe(200);
    expect(await infer(first)).toBe(200);
    const keys = await liveKeys();
    expect(keys.map((k) => [k.metadata[METADATA.generation], k.metadata[METADATA.deliveredAt] === undefined])).toEqual([
      ['1', false],
      ['2', true],
    ]);
    // Once the targets work, a later run makes generation 3; generation 2 drains like any old key.
    await advance(16 * 60);
    const fixed = keyWith({ quietPeriodSeconds: 3600, minOverlapSeconds: 0, trigger: 'leak' });
    expect((await apply(fixed)).status).toBe('applied');
    expect((await liveKeys()).map((k) => k.metadata[METADATA.generation]).sort()).toEqual(['1', '2', '3']);
    expect(await infer(delivered())).toBe(200);
  });

  // Issue 17, item 15b. The create's Idempotency-Key is the sandbox's (src/sandbox/idempotency.ts):
  // the same key with another body within 24 h is `409 idempotency_key_reused`.
  it.each([
    ['no target -> a file target', keyWith({ deliver: [] }), keyWith()],
    [
      'one file target -> another',
      keyWith(),
      keyWith({
        deliver: [
          { kind: 'file', path: 'delivered/elsewhere.key' },
          { kind: 'file', path: 'delivered/web.key' },
        ],
      }),
    ],
    ['a new trigger', keyWith(), keyWith({ trigger: 'leaked' })],
    ['protect: true', keyWith(), { ...keyWith(), protect: true }],
  ])('re-creates generation 1 deleted outside groq-rbac within 24 h after %s', async (_name, before, after) => {
    expect((await apply(before)).status).toBe('applied');
    const [gone] = await liveKeys();
    // Deleted outside groq-rbac (the Console, another tool), within the idempotency record's 24 h.
    const { body: deleted } = await org.request(
      'DELETE',
      `/openai/v1/organization/projects/${(await org.client.listProjects())[0]!.id}/api_keys/${gone!.id}`,
    );
    expect(deleted).toMatchObject({ deleted: true });
    await advance(3600);
    const result = await apply(after);
    expect(result.status === 'applied' && result.report.outcomes.map((o) => [o.action, o.status, o.error?.code ?? null])).toEqual([
      ['create', 'applied', null],
    ]);
    const [live] = await liveKeys();
    expect(live!.id).not.toBe(gone!.id);
    expect(live!.metadata[METADATA.deliveredAt]).toBeDefined();
    expect(await infer(delivered())).toBe(200);
  });

  it('makes one new generation when two applies run at once', async () => {
    await apply(keyWith());
    const both = await Promise.all([apply(keyWith({ trigger: 'x' })), apply(keyWith({ trigger: 'x' }))]);
    // Either both made (and delivered) the same generation through its Idempotency-Key, or the later
    // one saw it in progress and waited.
    expect(both.map((r) => r.status)).toContain('applied');
    for (const r of both) if (r.status === 'applied') expect(r.report.summary.failed).toBe(0);
    const generations = (await liveKeys()).map((k) => k.metadata[METADATA.generation]).sort();
    expect(generations).toEqual(['1', '2']);
  });
});
