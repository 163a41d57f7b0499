import sodium from 'libsodium-wrappers';
import { UserError } from '../../core/errors.js';
import { environmentProblem, repositoryProblem, secretNameProblem } from '../../core/github-names.js';
import { describeProxy, networkReason, proxyFor, RedirectRefused } from '../../core/proxy-fetch.js';
import { redactSecrets } from '../../core/redact.js';
import { createGitHubClient, type GitHubClient } from '../../github/client.js';
import type { Delivery } from '../../policy/types.js';
import { DeliveryError, type DeliveryContext, type DeliveryResult } from './types.js';

export type GitHubDelivery = Extract<Delivery, { kind: 'github' }>;

/** `github acme/chatbot environment production secret GROQ_API_KEY` */
export function describeGitHubTarget(target: GitHubDelivery): string {
  const where = target.environment ? ` environment ${target.environment}` : '';
  return `github ${target.repository}${where} secret ${target.secret}`;
}

/**
 * Writes the value as an Actions secret of a repository or of one of its environments, as GitHub
 * documents: fetch the public key, seal the value with libsodium's `crypto_box_seal`, PUT the box.
 * GitHub never sees the plain value and neither does anything we log.
 *
 * The repository, environment and secret must be plain GitHub names, checked here again although
 * `validate` checks them: each becomes one segment of the API path (Octokit percent-encodes it, but
 * `..` is left as is and URL normalisation would make `environments/../secrets/X` the repository's
 * own secret). Nothing is sent for a target that fails.
 */
export async function deliverToGitHub(target: GitHubDelivery, value: string, context: DeliveryContext): Promise<DeliveryResult> {
  const label = describeGitHubTarget(target);
  const problem =
    repositoryProblem(target.repository) ??
    secretNameProblem(target.secret) ??
    (target.environment === undefined ? null : environmentProblem(target.environment));
  if (problem) throw new DeliveryError(label, `${problem}; nothing was sent to GitHub`);
  const [owner, repo] = target.repository.split('/') as [string, string];
  const github = context.github ?? createClient(label, context);
  // The client's own base URL (an injected client may have another than GITHUB_API_URL).
  const where = { owner, repo, target, label, env: context.env, apiUrl: github.request.endpoint.DEFAULTS.baseUrl.replace(/\/+$/, '') };

  let publicKey: { key_id: string; key: string };
  try {
    publicKey = target.environment
      ? (await github.rest.actions.getEnvironmentPublicKey({ owner, repo, environment_name: target.environment })).data
      : (await github.rest.actions.getRepoPublicKey({ owner, repo })).data;
  } catch (error) {
    throw explainGitHubError(error, where, 'read the public key of');
  }
  const encrypted_value = await sealForGitHub(value, publicKey.key, label);
  const body = { secret_name: target.secret, encrypted_value, key_id: publicKey.key_id };
  let status: number;
  try {
    status = target.environment
      ? (await github.rest.actions.createOrUpdateEnvironmentSecret({ owner, repo, environment_name: target.environment, ...body })).status
      : (await github.rest.actions.createOrUpdateRepoSecret({ owner, repo, ...body })).status;
  } catch (error) {
    throw explainGitHubError(error, where, 'write');
  }
  context.logger.debug(`delivered to ${label} (${status === 201 ? 'created' : 'updated'})`);
  // GitHub answers 201 when the secret is new and 204 when it replaced one.
  return { target: label, outcome: status === 201 ? 'created' : 'updated' };
}

/** The value sealed to GitHub's base64 public key, base64 again, as the secrets API takes it. */
export async function sealForGitHub(value: string, base64PublicKey: string, label: string): Promise<string> {
  await sodium.ready;
  let key: Uint8Array;
  try {
    key = sodium.from_base64(base64PublicKey, sodium.base64_variants.ORIGINAL);
  } catch (error) {
    throw new DeliveryError(label, 'GitHub returned a public key that is not base64', { cause: error });
  }
  if (key.length !== sodium.crypto_box_PUBLICKEYBYTES) {
    throw new DeliveryError(label, `GitHub returned a public key of ${key.length} bytes, not ${sodium.crypto_box_PUBLICKEYBYTES}`);
  }
  const sealed = sodium.crypto_box_seal(sodium.from_string(value), key);
  return sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL);
}

