/**
 * Keys as service accounts (docs/openai-admin-api.md, "Service accounts"): one account per key
 * generation, its name carrying the marks (bookkeeping.ts). OpenAI has no idempotency key, so a
 * create whose answer is lost (no answer, or a 5xx: it may have been made) is never simply sent
 * again: the project's service accounts are listed, those with this create's nonce deleted, and
 * only then is it sent again. After any failed attempt, the accounts are listed once more when the
 * create succeeds, and any other account with the nonce is deleted: never two live generations
 * that nobody knows about.
 */
import type { KeyMarks, LiveKey } from '../../core/domain.js';
import { InternalError } from '../../core/errors.js';
import type { CreatedKey } from '../../core/provider.js';
import { DELIVERED_ON_CREATE, decodeName, encodeName, nonceFor } from './bookkeeping.js';
import { enc, projectPath, type OpenAiClient } from './client.js';
import { ProviderError, redactOpenAi } from './errors.js';
import { ignoreNotFound } from './write.js';
import type { WireServiceAccount, WireServiceAccountCreated } from './wire.js';

export interface KeyWriterOptions {
  /** How to wait between attempts (tests record instead of waiting). */
  sleep: (ms: number) => Promise<void>;
  /** Attempts of one create, the first included. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

const accountsPath = (projectId: string) => `${projectPath(projectId)}/service_accounts`;

export class KeyWriter {
  /** Service account id → its raw name, as last read or written: a rename keeps the nonce. */
  readonly names = new Map<string, string>();

  constructor(
    private readonly client: OpenAiClient,
    private readonly options: KeyWriterOptions,
  ) {}

  async create(projectId: string, input: { name: string; marks: KeyMarks }, identity: string): Promise<CreatedKey> {
    if (input.name !== input.marks.key) throw new InternalError(`an OpenAI key's name is its policy key: "${input.name}" ≠ "${input.marks.key}"`);
    const nonce = nonceFor(identity);
    const name = encodeName(input.marks, nonce);
    const attempts = this.options.maxAttempts ?? 5;
    let uncertain = false;
    let failed = false;
    for (let attempt = 1; ; attempt++) {
      if (uncertain) await this.purge(projectId, nonce, null);
      let made: WireServiceAccountCreated;
      try {
        made = await this.client.call<WireServiceAccountCreated>({ method: 'POST', path: accountsPath(projectId), body: { name }, retrySafe: false });
      } catch (error) {
        if (!(error instanceof ProviderError) || !error.retryable || attempt >= attempts) throw error;
        failed = true;
        // A 429 was refused before anything was made (assumed: OpenAI's rate limiter answers first);
        // no answer or a 5xx may have been made.
        uncertain = error.kind === 'unavailable';
        await this.options.sleep(this.delay(attempt, error.retryAfterMs));
        continue;
      }
      if (!made?.api_key?.value || !made.api_key.id) {
        // Without the value the key is of no use to anyone: take it away again.
        if (made?.id) await this.deleteAccount(projectId, made.id);
        throw new ProviderError({ provider: 'openai', kind: 'invalid', status: 200, code: null, method: 'POST', path: accountsPath(projectId), message: `POST ${accountsPath(projectId)} answered without the new key's value; the service account was deleted again. Try again.` });
      }
      if (failed) await this.purge(projectId, nonce, made.id);
      this.names.set(made.id, name);
      const decoded = decodeName(name, new Map([[name.split(' ')[1]!, input.marks.key]]))!;
      const createdAt = made.api_key.created_at ?? made.created_at;
      const marks = { ...decoded.marks, key: input.marks.key, delivered_at: decoded.marks.delivered_at === DELIVERED_ON_CREATE ? createdAt : decoded.marks.delivered_at };
      const key: LiveKey = { id: made.api_key.id, handle: made.id, name: input.marks.key, redacted_value: redactedForm(made.api_key.value), created_at: createdAt, last_used_at: null, marks };
      return { key, value: made.api_key.value, replayed: false };
    }
  }

  /** Renames the key's service account so that its name carries `marks` merged over the current ones. */
  async updateMarks(projectId: string, key: LiveKey, marks: Partial<KeyMarks>): Promise<LiveKey> {
    const handle = requireHandle(key);
    let raw = this.names.get(handle);
    if (raw === undefined) {
      raw = (await this.client.call<WireServiceAccount>({ method: 'GET', path: `${accountsPath(projectId)}/${enc(handle)}` })).name;
      this.names.set(handle, raw);
    }
    // An unmanaged account being adopted gets a nonce of its own.
    const nonce = decodeName(raw)?.nonce ?? nonceFor(`adopt:${handle}`);
    const base: KeyMarks = key.marks ?? { key: marks.key ?? key.name, generation: 1, trigger: null, delivered_at: null, targets: null, protect: false };
    const next: KeyMarks = { ...base, ...marks };
    const name = encodeName(next, nonce);
    await this.client.call<WireServiceAccount>({ method: 'POST', path: `${accountsPath(projectId)}/${enc(handle)}`, body: { name }, retrySafe: true });
    this.names.set(handle, name);
    return { ...key, name: next.key, marks: next };
  }

  /**
   * Deletes the key: its service account (OpenAI refuses to delete a service account's key alone,
   * openapi.yaml `delete-project-api-key`), or a user's key itself. Gone already counts as done.
   */
  async delete(projectId: string, key: LiveKey): Promise<void> {
    if (key.handle) {
      await this.deleteAccount(projectId, key.handle);
      this.names.delete(key.handle);
      return;
    }
    await ignoreNotFound(this.client.call({ method: 'DELETE', path: `${projectPath(projectId)}/api_keys/${enc(key.id)}` }));
  }

  /** Deletes every service account of the project with `nonce` except `keep`; returns how many. */
  private async purge(projectId: string, nonce: string, keep: string | null): Promise<number> {
    const accounts = await this.client.list<WireServiceAccount>(accountsPath(projectId));
    const ours = accounts.filter((a) => a.id !== keep && decodeName(a.name)?.nonce === nonce);
    for (const a of ours) await this.deleteAccount(projectId, a.id);
    return ours.length;
  }

  private async deleteAccount(projectId: string, id: string): Promise<void> {
    await ignoreNotFound(this.client.call({ method: 'DELETE', path: `${accountsPath(projectId)}/${enc(id)}` }));
  }

  /** `retry-after` is a floor; otherwise exponential back-off, half of it jitter-free. */
  private delay(attempt: number, retryAfterMs: number | null): number {
    if (retryAfterMs !== null) return retryAfterMs;
    const base = this.options.baseDelayMs ?? 250;
    return Math.min(this.options.maxDelayMs ?? 8_000, base * 2 ** (attempt - 1));
  }
}

/** openapi.yaml's `redacted_value` form (`sk-abc...def`): the kind prefix, `...`, the last four. */
export function redactedForm(value: string): string {
  const kind = /^sk-(?:[a-z]+-)?/.exec(value)?.[0] ?? 'sk-';
  return `${kind}...${value.slice(-4)}`;
}

function requireHandle(key: LiveKey): string {
  if (!key.handle) throw new InternalError(`key ${redactOpenAi(key.id)} has no service account: OpenAI keeps marks only in service account names`);
  return key.handle;
}
