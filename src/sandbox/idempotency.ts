import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/canonical-json.js';
import { SandboxError } from './errors.js';
import type { IdempotencyRecord } from './snapshot.js';

export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

export interface Replay {
  status: number;
  body: unknown;
}

/**
 * `Idempotency-Key` records. Every record lives exactly 24 hours and the clock only moves forward, so
 * records expire in insertion order: pruning looks at the front of the (insertion-ordered) Map and
 * stops at the first live one. Each record is visited at most once by pruning, so a create costs
 * amortised O(1), where walking the whole table on every create made seeding quadratic.
 */
export class IdempotencyTable {
  private readonly records: Map<string, IdempotencyRecord>;
  /** Records looked at by pruning since start: the work the benchmark and the tests count. */
  pruneVisits = 0;

  constructor(entries: Iterable<[string, IdempotencyRecord]>) {
    this.records = new Map(entries);
  }

  get size(): number {
    return this.records.size;
  }

  entries(): [string, IdempotencyRecord][] {
    return [...this.records.entries()];
  }

  /** The replay of an earlier request with this key, `null` if none; 409 when the key came with another request. */
  lookUp(key: string, path: string, body: unknown, now: number): Replay | null {
    this.prune(now);
    const record = this.records.get(key);
    if (!record) return null;
    if (record.request_sha256 !== requestHash(path, body)) {
      throw new SandboxError(
        409,
        'idempotency_key_reused',
        'This Idempotency-Key was already used with a different request.',
        'invalid_request_error',
      );
    }
    return { status: record.status, body: record.response };
  }

  remember(key: string, path: string, body: unknown, reply: Replay, now: number): [string, IdempotencyRecord] {
    this.prune(now);
    const record: IdempotencyRecord = {
      request_sha256: requestHash(path, body),
      status: reply.status,
      response: reply.body,
      expires_at: now + IDEMPOTENCY_TTL_SECONDS,
    };
    this.records.delete(key);
    this.records.set(key, record);
    return [key, record];
  }

  private prune(now: number): void {
    for (const [key, record] of this.records) {
      this.pruneVisits += 1;
      if (record.expires_at > now) return;
      this.records.delete(key);
    }
  }
}

function requestHash(path: string, body: unknown): string {
  return createHash('sha256')
    .update(path)
    .update('\n')
    .update(canonicalJson(body ?? null))
    .digest('hex');
}
