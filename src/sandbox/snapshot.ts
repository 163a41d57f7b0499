/** What the sandbox keeps: the state file's shape, and the journal's deltas over it. */
import type { ApiKey, DailyUsage } from '../groq/types.js';
import type { Window } from './rate-limits.js';

export interface StoredKey extends ApiKey {
  seq: number;
  value_sha256: string;
  /** Inference seconds not yet visible through `last_used_at` (usage lag). */
  recent_uses: number[];
}

export interface IdempotencyRecord {
  body_sha256: string;
  response: unknown;
  expires_at: number;
}

export type UsageRow = DailyUsage;

/** What the state file holds. */
export interface OrgSnapshot {
  version: 1;
  org: { id: string; name: string };
  clock_offset_ms: number;
  seq: number;
  keys: StoredKey[];
  idempotency: Record<string, IdempotencyRecord>;
  usage: UsageRow[];
  windows: Record<string, Window>;
  spending: { monthly_cap_usd: number | null; alert_thresholds_usd: number[]; auto_pause: boolean };
  month_totals: Record<string, number>;
}

/**
 * One change to the organization, as an absolute value (never an increment), so that replaying a
 * journal over a snapshot that already holds some of it gives the same state.
 */
export type Delta =
  | { op: 'key'; key: StoredKey }
  | { op: 'del'; id: string }
  | { op: 'idem'; k: string; r: IdempotencyRecord }
  | { op: 'usage'; row: UsageRow }
  | { op: 'win'; id: string; w: Window }
  | { op: 'spend'; s: OrgSnapshot['spending'] }
  | { op: 'month'; m: string; total: number }
  | { op: 'meta'; seq: number; clock_offset_ms: number }
  | { op: 'reset' };

/** Applies journalled deltas, in order, to a snapshot. */
export function replay(base: OrgSnapshot, deltas: Iterable<Delta>): OrgSnapshot {
  let s = base;
  let keys = new Map(s.keys.map((k) => [k.id, k]));
  let usage = new Map(s.usage.map((r) => [`${r.date}|${r.key_id}`, r]));
  for (const d of deltas) {
    switch (d.op) {
      case 'key': keys.set(d.key.id, d.key); break;
      case 'del': keys.delete(d.id); delete s.windows[d.id]; break;
      case 'idem': s.idempotency[d.k] = d.r; break;
      case 'usage': usage.set(`${d.row.date}|${d.row.key_id}`, d.row); break;
      case 'win': s.windows[d.id] = d.w; break;
      case 'spend': s.spending = d.s; break;
      case 'month': s.month_totals[d.m] = d.total; break;
      case 'meta': s.seq = Math.max(s.seq, d.seq); s.clock_offset_ms = d.clock_offset_ms; break;
      case 'reset':
        s = { ...emptySnapshot(s.org.id, s.org.name), clock_offset_ms: s.clock_offset_ms };
        keys = new Map();
        usage = new Map();
        break;
    }
  }
  return { ...s, keys: [...keys.values()], usage: [...usage.values()] };
}

export function emptySnapshot(id: string, name: string): OrgSnapshot {
  return {
    version: 1, org: { id, name }, clock_offset_ms: 0, seq: 0, keys: [], idempotency: {}, usage: [], windows: {},
    spending: { monthly_cap_usd: null, alert_thresholds_usd: [], auto_pause: true }, month_totals: {},
  };
}
