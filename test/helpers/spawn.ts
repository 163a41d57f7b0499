import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';

export const BIN = path.resolve('bin/groq-rbac.js');

/** Starts `groq-rbac sandbox` as a real process and resolves with its URL, read from its first line. */
export async function spawnSandbox(
  args: string[],
  cwd: string,
): Promise<{ child: ChildProcessWithoutNullStreams; url: string; firstLine: string; output: () => string }> {
  const child = spawn(process.execPath, [BIN, 'sandbox', '--port', '0', ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const firstLine = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sandbox did not start: ${out}`)), 10_000);
    child.stdout.on('data', () => {
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl));
      }
    });
    child.on('exit', (code) => reject(new Error(`sandbox exited with ${code}: ${out}`)));
  });
  const url = /listening on (http:\/\/\S+)/.exec(firstLine)![1]!;
  return { child, url, firstLine, output: () => out };
}

/** Resolves with the exit code (null when ended by a signal), also when the child has already exited. */
export function exited(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}
