/** Limit fields as the policies name them, in a fixed order, and the bound on their values. */
import { DOMAIN_LIMIT_FIELDS, type DomainLimitField, type DomainLimitSet } from './domain.js';

/**
 * Limit fields as the policies name them, in a fixed order: every provider's (the domain's). Which
 * of them a provider has is its `Capabilities.limitFields`, checked by src/policy/capabilities.ts.
 */
export const LIMIT_FIELDS = DOMAIN_LIMIT_FIELDS;
export type LimitField = DomainLimitField;

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
