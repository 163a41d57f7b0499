/**
 * Secrets: the scanner itself, then a server that echoes secrets back. An error code carrying the
 * admin key or an issued key value, and credentials in a base URL, must not reach stdout, stderr,
 * a plan file or a report, whether the CLI runs as a process or in-process (raw, before the
 * process-level redaction).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { childEnv, runCliScanned, spawnCli } from './helpers/cli.js';
import { trackFigures } from './helpers/figures.js';
import { startResilientOrg } from './helpers/org.js';
import { writePolicies } from './helpers/policy-files.js';
import { scanner, SecretScanner } from './helpers/secrets.js';

const figures = { echoCases: 0, leaks: 0 };
const part = trackFigures('secrets', 5);

/** Leaks found in what a case wrote: counted for the figures, then asserted. */
function expectNoLeaks(): void {
  const leaks = scanner.findings();
  figures.leaks += leaks.length;
  expect(leaks).toEqual([]);
}

afterAll(() => {
  const leaks = scanner.findings();
  figures.leaks += leaks.length;
  part.record({ ...figures, bytesScanned: scanner.bytesScanned, secrets: scanner.secretCount });
  expect(leaks).toEqual([]);
});

describe('the leak scanner', () => {
  it('finds a secret raw, inside JSON and at the end of a text; not its redacted form', () => {
    const s = new SecretScanner();
    const value = `gsk_${'Ab3'.repeat(17)}x`;
    s.addSecret(value);
    s.addSecret('admin-0123456789abcdef');
    s.record('raw', `x${value}y`);
    s.record('json', JSON.stringify({ error: { code: value } }));
    s.record('tail', 'token admin-0123456789abcdef');
    s.record('redacted', `gsk_…${value.slice(-4)} and [REDACTED] and admin-0123`);
    const found = s.findings();
    expect(found.filter((f) => f.startsWith('raw:')).length).toBeGreaterThan(0);
    expect(found.filter((f) => f.startsWith('json:')).length).toBeGreaterThan(0);
    expect(found.filter((f) => f.startsWith('tail:')).length).toBe(1);
    expect(found.filter((f) => f.startsWith('redacted:'))).toEqual([]);
  });

  it('finds an OpenAI key value (sk-svcacct-, sk-admin-) it was never told about; not OpenAI’s redacted form', () => {
    const s = new SecretScanner();
    const serviceAccount = `sk-svcacct-${'Ab3_'.repeat(16)}`;
    s.record('unregistered', `delivered ${serviceAccount}`);
    s.record('admin', JSON.stringify({ authorization: `Bearer sk-admin-${'x9Y-'.repeat(12)}` }));
    s.record('redacted', `sk-svcacct-...${serviceAccount.slice(-4)} and sk-[REDACTED]`);
    const found = s.findings();
    expect(found).toEqual(['unregistered: a key value (gsk_… or sk-…)', 'admin: a key value (gsk_… or sk-…)']);
  });
});

