import * as core from '@actions/core';
import { openSession } from '../app/session.js';
import type { Logger } from '../core/log.js';
import { redactSecrets, registerSecret } from '../core/redact.js';
import { commandSafe, escapeMarkdown, sanitizeText } from '../core/sanitize.js';
import { createGitHubClient } from '../github/client.js';
import { readPolicies } from '../policy/read-policies.js';
import { readEventContext } from './context.js';
import { describeError } from './errors.js';
import { readInputs, type Mode } from './inputs.js';
import { applyMode } from './modes/apply.js';
import { verifyMode } from './modes/console.js';
import { driftMode } from './modes/drift.js';
import type { ModeContext, ModeResult } from './modes/mode.js';
import { planMode } from './modes/plan.js';
import { reconcileMode } from './modes/reconcile.js';
import { usageMode } from './modes/usage.js';
import { buildOutputs } from './outputs.js';

const MODE_RUNNERS: Record<Mode, (ctx: ModeContext) => Promise<ModeResult>> = {
  plan: planMode,
  apply: applyMode,
  drift: driftMode,
  reconcile: reconcileMode,
  usage: usageMode,
  verify: verifyMode,
};

// Everything groq-rbac logs goes through the runner's log, redacted, then cleaned of what a server
// or a file could use to steer the runner: `core.info` writes raw lines the runner reads for
// workflow commands (commandSafe); `core.debug`/`core.warning` escape newlines themselves.
const actionsLogger: Logger = {
  debug: (m) => core.debug(sanitizeText(redactSecrets(m))),
  info: (m) => core.info(commandSafe(redactSecrets(m))),
  warn: (m) => core.warning(sanitizeText(redactSecrets(m))),
};

/**
 * The GitHub Action: reads inputs, builds the clients, runs the mode's use case, sets outputs and
 * the job summary, and turns errors into `core.setFailed`. Nothing else knows it runs inside Actions.
 */
export async function run(options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<void> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  // Before anything can print them: the runner masks them in the log, redactSecrets everywhere else.
  // Delivery's tokens come from the step's env; they are secrets just the same, as is either
  // provider's admin key however it arrives (input or env). New key values are masked as they are made.
  for (const value of [
    core.getInput('groq-admin-key'),
    core.getInput('openai-admin-key'),
    core.getInput('github-token'),
    core.getInput('plan-signing-key'),
    core.getInput('members-token'),
    env.GITHUB_TOKEN,
    env.VAULT_TOKEN,
    env.GROQ_ADMIN_KEY,
    env.OPENAI_ADMIN_KEY,
  ].map((v) => v?.trim())) {
    if (value) {
      core.setSecret(value);
      registerSecret(value);
    }
  }
  const summary: string[] = [];
  let mode: Mode | null = null;
  try {
    const event = readEventContext(env);
    // provider: groq-console in org.yaml: plan and apply need no admin key (there is no admin API to read).
    const peek = readPolicies(core.getInput('policies').trim() || 'policies', { cwd });
    const provider = peek.desired?.org.provider;
    const inputs = readInputs((name) => core.getInput(name), event, {
      consoleProvider: provider === 'groq-console',
      ...(provider !== undefined ? { provider } : {}),
    });
    mode = inputs.mode;
    const logger = actionsLogger;
    const ctx: ModeContext = {
      inputs,
      event,
      cwd,
      env,
      logger,
      summary,
      github: inputs.githubToken ? createGitHubClient({ token: inputs.githubToken, baseUrl: event.apiUrl, logger }) : null,
      members: inputs.membersToken ? createGitHubClient({ token: inputs.membersToken, baseUrl: event.apiUrl, logger }) : null,
      annotator: { error: (m, p) => core.error(m, p), warning: (m, p) => core.warning(m, p) },
      readPolicies: () => readPolicies(inputs.policies, { cwd }),
      // org.yaml names the organization; OpenAI checks it against the admin key (OpenAI-Organization).
      openSession: () =>
        openSession({
          provider: inputs.provider ?? 'groq',
          ...(peek.desired ? { orgId: peek.desired.org.id } : {}),
          baseUrl: inputs.baseUrl,
          adminKey: inputs.adminKey,
          concurrency: 8,
          logger,
        }),
      workflowFile: workflowPath(env.GITHUB_WORKFLOW_REF),
      maskSecret: (value) => core.setSecret(value),
    };
    const result = await MODE_RUNNERS[inputs.mode](ctx);
    const outputs = buildOutputs(result, env);
    for (const [name, value] of Object.entries(outputs)) core.setOutput(name, value);
    actionsLogger.info(outputs.summary);
    if (result.failure) {
      summary.push(`\n> [!CAUTION]\n> ${quoted(result.failure)}\n`);
      core.setFailed(sanitizeText(redactSecrets(result.failure)));
    }
  } catch (e) {
    const message = describeError(e, mode);
    summary.push(`\n> [!CAUTION]\n> **groq-rbac${mode ? ` ${mode}` : ''} failed:** ${quoted(message)}\n`);
    core.setFailed(sanitizeText(message));
  } finally {
    // The job summary is where a reader looks first, also when the step failed half-way. Its parts
    // escape what they quote; sanitizeText is the last line of defence against control characters.
    if (summary.length > 0 && env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(sanitizeText(redactSecrets(summary.join('\n')))).write();
  }
}

/** A failure message (it may quote a server, GitHub or a file) as the lines of a Markdown quote: redacted, then escaped. */
function quoted(message: string): string {
  return escapeMarkdown(redactSecrets(message), { multiLine: true }).split('\n').join('\n> ');
}

/** `.github/workflows/x.yml` from GITHUB_WORKFLOW_REF (`owner/repo/.github/workflows/x.yml@refs/heads/main`). */
function workflowPath(ref: string | undefined): string | null {
  const m = /^[^/]+\/[^/]+\/(.+?)@/.exec(ref ?? '');
  return m ? m[1]! : null;
}
