/** What the policies mean when they leave a setting out. */

export const SAFETY_DEFAULTS = { maxDeletes: 3, maxDeletePercent: 25 } as const;
export const ROTATION_DEFAULTS = { every: '90d', quiet_period: '24h', min_overlap: '1h' } as const;
