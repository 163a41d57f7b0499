/**
 * The provider conformance suite (issue 18): what every provider's port (core/provider.ts) must do,
 * asserted only through the port, in groq-rbac's terms. The same cases run for each provider in
 * `PROVIDERS` (./index.ts), against that provider's sandbox over HTTP on 127.0.0.1; a case a
 * provider's capabilities rule out says so and checks that the port refuses it.
 */
import { expect } from 'vitest';
import type { DomainLiveState } from '../../../src/core/domain.js';
import { ProviderError } from '../../../src/core/errors.js';
import { hashedTeamMark, isTeamMark, triggerMark } from '../../../src/core/marks.js';
import { DELIVERED_WHEN_CREATED, type KeyMarksWrite, type ProviderAdmin } from '../../../src/core/provider.js';
import { containsKeyValue } from '../../../src/core/redact.js';

export interface PortCtx {
  admin: ProviderAdmin;
  /** A model the organization serves. */
  model: string;
  /** A key value of this provider's shape that no organization issued. */
  bogusKeyValue: string;
}

export interface PortCase {
  name: string;
  run: (ctx: PortCtx) => Promise<void>;
}

const failure = async (p: Promise<unknown>) =>
  (await p.then(
    () => null,
    (e: unknown) => e,
  )) as ProviderError | null;
const marks = (overrides: Partial<KeyMarksWrite> = {}): KeyMarksWrite => ({
  key: 'web',
  generation: 1,
  trigger: null,
  delivered_at: null,
  targets: '7a1f0c3e9b2d4856',
  protect: false,
  ...overrides,
});
const projectOf = (live: DomainLiveState, id: string) => live.projects.find((p) => p.id === id);

