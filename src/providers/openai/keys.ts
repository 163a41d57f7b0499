/**
 * Keys as service accounts (docs/openai-admin-api.md, "Service accounts"): one account per key
 * generation, its name carrying the marks (bookkeeping.ts). OpenAI has no idempotency key, so a
 * create whose answer is lost (no answer, or a 5xx: it may have been made) is never simply sent
 * again: the project's service accounts are listed, those with this create's nonce deleted, and
 * only then is it sent again. After any such attempt, the accounts are listed once more when the
 * create succeeds, and any other account with the nonce is deleted: never two live generations
 * that nobody knows about. A 429 made nothing (assumed): it is waited out and sent again, no list.
 */
import type { KeyMarks, LiveKey } from '../../core/domain.js';
import { InternalError } from '../../core/errors.js';
import { triggerMark } from '../../core/marks.js';
import type { CreatedKey, KeyMarksWrite, KeyRef } from '../../core/provider.js';
import { DELIVERED_ON_CREATE, decodeName, encodeName, nonceFor } from './bookkeeping.js';
import { enc, projectPath, type OpenAiClient } from './client.js';
import { ProviderError, redactOpenAi } from './errors.js';
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

/** The marks as stored: a trigger only as its mark (core/marks.ts), so a read gives back the mark. */
function stored<T extends Partial<KeyMarksWrite>>(marks: T): T {
  const out = { ...marks };
  if (typeof out.trigger === 'string') out.trigger = triggerMark(out.trigger);
  // No targets hash recorded (apply sends '' where a step has none): nothing to store.
  if (out.targets === '') out.targets = null;
  return out;
}

export class KeyWriter {
  /** Service account id → its raw name, as last read or written: a rename keeps the nonce. */
  readonly names = new Map<string, string>();
  /** API key id → its service account id, as last read or made: a plan names keys by id only. */
  readonly accounts = new Map<string, string>();

  constructor(
    private readonly client: OpenAiClient,
    private readonly options: KeyWriterOptions,
  ) {}

  /** Records what a read saw of one key's service account. */
  saw(keyId: string, accountId: string, name: string): void {
    this.names.set(accountId, name);
    this.accounts.set(keyId, accountId);
  }

  async create(projectId: string, input: { name: string; marks: KeyMarksWrite }, identity: string): Promise<CreatedKey> {
    if (input.name !== input.marks.key)
      throw new InternalError(`an OpenAI key's name is its policy key: "${input.name}" ≠ "${input.marks.key}"`);
    const nonce = nonceFor(identity);
    const name = encodeName(stored(input.marks), nonce);
    // No idempotency key: a generation this identity already made (an earlier run's, or another run's
    // now) cannot be answered again with its value. It is the other run's to deliver: a conflict
    // naming its key, never a second account. Known from the read (or this run's creates): no request.
    for (const [keyId, accountId] of this.accounts) {
      const raw = this.names.get(accountId);
      if (raw !== undefined && decodeName(raw)?.nonce === nonce) {
        throw new ProviderError({
          provider: 'openai',
          kind: 'conflict',
          status: 409,
          code: 'generation_exists',
          method: 'POST',
          path: accountsPath(projectId),
          message: `service account ${accountId} already holds this key generation (made by another apply, or an earlier one)`,
          existingId: keyId,
        });
      }
    }
    const attempts = this.options.maxAttempts ?? 5;
    // `uncertain`: the last attempt may have made an account (purge before sending again);
    // `mayHaveMade`: some attempt may have, and may still land (purge the others once one succeeds).
    let uncertain = false;
    let mayHaveMade = false;
    for (let attempt = 1; ; attempt++) {
      if (uncertain) await this.purge(projectId, nonce, null);
      let made: WireServiceAccountCreated;
      try {
        made = await this.client.call<WireServiceAccountCreated>({
          method: 'POST',
          path: accountsPath(projectId),
          body: { name },
          retrySafe: false,
        });
      } catch (error) {
        // A 429 was refused before anything was made (assumed: OpenAI's rate limiter answers first):
        // it is only sent again, with no list, and (as the transport does) "later" gets four times
        // the attempts of "broken". No answer or a 5xx may have been made.
        const throttled = error instanceof ProviderError && error.kind === 'rate_limited';
        if (!(error instanceof ProviderError) || !error.retryable || attempt >= (throttled ? attempts * 4 : attempts)) throw error;
        uncertain = error.kind === 'unavailable';
        mayHaveMade ||= uncertain;
        await this.options.sleep(this.delay(attempt, error.retryAfterMs));
        continue;
      }
      if (!made?.api_key?.value || !made.api_key.id) {
        // Without the value the key is of no use to anyone: take it away again.
        if (made?.id) await this.deleteAccount(projectId, made.id);
        throw new ProviderError({
          provider: 'openai',
          kind: 'invalid',
          status: 200,
          code: null,
          method: 'POST',
          path: accountsPath(projectId),
          message: `POST ${accountsPath(projectId)} answered without the new key's value; the service account was deleted again. Try again.`,
        });
      }
      if (mayHaveMade) await this.purge(projectId, nonce, made.id);
      this.saw(made.api_key.id, made.id, name);
      const decoded = decodeName(name, new Map([[name.split(' ')[1]!, input.marks.key]]))!;
      const createdAt = made.api_key.created_at ?? made.created_at;
      const marks = {
        ...decoded.marks,
        key: input.marks.key,
        delivered_at: decoded.marks.delivered_at === DELIVERED_ON_CREATE ? createdAt : decoded.marks.delivered_at,
      };
      const key: LiveKey = {
        id: made.api_key.id,
        handle: made.id,
        name: input.marks.key,
        redacted_value: redactedForm(made.api_key.value),
        created_at: createdAt,
        last_used_at: null,
        marks,
      };
      return { key, value: made.api_key.value, replayed: false };
    }
  }

