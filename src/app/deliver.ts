import type { CreatedProjectApiKey } from '../core/contract.js';
import type { Logger } from '../core/log.js';
import { registerSecret } from '../core/redact.js';
import { deliverKey } from '../apply/deliver/index.js';
import { DeliveryIncomplete, mayHaveWritten } from '../apply/deliver/types.js';
import type { GroqAdmin } from '../groq/types.js';
import type { KeyChange } from '../plan/types.js';
import type { Delivery, DesiredState } from '../policy/types.js';
import path from 'node:path';

/**
 * Delivery for applyPlan: every target of the policy key, in order; the first failure fails the
 * change (before any target was written, the new key is discarded). The value lives only in memory, for these calls.
 */
export function deliverToTargets(desired: DesiredState, context: { env: NodeJS.ProcessEnv; cwd: string; logger: Logger; maskSecret?: (value: string) => void; redirectTo?: string | (() => string | null) }) {
  const keys = new Map(desired.keys.map((k) => [k.name, k]));
  const { maskSecret, redirectTo, ...deliveryContext } = context;
  return async (change: KeyChange, created: CreatedProjectApiKey, _projectId: string, checkDeadline: () => void = () => {}): Promise<void> => {
    // In Actions the value is masked (core.setSecret) before anything else can print it.
    maskSecret?.(created.value);
    registerSecret(created.value);
    const key = keys.get(change.key);
    if (!key) return;
    const redirect = typeof redirectTo === 'function' ? redirectTo() : redirectTo;
    const targets = key.rotation.deliver;
    for (const [i, target] of targets.entries()) {
      try {
        checkDeadline();
      } catch (error) {
        throw new DeliveryIncomplete((error as Error).message, { written: i > 0, cause: error });
      }
      try {
        await deliverKey(redirect ? sandboxTarget(target, redirect) : target, created.value, deliveryContext);
      } catch (error) {
        const written = i > 0 || mayHaveWritten(error);
        const reached = i === 0 ? '' : ` after reaching ${i} of ${targets.length} targets`;
        throw new DeliveryIncomplete(`${(error as Error).message}${reached}`, { written, cause: error });
      }
    }
  };
}

/**
 * Where a sandbox key goes instead of a GitHub or Vault target: a file under `dir`, named after the
 * target. Keys of the stand-in organization must never overwrite real secrets.
 */
export function sandboxTarget(target: Delivery, dir: string): Delivery {
  switch (target.kind) {
    case 'github':
      return { kind: 'file', path: path.join(dir, 'github', target.repository, target.environment ?? '_repository', target.secret) };
    case 'vault':
      return { kind: 'file', path: path.join(dir, 'vault', `${target.path.replace(/^\/+/, '')}.${target.field}`) };
    case 'file':
      return target;
  }
}

/** Where sandbox keys are delivered instead, under the working directory. */
export const SANDBOX_DELIVERIES = path.join('.groq-rbac', 'deliveries');

/**
 * The redirect for a session: to `SANDBOX_DELIVERIES` when the organization turns out to be
 * groq-rbac's sandbox (it marks its answers), however it was reached; else none.
 */
export function sandboxRedirect(admin: GroqAdmin, cwd: string): () => string | null {
  return () => (admin.servedBySandbox?.() ? path.join(cwd, SANDBOX_DELIVERIES) : null);
}
