import { describe, expect, it } from 'vitest';
import {
  countRequest,
  findRefusal,
  formatGoDuration,
  rateLimitHeaders,
  rateLimitMessage,
  requestTooLargeMessage,
  rollWindow,
} from '../../src/sandbox/rate-limits.js';

const limits = { max_requests_per_1_minute: 2, max_tokens_per_1_minute: 100, max_requests_per_1_day: 1000, max_tokens_per_1_day: 10_000 };
const T = Date.parse('2026-11-27T12:00:10Z');
const DAY = Math.floor(T / 86_400_000);

describe('rate-limit windows', () => {
  it('counts a request, and answers with Groq’s headers: requests per day, tokens per minute', () => {
    const w = rollWindow(undefined, T);
    expect(findRefusal(w, limits, T, 15)).toBeNull();
    countRequest(w, 15);
    expect(w).toEqual({ minute: Math.floor(T / 60_000), minute_requests: 1, minute_tokens: 15, day: DAY, day_requests: 1, day_tokens: 15 });
    expect(rateLimitHeaders([{ w, limits }], T)).toEqual({
      'x-ratelimit-limit-requests': '1000',
      'x-ratelimit-remaining-requests': '999',
      'x-ratelimit-limit-tokens': '100',
      'x-ratelimit-remaining-tokens': '85',
      'x-ratelimit-reset-requests': '1m26.4s',
      'x-ratelimit-reset-tokens': '50s',
    });
  });

  it('over several scopes (project and organization) the headers report the tightest', () => {
    const project = rollWindow(undefined, T);
    const orgWide = { ...rollWindow(undefined, T), day_requests: 995, minute_tokens: 10 };
    const headers = rateLimitHeaders(
      [
        { w: project, limits },
        { w: orgWide, limits: { ...limits, max_tokens_per_1_minute: 50 } },
      ],
      T,
    );
    expect(headers).toMatchObject({
      'x-ratelimit-limit-requests': '1000',
      'x-ratelimit-remaining-requests': '5',
      'x-ratelimit-limit-tokens': '50',
      'x-ratelimit-remaining-tokens': '40',
    });
  });

  it('refuses the third request in a minute, and frees it the next minute; the day counts on', () => {
    let w = rollWindow(undefined, T);
    countRequest(w, 1);
    countRequest(w, 1);
    const refusal = findRefusal(w, limits, T + 2000, 1);
    expect(refusal).toEqual({ unit: 'requests', per: 'minute', limit: 2, used: 2, requested: 1, waitMs: 48_000 });
    expect(rateLimitMessage('m', 'org_x', refusal!)).toBe(
      'Rate limit reached for model `m` in organization `org_x` service tier `on_demand` on requests per minute (RPM): Limit 2, Used 2, Requested 1. Please try again in 48s. Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing',
    );
    w = rollWindow(w, T + 60_000);
    expect(w).toMatchObject({ minute_requests: 0, day_requests: 2 });
    expect(findRefusal(w, limits, T + 60_000, 1)).toBeNull();
    expect(rollWindow(w, T + 86_400_000)).toMatchObject({ day_requests: 0 });
  });

  it('refuses tokens that would pass the minute’s or the day’s budget', () => {
    expect(findRefusal(rollWindow(undefined, T), limits, T, 101)).toMatchObject({
      unit: 'tokens',
      per: 'minute',
      limit: 100,
      used: 0,
      requested: 101,
    });
    const w = { ...rollWindow(undefined, T), day_tokens: 9_950 };
    expect(findRefusal(w, limits, T, 60)).toMatchObject({ unit: 'tokens', per: 'day', limit: 10_000, used: 9_950, requested: 60 });
  });

  it('words a request larger than the minute’s tokens as Groq’s 413', () => {
    expect(requestTooLargeMessage('m', 'org_x', 100, 250)).toBe(
      'Request too large for model `m` in organization `org_x` service tier `on_demand` on tokens per minute (TPM): Limit 100, Requested 250, please reduce your message size and try again. Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing',
    );
  });
});

describe('formatGoDuration', () => {
  it.each([
    [7660, '7.66s'],
    [179_560, '2m59.56s'],
    [3_723_000, '1h2m3s'],
    [0, '0s'],
  ])('%i ms is %s', (ms, text) => {
    expect(formatGoDuration(ms)).toBe(text);
  });
});