function createClient(label: string, context: DeliveryContext): GitHubClient {
  const token = context.env.GITHUB_TOKEN;
  if (!token) {
    throw new DeliveryError(
      label,
      'no GitHub token: set GITHUB_TOKEN to a token that may write Actions secrets of the repository (fine-grained token or GitHub App: "Secrets: read and write"; classic PAT: the `repo` scope)',
    );
  }
  try {
    return createGitHubClient({ token, env: context.env, logger: context.logger });
  } catch (error) {
    // GITHUB_API_URL that would carry the token in clear text.
    if (error instanceof UserError) throw new DeliveryError(label, error.message, { cause: error });
    throw error;
  }
}

interface Where {
  owner: string;
  repo: string;
  target: GitHubDelivery;
  label: string;
  apiUrl: string;
  env: DeliveryContext['env'];
}

interface RequestErrorLike {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | undefined> };
}

/** The RedirectRefused behind a failed call (Octokit wraps what fetch throws as its `cause`). */
function redirectRefused(error: unknown): RedirectRefused | null {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof RedirectRefused) return e;
  }
  return null;
}

/** Turns a failed GitHub call into what to change, naming the permission or the repository to check. */
function explainGitHubError(error: unknown, where: Where, doing: string): DeliveryError {
  const e = (error ?? {}) as RequestErrorLike;
  const status = typeof e.status === 'number' ? e.status : 0;
  const said = e.message ? redactSecrets(e.message).split('\n')[0]!.slice(0, 300) : 'no message';
  const repo = `${where.owner}/${where.repo}`;
  const env = where.target.environment;
  const permission = env
    ? `grant it "Environments: read and write" and "Secrets: read and write" on ${repo} (fine-grained token or GitHub App; a classic PAT needs the \`repo\` scope)`
    : `grant it "Secrets: read and write" on ${repo} (fine-grained token or GitHub App; a classic PAT needs the \`repo\` scope)`;
  const fail = (message: string, retryable = false) => new DeliveryError(where.label, message, { retryable, cause: error });

  const redirect = redirectRefused(error);
  if (redirect) {
    // Not retryable: GitHub did not write anything, and the next run would be redirected again.
    return fail(
      `GitHub at ${where.apiUrl} answered ${redirect.status} redirecting to ${redirect.to}: not followed, so the token and the sealed value went nowhere else; check GITHUB_API_URL (and any proxy in front of GitHub)`,
    );
  }
  if (!e.response) {
    // No answer at all: DNS, refused connection, TLS, or our timeout (octokit reports those as 500).
    const { proxyStatus } = networkReason(error);
    if (proxyStatus !== undefined) {
      const proxy = proxyFor(where.apiUrl, where.env);
      return fail(
        `cannot reach GitHub at ${where.apiUrl}: the proxy${proxy ? ` ${describeProxy(proxy)}` : ''} refused the tunnel with ${proxyStatus}: check HTTPS_PROXY and HTTP_PROXY, or add GitHub's host to NO_PROXY`,
        true,
      );
    }
    return fail(`cannot reach GitHub at ${where.apiUrl} (${said}): check GITHUB_API_URL and the network`, true);
  }
  const headers = e.response.headers ?? {};
  if ((status === 403 || status === 429) && (headers['x-ratelimit-remaining'] === '0' || /rate limit/i.test(said))) {
    const reset = Number(headers['x-ratelimit-reset']);
    const when = Number.isFinite(reset) && reset > 0 ? ` until ${new Date(reset * 1000).toISOString()}` : '';
    return fail(`GitHub's rate limit for this token is used up${when} (${said}); run again later`, true);
  }
  switch (status) {
    case 401:
      return fail(`GitHub rejected the token in GITHUB_TOKEN (401 ${said}): check that it has not expired or been revoked`);
    case 403:
      return fail(
        `the token in GITHUB_TOKEN may not ${doing} ${env ? `secrets of environment ${env} in ${repo}` : `Actions secrets of ${repo}`} (403 ${said}): ${permission}${/by integration/i.test(said) ? ". A workflow's own GITHUB_TOKEN can never write secrets: use a GitHub App token or a fine-grained token" : ''}`,
      );
    case 404:
      return env
        ? fail(
            `the token cannot see environment ${env} of ${repo} (404 ${said}): check the repository name, that the environment exists (repository Settings → Environments) and that the token's app/PAT has access to ${repo}`,
          )
        : fail(`the token cannot see ${repo} (404 ${said}): check the repository name and that the token's app/PAT has access`);
    case 422:
      return fail(
        `GitHub refused secret ${where.target.secret} (422 ${said}): a secret name has only letters, digits and _, and does not start with a digit or GITHUB_`,
      );
    default:
      return fail(`GitHub answered ${status} (${said})`, status >= 500 || status === 429);
  }
}
