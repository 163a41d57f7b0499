import { UserError } from '../core/errors.js';
import { redactSecrets } from '../core/redact.js';
import type { Mode } from './inputs.js';

// What each mode writes, and so the permission a 403 or 404 from GitHub most likely means is missing.
const PERMISSIONS: Record<Mode, string> = {
  plan: '`pull-requests: write` (to comment)',
  apply: '`pull-requests: write` and `contents: read` (to read the merged pull request, its reviews and comments)',
  drift: '`issues: write` (to open and close the drift issue)',
  reconcile: '`contents: read`',
  usage: '`contents: read`',
  verify: '`issues: write` (to keep the drift issue and tick off the Console steps issue)',
};

interface OctokitRequestError {
  name: string;
  status: number;
  request?: { method?: string; url?: string };
  response?: { data?: { message?: string } };
}

function isGitHubError(e: unknown): e is OctokitRequestError {
  return (
    typeof e === 'object' &&
    e !== null &&
    (e as { name?: unknown }).name === 'HttpError' &&
    typeof (e as { status?: unknown }).status === 'number'
  );
}

/** The message `core.setFailed` shows: what went wrong and what to change; never a secret. */
export function describeError(e: unknown, mode: Mode | null): string {
  if (isGitHubError(e)) {
    const what = `${e.request?.method ?? 'a request'} ${e.request?.url ? new URL(e.request.url).pathname : ''}`.trim();
    const said = e.response?.data?.message ? ` ("${e.response.data.message}")` : '';
    if ((e.status === 403 || e.status === 404) && mode) {
      return redactSecrets(
        `GitHub answered ${e.status} to ${what}${said}: the token probably lacks a permission. Give the job ${PERMISSIONS[mode]} under \`permissions:\` in the workflow file (or pass a token that has it as \`github-token\`)`,
      );
    }
    return redactSecrets(`GitHub answered ${e.status} to ${what}${said}`);
  }
  if (e instanceof UserError) return redactSecrets(e.message);
  if (e instanceof Error) return redactSecrets(e.name === 'InternalError' ? e.message : `${e.name}: ${e.message}`);
  return redactSecrets(String(e));
}
