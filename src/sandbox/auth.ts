import type { IncomingHttpHeaders } from 'node:http';
import { SandboxError, invalidApiKey } from './errors.js';

/** The token of an `Authorization: Bearer …` header; the scheme is case-insensitive (RFC 9110 §11.1). */
export function bearerToken(headers: IncomingHttpHeaders): string | null {
  const auth = headers.authorization;
  if (!auth || auth.length < 8 || auth.charCodeAt(6) !== 32 || auth.slice(0, 6).toLowerCase() !== 'bearer') return null;
  const token = auth.slice(7).trim();
  return token || null;
}

/**
 * Admin paths (and `/_sandbox/`) take only the admin key. A working project key there is refused
 * with 403, so its holder learns it has the wrong kind of key; anything else is 401.
 */
export function requireAdmin(token: string | null, adminKey: string, isProjectKey: (token: string) => boolean): void {
  if (token === adminKey) return;
  if (token && isProjectKey(token)) {
    throw new SandboxError(
      403,
      'permission_denied',
      'This endpoint needs an admin key; a project API key cannot manage the organization.',
      'permission_error',
    );
  }
  throw invalidApiKey();
}
