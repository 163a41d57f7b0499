import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/apply/apply-plan.js';
import { deliverToTargets } from '../../src/app/deliver-to-targets.js';
import { silentLogger } from '../../src/core/log.js';
import { DELIVERED_ON_CREATE, METADATA } from '../../src/providers/groq/metadata.js';
import { readLiveState } from '../../src/providers/groq/read.js';
import { planChanges } from '../../src/plan/plan-changes.js';
import { targetsHash } from '../../src/plan/rotation.js';
import type { DesiredState } from '../../src/policy/types.js';
import { makeDesired, makeDesiredKey, makeDesiredProject } from '../helpers/builders.js';
import { chat, startTestOrg, type TestOrg } from '../helpers/sandbox.js';

let org: TestOrg;
beforeEach(async () => {
  org = await startTestOrg({ orgId: 'org_test' });
});
afterEach(async () => {
  await org.close();
});

async function plan(desired: DesiredState) {
  const live = await readLiveState(org.client, { concurrency: 4 });
  return planChanges(desired, live, live.observed_at);
}
const fault = (faults: unknown[]) => org.request('POST', '/_sandbox/faults', { body: { faults } });
const allKeys = async () => (await Promise.all((await org.client.listProjects()).map((p) => org.client.listProjectKeys(p.id)))).flat();

const desiredOf = (projects: string[], keysPerProject: number, extra: Partial<DesiredState['org']> = {}) =>
  makeDesired(
    projects.map((p) =>
      makeDesiredProject(p, {
        models: { mode: 'allow_list', models: ['openai/gpt-oss-20b'] },
        limits: { default: { requests_per_minute: 60 }, models: {} },
      }),
    ),
    projects.flatMap((p) => Array.from({ length: keysPerProject }, (_, i) => makeDesiredKey(`${p}-k${i}`, { project: p }))),
    { id: 'org_test', ...extra },
  );

