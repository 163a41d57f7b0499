import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Io } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { silentLogger, type Logger } from '../../src/core/log.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process. Output is captured raw (not redacted), so tests see any leak at its source. */
export async function runCli(
  argv: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; interactive?: boolean; answer?: string; logger?: Logger; stdin?: string },
): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    out: (t) => void (stdout += t),
    err: (t) => void (stderr += t),
    color: false,
    interactive: options.interactive ?? false,
    env: options.env ?? {},
    cwd: options.cwd,
    prompt: async (q) => {
      stdout += q;
      return options.answer ?? '';
    },
    logger: options.logger ?? silentLogger,
    // Standard input as piped text (deliver reads a key value from it).
    ...(options.stdin !== undefined ? { readSecret: async () => ({ text: options.stdin!, terminal: false }) } : {}),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/**
 * A fresh working directory holding a copy of the given policies directory, committed on `main` of
 * a new git repository, as in a clone: plan and apply check project ownership against the
 * committed policies (the merge base with main), and edits in the working tree are the change.
 */
export function workspaceWith(policiesDir: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-ws-'));
  fs.cpSync(policiesDir, path.join(dir, 'policies'), { recursive: true });
  commitAll(dir, 'policies');
  return dir;
}

/** Commits everything in `dir` (a git repository on `main`, made if need be). */
export function commitAll(dir: string, message: string): void {
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', dir, '-c', 'user.email=test@example.com', '-c', 'user.name=test', '-c', 'commit.gpgsign=false', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  if (!fs.existsSync(path.join(dir, '.git'))) git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '--allow-empty', '-m', message);
}

/** Rewrites a file in place. */
export function edit(file: string, change: (text: string) => string): void {
  fs.writeFileSync(file, change(fs.readFileSync(file, 'utf8')));
}
