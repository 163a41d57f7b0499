import type { CreatedKey } from '../core/provider.js';
import type { Logger } from '../core/log.js';
import { registerSecret } from '../core/redact.js';
import { deliverKey } from '../apply/deliver/index.js';
import { DeliveryError, DeliveryIncomplete, mayHaveWritten } from '../apply/deliver/types.js';
import type { KeyChange } from '../plan/types.js';
import type { Delivery, DesiredState } from '../policy/types.js';
import path from 'node:path';

/**
 * Delivery for applyPlan: every target of the policy key, in order; the first failure fails the
 * change (before any target was written, the new key is discarded). The value lives only in memory,
 * for these calls. `redirectTo`: the sandbox's deliveries folder, given only by a caller that knows
 * it talks to a sandbox (the CLI's --sandbox or --sandbox-url), never inferred from what a server answers.
 */
export function deliverToTargets(
  desired: DesiredState,
  context: { env: NodeJS.ProcessEnv; cwd: string; logger: Logger; maskSecret?: (value: string) => void; redirectTo?: string },
) {
  const keys = new Map(desired.keys.map((k) => [k.name, k]));
  const { maskSecret, redirectTo, ...rest } = context;
  // The Vault token goes only to the organization's Vault: org.yaml's address (approved by the admins), else VAULT_ADDR.
  const vaultAddress = desired.org.vault?.address;
  const deliveryContext = vaultAddress ? { ...rest, vaultAddress } : rest;
  return async (change: KeyChange, created: CreatedKey, _projectId: string, checkDeadline: () => void = () => {}): Promise<void> => {
    // In Actions the value is masked (core.setSecret) before anything else can print it.
    maskSecret?.(created.value);
    registerSecret(created.value);
    const key = keys.get(change.key);
    if (!key) return;
    const targets = key.rotation.deliver;
    for (const [i, target] of targets.entries()) {
      try {
        checkDeadline();
      } catch (error) {
        throw new DeliveryIncomplete((error as Error).message, { written: i > 0, cause: error });
      }
      try {
        await deliverKey(redirectTo ? sandboxTarget(target, redirectTo) : target, created.value, deliveryContext);
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
 * target. Keys of the stand-in organization must never overwrite real secrets. Each part of the
 * name (owner, repository, environment, secret; the Vault path's segments) is made a plain file
 * name first (sandboxPart), and the result must still lie inside `dir`: a name such as `../../x`
 * cannot write anywhere else.
 */
export function sandboxTarget(target: Delivery, dir: string): Delivery {
  const inside = (parts: string[]): Delivery => {
    const file = path.join(dir, ...parts.map(sandboxPart));
    const root = path.resolve(dir);
    if (!path.resolve(file).startsWith(root + path.sep))
      throw new DeliveryError(`sandbox delivery ${file}`, `the target's name leads outside ${dir}; nothing was written`);
    return { kind: 'file', path: file };
  };
  switch (target.kind) {
    case 'github':
      return inside(['github', ...target.repository.split('/'), target.environment ?? '_repository', target.secret]);
    case 'vault': {
      const segments = target.path.split('/').filter((s) => s !== '');
      const last = segments.pop() ?? '';
      return inside(['vault', ...segments, `${last}.${target.field}`]);
    }
    case 'file':
      return target;
  }
}

/**
 * One part of a sandbox delivery's file name: letters, digits, `.`, `_` and `-` stay; any other
 * character (a separator, a control character, a space) becomes `%XX` of its UTF-8 bytes, as in a
 * URL, so two different names never share a file; a part of dots only (`.`, `..`) has its dots
 * escaped, and an empty part is `%`. No part can climb out of, or name, a folder.
 */
export function sandboxPart(part: string): string {
  if (part === '') return '%';
  const escaped = [...part]
    .map((c) =>
      /^[A-Za-z0-9._-]$/.test(c) ? c : [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
    )
    .join('');
  return /^\.+$/.test(escaped) ? escaped.replace(/\./g, '%2E') : escaped;
}

/** Where sandbox keys are delivered instead, under the working directory. */
export const SANDBOX_DELIVERIES = path.join('.groq-rbac', 'deliveries');