  /**
   * Renames the key's service account so that its name carries `marks` merged over the current ones.
   * `_name`: OpenAI's key has one name, its service account's, which carries the policy key: the
   * display name is the policy key, so there is nothing else to rename.
   */
  async updateMarks(projectId: string, key: KeyRef, marks: Partial<KeyMarksWrite>, _name?: string): Promise<LiveKey> {
    const handle = await this.handleOf(projectId, key);
    let raw = this.names.get(handle);
    if (raw === undefined) {
      raw = (await this.client.call<WireServiceAccount>({ method: 'GET', path: `${accountsPath(projectId)}/${enc(handle)}` })).name;
      this.names.set(handle, raw);
    }
    const current = decodeName(raw);
    // An unmanaged account being adopted gets a nonce of its own.
    const nonce = current?.nonce ?? nonceFor(`adopt:${handle}`);
    const base: KeyMarks = current?.marks ?? {
      key: marks.key ?? raw,
      generation: 1,
      trigger: null,
      delivered_at: null,
      targets: null,
      protect: false,
    };
    const next: KeyMarks = { ...base, ...stored(marks) } as KeyMarks;
    for (const f of ['claimed_at', 'discarded_at', 'team'] as const) if (next[f] === null) delete next[f];
    const name = encodeName(next, nonce);
    await this.client.call<WireServiceAccount>({
      method: 'POST',
      path: `${accountsPath(projectId)}/${enc(handle)}`,
      body: { name },
      retrySafe: true,
    });
    this.names.set(handle, name);
    const live = this.known.get(key.id);
    const createdAt = live?.created_at ?? 0;
    const decoded = decodeName(name, new Map([[name.split(' ')[1]!, next.key]]))!.marks;
    const out: KeyMarks = {
      ...decoded,
      key: next.key,
      delivered_at: decoded.delivered_at === DELIVERED_ON_CREATE ? createdAt : decoded.delivered_at,
    };
    return {
      id: key.id,
      handle,
      name: next.key,
      redacted_value: live?.redacted_value ?? '',
      created_at: createdAt,
      last_used_at: live?.last_used_at ?? null,
      marks: out,
    };
  }

  /** Keys as last read or made, for what an update answers besides its marks. */
  readonly known = new Map<string, Pick<LiveKey, 'created_at' | 'redacted_value' | 'last_used_at'>>();

  /**
   * The key's service account: the handle given, else what the read saw, else one list of the
   * project's keys. null: a user's key (no service account).
   */
  async handleOf(projectId: string, key: KeyRef): Promise<string>;
  async handleOf(projectId: string, key: KeyRef, optional: true): Promise<string | null>;
  async handleOf(projectId: string, key: KeyRef, optional = false): Promise<string | null> {
    let handle = key.handle ?? this.accounts.get(key.id) ?? null;
    if (handle === null && this.lister) {
      for (const k of await this.lister(projectId)) if (k.id === key.id && k.handle) handle = k.handle;
    }
    if (handle === null && !optional)
      throw new InternalError(`key ${redactOpenAi(key.id)} has no service account: OpenAI keeps marks only in service account names`);
    return handle;
  }

  /** Lists a project's keys (recording what it sees): set by the provider. */
  lister: ((projectId: string) => Promise<LiveKey[]>) | null = null;

  /**
   * Deletes the key: its service account (OpenAI refuses to delete a service account's key alone,
   * openapi.yaml `delete-project-api-key`), or a user's key itself. A second delete is not_found.
   */
  async delete(projectId: string, key: KeyRef): Promise<void> {
    const handle = await this.handleOf(projectId, key, true);
    if (handle) {
      await this.client.call({ method: 'DELETE', path: `${accountsPath(projectId)}/${enc(handle)}` });
      this.names.delete(handle);
      this.accounts.delete(key.id);
      return;
    }
    await this.client.call({ method: 'DELETE', path: `${projectPath(projectId)}/api_keys/${enc(key.id)}` });
  }

  /** Deletes every service account of the project with `nonce` except `keep`; returns how many. */
  private async purge(projectId: string, nonce: string, keep: string | null): Promise<number> {
    const accounts = await this.client.list<WireServiceAccount>(accountsPath(projectId));
    const ours = accounts.filter((a) => a.id !== keep && decodeName(a.name)?.nonce === nonce);
    for (const a of ours) await this.deleteAccount(projectId, a.id);
    return ours.length;
  }

  /** A 404 is believed only once a read of the account agrees (a spurious one would leave a second generation). */
  private async deleteAccount(projectId: string, id: string): Promise<void> {
    try {
      await this.client.call({ method: 'DELETE', path: `${accountsPath(projectId)}/${enc(id)}` });
    } catch (error) {
      if (!(error instanceof ProviderError) || error.kind !== 'not_found') throw error;
      let there = true;
      try {
        await this.client.call({ method: 'GET', path: `${accountsPath(projectId)}/${enc(id)}` });
      } catch (read) {
        if (!(read instanceof ProviderError) || read.kind !== 'not_found') throw read;
        there = false;
      }
      if (there) throw error;
    }
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