describe('a server that echoes secrets in its errors', () => {
  async function world() {
    const org = await startResilientOrg();
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-echo-'));
    writePolicies(ws, null);
    const env = { GROQ_ADMIN_KEY: org.sandbox.adminKey };
    const first = await runCliScanned(['apply', '--yes', '--policies', 'policies', '--base-url', org.sandbox.url], {
      cwd: ws,
      env,
      label: 'echo setup',
    });
    expect(first.code, first.stderr).toBe(0);
    expect(org.issued.size).toBe(4);
    return { org, ws, env, close: async () => (await org.close(), fs.rmSync(ws, { recursive: true, force: true })) };
  }

  it('the admin key in an error code: plan, as a process and in-process, with a plan file asked for', async () => {
    const w = await world();
    try {
      const fault = { path: '/openai/v1/organization', status: 400, code: w.org.sandbox.adminKey, times: 2 };
      await w.org.request('POST', '/_sandbox/faults', { body: { faults: [fault] } });
      const child = await spawnCli(['plan', '--policies', 'policies', '--base-url', w.org.sandbox.url, '--out', 'plan.json'], {
        cwd: w.ws,
        env: childEnv(w.env),
        label: 'echo admin key',
      });
      const inProcess = await runCliScanned(['plan', '--policies', 'policies', '--base-url', w.org.sandbox.url, '--out', 'plan.json'], {
        cwd: w.ws,
        env: w.env,
        label: 'echo admin key in-process',
      });
      scanner.recordPath(path.join(w.ws, 'plan.json'));
      expect(child.code).toBe(1);
      expect(inProcess.code).toBe(1);
      expect(child.stderr).toMatch(/400/);
      figures.echoCases += 1;
      expectNoLeaks();
    } finally {
      await w.close();
    }
  });

  it('the admin key and a key value in the error codes of failed changes: apply output and its JSON report', async () => {
    const w = await world();
    try {
      const value = [...w.org.issued.keys()][0]!;
      // A new trigger rotates every key; each new key's mark is refused with a secret as its code.
      writePolicies(w.ws, 'echo');
      const faults = [
        { method: 'POST', path: '/openai/v1/organization/projects/*/api_keys/*', status: 400, code: value, times: 2 },
        { method: 'POST', path: '/openai/v1/organization/projects/*/api_keys/*', status: 400, code: w.org.sandbox.adminKey, times: 2 },
      ];
      await w.org.request('POST', '/_sandbox/faults', { body: { faults } });
      const child = await spawnCli(
        ['apply', '--yes', '--policies', 'policies', '--base-url', w.org.sandbox.url, '--concurrency', '1', '--out', 'report.json'],
        { cwd: w.ws, env: childEnv(w.env), label: 'echo in apply' },
      );
      expect(child.code).toBe(1);
      scanner.recordPath(path.join(w.ws, 'report.json'));
      const report = JSON.parse(fs.readFileSync(path.join(w.ws, 'report.json'), 'utf8')) as { summary: { failed: number } };
      expect(report.summary.failed).toBe(4);
      figures.echoCases += 1;
      expectNoLeaks();
    } finally {
      await w.close();
    }
  });

  it('the same, in-process: outcomes as the Action would render them', async () => {
    const w = await world();
    try {
      const value = [...w.org.issued.keys()][1]!;
      writePolicies(w.ws, 'echo');
      await w.org.request('POST', '/_sandbox/faults', {
        body: { faults: [{ method: 'POST', path: '/openai/v1/organization/projects/*/api_keys/*', status: 400, code: value, times: 4 }] },
      });
      const r = await runCliScanned(
        ['apply', '--yes', '--policies', 'policies', '--base-url', w.org.sandbox.url, '--concurrency', '1', '--out', 'report.json'],
        { cwd: w.ws, env: w.env, label: 'echo in-process apply' },
      );
      expect(r.code).toBe(1);
      scanner.recordPath(path.join(w.ws, 'report.json'));
      figures.echoCases += 1;
      expectNoLeaks();
    } finally {
      await w.close();
    }
  });

  it('credentials in the base URL are not printed', async () => {
    const w = await world();
    try {
      const url = new URL(w.org.sandbox.url);
      const withCredentials = `http://user:${w.org.sandbox.adminKey}@${url.host}`;
      const child = await spawnCli(['plan', '--policies', 'policies', '--base-url', withCredentials], {
        cwd: w.ws,
        env: childEnv(w.env),
        label: 'credentials in base URL',
      });
      const inProcess = await runCliScanned(['plan', '--policies', 'policies', '--base-url', withCredentials], {
        cwd: w.ws,
        env: w.env,
        label: 'credentials in base URL in-process',
      });
      expect(child.code).toBe(1);
      expect(inProcess.code).toBe(1);
      figures.echoCases += 1;
      expectNoLeaks();
    } finally {
      await w.close();
    }
  });
});
