import * as core from '@actions/core';
import { main } from '../cli/main.js';
import type { Io } from '../cli/io.js';
import { createStderrLogger } from '../core/log.js';
import { redactSecrets } from '../core/redact.js';

// core.getInput returns '' when an input is absent: wrap it once.
function input(name: string, fallback: string): string {
  return core.getInput(name) || fallback;
}

/**
 * The GitHub Action: runs `validate` or `plan` on the policies and writes the result to the job
 * summary. Nothing else in the project knows it runs inside Actions.
 */
export async function run(options: { cwd?: string } = {}): Promise<void> {
  const command = input('command', 'plan');
  if (!['validate', 'plan'].includes(command)) {
    core.setFailed(`input \`command\` must be validate or plan, not "${command}"`);
    return;
  }
  const adminKey = core.getInput('admin-key');
  if (adminKey) core.setSecret(adminKey);
  const out: string[] = [];
  const io: Io = {
    out: (t) => {
      out.push(redactSecrets(t));
      process.stdout.write(redactSecrets(t));
    },
    err: (t) => process.stderr.write(redactSecrets(t)),
    color: false,
    interactive: false,
    env: { ...process.env, ...(adminKey ? { GROQ_ADMIN_KEY: adminKey } : {}) },
    cwd: options.cwd ?? process.cwd(),
    prompt: async () => '',
    logger: createStderrLogger({ debug: core.isDebug() }),
  };
  const args = [command, '--policies', input('policies', 'policies')];
  if (command === 'plan') {
    args.push('--format', 'markdown', '--detailed-exitcode');
    if (core.getBooleanInput('sandbox', { required: false })) args.push('--sandbox');
    const baseUrl = core.getInput('base-url');
    if (baseUrl) args.push('--base-url', baseUrl);
  }
  let code = 1;
  try {
    code = await main(args, io);
  } finally {
    if (command === 'plan' && out.length > 0) await core.summary.addRaw(out.join('')).write();
  }
  core.setOutput('exit-code', String(code));
  core.setOutput('has-changes', String(code === 2));
  if (code === 1) core.setFailed(`groq-rbac ${command} failed; see the log above`);
}
