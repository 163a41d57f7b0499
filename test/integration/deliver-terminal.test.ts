/**
 * `groq-rbac deliver` typed at a terminal: the value is read with echo off, and delivered. A real
 * pseudo-terminal, through util-linux `script` (no node-pty here): it runs the CLI on a new pty and
 * copies our pipe to the pty's input and the pty's output (what a person would see) to our pipe.
 * No timing: input is written only once the prompt, shown after echo is turned off, has appeared.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, startTestOrg, type TestOrg } from '../helpers/sandbox.js';

const BIN = path.resolve('bin/groq-rbac.js');

const ORG = `version: 2
org: org_sandbox
admins: ["@acme/platform"]
provider: groq-console
models: [openai/gpt-oss-120b]
`;
const TEAM = `team: app
owners: ["@acme/app"]
projects:
  - name: app-prod
    keys:
      - name: app-prod-web
        rotation:
          deliver:
            - file: {path: .secrets/app/prod-web.key}
`;

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs `command` on a pseudo-terminal; each time the terminal shows `when[i].seen`, types
 * `when[i].type`. Resolves with the exit code and everything the terminal showed.
 */
function onTerminal(
  command: string[],
  cwd: string,
  when: { seen: string; type: string }[],
): Promise<{ code: number | null; screen: string }> {
  // -q: no "Script started" lines; -e: the command's exit code; /dev/null: no typescript file.
  const child = spawn('script', ['-q', '-e', '-c', command.map(quote).join(' '), '/dev/null'], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'dumb' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let screen = '';
  let next = 0;
  const onOutput = (chunk: Buffer) => {
    screen += chunk.toString();
    while (next < when.length && screen.includes(when[next]!.seen)) child.stdin.write(when[next++]!.type);
  };
  child.stdout.on('data', onOutput);
  child.stderr.on('data', onOutput);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, screen }));
  });
}

// util-linux `script` is on every Linux runner (ubuntu-latest included); without it these fail.
describe('deliver at a terminal', () => {
  let org: TestOrg;
  let key: string;
  let dir: string;
  beforeAll(async () => {
    org = await startTestOrg({ orgId: 'org_sandbox' });
    const project = await org.request('POST', '/openai/v1/organization/projects', { body: { name: 'app-prod' } });
    key = (await createKey(org, project.body.id, 'app-prod-web')).value;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-deliver-tty-'));
    fs.mkdirSync(path.join(dir, 'policies', 'teams'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'policies', 'org.yaml'), ORG);
    fs.writeFileSync(path.join(dir, 'policies', 'teams', 'app.yaml'), TEAM);
  });
  afterAll(async () => {
    await org.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('this pseudo-terminal echoes what is typed (so the next test would see an echoed key)', async () => {
    const marker = ['typed', 'and', 'echoed'].join('-');
    const r = await onTerminal(['sh', '-c', 'printf "ready> "; read line; echo "read ${#line} characters"'], dir, [
      { seen: 'ready> ', type: `${marker}\r` },
    ]);
    expect(r.code).toBe(0);
    expect(r.screen).toContain(marker);
    expect(r.screen).toContain(`read ${marker.length} characters`);
  });

  it('reads the value with echo off after its prompt, honours backspace, and delivers it without showing it', async () => {
    // A stray character erased with backspace before Enter, as a person might.
    const r = await onTerminal([process.execPath, BIN, 'deliver', '--key', 'app-prod-web', '--base-url', org.sandbox.url], dir, [
      { seen: 'Paste the value of "app-prod-web" and press Enter (it is not shown): ', type: `${key}x\u007f\r` },
    ]);
    expect(r.screen).toContain('delivered "app-prod-web" (project "app-prod") to 1 target');
    expect(r.code).toBe(0);
    expect(r.screen).not.toContain(key);
    expect(r.screen).not.toContain(key.slice(0, 12));
    expect(fs.readFileSync(path.join(dir, '.secrets', 'app', 'prod-web.key'), 'utf8').trim()).toBe(key);
  });

  it('an Enter with nothing typed delivers nothing and says what to do', async () => {
    const r = await onTerminal([process.execPath, BIN, 'deliver', '--key', 'app-prod-web', '--base-url', org.sandbox.url], dir, [
      { seen: '(it is not shown): ', type: '\r' },
    ]);
    expect(r.code).toBe(1);
    expect(r.screen).toContain('no key value was typed: paste the value the Console showed, then press Enter; nothing was delivered');
  });
});
