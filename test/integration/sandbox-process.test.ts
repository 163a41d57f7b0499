import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exited, spawnSandbox } from '../helpers/spawn.js';

const ADMIN = 'process-test-admin';
const ORG = '/openai/v1/organization';

// Responses are asserted field by field; typing each one would add nothing.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** An admin call to a sandbox process. */
async function call(
  url: string,
  method: string,
  route: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${url}${route}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

const listAll = async (url: string): Promise<string[]> => {
  const ids: string[] = [];
  let after = '';
  for (;;) {
    const page = (await call(url, 'GET', `${ORG}/projects?limit=100${after ? `&after=${after}` : ''}`)).body;
    ids.push(...page.data.map((p: { id: string }) => p.id));
    if (!page.has_more) return ids;
    after = page.last_id;
  }
};

describe('groq-rbac sandbox, as a process', () => {
  it('prints where it listens first; a SIGTERM right after that line stops it cleanly', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-'));
    const { child, firstLine, output } = await spawnSandbox(['--state', ''], dir);
    expect(firstLine).toMatch(/^groq-rbac sandbox listening on http:\/\/127\.0\.0\.1:\d+$/);
    // The signal handlers are installed before the first line is printed: no window in which SIGTERM kills it.
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    // The safe way is printed first: --sandbox-url keeps deliveries local; the base URL alone does not.
    expect(output()).toMatch(
      /npx groq-rbac plan --sandbox-url http:\/\/127\.0\.0\.1:\d+\n[^]*export GROQ_BASE_URL=http:\/\/127\.0\.0\.1:\d+` alone/,
    );
    expect(output()).toMatch(/export GROQ_ADMIN_KEY=sandbox-admin-[0-9a-f]{48} {3}# generated for this run/);
    expect(output()).toContain('sandbox stopped.');
  });

  it('--provider openai keeps its own state file by default, the one plan --sandbox uses, beside the Groq one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-'));
    const groq = await spawnSandbox([], dir);
    const openai = await spawnSandbox(['--provider', 'openai'], dir);
    try {
      for (let i = 0; i < 1000 && !openai.output().includes('Stop with Ctrl-C'); i++) await new Promise((r) => setTimeout(r, 10));
      expect(openai.output()).toContain('State: .groq-rbac/sandbox-openai.json.');
      expect(openai.output()).toMatch(/npx groq-rbac plan --sandbox-url http:\/\/127\.0\.0\.1:\d+\/v1 --policies examples\/openai/);
    } finally {
      openai.child.kill('SIGTERM');
      groq.child.kill('SIGTERM');
      expect(await exited(openai.child)).toBe(0);
      expect(await exited(groq.child)).toBe(0);
    }
    expect(fs.existsSync(path.join(dir, '.groq-rbac', 'sandbox-openai.json'))).toBe(true);
    expect(fs.existsSync(path.join(dir, '.groq-rbac', 'sandbox.json'))).toBe(true);
  });

  it('--provider openai prints a generated admin key that works (a sandbox key, not an sk- shape the redactor hides)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-'));
    const { child, url, output } = await spawnSandbox(['--provider', 'openai', '--state', ''], dir);
    try {
      for (let i = 0; i < 1000 && !output().includes('Stop with Ctrl-C'); i++) await new Promise((r) => setTimeout(r, 10));
      const key = /export OPENAI_ADMIN_KEY=(\S+) {3}# generated for this run/.exec(output())?.[1];
      expect(key).toMatch(/^sandbox-admin-[0-9a-f]{48}$/);
      const res = await fetch(`${url}/v1/organization/projects`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      expect(await exited(child)).toBe(0);
    }
  });

  it('keeps its state across a restart, idempotency records included', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-'));
    const first = await spawnSandbox(['--admin-key', ADMIN, '--state', 'state.json'], dir);
    const created = await call(first.url, 'POST', `${ORG}/projects`, { name: 'survivor' }, { 'idempotency-key': 'idem-survivor' });
    expect(created.status).toBe(201);
    first.child.kill('SIGTERM');
    expect(await exited(first.child)).toBe(0);
    expect(fs.existsSync(path.join(dir, 'state.json.lock'))).toBe(false);
    const second = await spawnSandbox(['--admin-key', ADMIN, '--state', 'state.json'], dir);
    try {
      expect(await listAll(second.url)).toEqual([created.body.id]);
      // A retried create after the restart still makes no second project.
      const again = await call(second.url, 'POST', `${ORG}/projects`, { name: 'survivor' }, { 'idempotency-key': 'idem-survivor' });
      expect(again.body.id).toBe(created.body.id);
    } finally {
      second.child.kill('SIGTERM');
      await exited(second.child);
    }
  });

  it('a second sandbox on the same state file refuses, naming the holder’s pid', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-'));
    const first = await spawnSandbox(['--admin-key', ADMIN, '--state', 'state.json'], dir);
    try {
      await expect(spawnSandbox(['--admin-key', ADMIN, '--state', 'state.json'], dir)).rejects.toThrow(
        `state.json is in use by another sandbox (pid ${first.child.pid}): stop that one, or talk to it instead`,
      );
    } finally {
      first.child.kill('SIGTERM');
      await exited(first.child);
    }
  });

  it('killed with SIGKILL mid-traffic, it loses no acknowledged change, and the next one takes over its lock', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-'));
    const run = await spawnSandbox(['--admin-key', ADMIN, '--state', 'state.json'], dir);
    const acknowledged: string[] = [];
    const failures: string[] = [];
    const writes = Array.from({ length: 200 }, (_, i) =>
      call(run.url, 'POST', `${ORG}/projects`, { name: `p${i}` }, { 'idempotency-key': `idem-${i}` }).then(
        (r) => void (r.status === 201 ? acknowledged.push(r.body.id) : failures.push(String(r.status))),
        () => undefined, // a request cut off by the kill was never acknowledged
      ),
    );
    while (acknowledged.length < 20 && failures.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(failures).toEqual([]);
    run.child.kill('SIGKILL');
    await Promise.all(writes);
    await exited(run.child);
    // The snapshot is whole JSON; restarted on it and its journal, the sandbox has every acknowledged project.
    expect(() => JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8'))).not.toThrow();
    const again = await spawnSandbox(['--admin-key', ADMIN, '--state', 'state.json'], dir);
    try {
      const ids = new Set(await listAll(again.url));
      for (const id of acknowledged) expect(ids.has(id), id).toBe(true);
    } finally {
      again.child.kill('SIGTERM');
      await exited(again.child);
    }
  });
});
