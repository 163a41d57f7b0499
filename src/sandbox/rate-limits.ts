/** Rate-limit windows, Groq's rate-limit headers and messages, as pure functions of the clock. */
import type { RateLimitValues } from '../providers/groq/wire.js';

/**
 * The organization's limits per model when nothing else is set (a generous paid tier: Groq sets
 * them by tier; the sandbox's are configurable through `/_sandbox/rate_limits`).
 */
export const ORG_DEFAULT_LIMITS: RateLimitValues = {
  max_requests_per_1_minute: 1_000,
  max_tokens_per_1_minute: 1_000_000,
  max_requests_per_1_day: 500_000,
  max_tokens_per_1_day: 100_000_000,
};

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** What one scope (a project on a model, or the organization on a model) has used this minute and this UTC day. */
export interface Window {
  minute: number;
  minute_requests: number;
  minute_tokens: number;
  day: number;
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

/** The window as of `nowMs`: counters of a past minute or day start again from zero. */
export function rollWindow(previous: Window | undefined, nowMs: number): Window {
  const minute = Math.floor(nowMs / MINUTE_MS);
  const day = Math.floor(nowMs / DAY_MS);
  if (previous && previous.minute === minute && previous.day === day) return previous;
  const w: Window = { minute, minute_requests: 0, minute_tokens: 0, day, day_requests: 0, day_tokens: 0 };
  if (previous?.minute === minute) {
    w.minute_requests = previous.minute_requests;
    w.minute_tokens = previous.minute_tokens;
  }
  if (previous?.day === day) {
    w.day_requests = previous.day_requests;
    w.day_tokens = previous.day_tokens;
  }
  return w;
}

/** The first of a window's four limits that one more request of `tokens` would pass, or `null`. */
export function findRefusal(w: Window, limits: RateLimitValues, nowMs: number, tokens: number): RateLimitRefusal | null {
  const toMinute = (w.minute + 1) * MINUTE_MS - nowMs;
  const toDay = (w.day + 1) * DAY_MS - nowMs;
  if (w.minute_requests + 1 > limits.max_requests_per_1_minute)
    return {
      unit: 'requests',
      per: 'minute',
      limit: limits.max_requests_per_1_minute,
      used: w.minute_requests,
      requested: 1,
      waitMs: toMinute,
    };
  if (w.day_requests + 1 > limits.max_requests_per_1_day)
    return { unit: 'requests', per: 'day', limit: limits.max_requests_per_1_day, used: w.day_requests, requested: 1, waitMs: toDay };
  if (w.minute_tokens + tokens > limits.max_tokens_per_1_minute)
    return {
      unit: 'tokens',
      per: 'minute',
      limit: limits.max_tokens_per_1_minute,
      used: w.minute_tokens,
      requested: tokens,
      waitMs: toMinute,
    };
  if (w.day_tokens + tokens > limits.max_tokens_per_1_day)
    return { unit: 'tokens', per: 'day', limit: limits.max_tokens_per_1_day, used: w.day_tokens, requested: tokens, waitMs: toDay };
  return null;
}

export function countRequest(w: Window, tokens: number): void {
  w.minute_requests += 1;
  w.minute_tokens += tokens;
  w.day_requests += 1;
  w.day_tokens += tokens;
}

/**
 * Groq's headers, over every scope a request counts against (the tightest wins): requests per day,
 * tokens per minute, Go-style reset durations.
 */
export function rateLimitHeaders(scopes: readonly { w: Window; limits: RateLimitValues }[], nowMs: number): Record<string, string> {
  let limitRequests = Infinity;
  let remainingRequests = Infinity;
  let limitTokens = Infinity;
  let remainingTokens = Infinity;
  let usedRequests = 0;
  for (const { w, limits } of scopes) {
    limitRequests = Math.min(limitRequests, limits.max_requests_per_1_day);
    limitTokens = Math.min(limitTokens, limits.max_tokens_per_1_minute);
    const left = limits.max_requests_per_1_day - w.day_requests;
    if (left < remainingRequests) {
      remainingRequests = left;
      usedRequests = w.day_requests;
    }
    remainingTokens = Math.min(remainingTokens, limits.max_tokens_per_1_minute - w.minute_tokens);
  }
  const minute = Math.floor(nowMs / MINUTE_MS);
  return {
    'x-ratelimit-limit-requests': String(limitRequests),
    'x-ratelimit-remaining-requests': String(Math.max(0, remainingRequests)),
    'x-ratelimit-limit-tokens': String(limitTokens),
    'x-ratelimit-remaining-tokens': String(Math.max(0, remainingTokens)),
    // Groq reports when the used requests will have replenished at the daily rate.
    'x-ratelimit-reset-requests': formatGoDuration((DAY_MS / Math.max(1, limitRequests)) * Math.max(1, usedRequests)),
    'x-ratelimit-reset-tokens': formatGoDuration((minute + 1) * MINUTE_MS - nowMs),
  };
}

const UPGRADE = 'Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing';

/** Groq's wording for a 429. */
export function rateLimitMessage(model: string, org: string, r: RateLimitRefusal): string {
  return `Rate limit reached for model \`${model}\` in organization \`${org}\` service tier \`on_demand\` on ${limitLabel(r.unit, r.per)}: Limit ${r.limit}, Used ${r.used}, Requested ${r.requested}. Please try again in ${formatGoDuration(r.waitMs)}. ${UPGRADE}`;
}

/** Groq's wording for a 413: one request larger than the tokens-per-minute limit can never pass. */
export function requestTooLargeMessage(model: string, org: string, limit: number, requested: number): string {
  return `Request too large for model \`${model}\` in organization \`${org}\` service tier \`on_demand\` on ${limitLabel('tokens', 'minute')}: Limit ${limit}, Requested ${requested}, please reduce your message size and try again. ${UPGRADE}`;
}

function limitLabel(unit: 'requests' | 'tokens', per: 'minute' | 'day'): string {
  return `${unit} per ${per} (${unit === 'requests' ? 'R' : 'T'}P${per === 'minute' ? 'M' : 'D'})`;
}

/** Go's time.Duration.String() for what Groq's reset headers carry: `2m59.56s`, `7.66s`, `1h2m3s`. */
export function formatGoDuration(ms: number): string {
  const total = Math.max(0, ms) / 1000;
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = Math.round((total % 60) * 100) / 100;
  return `${hours ? `${hours}h` : ''}${hours || minutes ? `${minutes}m` : ''}${seconds}s`;
}