describe('applyPlan against the sandbox', () => {
  it('creates projects, then their permissions, limits and keys, and converges', async () => {
    const desired = desiredOf(['alpha', 'beta'], 2);
    const report = await applyPlan(await plan(desired), org.provider, { concurrency: 4 });
    expect(report.summary).toEqual({ applied: 2 + 2 + 2 + 4, failed: 0, skipped: 0 });
    const [alpha] = (await org.client.listProjects()).filter((p) => p.name === 'alpha');
    expect(await org.client.getProjectModelPermissions(alpha!.id)).toMatchObject({ mode: 'allow_list', model_ids: ['openai/gpt-oss-20b'] });
    expect((await org.client.listProjectRateLimits(alpha!.id)).find((r) => r.model === 'openai/gpt-oss-20b')).toMatchObject({
      max_requests_per_1_minute: 60,
    });
    const keys = await allKeys();
    expect(keys.map((k) => k.metadata[METADATA.key]).sort()).toEqual(['alpha-k0', 'alpha-k1', 'beta-k0', 'beta-k1']);
    expect(keys.every((k) => k.metadata[METADATA.deliveredAt] !== undefined && k.metadata[METADATA.generation] === '1')).toBe(true);
    expect((await plan(desired)).changes).toEqual([]);
  });

  it('skips the changes of a project that could not be created, and a re-run finishes them', async () => {
    const desired = desiredOf(['alpha'], 1);
    await fault([{ method: 'POST', path: '/openai/v1/organization/projects', status: 400, code: 'invalid_request_error', times: 1 }]);
    const report = await applyPlan(await plan(desired), org.provider);
    expect(report.summary).toEqual({ applied: 0, failed: 1, skipped: 3 });
    expect(report.outcomes.filter((o) => o.status === 'skipped').map((o) => o.resource)).toEqual([
      'project_model_permissions',
      'project_rate_limit',
      'api_key',
    ]);
    const again = await applyPlan(await plan(desired), org.provider);
    expect(again.summary.failed).toBe(0);
    expect((await plan(desired)).changes).toEqual([]);
  });

  it('does not make a second key when the read-back of a replayed create gets a spurious 404', async () => {
    const desired = desiredOf(['alpha'], 3);
    await applyPlan(await plan(makeDesired(desired.projects, [], { id: 'org_test' })), org.provider);
    const creates = await plan(desired);
    expect((await applyPlan(creates, org.provider)).summary.failed).toBe(0);
    // The same creates again (a retried apply): replays, and the first read-back meets a spurious 404.
    await fault([{ method: 'GET', path: '/openai/v1/organization/projects/*', status: 404, code: 'api_key_not_found', times: 1 }]);
    const again = await applyPlan(creates, org.provider, { concurrency: 1 });
    expect(again.summary).toEqual({ applied: 3, failed: 0, skipped: 0 });
    expect((await allKeys()).length).toBe(3);
    expect((await plan(desired)).changes).toEqual([]);
  });

  it('re-creates a key when the replayed create returns one deleted since', async () => {
    const desired = desiredOf(['alpha'], 1);
    const first = await applyPlan(await plan(desired), org.provider);
    const keyId = first.outcomes.find((o) => o.resource === 'api_key')!.id!;
    const [project] = await org.client.listProjects();
    await org.client.deleteProjectKey(project!.id, keyId);
    const second = await applyPlan(await plan(desired), org.provider);
    expect(second.summary.failed).toBe(0);
    const keys = await allKeys();
    expect(keys).toHaveLength(1);
    expect(keys[0]!.id).not.toBe(keyId);
  });

  it('makes one key when two applies of different policy versions create it at once', async () => {
    const a = desiredOf(['alpha'], 2);
    await applyPlan(await plan(makeDesired(a.projects, [], { id: 'org_test' })), org.provider);
    const b: DesiredState = { ...a, keys: a.keys.map((k) => ({ ...k, protect: true })) };
    const [pa, pb] = [await plan(a), await plan(b)];
    const [ra, rb] = await Promise.all([applyPlan(pa, org.provider), applyPlan(pb, org.provider)]);
    expect(ra.summary.failed + rb.summary.failed).toBe(0);
    expect((await allKeys()).map((k) => k.metadata[METADATA.key]).sort()).toEqual(['alpha-k0', 'alpha-k1']);
  });

  it('counts a delete of a key that is already gone as done', async () => {
    const desired = desiredOf(['alpha'], 1);
    await applyPlan(await plan(desired), org.provider);
    const deletion = await plan(makeDesired(desired.projects, [], { id: 'org_test' }));
    const change = deletion.changes.find((c) => c.resource === 'api_key' && c.action === 'delete')!;
    const [project] = await org.client.listProjects();
    await org.client.deleteProjectKey(project!.id, change.resource === 'api_key' ? change.key_id! : '');
    const report = await applyPlan(deletion, org.provider);
    expect(report.outcomes).toMatchObject([
      { action: 'delete', status: 'applied', message: expect.stringMatching(/^key_\w+ was already gone$/) },
    ]);
  });

  it('archives a project that left the policies; its keys stop authenticating', async () => {
    const desired = desiredOf(['alpha', 'beta'], 1);
    let value = '';
    await applyPlan(await plan(desired), org.provider, {
      deliver: async (change, created) => void (change.project === 'beta' && (value = created.value)),
    });
    expect(
      (
        await org.request('POST', '/openai/v1/chat/completions', {
          token: value,
          body: { model: 'openai/gpt-oss-20b', messages: [{ role: 'user', content: 'hi' }] },
        })
      ).status,
    ).toBe(200);
    const archival = await plan(desiredOf(['alpha'], 1));
    expect(archival.changes.map((c) => `${c.resource}:${c.action}`)).toEqual(['project:archive']);
    expect((await applyPlan(archival, org.provider)).summary.failed).toBe(0);
    expect((await org.client.listProjects()).map((p) => p.name)).toEqual(['alpha']);
    expect(
      (
        await org.request('POST', '/openai/v1/chat/completions', {
          token: value,
          body: { model: 'openai/gpt-oss-20b', messages: [{ role: 'user', content: 'hi' }] },
        })
      ).status,
    ).toBe(401);
  });

  it('hands each new key to deliver while its value is in hand, and never puts it in the report', async () => {
    const seen: string[] = [];
    const report = await applyPlan(await plan(desiredOf(['alpha'], 1)), org.provider, {
      deliver: async (change, created) => void seen.push(`${change.key}:${created.value.slice(0, 4)}`),
    });
    expect(seen).toEqual(['alpha-k0:gsk_']);
    expect(JSON.stringify(report)).not.toMatch(/gsk_[A-Za-z0-9]{8,}/);
  });
});

