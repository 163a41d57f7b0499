/** Limit fields as the policies name them, in a fixed order, and the bound on their values. */
import type { DomainLimitSet } from './domain.js';

/** Limit fields as the policies name them, in a fixed order. */
export const LIMIT_FIELDS = ['requests_per_minute', 'tokens_per_minute', 'requests_per_day', 'tokens_per_day'] as const;
export type LimitField = (typeof LIMIT_FIELDS)[number];

/**
 * The largest limit the policies accept: far above any tier Groq sells, and exactly representable
 * (JSON numbers above 2^53 are silently rounded).
 */
export const MAX_LIMIT = 1_000_000_000_000;

/**
 * Limits written for one model, or as a project's default, or a provider's limit read back: any
 * subset of the domain's fields (core/domain.ts; each provider has some of them).
 */
export type LimitSet = DomainLimitSet;
