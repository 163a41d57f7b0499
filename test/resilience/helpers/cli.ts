import { spawn } from 'node:child_process';
import path from 'node:path';
import { runCli } from '../../helpers/cli.js';
import { redactSecrets } from '../../../src/core/redact.js';
import { scannedLogger } from './org.js';
import { scanner } from './secrets.js';

export const BIN = path.resolve('bin/groq-rbac.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The CLI in-process with debug logging on. What it prints is recorded for the leak scanner as the
 * real process would write it (processIo redacts at the stream); files it writes are scanned raw.
 */
export async function runCliScanned(argv: string[], options: { cwd: string; env: NodeJS.ProcessEnv; label: string }): Promise<CliResult> {
  const result = await runCli(argv, { cwd: options.cwd, env: options.env, logger: scannedLogger(options.label) });
  scanner.record(`${options.label} stdout`, redactSecrets(result.stdout));
  scanner.record(`${options.label} stderr`, redactSecrets(result.stderr));
  return result;
}

/** The environment a child gets: only what it needs, talking to 127.0.0.1 only. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NO_COLOR: '1',
    GROQ_RBAC_DEBUG: '1',
    NO_PROXY: '127.0.0.1,localhost',
    ...extra,
  };
}

/** `node bin/groq-rbac.js …` as a real process; resolves with its exit code or signal, output recorded. */
export function spawnCli(
  argv: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; label: string; onSpawn?: (pid: number, exited: Promise<void>) => void },
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...argv], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // 'close' comes after 'exit' and after the pipes are drained: everything the child wrote is in.
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  options.onSpawn?.(child.pid!, exited);
  return closed.then(({ code, signal }) => {
    scanner.record(`${options.label} child stdout`, stdout);
    scanner.record(`${options.label} child stderr`, stderr);
    return { code, signal, stdout, stderr };
  });
}
