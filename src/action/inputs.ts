import { UserError } from '../core/errors.js';
import { checkSecureUrl } from '../core/secure-url.js';
import { capabilitiesFor, PROVIDER_NAMES, PROVIDER_TITLES, type ProviderName } from '../core/capabilities.js';
import { providerFor } from '../providers/index.js';
import type { EventContext } from './context.js';
import { MIN_SIGNING_KEY_LENGTH } from './plan-signature.js';
import { ACTIONS_BOT, type CommentAuthor } from './pull-request-comment.js';

export const MODES = ['plan', 'apply', 'drift', 'reconcile', 'usage', 'verify'] as const;
export type Mode = (typeof MODES)[number];

export interface ActionInputs {
  mode: Mode;
  policies: string;
  /** org.yaml's `provider:`: which admin API `adminKey` and `baseUrl` are for; absent: groq. */
  provider?: string;
  adminKey: string;
  baseUrl: string;
  githubToken: string;
  comment: boolean;
  requireApproval: boolean;
  /** The fingerprint a person approved, for `workflow_dispatch`; null otherwise. */
  expectFingerprint: string | null;
  /** verify: the keys file (project → environment variable name); null when not given. */
  keysFile?: string | null;
  /** The secret the plan job signs its comment with and apply checks it with; null when not given. */
  planSigningKey: string | null;
  /** The one identity whose plan comments are trusted. */
  commentAuthor: CommentAuthor;
  /** A token that may read team memberships (apply, for `@org/team` code owners); null when not given. */
  membersToken: string | null;
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

/**
 * The inputs of org.yaml's provider: `<provider>-admin-key` and `<provider>-base-url`, the admin
 * key's secret named as its environment variable (GROQ_ADMIN_KEY, OPENAI_ADMIN_KEY).
 */
export function providerInputs(provider: string): {
  name: string;
  adminKey: string;
  baseUrl: string;
  secret: string;
  defaultBaseUrl: string;
  title: string;
} {
  const entry = providerFor(provider === 'groq-console' ? 'groq' : provider);
  return {
    name: entry.name,
    adminKey: `${entry.name}-admin-key`,
    baseUrl: `${entry.name}-base-url`,
    secret: entry.adminKeyEnv,
    defaultBaseUrl: entry.defaultBaseUrl,
    title: PROVIDER_TITLES[entry.name as ProviderName] ?? entry.name,
  };
}

/**
 * Reads and checks the inputs; every error says what to change in the workflow file. `provider`:
 * org.yaml's `provider:` (groq where org.yaml has none), which decides whose admin key and base URL
 * are read; undefined when the policies could not be read (the mode then reports them and connects
 * to nothing): the provider whose admin key is given.
 */
export function readInputs(
  get: GetInput,
  event: EventContext,
  options: { consoleProvider?: boolean; provider?: string } = {},
): ActionInputs {
  const read = (name: string) => get(name).trim();
  for (const [old, what] of Object.entries(RENAMED)) {
    if (read(old) !== '') throw new UserError(`input \`${old}\` ${what}; update the step's \`with:\` in your workflow file`);
  }
  const known = options.consoleProvider ? 'groq-console' : options.provider;
  const reachable = PROVIDER_NAMES.filter((n) => n !== 'groq-console');
  const provider = known ?? reachable.find((n) => read(providerInputs(n).adminKey) !== '') ?? 'groq';
  capabilitiesFor(provider);
  const names = providerInputs(provider);
  const ADD_ADMIN_KEY = `add \`${names.adminKey}: \${{ secrets.${names.secret} }}\` under the step's \`with:\` and store an admin key of your organization as the environment secret ${names.secret}`;

  const mode = read('mode');
  if (mode === '')
    throw new UserError(
      `input \`mode\` is missing: add \`mode: plan\` (on pull_request), \`mode: apply\` (on push), \`mode: drift\` or \`mode: reconcile\` (on schedule) under the step's \`with:\``,
    );
  if (!(MODES as readonly string[]).includes(mode))
    throw new UserError(`input \`mode\` must be one of ${MODES.join(', ')}, not "${mode}": correct it under the step's \`with:\``);

  // The other provider's inputs: a workflow copied from another organization's, or org.yaml changed.
  for (const other of known === undefined ? [] : reachable.filter((o) => o !== names.name)) {
    const wrong = providerInputs(other);
    for (const input of [wrong.adminKey, wrong.baseUrl]) {
      if (read(input) !== '') {
        throw new UserError(
          `input \`${input}\` is for ${wrong.title}, and org.yaml says \`provider: ${provider}\`: ${input === wrong.adminKey ? `give the admin key as \`${names.adminKey}\`` : `give the base URL as \`${names.baseUrl}\``} instead, or correct \`provider:\` in org.yaml`,
        );
      }
    }
  }
  const adminKey = read(names.adminKey);
  // verify probes with project keys, and an organization changed in the Console (provider:
  // groq-console) has no admin API to read: neither needs the admin key.
  const needsAdminKey = mode !== 'verify' && !options.consoleProvider;
  if (adminKey === '' && needsAdminKey) {
    if (event.pullRequest?.fromFork) {
      throw new UserError(
        `the plan needs the ${names.title} admin key to read the organization, and GitHub gives workflows no secrets on a pull request from a fork, so this pull request cannot be planned here. ` +
          'A maintainer can push the branch to this repository (the plan then runs), or run `groq-rbac plan` locally. ' +
          "Do not switch the workflow to `pull_request_target`: it runs with the secrets on the fork's untrusted content, so a pull request could read the admin key.",
      );
    }
    throw new UserError(
      `input \`${names.adminKey}\` is empty: ${ADD_ADMIN_KEY}. (A secret that does not exist reads as empty, too: check its name.)`,
    );
  }

