import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GroqClient } from '../../src/groq/client.js';
import { keyInput } from '../helpers/sandbox.js';
import { exited, spawnSandbox } from '../helpers/spawn.js';

const ADMIN = 'process-test-admin';

describe('groq-rbac sandbox, as a process', () => {
  it('prints where it listens first, and how to point the CLI at it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-'));
    const { child, firstLine, output } = await spawnSandbox(['--state', ''], dir);
    expect(firstLine).toMatch(/^groq-rbac sandbox listening on http:\/\/127\.0\.0\.1:\d+$/);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    expect(output()).toContain('export GROQ_BASE_URL=http://127.0.0.1:');
    expect(output()).toMatch(/export GROQ_ADMIN_KEY=sandbox-admin-[0-9a-f]{48} {3}# generated for this run/);
  });

  it('keeps its state across a restart', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-'));
    const first = await spawnSandbox(['--admin-key', ADMIN, '--state', 'state.json'], dir);
    const client = new GroqClient({ baseUrl: first.url, adminKey: ADMIN });
    const created = await client.createKey(keyInput('survivor'), 'idem-survivor');
    await client.close();
    first.child.kill('SIGTERM');
    await exited(first.child);
    const second = await spawnSandbox(['--admin-key', ADMIN, '--state', 'state.json'], dir);
    const again = new GroqClient({ baseUrl: second.url, adminKey: ADMIN });
    expect((await again.listKeys()).map((k) => k.id)).toEqual([created.id]);
    // The idempotency record survives too: a retried create after the restart still makes no second key.
    expect((await again.createKey(keyInput('survivor'), 'idem-survivor')).id).toBe(created.id);
    await again.close();
    second.child.kill('SIGTERM');
    await exited(second.child);
  });

  it('killed with SIGKILL mid-traffic, it loses no acknowledged change and leaves a whole state file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-'));
    const run = await spawnSandbox(['--admin-key', ADMIN, '--state', 'state.json'], dir);
    const client = new GroqClient({ baseUrl: run.url, adminKey: ADMIN, maxAttempts: 1 });
    const acknowledged: string[] = [];
    const errors: string[] = [];
    const writes = Array.from({ length: 200 }, (_, i) =>
      client.createKey(keyInput(`k${i}`), `idem-${i}`).then((k) => void acknowledged.push(k.id), (e) => void errors.push(String(e))),
    );
    while (acknowledged.length < 20 && errors.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(errors).toEqual([]);
    run.child.kill('SIGKILL');
    await Promise.all(writes);
    await exited(run.child);
    await client.close();
    // The snapshot is whole JSON; restarted on it and its journal, the sandbox has every acknowledged key.
    expect(() => JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8'))).not.toThrow();
    const again = await spawnSandbox(['--admin-key', ADMIN, '--state', 'state.json'], dir);
    const reader = new GroqClient({ baseUrl: again.url, adminKey: ADMIN });
    const ids = new Set((await reader.listKeys()).map((k) => k.id));
    for (const id of acknowledged) expect(ids.has(id), id).toBe(true);
    await reader.close();
    again.child.kill('SIGTERM');
    await exited(again.child);
  });
});
