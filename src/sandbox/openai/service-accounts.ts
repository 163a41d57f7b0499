/**
 * OpenAI's project service accounts over the sandbox's organization (docs/openai-admin-api.md,
 * "Service accounts"): a service account is a project member that owns API keys; creating one makes
 * its first key too and answers that key's value once; deleting it deletes its keys.
 */
import { SandboxError, invalid, notFound } from '../errors.js';
import type { OrgState } from '../org-state.js';
import type { StoredKey, StoredProject, StoredServiceAccount } from '../snapshot.js';

/** The name OpenAI gives a service account's first key (openapi.yaml's example for the create answer). */
export const FIRST_KEY_NAME = 'Secret Key';

export class ServiceAccountStore {
  private readonly byId: Map<string, StoredServiceAccount>;

  constructor(
    private readonly org: OrgState,
    accounts: readonly StoredServiceAccount[],
  ) {
    this.byId = new Map(accounts.map((a) => [a.id, a]));
  }

  all(): StoredServiceAccount[] {
    return [...this.byId.values()];
  }

  /** A project's service accounts in creation order (ids sort in creation order). */
  ofProject(projectId: string): StoredServiceAccount[] {
    return this.all().filter((a) => a.project_id === projectId);
  }

  get(projectId: string, id: string): StoredServiceAccount {
    this.org.project(projectId);
    const account = this.byId.get(id);
    if (!account || account.project_id !== projectId)
      throw notFound('service_account_not_found', `No service account with id '${id}' in project '${projectId}'.`, 'service_account_id');
    return account;
  }

  /** Creates a service account and, unless `withoutKey`, its first key: the value is answered here only. */
  create(
    p: StoredProject,
    name: string,
    withoutKey: boolean,
  ): { account: StoredServiceAccount; key: StoredKey | null; value: string | null } {
    const account: StoredServiceAccount = {
      id: this.org.nextId('svc_acct_'),
      project_id: p.id,
      name,
      role: withoutKey ? 'none' : 'member',
      created_at: this.org.now(),
    };
    this.save(account);
    this.org.recordAudit('service_account.created', p, { id: account.id, data: { role: account.role } });
    if (withoutKey) return { account, key: null, value: null };
    const { key, value } = this.addKey(p, account, FIRST_KEY_NAME);
    return { account, key, value };
  }

  /** A further key for a service account (`POST …/service_accounts/{id}/api_keys`). */
  addKey(p: StoredProject, account: StoredServiceAccount, name: string): { key: StoredKey; value: string } {
    const made = this.org.addKey(p, name, { service_account_id: account.id });
    this.org.recordAudit('api_key.created', p, { id: made.key.id, data: { scopes: [] } });
    return made;
  }

  /** Renames or changes the role; both are optional and the rest stays. */
  update(p: StoredProject, account: StoredServiceAccount, changes: { name?: string; role?: 'owner' | 'member' }): StoredServiceAccount {
    const next = { ...account, ...changes };
    this.save(next);
    this.org.recordAudit('service_account.updated', p, { id: account.id, changes_requested: changes });
    return next;
  }

  /** Deletes the service account and every key it owns (they stop authenticating at once). */
  delete(p: StoredProject, account: StoredServiceAccount): void {
    for (const key of [...this.org.keysOf(p.id)]) if (key.service_account_id === account.id) this.org.removeKey(key);
    this.byId.delete(account.id);
    this.org.emit({ op: 'del_sa', id: account.id });
    this.org.recordAudit('service_account.deleted', p, { id: account.id });
  }

  /** The owner of a key, if a service account owns it. */
  ownerOf(key: StoredKey): StoredServiceAccount | null {
    return key.service_account_id ? (this.byId.get(key.service_account_id) ?? null) : null;
  }

  private save(account: StoredServiceAccount): void {
    this.byId.set(account.id, account);
    this.org.emit({ op: 'sa', s: account });
  }
}

/** OpenAI's body for `POST …/service_accounts`: `name` (required), `create_service_account_only`. */
export function validateServiceAccountBody(
  raw: unknown,
  mode: 'create' | 'update',
): { name?: string; role?: 'owner' | 'member'; withoutKey: boolean } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalid('body', 'The request body must be a JSON object.');
  const body = raw as Record<string, unknown>;
  const allowed = mode === 'create' ? ['name', 'create_service_account_only'] : ['name', 'role'];
  for (const field of Object.keys(body)) if (!allowed.includes(field)) throw invalid(field, `Unknown parameter: '${field}'.`);
  let name: string | undefined;
  if (body.name !== undefined || mode === 'create') {
    if (body.name === undefined) throw invalid('name', "Missing required parameter: 'name'.");
    // No documented length limit (assumed: 1 to 256 characters, so a rename can carry bookkeeping).
    if (typeof body.name !== 'string' || body.name.trim() === '' || body.name.length > 256)
      throw invalid('name', "'name' must be a string of 1 to 256 characters.");
    name = body.name;
  }
  const only = body.create_service_account_only;
  if (only !== undefined && only !== null && typeof only !== 'boolean')
    throw invalid('create_service_account_only', "'create_service_account_only' must be a boolean.");
  const role = body.role;
  if (role !== undefined && role !== 'owner' && role !== 'member') throw invalid('role', "'role' must be 'owner' or 'member'.");
  return { ...(name !== undefined ? { name } : {}), ...(role !== undefined ? { role } : {}), withoutKey: only === true };
}

/** 400 as openapi.yaml documents it for an archived project's service accounts (message assumed). */
export function archivedProject(projectId: string): SandboxError {
  return new SandboxError(400, 'project_archived', `Project ${projectId} is archived`, 'invalid_request_error', 'project_id');
}
