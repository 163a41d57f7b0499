// Issue 17, item 6 (first half): an unreviewed run (`apply --rotations-only`, the Action's
// `reconcile`) delivers a key only to the targets a reviewed apply recorded in the key's bookkeeping
// (`groq-rbac/targets`, written in the create of each generation). A target nobody approved never
// receives the key: the step is left for the next reviewed apply and reported.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reconcileMode } from '../../src/action/modes/reconcile.js';
import type { ModeContext } from '../../src/action/modes/mode.js';
import { applyOrganization, type ApplyResult } from '../../src/app/apply-organization.js';
import { deliverToTargets } from '../../src/app/deliver-to-targets.js';
import type { OrgSession } from '../../src/app/session.js';
import type { ApplyOptions } from '../../src/apply/apply-plan.js';
import { DeliveryIncomplete } from '../../src/apply/deliver/types.js';
import type { ProjectApiKey } from '../../src/providers/groq/wire.js';
import { containsKeyValue } from '../../src/core/redact.js';
import { METADATA } from '../../src/providers/groq/metadata.js';
import { renderPlanJson } from '../../src/plan/render-json.js';
import { renderPlanText } from '../../src/plan/render-text.js';
import { targetsHash } from '../../src/plan/rotation.js';
import type { Delivery, DesiredKey, DesiredState } from '../../src/policy/types.js';
import { makeDesired, makeDesiredKey, makeDesiredProject } from '../helpers/builders.js';
import { chat, startTestOrg, type TestOrg } from '../helpers/sandbox.js';

const DAY = 86_400;
let org: TestOrg;
let dir: string;
let printed: string[];

