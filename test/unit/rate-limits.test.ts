import { describe, expect, it } from 'vitest';
import { admitRequest, formatGoDuration, rateLimitMessage } from '../../src/sandbox/rate-limits.js';

const limits = { requests_per_minute: 2, tokens_per_minute: 100, requests_per_day: 1000, tokens_per_day: 10_000 };
const T = Date.parse('2026-11-27T12:00:10Z');

describe('admitRequest', () => {
  it('counts a request and answers with Groq’s headers: requests per day, tokens per minute', () => {
    const { window, headers, refusal } = admitRequest(undefined, limits, T, 15);
    expect(refusal).toBeNull();
    expect(window).toEqual({ minute: Math.floor(T / 60_000), minute_requests: 1, minute_tokens: 15, day: '2026-11-27', day_requests: 1, day_tokens: 15 });
    expect(headers).toEqual({
      'x-ratelimit-limit-requests': '1000', 'x-ratelimit-remaining-requests': '999',
      'x-ratelimit-limit-tokens': '100', 'x-ratelimit-remaining-tokens': '85',
      'x-ratelimit-reset-requests': '1m26.4s', 'x-ratelimit-reset-tokens': '50s',
    });
  });

  it('refuses the third request in a minute, leaves the window unchanged, and frees it the next minute', () => {
    let w = admitRequest(undefined, limits, T, 1).window;
    w = admitRequest(w, limits, T + 1000, 1).window;
    const refused = admitRequest(w, limits, T + 2000, 1);
    expect(refused.refusal).toEqual({ unit: 'requests', per: 'minute', limit: 2, used: 2, requested: 1, waitMs: 48_000 });
    expect(refused.window.minute_requests).toBe(2);
    expect(refused.headers['retry-after']).toBe('48');
    expect(rateLimitMessage('m', 'org_x', refused.refusal!)).toBe('Rate limit reached for model `m` in organization `org_x` service tier `on_demand` on requests per minute (RPM): Limit 2, Used 2, Requested 1. Please try again in 48s.');
    expect(admitRequest(w, limits, T + 60_000, 1).refusal).toBeNull();
  });

  it('refuses a request whose tokens would pass the minute’s budget', () => {
    expect(admitRequest(undefined, limits, T, 101).refusal).toMatchObject({ unit: 'tokens', per: 'minute', limit: 100, used: 0, requested: 101 });
  });
});

describe('formatGoDuration', () => {
  it.each([[7660, '7.66s'], [179_560, '2m59.56s'], [3_723_000, '1h2m3s'], [0, '0s']])('%i ms is %s', (ms, text) => {
    expect(formatGoDuration(ms)).toBe(text);
  });
});
