import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxCommand } from '../../src/cli/commands/sandbox.js';
import type { Io } from '../../src/cli/io.js';
import { UserError } from '../../src/core/errors.js';

// `groq-rbac sandbox --provider openai`, run in-process: what it prints, and that its service accounts
// and their keys survive a restart from the state file.
const ADMIN = ['sk', 'admin', 'cli'].join('-') + 'y'.repeat(24);

function testIo(env: NodeJS.ProcessEnv = {}): Io & { output: () => string } {
  let text = '';
  return {
    out: (t) => void (text += t),
    err: (t) => void (text += t),
    color: false,
    interactive: false,
    env,
    cwd: process.cwd(),
    prompt: () => Promise.resolve(''),
    logger: { debug() {}, info() {}, warn() {}, error() {} } as unknown as Io['logger'],
    output: () => text,
  };
}

/** Starts the command; resolves with its URL once it printed it, and a stop function that awaits its exit code. */
async function run(args: string[], io: ReturnType<typeof testIo>): Promise<{ url: string; stop: () => Promise<number> }> {
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const done = sandboxCommand(args, io, () => stopped);
  for (let i = 0; i < 500 && !/listening on (\S+)/.test(io.output()); i++) await new Promise((r) => setTimeout(r, 10));
  const url = /listening on (\S+)/.exec(io.output())![1]!;
  return { url, stop: async () => (stop(), done) };
}

const call = async (url: string, method: string, route: string, token: string, body?: unknown) => {
  const res = await fetch(`${url}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
};

describe('groq-rbac sandbox --provider openai', () => {
  it('serves OpenAI paths, prints OPENAI_* exports, and keeps service accounts and keys across a restart', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-openai-'));
    const state = path.join(dir, 'state.json');
    const io = testIo({ OPENAI_ADMIN_KEY: ADMIN });
    const first = await run(['--provider', 'openai', '--port', '0', '--state', state], io);
    expect(io.output()).toContain(`npx groq-rbac plan --sandbox-url ${first.url}/v1`);
    expect(io.output()).toContain(`export OPENAI_BASE_URL=${first.url}/v1\` alone`);
    expect(io.output()).toContain('Organization: org-sandbox.');
    expect(io.output()).not.toContain(ADMIN);
    const project = await call(first.url, 'POST', '/v1/organization/projects', ADMIN, { name: 'kept' });
    expect(project.status).toBe(200);
    const account = await call(first.url, 'POST', `/v1/organization/projects/${project.body.id}/service_accounts`, ADMIN, { name: 'app' });
    const value = account.body.api_key.value as string;
    expect(await first.stop()).toBe(0);

    const second = await run(['--provider', 'openai', '--port', '0', '--state', state], testIo({ OPENAI_ADMIN_KEY: ADMIN }));
    try {
      const accounts = await call(second.url, 'GET', `/v1/organization/projects/${project.body.id}/service_accounts`, ADMIN);
      expect(accounts.body.data).toEqual([expect.objectContaining({ id: account.body.id, name: 'app' })]);
      const keys = await call(second.url, 'GET', `/v1/organization/projects/${project.body.id}/api_keys?owner_project_access=any`, ADMIN);
      expect(keys.body.data).toEqual([
        expect.objectContaining({ id: account.body.api_key.id, owner: expect.objectContaining({ type: 'service_account' }) }),
      ]);
      expect((await call(second.url, 'GET', '/v1/models', value)).status).toBe(200);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });

  it('refuses an unknown provider and an organization id of the other form', async () => {
    await expect(sandboxCommand(['--provider', 'anthropic'], testIo(), () => Promise.resolve())).rejects.toThrow(
      new UserError('--provider must be groq or openai, not "anthropic"'),
    );
    await expect(sandboxCommand(['--provider', 'openai', '--org-id', 'org_x'], testIo(), () => Promise.resolve())).rejects.toThrow(
      /--org-id must look like org-…/,
    );
  });
});