  if (options.consoleProvider && (mode === 'drift' || mode === 'reconcile' || mode === 'usage')) {
    throw new UserError(
      `\`mode: ${mode}\` reads the organization through the admin API, and org.yaml says \`provider: groq-console\` (changed by hand in the Console): use \`mode: verify\` on a schedule instead`,
    );
  }
  const baseUrl = read(names.baseUrl) || names.defaultBaseUrl;
  // https, or http only to the runner itself: the admin key never crosses a network in clear text.
  checkSecureUrl(
    baseUrl,
    `input \`${names.baseUrl}\``,
    `write an https:// URL such as ${names.defaultBaseUrl} under the step's \`with:\`, or remove the input to use ${names.defaultBaseUrl}`,
  );

  const comment = readBoolean(read, 'comment', true);
  const requireApproval = readBoolean(read, 'require-approval', true);
  const githubToken = read('github-token');
  if (githubToken === '' && (mode === 'apply' || (comment && (mode === 'plan' || mode === 'drift' || mode === 'verify')))) {
    throw new UserError(
      `input \`github-token\` is empty, and mode ${mode} needs it to ${mode === 'plan' ? 'comment on the pull request' : mode === 'drift' ? 'open the drift issue' : mode === 'verify' ? 'tick off the Console steps issue and keep the drift issue (or set `comment: false`)' : 'read the pull request and its reviews'}: remove the input to use the workflow's token, or set \`github-token: \${{ github.token }}\``,
    );
  }

  const fingerprint = read('expect-fingerprint');
  const expectFingerprint = fingerprint === '' ? null : fingerprint.toLowerCase();
  if (expectFingerprint !== null) {
    if (!/^[0-9a-f]{64}$/.test(expectFingerprint))
      throw new UserError(
        `input \`expect-fingerprint\` must be a plan's fingerprint (64 hex digits, shown at the end of the plan comment), not "${fingerprint}"`,
      );
    if (mode !== 'apply')
      throw new UserError(`input \`expect-fingerprint\` only applies to \`mode: apply\`; remove it from this ${mode} step`);
  }

