import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { OrgState } from '../../src/sandbox/org-state.js';
import { StateFile } from '../../src/sandbox/persistence.js';
import type { Delta } from '../../src/sandbox/snapshot.js';
import { StateLock } from '../../src/sandbox/state-lock.js';

const tmpFile = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'state-')), 'state.json');

/** A fresh organization whose changes are journalled to a new state file, as the sandbox server wires it. */
async function journalledOrg(): Promise<{ file: string; state: OrgState; store: StateFile }> {
  const file = tmpFile();
  const state = new OrgState({ orgId: 'org_p' });
  const store = new StateFile(file, () => state.snapshot());
  await store.compact();
  state.onChange = (d) => store.append(d);
  return { file, state, store };
}

describe('the sandbox state file', () => {
  it('folds the journal into a snapshot once it outgrows the last snapshot (8 MiB at least): writing stays linear in the changes', async () => {
    const file = tmpFile();
    // A large organization: its snapshot is some 12 MiB.
    const big = 'x'.repeat(12 * 1024 * 1024);
    const store = new StateFile(file, () => ({ version: 2, padding: big }) as unknown as ReturnType<OrgState['snapshot']>);
    await store.compact();
    const journal = `${file}.journal`;
    const line = { op: 'reset' } as unknown as Delta;
    const lineBytes = `${JSON.stringify(line)}\n`.length;
    const appendBytes = async (bytes: number) => {
      for (let n = 0; n < Math.ceil(bytes / lineBytes); n++) store.append(line);
      await store.commit();
    };
    // Past the fixed 8 MiB but under the snapshot's 12 MiB: no rewrite of the whole state yet.
    await appendBytes(9 * 1024 * 1024);
    expect(fs.statSync(journal).size).toBeGreaterThan(8 * 1024 * 1024);
    // Past the snapshot's size: folded, and the journal starts again.
    await appendBytes(4 * 1024 * 1024);
    expect(fs.statSync(journal).size).toBe(0);
    expect(fs.statSync(file).size).toBeGreaterThan(12 * 1024 * 1024);
  });

  it('replays the journal over the snapshot, so acknowledged changes survive without a compaction', async () => {
    const { file, state, store } = await journalledOrg();
    const p = state.createProject({ name: 'p' });
    const a = state.createKey(p.id, { name: 'a', metadata: { x: '1' } });
    const b = state.createKey(p.id, { name: 'b', metadata: {} });
    state.updateKey(p.id, a.id, { metadata: { x: null, y: '2' } });
    state.deleteKey(p.id, b.id);
    state.setProjectPermissions(p.id, { mode: 'allow_list', model_ids: ['openai/gpt-oss-20b'] });
    state.updateProjectRateLimit(p.id, 'rl-openai/gpt-oss-20b', { max_requests_per_1_minute: 7 });
    state.billing.setLimit({ threshold_amount: 900 });
    const [k, r] = state.idempotency.remember('idem-a', '/x', { name: 'a' }, { status: 201, body: { id: a.id } }, state.now());
    state.emit({ op: 'idem', k, r });
    await store.commit();
    const loaded = new OrgState({ snapshot: StateFile.load(file)! });
    expect(loaded.listKeys(p.id, new URLSearchParams()).data.map((key) => [key.name, key.metadata])).toEqual([['a', { y: '2' }]]);
    expect(loaded.projectPermissions(p.id)).toMatchObject({ mode: 'allow_list', model_ids: ['openai/gpt-oss-20b'] });
    expect(loaded.projectLimits(loaded.project(p.id), 'openai/gpt-oss-20b').max_requests_per_1_minute).toBe(7);
    expect(loaded.billing.getLimit().threshold_amount).toBe(900);
    expect(loaded.idempotency.lookUp('idem-a', '/x', { name: 'a' }, loaded.now())).toEqual({ status: 201, body: { id: a.id } });
    // Keys authenticate after a reload: the value's hash is kept, never the value itself.
    expect(loaded.authenticate(a.value)?.key.id).toBe(a.id);
    expect(fs.readFileSync(file, 'utf8') + fs.readFileSync(`${file}.journal`, 'utf8')).not.toContain(a.value);
  });

  it("writes one journal line per usage row per batch, holding the row's latest totals", async () => {
    const { file, state, store } = await journalledOrg();
    const p = state.createProject({ name: 'p' });
    const k = state.createKey(p.id, { name: 'k', metadata: {} });
    await store.commit();
    const before = fs.readFileSync(`${file}.journal`, 'utf8').split('\n').length;
    const now = state.now();
    for (let i = 0; i < 32; i++)
      state.emit({
        op: 'usage',
        row: state.usage.record(now, 0, { project_id: p.id, api_key_id: k.id, model: 'openai/gpt-oss-20b' }, 10, 2, 0.001),
      });
    await store.commit();
    const lines = fs.readFileSync(`${file}.journal`, 'utf8').split('\n');
    expect(lines.length - before).toBe(1);
    const loaded = new OrgState({ snapshot: StateFile.load(file)! });
    const rows = loaded.snapshot().usage.filter((r) => r.api_key_id === k.id);
    expect(rows.map((r) => [r.requests, r.input_tokens, r.output_tokens])).toEqual([[32, 320, 64]]);
  });

  it('drops a line torn by a kill mid-append, and refuses a damaged line elsewhere with advice', async () => {
    const { file } = await journalledOrg();
    const delta: Delta = { op: 'spend_limit', cents: 5 };
    fs.writeFileSync(`${file}.journal`, `${JSON.stringify(delta)}\n{"op":"del_key","i`);
    expect(StateFile.load(file)!.spend_limit).toBe(5);
    fs.writeFileSync(`${file}.journal`, `{"op":"del_key","i\n${JSON.stringify(delta)}\n`);
    expect(() => StateFile.load(file)).toThrow(UserError);
    expect(() => StateFile.load(file)).toThrow(/state\.json\.journal:1: unreadable journal line; delete the state files to start afresh/);
  });

  it('replaying a journal the snapshot already holds changes nothing (a crash between snapshot and truncation)', async () => {
    const { file, state, store } = await journalledOrg();
    const p = state.createProject({ name: 'p' });
    const k = state.createKey(p.id, { name: 'k', metadata: {} });
    state.updateKey(p.id, k.id, { name: 'renamed' });
    await store.commit();
    const journal = fs.readFileSync(`${file}.journal`, 'utf8');
    await store.compact();
    fs.writeFileSync(`${file}.journal`, journal);
    expect(StateFile.load(file)!.keys.map((x) => x.name)).toEqual(['renamed']);
  });

  it('a corrupt or version-1 state file is a UserError naming the file and the way out', () => {
    const file = tmpFile();
    fs.writeFileSync(file, 'not json');
    expect(() => StateFile.load(file)).toThrow(UserError);
    expect(() => StateFile.load(file)).toThrow(
      /is not a readable sandbox state file .*delete it \(and state\.json\.journal\) to start afresh/,
    );
    fs.writeFileSync(file, JSON.stringify({ version: 1 }));
    expect(() => StateFile.load(file)).toThrow(
      `${file} holds the state of an older sandbox (version 1, API keys without projects); delete it (and state.json.journal) to start afresh`,
    );
  });
});

describe('the state lock', () => {
  it('refuses a second holder, naming the first one’s pid; released, it can be taken again', () => {
    const file = tmpFile();
    const lock = StateLock.acquire(file);
    expect(() => StateLock.acquire(file)).toThrow(`${file} is in use by another sandbox (pid ${process.pid})`);
    lock.release();
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
    StateLock.acquire(file).release();
  });

  it('takes over a lock left by a process that is gone', () => {
    const file = tmpFile();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    fs.writeFileSync(`${file}.lock`, `${gone.stdout}\n`);
    const lock = StateLock.acquire(file);
    expect(fs.readFileSync(`${file}.lock`, 'utf8').trim()).toBe(String(process.pid));
    lock.release();
  });
});
