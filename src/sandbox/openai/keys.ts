/** OpenAI's key values and API key objects (docs/openai-admin-api.md, "Project API keys"). */
import { randomString } from '../ids.js';
import type { OrgState } from '../org-state.js';
import type { StoredKey, StoredServiceAccount } from '../snapshot.js';

/**
 * A service account's key: `sk-svcacct-` and random base62 (the prefix is what OpenAI issues for
 * service accounts by every public report; the published sources show only `sk-…`: assumed).
 */
export const newServiceAccountKeyValue = () => `sk-svcacct-${randomString(64)}`;

/** openapi.yaml's `redacted_value` example is `sk-abc...def`: the kind prefix, `...`, the last four (assumed widths). */
export const redactOpenAiKey = (value: string) => `${value.slice(0, value.indexOf('-', 3) + 1 || 3)}...${value.slice(-4)}`;

export interface OpenAiProjectApiKey {
  object: 'organization.project.api_key';
  id: string;
  name: string;
  redacted_value: string;
  created_at: number;
  last_used_at: number | null;
  owner: { type: 'service_account'; service_account: { id: string; name: string; created_at: number; role: string } } | { type: 'user' };
  owner_project_access: 'active' | 'inactive';
}

export function presentServiceAccount(a: StoredServiceAccount) {
  return { object: 'organization.project.service_account' as const, id: a.id, name: a.name, role: a.role, created_at: a.created_at };
}

export function presentOpenAiKey(org: OrgState, k: StoredKey): OpenAiProjectApiKey {
  const sa = org.serviceAccounts.ownerOf(k);
  return {
    object: 'organization.project.api_key',
    id: k.id,
    name: k.name,
    redacted_value: k.redacted_value,
    created_at: k.created_at,
    last_used_at: org.lastUsedAt(k),
    owner: sa
      ? { type: 'service_account', service_account: { id: sa.id, name: sa.name, created_at: sa.created_at, role: sa.role } }
      : { type: 'user' },
    // A service account is a member of its own project while it exists.
    owner_project_access: 'active',
  };
}
