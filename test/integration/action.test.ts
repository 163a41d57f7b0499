import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../src/action/main.js';
import { edit, workspaceWith } from '../helpers/cli.js';

// The Action as GitHub runs it: inputs from INPUT_* variables, outputs and the job summary in files.
let ws: string;
let files: { output: string; summary: string };
const saved = { ...process.env };

beforeEach(() => {
  ws = workspaceWith('policies');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'action-'));
  files = { output: path.join(dir, 'output'), summary: path.join(dir, 'summary.md') };
  fs.writeFileSync(files.output, '');
  fs.writeFileSync(files.summary, '');
  Object.assign(process.env, { GITHUB_OUTPUT: files.output, GITHUB_STEP_SUMMARY: files.summary });
});
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
  process.exitCode = 0;
});

const outputs = () => Object.fromEntries([...fs.readFileSync(files.output, 'utf8').matchAll(/^(.+?)<<(.+)\n([\s\S]*?)\n\2$/gm)].map((m) => [m[1], m[3]]));

describe('the GitHub Action', () => {
  it('plans against the sandbox and writes the Markdown plan to the job summary', async () => {
    Object.assign(process.env, { INPUT_COMMAND: 'plan', INPUT_SANDBOX: 'true', INPUT_POLICIES: 'policies' });
    await run({ cwd: ws });
    expect(outputs()).toEqual({ 'exit-code': '2', 'has-changes': 'true' });
    const summary = fs.readFileSync(files.summary, 'utf8');
    expect(summary).toContain('<!-- groq-rbac:plan -->');
    expect(summary).toContain('| **Total** | **7** | **1** | **0** | **0** |');
    expect(process.exitCode ?? 0).toBe(0);
  });

  it('fails the step on invalid policies', async () => {
    edit(path.join(ws, 'policies/org.yaml'), (t) => t.replace('version: 1', 'version: 3'));
    Object.assign(process.env, { INPUT_COMMAND: 'validate' });
    await run({ cwd: ws });
    expect(outputs()['exit-code']).toBe('1');
    expect(process.exitCode).toBe(1);
  });

  it('refuses an unknown command', async () => {
    Object.assign(process.env, { INPUT_COMMAND: 'destroy' });
    await run({ cwd: ws });
    expect(process.exitCode).toBe(1);
    expect(outputs()).toEqual({});
  });
});