export const portCases: PortCase[] = [
  {
    name: 'reads the organization in groq-rbac’s terms: its name, limits by the policies’ field names, rules or null',
    run: async ({ admin }) => {
      const { id: projectId } = await admin.createProject('p', 'identity-p');
      let observed: number | null = null;
      const live = await admin.readLiveState({ onObserved: (now) => void (observed = now) });
      expect(observed).not.toBeNull();
      expect(live.provider).toBe(admin.provider);
      expect(live.org.id).toMatch(/\S/);
      // An organization-wide layer (rules and limits) of its own, where the provider has one (OpenAI has neither).
      if (admin.capabilities.orgModelPermissions) expect(live.limits.length).toBeGreaterThan(0);
      const projectLimits = projectOf(live, projectId)!.limits;
      expect(projectLimits.length).toBeGreaterThan(0);
      for (const l of [...live.limits, ...projectLimits])
        for (const f of Object.keys(l.values)) expect(admin.capabilities.limitFields).toContain(f);
      if (!admin.capabilities.orgModelPermissions) expect(live.permissions).toBeNull();
      expect(Number.isInteger(live.observed_at)).toBe(true);
      expect(admin.observedNow()).not.toBeNull();
    },
  },
  {
    name: 'a project is created once per identity, and archiving it takes it out of the active list',
    run: async ({ admin }) => {
      const first = await admin.createProject('chatbot-prod', 'identity-project-1');
      expect(first.replayed).toBe(false);
      if (admin.capabilities.idempotentCreates) {
        const again = await admin.createProject('chatbot-prod', 'identity-project-1');
        expect(again).toEqual({ id: first.id, replayed: true });
      }
      expect((await admin.listProjects()).filter((p) => p.name === 'chatbot-prod').map((p) => p.id)).toEqual([first.id]);
      await admin.archiveProject(first.id);
      expect((await admin.listProjects()).map((p) => p.id)).not.toContain(first.id);
      expect(projectOf(await admin.readLiveState(), first.id)).toBeUndefined();
    },
  },
  {
    name: 'a new key carries its marks, read back decoded (the trigger as its mark), and its value only once',
    run: async ({ admin }) => {
      const { id: projectId } = await admin.createProject('p', 'identity-p');
      const created = await admin.createKey(
        projectId,
        { name: 'web', marks: marks({ generation: 2, trigger: 'leaked 2026-11-29', protect: true }) },
        'identity-key-1',
      );
      expect(created.replayed).toBe(false);
      expect(containsKeyValue(created.value)).toBe(true);
      expect(created.key.redacted_value).not.toContain(created.value);
      const expected = {
        key: 'web',
        generation: 2,
        trigger: triggerMark('leaked 2026-11-29'),
        delivered_at: null,
        targets: '7a1f0c3e9b2d4856',
        protect: true,
      };
      expect(created.key).toMatchObject({ name: 'web', marks: expected });
      expect((await admin.listKeys(projectId)).map((k) => k.marks)).toEqual([expect.objectContaining(expected)]);
      const live = projectOf(await admin.readLiveState(), projectId)!;
      expect(live.keys.map((k) => [k.id, k.name, k.marks])).toEqual([[created.key.id, 'web', expect.objectContaining(expected)]]);
      expect(JSON.stringify(live)).not.toContain(created.value);
    },
  },
  {
    name: 'a create retried under the same identity makes no second key',
    run: async ({ admin }) => {
      const { id: projectId } = await admin.createProject('p', 'identity-p');
      const first = await admin.createKey(projectId, { name: 'web', marks: marks() }, 'identity-key-retry');
      if (admin.capabilities.idempotentCreates) {
        const again = await admin.createKey(projectId, { name: 'web', marks: marks() }, 'identity-key-retry');
        expect(again.key.id).toBe(first.key.id);
        expect(again.replayed).toBe(true);
      } else {
        // No replay without idempotency (the value cannot be answered twice): a conflict naming the key.
        expect(await failure(admin.createKey(projectId, { name: 'web', marks: marks() }, 'identity-key-retry'))).toMatchObject({
          kind: 'conflict',
          existingId: first.key.id,
        });
      }
      expect((await admin.listKeys(projectId)).map((k) => k.id)).toEqual([first.key.id]);
    },
  },
  {
    name: 'another run’s create of the same generation, with other marks, is a conflict naming its key',
    run: async ({ admin }) => {
      const { id: projectId } = await admin.createProject('p', 'identity-p');
      const theirs = await admin.createKey(projectId, { name: 'web', marks: marks({ trigger: 'theirs' }) }, 'identity-key-race');
      const e = await failure(admin.createKey(projectId, { name: 'web', marks: marks({ trigger: 'ours' }) }, 'identity-key-race'));
      expect(e).toBeInstanceOf(ProviderError);
      expect(e).toMatchObject({ kind: 'conflict', existingId: theirs.key.id });
      expect((await admin.listKeys(projectId)).map((k) => k.id)).toEqual([theirs.key.id]);
    },
  },
  {
    name: 'a generation with no delivery target is delivered when made',
    run: async ({ admin }) => {
      const { id: projectId } = await admin.createProject('p', 'identity-p');
      const created = await admin.createKey(
        projectId,
        { name: 'web', marks: marks({ delivered_at: DELIVERED_WHEN_CREATED }) },
        'identity-key-untargeted',
      );
      expect(created.key.marks?.delivered_at).toBe(created.key.created_at);
    },
  },
  {
    name: 'marks are merged: each write answers the key as it is after it; null clears; a name renames',
    run: async ({ admin }) => {
      const { id: projectId } = await admin.createProject('p', 'identity-p');
      const { key } = await admin.createKey(projectId, { name: 'web', marks: marks({ protect: true }) }, 'identity-key-marks');
      const claimed = await admin.updateMarks(projectId, key, { claimed_at: 1_795_000_000 });
      expect(claimed.marks).toMatchObject({ key: 'web', protect: true, claimed_at: 1_795_000_000, delivered_at: null });
      const discarded = await admin.updateMarks(projectId, key, { discarded_at: 1_795_000_001 });
      // The race reads the other run's mark from this answer (apply-change.ts, makeGeneration).
      expect(discarded.marks).toMatchObject({ claimed_at: 1_795_000_000, discarded_at: 1_795_000_001 });
      // A plan names the key by id only. With bookkeeping in key metadata the display name is the key's
      // own and renames; encoded in a name (OpenAI's service account), the display name is the policy key.
      const renamed = admin.capabilities.keyMetadata ? 'web-renamed' : 'web';
      const delivered = await admin.updateMarks(projectId, { id: key.id }, { delivered_at: 1_795_000_002, protect: false }, 'web-renamed');
      expect(delivered).toMatchObject({ id: key.id, name: renamed, marks: { key: 'web', delivered_at: 1_795_000_002, protect: false } });
      expect((await admin.listKeys(projectId)).map((k) => k.name)).toEqual([renamed]);
      expect((await admin.getKey(projectId, key.id))?.marks).toEqual(delivered.marks);
    },
  },
  {
    name: 'the live owner mark: written on create, read back, rewritten by an update (a granted move), and kept by other writes',
    run: async ({ admin }) => {
      const { id: projectId } = await admin.createProject('p', 'identity-p');
      const created = await admin.createKey(projectId, { name: 'web', marks: marks({ team: 'finance' }) }, 'identity-key-team');
      expect(created.key.marks?.team).toBe('finance');
      const read = async () => (await admin.listKeys(projectId)).find((k) => k.id === created.key.id)!.marks;
      expect(await read()).toMatchObject({ key: 'web', team: 'finance' });
      expect(projectOf(await admin.readLiveState(), projectId)!.keys.map((k) => k.marks?.team)).toEqual(['finance']);
      const moved = await admin.updateMarks(projectId, created.key, { team: 'chatbot' });
      expect(moved.marks).toMatchObject({ key: 'web', generation: 1, targets: '7a1f0c3e9b2d4856', team: 'chatbot' });
      // Another mark's write leaves the owner mark as it is.
      const delivered = await admin.updateMarks(projectId, { id: created.key.id }, { delivered_at: 1_795_000_002 });
      expect(delivered.marks).toMatchObject({ team: 'chatbot', delivered_at: 1_795_000_002 });
      expect(await read()).toMatchObject({ team: 'chatbot', delivered_at: 1_795_000_002 });
      // A key made without one (an older groq-rbac) reads without one.
      const older = await admin.createKey(projectId, { name: 'old', marks: marks({ key: 'old' }) }, 'identity-key-old');
      expect(older.key.marks?.team ?? null).toBeNull();
      expect((await admin.getKey(projectId, older.key.id))?.marks?.team ?? null).toBeNull();
    },
  },
  {
    name: 'a long team name next to a long key name still round-trips as a mark that names the team',
    run: async ({ admin }) => {
      const { id: projectId } = await admin.createProject('p', 'identity-p');
      const team = 'platform-infrastructure-and-reliability-engineering-emea-'.padEnd(63, 'x');
      const key = 'k'.repeat(60);
      const created = await admin.createKey(
        projectId,
        { name: key, marks: marks({ key, team, trigger: 'rotated', protect: true }) },
        'identity-key-long-team',
      );
      const mark = (await admin.getKey(projectId, created.key.id))?.marks?.team;
      // Either form: the name (key metadata), or its hashed form where the name has no room (core/marks.ts).
      expect(mark === team || mark === hashedTeamMark(team)).toBe(true);
      expect(isTeamMark(mark!, team)).toBe(true);
      expect(isTeamMark(mark!, 'chatbot')).toBe(false);
    },
  },
  {
    name: 'adopting an unmanaged key gives it marks',
    run: async ({ admin }) => {
      const { id: projectId } = await admin.createProject('p', 'identity-p');
      const { key } = await admin.createKey(projectId, { name: 'legacy', marks: marks({ key: 'legacy' }) }, 'identity-key-legacy');
      const adopted = await admin.updateMarks(projectId, key, {
        key: 'legacy',
        generation: 1,
        targets: 'c4e8a2f6b0d19375',
        trigger: 'x',
        delivered_at: 1_795_000_000,
      });
      expect(adopted.marks).toMatchObject({
        key: 'legacy',
        generation: 1,
        targets: 'c4e8a2f6b0d19375',
        trigger: triggerMark('x'),
        delivered_at: 1_795_000_000,
      });
    },
  },
  {
    name: 'a deleted key is gone: getKey answers null, a second delete is not_found',
    run: async ({ admin }) => {
      const { id: projectId } = await admin.createProject('p', 'identity-p');
      const { key } = await admin.createKey(projectId, { name: 'web', marks: marks() }, 'identity-key-delete');
      await admin.deleteKey(projectId, key);
      expect(await admin.getKey(projectId, key.id)).toBeNull();
      expect(await failure(admin.deleteKey(projectId, key))).toMatchObject({ kind: 'not_found', status: 404 });
      expect(await admin.listKeys(projectId)).toEqual([]);
    },
  },
  {
    name: 'a project’s limits are set by the policies’ field names and read back so',
    run: async ({ admin, model }) => {
      const { id: projectId } = await admin.createProject('p', 'identity-p');
      const limit = projectOf(await admin.readLiveState(), projectId)!.limits.find((l) => l.model === model)!;
      await admin.setProjectLimits(projectId, limit, { requests_per_minute: 7 });
      const after = projectOf(await admin.readLiveState(), projectId)!.limits.find((l) => l.model === model)!;
      expect(after.values.requests_per_minute).toBe(7);
      expect(after.id).toBe(limit.id);
      // One project's limits alone (what apply reads after creating a project) are the read's.
      expect(await admin.listProjectLimits(projectId)).toEqual(projectOf(await admin.readLiveState(), projectId)!.limits);
    },
  },
  {
    name: 'a project’s model permissions are a rule, and null lifts it',
    run: async ({ admin, model }) => {
      const { id: projectId } = await admin.createProject('p', 'identity-p');
      await admin.setProjectPermissions(projectId, { mode: 'allow_list', models: [model] });
      expect(projectOf(await admin.readLiveState(), projectId)!.permissions).toEqual({ mode: 'allow_list', models: [model] });
      await admin.setProjectPermissions(projectId, null);
      expect(projectOf(await admin.readLiveState(), projectId)!.permissions).toBeNull();
    },
  },
  {
    name: 'the organization’s spend limit and alerts, in dollars',
    run: async ({ admin }) => {
      if (!admin.capabilities.orgSpending) {
        expect(await failure(admin.setSpendLimit({}, 10))).toBeInstanceOf(ProviderError);
        return;
      }
      await admin.setSpendLimit({}, 123.45);
      const { id } = await admin.createSpendAlert({}, { threshold_usd: 100, recipients: ['platform@acme.example'] }, 'identity-alert-100');
      expect(await admin.readSpending({})).toMatchObject({
        monthly_cap_usd: 123.45,
        alerts: [{ id, threshold_usd: 100, recipients: ['platform@acme.example'] }],
      });
      await admin.updateSpendAlert({}, id, { threshold_usd: 100, recipients: ['finance@acme.example'] });
      expect((await admin.readSpending({})).alerts.map((a) => a.recipients)).toEqual([['finance@acme.example']]);
      await admin.deleteSpendAlert({}, id);
      await admin.setSpendLimit({}, null);
      expect(await admin.readSpending({})).toMatchObject({ monthly_cap_usd: null, alerts: [] });
    },
  },
  {
    name: 'project spending exists only where the provider declares it',
    run: async ({ admin }) => {
      const { id: projectId } = await admin.createProject('p', 'identity-p');
      if (admin.capabilities.projectSpending) {
        await admin.setSpendLimit({ project_id: projectId }, 5);
        expect((await admin.readSpending({ project_id: projectId })).monthly_cap_usd).toBe(5);
      } else {
        expect(await failure(admin.setSpendLimit({ project_id: projectId }, 5))).toMatchObject({ kind: 'invalid' });
      }
    },
  },
  {
    name: 'verifyKey accepts a key the organization just made, and refuses one it never issued',
    run: async ({ admin, bogusKeyValue }) => {
      const { id: projectId } = await admin.createProject('p', 'identity-p');
      const created = await admin.createKey(projectId, { name: 'web', marks: marks() }, 'identity-key-verify');
      await admin.verifyKey(created.value);
      expect(await failure(admin.verifyKey(bogusKeyValue))).toMatchObject({ kind: 'refused', status: 401 });
    },
  },
  {
    name: 'errors come as neutral kinds: a project that is not there is not_found',
    run: async ({ admin }) => {
      const e = await failure(admin.archiveProject('proj_does_not_exist'));
      expect(e).toBeInstanceOf(ProviderError);
      expect(e).toMatchObject({ kind: 'not_found', retryable: false });
    },
  },
];