describe('a key with no delivery target', () => {
  const CREATE = 'POST /openai/v1/organization/projects/{project_id}/api_keys';
  const MARK = 'POST /openai/v1/organization/projects/{project_id}/api_keys/{key_id}';
  const VERIFY = 'GET /openai/v1/models';
  const byRoute = async () => (await org.request('GET', '/_sandbox/stats')).body.by_route as Record<string, number>;
  /** The requests `run` sent, per route. */
  async function requestsOf(run: () => Promise<unknown>): Promise<Record<string, number>> {
    const before = await byRoute();
    await run();
    const after = await byRoute();
    return Object.fromEntries(
      Object.entries(after)
        .map(([r, n]) => [r, n - (before[r] ?? 0)])
        .filter(([, n]) => n !== 0),
    );
  }
  const untargeted = (d: DesiredState): DesiredState => ({
    ...d,
    keys: d.keys.map((k) => ({ ...k, rotation: { ...k.rotation, deliver: [] } })),
  });
  /** The org with the projects of `desired` set up, and the plan that creates its keys. */
  async function keyCreates(desired: DesiredState) {
    expect((await applyPlan(await plan(makeDesired(desired.projects, [], { id: 'org_test' })), org.provider)).summary.failed).toBe(0);
    const creates = await plan(desired);
    expect(creates.changes.map((c) => `${c.resource}:${c.action}`)).toEqual(desired.keys.map(() => 'api_key:create'));
    return creates;
  }

  it('is made with one create request that carries its delivered mark: no verification, no mark request', async () => {
    const desired = untargeted(desiredOf(['alpha', 'beta'], 2));
    const creates = await keyCreates(desired);
    const values: string[] = [];
    let report: Awaited<ReturnType<typeof applyPlan>> | undefined;
    const sent = await requestsOf(async () => {
      report = await applyPlan(creates, org.provider, { deliver: async (_change, created) => void values.push(created.value) });
    });
    expect(sent).toEqual({ [CREATE]: 4 });
    expect(report!.summary).toEqual({ applied: 4, failed: 0, skipped: 0 });
    for (const o of report!.outcomes) expect(o.message).toMatch(/^created generation 1: key_\w+ \(gsk_…\w+\), no delivery target$/);
    const keys = await allKeys();
    expect(keys.map((k) => k.metadata).sort((a, b) => (a[METADATA.key]! < b[METADATA.key]! ? -1 : 1))).toEqual(
      ['alpha-k0', 'alpha-k1', 'beta-k0', 'beta-k1'].map((name) => ({
        [METADATA.key]: name,
        [METADATA.generation]: '1',
        [METADATA.deliveredAt]: DELIVERED_ON_CREATE,
        [METADATA.targets]: targetsHash([]),
        [METADATA.team]: 'chatbot',
      })),
    );
    // Nothing in service is taken for a rotation in progress, and nothing is left to do.
    const after = await plan(desired);
    expect(after.changes).toEqual([]);
    expect(after.pending).toEqual([]);
    expect((await applyPlan(after, org.provider)).outcomes).toEqual([]);
    // Unverified, the values work all the same.
    expect(values).toHaveLength(4);
    for (const value of values)
      expect((await org.request('POST', '/openai/v1/chat/completions', { token: value, body: chat('openai/gpt-oss-20b') })).status).toBe(
        200,
      );
  });

  it('keeps its create body the same across runs: a later re-run of the plan replays it and makes no second key', async () => {
    const desired = untargeted(desiredOf(['alpha'], 2));
    const creates = await keyCreates(desired);
    expect((await applyPlan(creates, org.provider)).summary.failed).toBe(0);
    const first = (await allKeys()).map((k) => k.id).sort();
    // Minutes later on the organization's clock (as the client last saw it): a time in the body would make it another request.
    await org.request('POST', '/_sandbox/clock', { body: { advance_seconds: 300 } });
    await org.client.getOrganization();
    const again = await applyPlan(creates, org.provider);
    expect(again.summary).toEqual({ applied: 2, failed: 0, skipped: 0 });
    for (const o of again.outcomes) expect(o.message).not.toMatch(/another apply/);
    expect((await allKeys()).map((k) => k.id).sort()).toEqual(first);
    expect((await plan(desired)).changes).toEqual([]);
  });

  it('is verified and marked as before when its create is a replay (the answer to the first was lost)', async () => {
    const desired = untargeted(desiredOf(['alpha'], 1));
    const creates = await keyCreates(desired);
    await fault([{ method: 'POST', path: '/openai/v1/organization/projects/*/api_keys', status: 502, after_commit: true, times: 1 }]);
    let report: Awaited<ReturnType<typeof applyPlan>> | undefined;
    const sent = await requestsOf(async () => void (report = await applyPlan(creates, org.provider)));
    expect(report!.summary).toEqual({ applied: 1, failed: 0, skipped: 0 });
    expect(sent).toMatchObject({ [CREATE]: 2, [VERIFY]: 1, [MARK]: 1 });
    const keys = await allKeys();
    expect(keys).toHaveLength(1);
    expect(keys[0]!.metadata[METADATA.deliveredAt]).toMatch(/^\d+$/);
    expect((await plan(desired)).changes).toEqual([]);
  });

  it('is deleted when deliver throws, and the next run makes it again', async () => {
    const desired = untargeted(desiredOf(['alpha'], 1));
    const creates = await keyCreates(desired);
    const failed = await applyPlan(creates, org.provider, {
      deliver: async () => {
        throw new Error('masking failed');
      },
    });
    expect(failed.outcomes).toMatchObject([{ status: 'failed', message: 'masking failed' }]);
    expect(await allKeys()).toEqual([]);
    expect((await applyPlan(await plan(desired), org.provider)).summary).toEqual({ applied: 1, failed: 0, skipped: 0 });
    expect((await allKeys()).map((k) => k.metadata[METADATA.deliveredAt])).toEqual([DELIVERED_ON_CREATE]);
    expect((await plan(desired)).changes).toEqual([]);
  });

  it('changes nothing for a key with a file target next to it: that one is still created, verified, delivered and marked', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-apply-'));
    try {
      const base = desiredOf(['alpha'], 2);
      const desired: DesiredState = {
        ...base,
        keys: base.keys.map((k, i) => ({
          ...k,
          rotation: { ...k.rotation, deliver: i === 0 ? [{ kind: 'file', path: 'out/alpha-k0.key' }] : [] },
        })),
      };
      const creates = await keyCreates(desired);
      let report: Awaited<ReturnType<typeof applyPlan>> | undefined;
      const sent = await requestsOf(async () => {
        report = await applyPlan(creates, org.provider, {
          deliver: deliverToTargets(desired, { env: {}, cwd: dir, logger: silentLogger }),
        });
      });
      expect(sent).toEqual({ [CREATE]: 2, [VERIFY]: 1, [MARK]: 1 });
      expect(report!.outcomes.map((o) => [o.key, o.message.replace(/key_\w+ \(gsk_…\w+\)/, 'K')])).toEqual([
        ['alpha-k0', 'created generation 1: K, verified, delivered to 1 target'],
        ['alpha-k1', 'created generation 1: K, no delivery target'],
      ]);
      const keys = new Map((await allKeys()).map((k) => [k.metadata[METADATA.key], k.metadata]));
      expect(keys.get('alpha-k0')).toMatchObject({
        [METADATA.deliveredAt]: expect.stringMatching(/^\d+$/),
        [METADATA.targets]: targetsHash(desired.keys[0]!.rotation.deliver),
      });
      expect(keys.get('alpha-k1')).toMatchObject({ [METADATA.deliveredAt]: DELIVERED_ON_CREATE, [METADATA.targets]: targetsHash([]) });
      const value = fs.readFileSync(path.join(dir, 'out/alpha-k0.key'), 'utf8').trim();
      expect((await org.request('POST', '/openai/v1/chat/completions', { token: value, body: chat('openai/gpt-oss-20b') })).status).toBe(
        200,
      );
      expect((await plan(desired)).changes).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
