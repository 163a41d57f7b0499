import type { Delivery } from '../../policy/types.js';
import { deliverToFile, describeFileTarget } from './file.js';
import { deliverToGitHub, describeGitHubTarget } from './github.js';
import type { DeliveryContext, DeliveryResult } from './types.js';
import { deliverToVault, describeVaultTarget } from './vault.js';

export { DeliveryError, type DeliveryContext, type DeliveryResult } from './types.js';

/**
 * Puts a new key's value where services read it. Throws `DeliveryError` (a `UserError`) saying what
 * to change; neither it nor any log line holds the value.
 */
export function deliverKey(target: Delivery, value: string, context: DeliveryContext): Promise<DeliveryResult> {
  switch (target.kind) {
    case 'github':
      return deliverToGitHub(target, value, context);
    case 'vault':
      return deliverToVault(target, value, context);
    case 'file':
      return deliverToFile(target, value, context);
  }
}

/**
 * A short, value-free description for plans and reports, e.g. `github acme/chatbot environment
 * production secret GROQ_API_KEY`, `vault secret/data/groq/x#api_key`, `file /abs/path (0600)`.
 * Without `cwd` a relative file path stays as written (plans are rendered without a file system).
 */
export function describeTarget(target: Delivery, cwd?: string): string {
  switch (target.kind) {
    case 'github':
      return describeGitHubTarget(target);
    case 'vault':
      return describeVaultTarget(target);
    case 'file':
      return describeFileTarget(target, cwd);
  }
}
