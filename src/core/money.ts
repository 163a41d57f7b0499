/** Dollars (as written in policies) to cents, and back: amounts are compared in whole cents. */
export const usdToCents = (usd: number): number => Math.round(usd * 100);
export const centsToUsd = (cents: number): number => cents / 100;
