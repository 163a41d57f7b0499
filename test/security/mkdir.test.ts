import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { makeDirs } from '../../src/core/make-dirs.js';
import { METADATA } from '../../src/providers/groq/metadata.js';
import { BIN } from '../helpers/spawn.js';
import { startTestOrg, type TestOrg } from '../helpers/sandbox.js';

// Issue 17, item 13: Node's recursive mkdir (sync and async) never returns where a parent exists
// but cannot hold children; procfs answers ENOENT for `/proc/forbidden`, and Node reads that as
// "the parent is missing" and retries forever at full CPU. Each path a user gives goes through
// makeDirs, which refuses it at once. These need Linux's /proc (the machine and CI are Linux).

/** Runs the CLI's bundle as a child; a hang is killed at the timeout, so the test fails instead of spinning on. */
function cli(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...options.env };
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env, timeout: 15_000, killSignal: 'SIGKILL' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const ORG_YAML = `version: 2
org: org_test
admins: ["@acme/platform"]
models: [openai/gpt-oss-120b, openai/gpt-oss-20b]
`;
const teamYaml = (target: string) => `team: chatbot
owners: ["@acme/chatbot"]
projects:
  - name: chatbot-prod
    models: [openai/gpt-oss-120b]
    keys:
      - name: chatbot-prod-web
        rotation: {deliver: [{file: {path: ${target}}}]}
`;

let org: TestOrg;
let ws: string;

beforeEach(async () => {
  org = await startTestOrg({ orgId: 'org_test' });
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-mkdir-'));
  fs.mkdirSync(path.join(ws, 'policies/teams'), { recursive: true });
  fs.writeFileSync(path.join(ws, 'policies/org.yaml'), ORG_YAML);
});

afterEach(async () => {
  await org.close();
  fs.rmSync(ws, { recursive: true, force: true });
});

const env = () => ({ GROQ_ADMIN_KEY: org.sandbox.adminKey });
const liveKeys = async () => (await Promise.all((await org.client.listProjects()).map((p) => org.client.listProjectKeys(p.id)))).flat();

describe('a path under a parent that cannot hold children', () => {
  it('an absolute file target such as /proc/forbidden/rot.key is refused by validate before anything happens', async () => {
    fs.writeFileSync(path.join(ws, 'policies/teams/chatbot.yaml'), teamYaml('/proc/forbidden/rot.key'));
    const result = await cli(['apply', '--yes', '--base-url', org.sandbox.url], { cwd: ws, env: env() });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('file path "/proc/forbidden/rot.key" is absolute');
    expect(await liveKeys()).toEqual([]);
  });

  it('apply with a file target whose folder is a link into /proc returns with exit 1 and the reason, and leaves no undelivered key', async () => {
    // The team's own folder is a link into procfs: the target passes validate, but delivery refuses
    // to write through the link (so never reaches a parent that cannot hold children).
    fs.mkdirSync(path.join(ws, '.secrets'));
    fs.symlinkSync('/proc', path.join(ws, '.secrets', 'chatbot'));
    fs.writeFileSync(path.join(ws, 'policies/teams/chatbot.yaml'), teamYaml('.secrets/chatbot/forbidden/rot.key'));
    const result = await cli(['apply', '--yes', '--base-url', org.sandbox.url], { cwd: ws, env: env() });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /✗ \+ key "chatbot-prod-web": cannot deliver to file \S*\.secrets\/chatbot\/forbidden\/rot\.key \(0600\): refusing to write through symbolic link/,
    );
    expect(fs.existsSync('/proc/forbidden')).toBe(false);
    // The key made for the target was never delivered: the existing cleanup deleted it, so no
    // generation is left behind that nobody holds.
    const keys = await liveKeys();
    expect(keys.filter((k) => k.metadata[METADATA.deliveredAt] === undefined)).toEqual([]);
    expect(keys).toEqual([]);
    expect(result.stdout + result.stderr).not.toMatch(/gsk_[A-Za-z0-9]{8,}/);
  });

  it('plan --out /proc/x/y/plan.json exits 1 with the reason, before reading the organization', async () => {
    fs.writeFileSync(path.join(ws, 'policies/teams/chatbot.yaml'), teamYaml('keys/web.key'));
    const result = await cli(['plan', '--out', '/proc/x/y/plan.json', '--base-url', org.sandbox.url], { cwd: ws, env: env() });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--out /proc/x/y/plan.json: cannot create /proc/x: parent /proc cannot hold it (ENOENT)');
    expect(result.stdout).toBe('');
  });

  it('apply --audit-log under /proc refuses before any change', async () => {
    fs.writeFileSync(path.join(ws, 'policies/teams/chatbot.yaml'), teamYaml('keys/web.key'));
    const result = await cli(['apply', '--yes', '--audit-log', '/proc/x/audit.jsonl', '--base-url', org.sandbox.url], {
      cwd: ws,
      env: env(),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--audit-log /proc/x/audit.jsonl: cannot create /proc/x: parent /proc cannot hold it (ENOENT)');
    expect(await org.client.listProjects()).toEqual([]);
  });

  it('sandbox --state /proc/x/state.json exits 1 with the reason', async () => {
    const result = await cli(['sandbox', '--port', '0', '--state', '/proc/x/state.json'], { cwd: ws });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot create /proc/x: parent /proc cannot hold it (ENOENT)');
  });
});

describe('makeDirs', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'make-dirs-')));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('creates the missing levels, outermost first, and nothing when they exist', () => {
    expect(makeDirs(path.join(tmp, 'a/b/c'), { mode: 0o700 })).toEqual([
      path.join(tmp, 'a'),
      path.join(tmp, 'a/b'),
      path.join(tmp, 'a/b/c'),
    ]);
    expect(fs.statSync(path.join(tmp, 'a/b/c')).isDirectory()).toBe(true);
    expect(makeDirs(path.join(tmp, 'a/b'))).toEqual([]);
  });

  it('a parent that is a file', () => {
    fs.writeFileSync(path.join(tmp, 'f'), '');
    expect(() => makeDirs(path.join(tmp, 'f/x/y'))).toThrow(
      new UserError(
        `cannot create ${path.join(tmp, 'f/x/y')}: ${path.join(tmp, 'f')} is a file; give a path whose parents are directories`,
      ),
    );
  });

  it('a dangling symbolic link on the way (where Node loops too): refused, not followed forever', () => {
    fs.symlinkSync(path.join(tmp, 'nowhere'), path.join(tmp, 'link'));
    expect(() => makeDirs(path.join(tmp, 'link/x'))).toThrow(
      `cannot create ${path.join(tmp, 'link')}: something that is not a directory is there (a dangling symbolic link?) (EEXIST)`,
    );
    expect(fs.existsSync(path.join(tmp, 'nowhere'))).toBe(false);
  });

  it('more missing levels than any real path has', () => {
    const deep = path.join(tmp, ...Array.from({ length: 70 }, (_, i) => `d${i}`));
    expect(() => makeDirs(deep)).toThrow('more than 64 of its parent directories are missing');
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('a control character in the path is shown escaped in the message', () => {
    expect(() => makeDirs('/proc/\u001b[2Jx/y')).toThrow('cannot create /proc/\\u001b[2Jx: parent /proc cannot hold it (ENOENT)');
  });
});
