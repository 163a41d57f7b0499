import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

// examples/openai against the OpenAI sandbox, in-process, over HTTP on 127.0.0.1 (`--sandbox` with
// `provider: openai` starts it, its state under .groq-rbac/ in the working copy).
const EXAMPLE = path.resolve(__dirname, '../../examples/openai');
let dir: string;

/** Any run of `sk-` long enough to be a key value (the redacted `sk-svcacct-...abcd` form is not). */
const leak = (text: string) => /sk-[A-Za-z0-9_-]{20,}/.exec(text)?.[0] ?? null;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grbac-openai-example-'));
  fs.cpSync(EXAMPLE, path.join(dir, 'policies'), { recursive: true });
  // The policies are a git working copy, as a team keeps them.
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  git('add', '-A');
  git('-c', 'user.email=t@example.test', '-c', 'user.name=t', 'commit', '-qm', 'policies');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('examples/openai', () => {
  it('validates, plans, applies against the OpenAI sandbox, and then shows no changes', async () => {
    const outputs: string[] = [];
    const run = async (argv: string[]) => {
      const r = await runCli(argv, { cwd: dir });
      outputs.push(r.stdout, r.stderr);
      return r;
    };
    expect((await run(['validate', '--policies', 'policies'])).code).toBe(0);
    const plan = await run(['plan', '--sandbox', '--policies', 'policies', '--detailed-exitcode']);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('groq-rbac will perform the following actions in org-sandbox');
    expect(plan.stdout).toContain('+ project "assistant-prod"');
    const applied = await run(['apply', '--sandbox', '--yes', '--policies', 'policies']);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(
      /\+ key "studio-images-render": created generation 1: key_\S+ \(sk-svcacct-\.\.\.\S{4}\), verified, delivered to 1 target/,
    );
    // Each key went to its file target under its team's name space, with mode 0600, and nowhere else.
    for (const f of ['assistant/prod.key', 'assistant/voice.key', 'studio/render.key']) {
      const file = path.join(dir, '.secrets', f);
      expect(fs.readFileSync(file, 'utf8')).toMatch(/^sk-svcacct-\S+\n?$/);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    }
    const again = await run(['plan', '--sandbox', '--policies', 'policies', '--detailed-exitcode']);
    expect(again.stdout).toContain('No changes.');
    expect(again.code).toBe(0);
    for (const text of outputs) expect(leak(text)).toBeNull();
  });

  it("a key name too long for the service account name is kept as a hash and read back by the policies' names", async () => {
    // 64 characters: with its marks the name would pass OpenAI's (assumed) 128, so it holds a hash.
    const long = `studio-images-render-${'x'.repeat(43)}`;
    const team = path.join(dir, 'policies', 'teams', 'studio.yaml');
    // With a trigger mark and protect too, the name would pass 128 characters: it holds a hash of the key's name.
    const text = fs
      .readFileSync(team, 'utf8')
      .replace(
        '      - name: studio-images-render\n        rotation:\n',
        `      - name: ${long}\n        protect: true\n        rotation:\n          trigger: "2026-12 leak"\n`,
      );
    expect(text).toContain(long);
    fs.writeFileSync(team, text);
    expect((await runCli(['apply', '--sandbox', '--yes', '--policies', 'policies'], { cwd: dir })).code).toBe(0);
    const again = await runCli(['plan', '--sandbox', '--policies', 'policies', '--detailed-exitcode'], { cwd: dir });
    expect(again.stdout).toContain('No changes.');
    expect(again.code).toBe(0);
  });

  it('refuses tokens_per_day under provider: openai at its file:line:column, and changes nothing', async () => {
    const team = path.join(dir, 'policies', 'teams', 'studio.yaml');
    const text = fs.readFileSync(team, 'utf8').replace('{images_per_minute: 20}', '{images_per_minute: 20, tokens_per_day: 1000}');
    fs.writeFileSync(team, text);
    const line = text.split('\n').findIndex((l) => l.includes('tokens_per_day')) + 1;
    const column = text.split('\n')[line - 1]!.indexOf('tokens_per_day') + 1;
    const r = await runCli(['plan', '--sandbox', '--policies', 'policies'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr + r.stdout).toContain(
      `policies/teams/studio.yaml:${line}:${column}: error: projects[0].limits.gpt-image-1.tokens_per_day: OpenAI has no tokens_per_day limit`,
    );
    // Refused before any connection: no sandbox state was made.
    expect(fs.existsSync(path.join(dir, '.groq-rbac', 'sandbox-openai.json'))).toBe(false);
  });
});
