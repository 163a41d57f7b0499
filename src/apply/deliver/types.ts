import { UserError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { GitHubClient } from '../../github/client.js';

/** What a delivery needs from its surroundings; tests pass everything in. */
export interface DeliveryContext {
  /** GITHUB_TOKEN, GITHUB_API_URL, VAULT_ADDR, VAULT_TOKEN, VAULT_NAMESPACE. */
  env: Readonly<Record<string, string | undefined>>;
  /** Relative file paths resolve against it. */
  cwd: string;
  logger: Logger;
  /**
   * The organization's Vault (org.yaml's `vault.address`, approved by the org admins). The Vault
   * token goes only to this origin (else to VAULT_ADDR's); a target naming another is refused.
   */
  vaultAddress?: string;
  /** A ready GitHub client (tests, or the Action reusing its own); default: built from `env`. */
  github?: GitHubClient;
  /** What sends Vault requests; default the platform fetch through the proxy-aware dispatcher (HTTPS_PROXY, NO_PROXY from `env`). */
  fetch?: typeof fetch;
  /** Deadline of one Vault request (default 30 s). */
  timeoutMs?: number;
}

/** A delivery that happened, described without the value. */
export interface DeliveryResult {
  /** `describeTarget(target)`. */
  target: string;
  /** Whether the secret (or file, or field) existed before. */
  outcome: 'created' | 'updated';
  /** Vault: the version the write created. */
  version?: number;
}

/**
 * A delivery that did not happen. The message names the target and what to change; it never holds
 * the value. `retryable`: the same delivery may succeed later unchanged (network, 5xx, a sealed Vault).
 */
export class DeliveryError extends UserError {
  override readonly name = 'DeliveryError';
  readonly target: string;
  readonly retryable: boolean;
  constructor(target: string, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(`cannot deliver to ${target}: ${message}`, { cause: options.cause });
    this.target = target;
    this.retryable = options.retryable ?? false;
  }
}

/**
 * A delivery to a key's targets that stopped part-way. `written`: some target may hold the new
 * value (one was written, or the failing write may have reached it), so the new key must not be
 * deleted: it is left unmarked, and drains once quiet like any interrupted generation.
 */
export class DeliveryIncomplete extends UserError {
  override readonly name = 'DeliveryIncomplete';
  readonly written: boolean;
  constructor(message: string, options: { written: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.written = options.written;
  }
}

/** Whether a failed delivery to one target may still have written it: only a definite refusal may not. */
export function mayHaveWritten(error: unknown): boolean {
  return !(error instanceof DeliveryError && !error.retryable);
}