beforeEach(async () => {
  org = await startTestOrg({ orgId: 'org_test' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-reconcile-'));
  printed = [];
});
afterEach(async () => {
  for (const text of printed) expect(containsKeyValue(text)).toBe(false);
  await org.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const project = makeDesiredProject('chatbot-prod');
const APPROVED: Delivery = { kind: 'file', path: 'approved/web.key' };
const UNAPPROVED: Delivery = { kind: 'file', path: 'attacker/web.key' };
const keyTo = (deliver: Delivery[]): DesiredKey => {
  const base = makeDesiredKey('web', { project: 'chatbot-prod' });
  return { ...base, rotation: { ...base.rotation, deliver } };
};
const desiredWith = (deliver: Delivery[]): DesiredState => makeDesired([project], [keyTo(deliver)], { id: 'org_test' });
const session = (): OrgSession => ({
  admin: org.provider,
  adminKeyRedacted: null,
  target: 'test sandbox',
  concurrency: 4,
  close: async () => {},
});
const realDelivery = (desired: DesiredState) =>
  deliverToTargets(desired, { env: {}, cwd: dir, logger: { debug() {}, info() {}, warn() {} } });

/** A reviewed apply (the plan was approved) or an unreviewed one (`only: 'rotations'`). */
async function apply(
  desired: DesiredState,
  options: { unreviewed?: boolean; deliver?: ApplyOptions['deliver'] } = {},
): Promise<ApplyResult> {
  const result = await applyOrganization({
    session: session(),
    desired,
    expectedFingerprint: null,
    force: false,
    confirm: async () => true,
    deliver: options.deliver ?? realDelivery(desired),
    onPlan: (p) => printed.push(renderPlanText(p), renderPlanJson(p)),
    ...(options.unreviewed ? { only: 'rotations' as const } : {}),
  });
  printed.push(JSON.stringify(result));
  return result;
}
const exists = (p: string) => fs.existsSync(path.join(dir, p));
const read = (p: string) => fs.readFileSync(path.join(dir, p), 'utf8').trim();
const projectId = async () => (await org.client.listProjects())[0]!.id;
const liveKeys = async (): Promise<ProjectApiKey[]> => org.client.listProjectKeys(await projectId());
const advance = (seconds: number) => org.request('POST', '/_sandbox/clock', { body: { advance_seconds: seconds } });
const infer = async (value: string) =>
  (await org.request('POST', '/openai/v1/chat/completions', { token: value, body: chat('openai/gpt-oss-20b') })).status;
const keyCreates = async () =>
  ((await org.client.listAuditLogs({ effective_at_gte: 0 })) as { type: string }[]).filter((e) => e.type === 'api_key.created').length;

describe('an unreviewed run delivers only to targets a reviewed apply recorded', () => {
  it('after a failed delivery and an unapproved target change, reconcile never sends the key to the new target', async () => {
    // A reviewed apply: the file target is written, then the GitHub one refuses (no token). The new
    // generation is kept unmarked (a target holds it): an interrupted generation, recording APPROVED.
    const reviewed = await apply(desiredWith([APPROVED, { kind: 'github', repository: 'acme/web', secret: 'GROQ_API_KEY' }]));
    expect(reviewed.status === 'applied' && reviewed.report.summary.failed).toBe(1);
    const [interrupted] = await liveKeys();
    expect(interrupted!.metadata[METADATA.deliveredAt]).toBeUndefined();
    // Then the targets on main change with no reviewed apply, and the interrupted grace passes.
    const changed = desiredWith([UNAPPROVED]);
    await advance(16 * 60);
    const before = await liveKeys();
    const creates = await keyCreates();

    const run = await apply(changed, { unreviewed: true });
    // The unapproved target never received anything, and the organization did not change.
    expect(exists('attacker/web.key')).toBe(false);
    expect(run.status).toBe('no_changes');
    expect(await liveKeys()).toEqual(before);
    expect(await keyCreates()).toBe(creates);
    // Reported, as an enum the renderer words.
    expect(run.plan.changes).toEqual([]);
    expect(run.plan.pending).toContainEqual(
      expect.objectContaining({ key: 'web', generation: 2, waiting_for: 'review', needs_review: 'targets_changed', key_id: null }),
    );
    expect(renderPlanText(run.plan)).toContain(
      'g2 waits for a reviewed apply: its delivery targets differ from those a reviewed apply recorded',
    );

    // The next reviewed apply (of the same policies) makes it, and records the new targets.
    const next = await apply(changed);
    expect(next.status === 'applied' && next.report.outcomes.filter((o) => o.status !== 'applied')).toEqual([]);
    expect(await infer(read('attacker/web.key'))).toBe(200);
    expect((await liveKeys()).find((k) => k.metadata[METADATA.generation] === '2')!.metadata[METADATA.targets]).toBe(
      targetsHash(changed.keys[0]!.rotation.deliver),
    );
  });

  it('the newest approval wins: an unreviewed revert to targets a reviewed apply moved away from gets no new key', async () => {
    const MOVED: Delivery = { kind: 'file', path: 'moved/web.key' };
    await apply(desiredWith([APPROVED]));
    const first = read('approved/web.key');
    // A reviewed apply moves the key to MOVED; its run stops after writing (the generation records MOVED).
    const real = realDelivery(desiredWith([MOVED]));
    const moved = await apply(desiredWith([MOVED]), {
      deliver: async (c, created, p, check) => {
        await real(c, created, p, check);
        throw new DeliveryIncomplete('the runner stopped', { written: true });
      },
    });
    expect(moved.status === 'applied' && moved.report.summary.failed).toBe(1);
    // Main goes back to the old target with no review, and the key in service comes due by age.
    await advance(91 * DAY);
    const run = await apply(desiredWith([APPROVED]), { unreviewed: true });
    // Only the interrupted generation, long quiet, is retired; no new key goes to the old target.
    expect(run.status === 'applied' && run.report.outcomes.map((o) => [o.action, o.status])).toEqual([['delete', 'applied']]);
    expect(read('approved/web.key')).toBe(first);
    expect(await infer(first)).toBe(200);
    expect((await liveKeys()).map((k) => k.metadata[METADATA.generation])).toEqual(['1']);
    expect(run.plan.pending).toContainEqual(
      expect.objectContaining({ generation: 3, waiting_for: 'review', needs_review: 'targets_changed' }),
    );
  });

  it('does not rotate a key whose targets no reviewed apply recorded (an imported key) until one does', async () => {
    // A managed, delivered key with no targets mark, as a hand-made or older key has.
    const id = (await org.request('POST', '/openai/v1/organization/projects', { body: { name: 'chatbot-prod' } })).body.id as string;
    const made = await org.request('POST', `/openai/v1/organization/projects/${id}/api_keys`, {
      body: { name: 'web', metadata: { [METADATA.key]: 'web', [METADATA.generation]: '1', [METADATA.deliveredAt]: '1' } },
    });
    expect(made.status).toBe(201);
    await advance(91 * DAY);
    const desired = desiredWith([UNAPPROVED]);
    const before = await liveKeys();
    const run = await apply(desired, { unreviewed: true });
    expect(exists('attacker/web.key')).toBe(false);
    expect(run.status).toBe('no_changes');
    expect(await liveKeys()).toEqual(before);
    expect(run.plan.pending).toContainEqual(
      expect.objectContaining({
        key: 'web',
        key_id: made.body.id,
        generation: 2,
        waiting_for: 'review',
        needs_review: 'targets_unrecorded',
      }),
    );
    expect(renderPlanText(run.plan)).toContain('no reviewed apply has recorded its delivery targets yet');
    // The full plan (what a reviewer sees) shows the same rotation, and says why reconcile leaves it.
    const reviewed = await apply(desired);
    expect(reviewed.plan.changes).toContainEqual(
      expect.objectContaining({
        action: 'rotate',
        rotation: expect.objectContaining({ cause: 'age', needs_review: 'targets_unrecorded' }),
      }),
    );
    expect(renderPlanText(reviewed.plan)).toContain(
      'only a reviewed apply makes it: no reviewed apply has recorded its delivery targets yet',
    );
    expect(await infer(read('attacker/web.key'))).toBe(200);
  });

  it('still rotates a due key to its approved targets', async () => {
    await apply(desiredWith([APPROVED]));
    const first = read('approved/web.key');
    await advance(91 * DAY);
    const due = await apply(desiredWith([APPROVED]), { unreviewed: true });
    expect(due.status === 'applied' && due.report.outcomes.map((o) => [o.action, o.status])).toEqual([['rotate', 'applied']]);
    const second = read('approved/web.key');
    expect(second).not.toBe(first);
    expect(await infer(second)).toBe(200);
    expect(due.plan.pending.filter((p) => p.waiting_for === 'review')).toEqual([]);
  });

  it('still redoes an interrupted generation for the targets its reviewed apply recorded', async () => {
    // A reviewed first create whose run stopped after writing its target.
    const real = realDelivery(desiredWith([APPROVED]));
    const stopped = await apply(desiredWith([APPROVED]), {
      deliver: async (c, created, p, check) => {
        await real(c, created, p, check);
        throw new DeliveryIncomplete('the runner stopped', { written: true });
      },
    });
    expect(stopped.status === 'applied' && stopped.report.summary.failed).toBe(1);
    await advance(16 * 60);
    const redo = await apply(desiredWith([APPROVED]), { unreviewed: true });
    expect(redo.status === 'applied' && redo.report.outcomes.filter((o) => o.action === 'create').map((o) => o.status)).toEqual([
      'applied',
    ]);
    expect(redo.plan.changes).toContainEqual(
      expect.objectContaining({ action: 'create', rotation: expect.objectContaining({ cause: 'interrupted', generation: 2 }) }),
    );
    expect(await infer(read('approved/web.key'))).toBe(200);
  });

  it("reports what it left in reconcile's summary and log, and delivers nothing", async () => {
    await apply(desiredWith([APPROVED, { kind: 'github', repository: 'acme/web', secret: 'GROQ_API_KEY' }]));
    await advance(16 * 60);
    const warnings: string[] = [];
    const ctx = modeContext(desiredWith([UNAPPROVED]), warnings);
    const result = await reconcileMode(ctx);
    printed.push(ctx.summary.join('\n'), warnings.join('\n'), result.line);
    expect(result.failure).toBeNull();
    expect(result.line).toBe('Nothing to reconcile: no key rotation is due (1 left for a reviewed apply).');
    expect(ctx.summary.join('\n')).toContain(
      '**Left for the next reviewed apply** (reconcile delivers a key only to the targets a reviewed apply recorded):',
    );
    expect(ctx.summary.join('\n')).toContain(
      '- key "web" in project "chatbot-prod": g2 waits for a reviewed apply: its delivery targets differ from those a reviewed apply recorded',
    );
    // (The workspace is no git repository: the ownership check says it falls back to org.yaml's grants.)
    expect(warnings.filter((w) => !w.startsWith('ownership:'))).toEqual([
      expect.stringContaining('left for a reviewed apply: key "web" in project "chatbot-prod": g2 waits'),
    ]);
    expect(exists('attacker/web.key')).toBe(false);
  });
});

/** What the Action's main.ts builds for a mode, in memory: policies already read, the test org. */
function modeContext(desired: DesiredState, warnings: string[]): ModeContext {
  return {
    inputs: { mode: 'reconcile', policies: 'policies' } as ModeContext['inputs'],
    event: {
      eventName: 'schedule',
      owner: 'acme',
      repo: 'groq-policies',
      sha: 'a'.repeat(40),
      ref: 'refs/heads/main',
      defaultBranch: 'main',
      pullRequest: null,
      runUrl: null,
      serverUrl: 'https://github.com',
      apiUrl: 'https://api.github.com',
      workspace: dir,
      runId: null,
      actors: [],
      before: null,
    },
    github: null,
    cwd: dir,
    env: {},
    logger: { debug() {}, info() {}, warn: (m: string) => void warnings.push(m) },
    annotator: { error() {}, warning() {} },
    // Not a git repository, so no base revision shows who owned the project: org.yaml grants it.
    readPolicies: () => ({
      desired: {
        ...desired,
        org: { ...desired.org, grants: { chatbot: { projects: ['chatbot-prod'], github: [], vault: [], files: [] } } },
      },
      diagnostics: [],
      counts: { errors: 0, warnings: 0 },
      files: [],
    }),
    openSession: session,
    summary: [],
    workflowFile: null,
  };
}
