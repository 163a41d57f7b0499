import type { AuditLog } from '../providers/groq/wire.js';
import { invalid } from './errors.js';
import { parseLimit, type ListPage } from './pagination.js';
import { parseArray } from './usage.js';

/** Who changed the organization: every admin call here is made with the organization's admin key. */
export const ADMIN_ACTOR: AuditLog['actor'] = { type: 'api_key', api_key: { id: 'key_admin', type: 'user' } };

/** The audit log, oldest first in memory, newest first on the wire (as OpenAI lists it). Ids grow with time. */
export class AuditTrail {
  constructor(private readonly entries: AuditLog[]) {}

  all(): AuditLog[] {
    return this.entries;
  }

  add(entry: AuditLog): void {
    this.entries.push(entry);
  }

  /** `shown`: the event types this provider has (others are kept, never listed: OpenAI logs no model-permission or spend events). */
  list(query: URLSearchParams, shown?: (type: string) => boolean): ListPage<AuditLog> {
    const limit = parseLimit(query.get('limit'));
    const gteRaw = query.get('effective_at[gte]');
    const gte = gteRaw === null ? null : Number(gteRaw);
    if (gte !== null && !Number.isFinite(gte)) throw invalid('effective_at[gte]', "'effective_at[gte]' must be Unix seconds.");
    const types = parseArray(query, 'event_types');
    const after = query.get('after');
    const data: AuditLog[] = [];
    let hasMore = false;
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i]!;
      if (after !== null && e.id >= after) continue;
      if (gte !== null && e.effective_at < gte) break;
      if (types.length && !types.includes(e.type)) continue;
      if (shown && !shown(e.type)) continue;
      if (data.length === limit) {
        hasMore = true;
        break;
      }
      data.push(e);
    }
    return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: hasMore };
  }
}
