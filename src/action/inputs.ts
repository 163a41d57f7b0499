import { UserError } from '../core/errors.js';
import { checkSecureUrl } from '../core/secure-url.js';
import { DEFAULT_BASE_URL } from '../groq/client.js';
import type { EventContext } from './context.js';

export const MODES = ['plan', 'apply', 'drift', 'reconcile', 'usage'] as const;
export type Mode = (typeof MODES)[number];

export interface ActionInputs {
  mode: Mode;
  policies: string;
  adminKey: string;
  baseUrl: string;
  githubToken: string;
  comment: boolean;
  requireApproval: boolean;
  /** The fingerprint a person approved, for `workflow_dispatch`; null otherwise. */
  expectFingerprint: string | null;
}

/** Reads one input; `''` when absent (as `core.getInput` does). */
export type GetInput = (name: string) => string;

// Inputs of the first Action (v0.1): name them in the error instead of ignoring them silently.
const RENAMED: Record<string, string> = {
  command: 'was replaced by `mode` (plan, apply, drift or reconcile)',
  'admin-key': 'was renamed to `groq-admin-key`',
  'base-url': 'was renamed to `groq-base-url`',
  sandbox: 'was removed: the Action plans against a real organization; run `groq-rbac plan --sandbox` locally instead',
};

const ADD_ADMIN_KEY = 'add `groq-admin-key: ${{ secrets.GROQ_ADMIN_KEY }}` under the step\'s `with:` and store an admin key of your organization as the repository secret GROQ_ADMIN_KEY';

/** Reads and checks the inputs; every error says what to change in the workflow file. */
export function readInputs(get: GetInput, event: EventContext): ActionInputs {
  const read = (name: string) => get(name).trim();
  for (const [old, what] of Object.entries(RENAMED)) {
    if (read(old) !== '') throw new UserError(`input \`${old}\` ${what}; update the step's \`with:\` in your workflow file`);
  }

  const mode = read('mode');
  if (mode === '') throw new UserError(`input \`mode\` is missing: add \`mode: plan\` (on pull_request), \`mode: apply\` (on push), \`mode: drift\` or \`mode: reconcile\` (on schedule) under the step's \`with:\``);
  if (!(MODES as readonly string[]).includes(mode)) throw new UserError(`input \`mode\` must be one of ${MODES.join(', ')}, not "${mode}": correct it under the step's \`with:\``);

  const adminKey = read('groq-admin-key');
  if (adminKey === '') {
    if (event.pullRequest?.fromFork) {
      throw new UserError(
        'the plan needs the Groq admin key to read the organization, and GitHub gives workflows no secrets on a pull request from a fork, so this pull request cannot be planned here. ' +
        'A maintainer can push the branch to this repository (the plan then runs), or run `groq-rbac plan` locally. ' +
        'Do not switch the workflow to `pull_request_target`: it runs with the secrets on the fork\'s untrusted content, so a pull request could read the admin key.',
      );
    }
    throw new UserError(`input \`groq-admin-key\` is empty: ${ADD_ADMIN_KEY}. (A secret that does not exist reads as empty, too: check its name.)`);
  }

  const baseUrl = read('groq-base-url') || DEFAULT_BASE_URL;
  // https, or http only to the runner itself: the admin key never crosses a network in clear text.
  checkSecureUrl(baseUrl, 'input `groq-base-url`', `write an https:// URL such as ${DEFAULT_BASE_URL} under the step's \`with:\`, or remove the input to use ${DEFAULT_BASE_URL}`);

  const comment = readBoolean(read, 'comment', true);
  const requireApproval = readBoolean(read, 'require-approval', true);
  const githubToken = read('github-token');
  if (githubToken === '' && (mode === 'apply' || (comment && (mode === 'plan' || mode === 'drift')))) {
    throw new UserError(`input \`github-token\` is empty, and mode ${mode} needs it to ${mode === 'plan' ? 'comment on the pull request' : mode === 'drift' ? 'open the drift issue' : 'read the pull request and its reviews'}: remove the input to use the workflow's token, or set \`github-token: \${{ github.token }}\``);
  }

  const fingerprint = read('expect-fingerprint');
  const expectFingerprint = fingerprint === '' ? null : fingerprint.toLowerCase();
  if (expectFingerprint !== null) {
    if (!/^[0-9a-f]{64}$/.test(expectFingerprint)) throw new UserError(`input \`expect-fingerprint\` must be a plan's fingerprint (64 hex digits, shown at the end of the plan comment), not "${fingerprint}"`);
    if (mode !== 'apply') throw new UserError(`input \`expect-fingerprint\` only applies to \`mode: apply\`; remove it from this ${mode} step`);
  }

  checkEvent(mode as Mode, event, expectFingerprint);
  return { mode: mode as Mode, policies: read('policies') || 'policies', adminKey, baseUrl, githubToken, comment, requireApproval, expectFingerprint };
}

function checkEvent(mode: Mode, event: EventContext, expectFingerprint: string | null): void {
  if (mode !== 'apply') return;
  if (event.eventName === 'pull_request' || event.eventName === 'pull_request_target') {
    throw new UserError(`\`mode: apply\` must not run on ${event.eventName}: it would apply changes nobody merged. Run it \`on: push\` to the default branch (see groq-rbac-apply.yml in the README)`);
  }
  if (event.eventName === 'workflow_dispatch') {
    if (expectFingerprint === null) throw new UserError('`mode: apply` on workflow_dispatch needs the fingerprint of the plan you approved: add `expect-fingerprint: ${{ inputs.expect-fingerprint }}` under `with:` and a `workflow_dispatch` input of that name');
    return;
  }
  if (event.eventName !== 'push') throw new UserError(`\`mode: apply\` runs on push to the default branch (or workflow_dispatch with \`expect-fingerprint\`), not on ${event.eventName || 'this event'}: change the workflow's \`on:\``);
}

// YAML 1.2 core schema booleans, as `core.getBooleanInput` accepts; absent means the default.
function readBoolean(read: (name: string) => string, name: string, fallback: boolean): boolean {
  const value = read(name);
  if (value === '') return fallback;
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  if (['false', 'False', 'FALSE'].includes(value)) return false;
  throw new UserError(`input \`${name}\` must be true or false, not "${value}"`);
}
