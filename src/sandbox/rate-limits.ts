/** Per-key rate-limit windows and Groq's rate-limit headers, as pure functions of the clock. */

/** The limits the sandbox organization applies to a key whose own limit is `null`. */
export const ORG_DEFAULT_LIMITS = { requests_per_minute: 1000, tokens_per_minute: 1_000_000, requests_per_day: 1_000_000, tokens_per_day: 100_000_000 };
export type EffectiveLimits = typeof ORG_DEFAULT_LIMITS;

/** What a key has used in the current minute and UTC day. */
export interface Window {
  minute: number;
  minute_requests: number;
  minute_tokens: number;
  day: string;
  day_requests: number;
  day_tokens: number;
}

export interface RateLimitRefusal {
  unit: 'requests' | 'tokens';
  per: 'minute' | 'day';
  limit: number;
  used: number;
  requested: number;
  waitMs: number;
}

/**
 * Counts one request of `tokens` against a key's windows, or names the limit that refuses it (the
 * windows then stay as they were). Either way, the headers Groq sends: requests per day, tokens per minute.
 */
export function admitRequest(previous: Window | undefined, limits: EffectiveLimits, nowMs: number, tokens: number): { window: Window; headers: Record<string, string>; refusal: RateLimitRefusal | null } {
  const minute = Math.floor(nowMs / 60_000);
  const day = new Date(nowMs).toISOString().slice(0, 10);
  const w: Window = { minute, minute_requests: 0, minute_tokens: 0, day, day_requests: 0, day_tokens: 0 };
  if (previous?.minute === minute) Object.assign(w, { minute_requests: previous.minute_requests, minute_tokens: previous.minute_tokens });
  if (previous?.day === day) Object.assign(w, { day_requests: previous.day_requests, day_tokens: previous.day_tokens });
  const msToMinute = (minute + 1) * 60_000 - nowMs;
  const msToDay = Date.parse(`${day}T00:00:00Z`) + 86_400_000 - nowMs;

  const checks: [RateLimitRefusal['unit'], RateLimitRefusal['per'], number, number, number, number][] = [
    ['requests', 'minute', limits.requests_per_minute, w.minute_requests, 1, msToMinute],
    ['requests', 'day', limits.requests_per_day, w.day_requests, 1, msToDay],
    ['tokens', 'minute', limits.tokens_per_minute, w.minute_tokens, tokens, msToMinute],
    ['tokens', 'day', limits.tokens_per_day, w.day_tokens, tokens, msToDay],
  ];
  const over = checks.find(([, , limit, used, requested]) => used + requested > limit);
  const refusal = over ? { unit: over[0], per: over[1], limit: over[2], used: over[3], requested: over[4], waitMs: over[5] } : null;
  if (!refusal) {
    w.minute_requests += 1;
    w.minute_tokens += tokens;
    w.day_requests += 1;
    w.day_tokens += tokens;
  }
  const headers: Record<string, string> = {
    'x-ratelimit-limit-requests': String(limits.requests_per_day),
    'x-ratelimit-remaining-requests': String(Math.max(0, limits.requests_per_day - w.day_requests)),
    'x-ratelimit-limit-tokens': String(limits.tokens_per_minute),
    'x-ratelimit-remaining-tokens': String(Math.max(0, limits.tokens_per_minute - w.minute_tokens)),
    // Groq reports when the used requests will have replenished at the daily rate.
    'x-ratelimit-reset-requests': formatGoDuration((86_400_000 / Math.max(1, limits.requests_per_day)) * Math.max(1, w.day_requests)),
    'x-ratelimit-reset-tokens': formatGoDuration(msToMinute),
  };
  if (refusal) headers['retry-after'] = String(Math.max(1, Math.ceil(refusal.waitMs / 1000)));
  return { window: w, headers, refusal };
}

/** Groq's wording for a 429. */
export function rateLimitMessage(model: string, org: string, r: RateLimitRefusal): string {
  const label = `${r.unit} per ${r.per} (${r.unit === 'requests' ? 'R' : 'T'}P${r.per === 'minute' ? 'M' : 'D'})`;
  return `Rate limit reached for model \`${model}\` in organization \`${org}\` service tier \`on_demand\` on ${label}: Limit ${r.limit}, Used ${r.used}, Requested ${r.requested}. Please try again in ${formatGoDuration(r.waitMs)}.`;
}

/** Go's time.Duration.String() for what Groq's reset headers carry: `2m59.56s`, `7.66s`, `1h2m3s`. */
export function formatGoDuration(ms: number): string {
  const total = Math.max(0, ms) / 1000;
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = Math.round((total % 60) * 100) / 100;
  return `${hours ? `${hours}h` : ''}${hours || minutes ? `${minutes}m` : ''}${seconds}s`;
}
