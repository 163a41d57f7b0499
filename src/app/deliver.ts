import type { CreatedProjectApiKey } from '../core/contract.js';
import type { Logger } from '../core/log.js';
import { registerSecret } from '../core/redact.js';
import { deliverKey } from '../apply/deliver/index.js';
import type { KeyChange } from '../plan/types.js';
import type { DesiredState } from '../policy/types.js';

/**
 * Delivery for applyPlan: every target of the policy key, in order; the first failure fails the
 * change (and applyPlan deletes the new key). The value lives only in memory, for these calls.
 */
export function deliverToTargets(desired: DesiredState, context: { env: NodeJS.ProcessEnv; cwd: string; logger: Logger; maskSecret?: (value: string) => void }) {
  const keys = new Map(desired.keys.map((k) => [k.name, k]));
  const { maskSecret, ...deliveryContext } = context;
  return async (change: KeyChange, created: CreatedProjectApiKey): Promise<void> => {
    // In Actions the value is masked (core.setSecret) before anything else can print it.
    maskSecret?.(created.value);
    registerSecret(created.value);
    const key = keys.get(change.key);
    if (!key) return;
    for (const target of key.rotation.deliver) await deliverKey(target, created.value, deliveryContext);
  };
}