  const planSigningKey = read('plan-signing-key') || null;
  if (planSigningKey !== null && planSigningKey.length < MIN_SIGNING_KEY_LENGTH) {
    throw new UserError(
      `input \`plan-signing-key\` is ${planSigningKey.length} characters, shorter than the ${MIN_SIGNING_KEY_LENGTH} a signing key needs: generate one with \`openssl rand -hex 32\` and store it as an environment secret of the plan's and the apply's environments`,
    );
  }
  // A push applies what the plan comment says; without the key nothing proves the plan job wrote it.
  if (mode === 'apply' && event.eventName === 'push' && planSigningKey === null) {
    throw new UserError(
      "input `plan-signing-key` is empty, and `mode: apply` on push takes the approved fingerprint from the plan comment, which any writer's workflow can also write as github-actions[bot]: " +
        "without the key apply cannot tell the plan job's comment from a forged or edited one, so it applies nothing. Add `plan-signing-key: ${{ secrets.GROQ_RBAC_PLAN_SIGNING_KEY }}` to the plan and the apply steps " +
        '(the same secret, `openssl rand -hex 32`, stored in both jobs\' environments; see "Plan integrity" in the README)',
    );
  }
  const commentAuthor = readCommentAuthor(read);
  const membersToken = read('members-token') || null;

  checkEvent(mode as Mode, event, expectFingerprint);
  const keysFile = read('keys') || null;
  if (mode === 'verify' && keysFile === null)
    throw new UserError(
      "`mode: verify` needs `keys:` under the step's `with:`: a YAML file mapping each project to the name of the environment variable holding its key, with those variables set from secrets in the step's `env:`",
    );
  return {
    mode: mode as Mode,
    policies: read('policies') || 'policies',
    provider,
    adminKey,
    baseUrl,
    githubToken,
    comment,
    requireApproval,
    expectFingerprint,
    planSigningKey,
    commentAuthor,
    membersToken,
    ...(keysFile !== null ? { keysFile } : {}),
  };
}

function readCommentAuthor(read: (name: string) => string): CommentAuthor {
  const login = read('comment-author') || ACTIONS_BOT.login;
  const idText = read('comment-author-id');
  if (idText !== '' && !/^[1-9]\d{0,15}$/.test(idText))
    throw new UserError(
      `input \`comment-author-id\` must be the numeric user id of \`comment-author\` (https://api.github.com/users/<login> shows it), not "${idText}"`,
    );
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,38}(\[bot\])?$/.test(login))
    throw new UserError(`input \`comment-author\` must be a GitHub login such as github-actions[bot] or my-app[bot], not "${login}"`);
  const id = idText !== '' ? Number(idText) : login.toLowerCase() === ACTIONS_BOT.login ? ACTIONS_BOT.id : null;
  return { login, id };
}

function checkEvent(mode: Mode, event: EventContext, expectFingerprint: string | null): void {
  if (mode === 'plan' && event.eventName === 'pull_request_target' && event.pullRequest?.fromFork) {
    // pull_request_target hands the job its secrets whoever opened the pull request.
    throw new UserError(
      "`mode: plan` on pull_request_target does not plan a pull request from a fork: its author could be anyone, and the plan would run the admin key over their files and show them the organization. Keep the job's `if: github.event.pull_request.head.repo.full_name == github.repository`; a maintainer can push the branch to this repository",
    );
  }
  if (mode !== 'apply') return;
  if (event.eventName === 'pull_request' || event.eventName === 'pull_request_target') {
    throw new UserError(
      `\`mode: apply\` must not run on ${event.eventName}: it would apply changes nobody merged. Run it \`on: push\` to the default branch (see groq-rbac-apply.yml in the README)`,
    );
  }
  if (event.eventName === 'workflow_dispatch') {
    if (expectFingerprint === null)
      throw new UserError(
        '`mode: apply` on workflow_dispatch needs the fingerprint of the plan you approved: add `expect-fingerprint: ${{ inputs.expect-fingerprint }}` under `with:` and a `workflow_dispatch` input of that name',
      );
    return;
  }
  if (event.eventName !== 'push')
    throw new UserError(
      `\`mode: apply\` runs on push to the default branch (or workflow_dispatch with \`expect-fingerprint\`), not on ${event.eventName || 'this event'}: change the workflow's \`on:\``,
    );
}

// YAML 1.2 core schema booleans, as `core.getBooleanInput` accepts; absent means the default.
function readBoolean(read: (name: string) => string, name: string, fallback: boolean): boolean {
  const value = read(name);
  if (value === '') return fallback;
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  if (['false', 'False', 'FALSE'].includes(value)) return false;
  throw new UserError(`input \`${name}\` must be true or false, not "${value}"`);
}
