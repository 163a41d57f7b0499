import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OrgState } from '../../src/sandbox/org-state.js';
import type { Delta } from '../../src/sandbox/snapshot.js';
import { StateFile } from '../../src/sandbox/persistence.js';
import { keyInput } from '../helpers/sandbox.js';

/** A fresh organization whose changes are journalled to a new state file, as the sandbox server wires it. */
async function journalledOrg(): Promise<{ file: string; state: OrgState; store: StateFile }> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'state-')), 'state.json');
  const state = new OrgState({ orgId: 'org_p' });
  const store = new StateFile(file, () => state.snapshot());
  await store.compact();
  state.onChange = (d) => store.append(d);
  return { file, state, store };
}

describe('the sandbox state file', () => {
  it('replays the journal over the snapshot, so acknowledged changes survive without a compaction', async () => {
    const { file, state, store } = await journalledOrg();
    const a = state.createKey(keyInput('a'), 'idem-a').body as { id: string };
    const b = state.createKey(keyInput('b'), null).body as { id: string };
    state.updateKey(a.id, { requests_per_minute: 7 });
    state.deleteKey(b.id);
    state.putSpendingLimit({ monthly_cap_usd: 9, alert_thresholds_usd: [1], auto_pause: false });
    await store.commit();
    const loaded = new OrgState({ snapshot: StateFile.load(file)! });
    expect(loaded.snapshot().keys.map((k) => [k.name, k.requests_per_minute])).toEqual([['a', 7]]);
    expect(loaded.snapshot().spending).toEqual({ monthly_cap_usd: 9, alert_thresholds_usd: [1], auto_pause: false });
    // The idempotency record came back too: the same create replays instead of making a second key.
    expect((loaded.createKey(keyInput('a'), 'idem-a').body as { id: string }).id).toBe(a.id);
  });

  it('drops a line torn by a kill mid-append, and refuses a damaged line elsewhere', async () => {
    const { file } = await journalledOrg();
    const delta: Delta = { op: 'spend', s: { monthly_cap_usd: 5, alert_thresholds_usd: [], auto_pause: true } };
    fs.writeFileSync(`${file}.journal`, `${JSON.stringify(delta)}\n{"op":"del","i`);
    expect(StateFile.load(file)!.spending.monthly_cap_usd).toBe(5);
    fs.writeFileSync(`${file}.journal`, `{"op":"del","i\n${JSON.stringify(delta)}\n`);
    expect(() => StateFile.load(file)).toThrow(/state\.json\.journal:1: unreadable journal line; delete the state files to start afresh/);
  });

  it('replaying a journal the snapshot already holds changes nothing (a crash between snapshot and truncation)', async () => {
    const { file, state, store } = await journalledOrg();
    const k = state.createKey(keyInput('k'), null).body as { id: string };
    state.updateKey(k.id, { name: 'renamed' });
    await store.commit();
    const journal = fs.readFileSync(`${file}.journal`, 'utf8');
    await store.compact();
    fs.writeFileSync(`${file}.journal`, journal);
    expect(StateFile.load(file)!.keys.map((x) => x.name)).toEqual(['renamed']);
  });
});
