/**
 * The usage report's data: one shape, rendered as text, Markdown or JSON (docs/usage-format.md).
 * Built purely from buckets, costs, the policies and the live organization by `buildUsageReport`.
 */

export const BREAKDOWNS = ['team', 'project', 'key', 'model'] as const;
export type Breakdown = (typeof BREAKDOWNS)[number];

/** Where a project no policy names is counted in the team breakdown. */
export const UNMANAGED_TEAM = '(no policy)';

/** Requests, tokens and cost over some span. `cost_usd` is the costs endpoint's amount (USD). */
export interface Figures {
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
}

export interface BreakdownRow extends Figures {
  /** Team name, project name, key label (policy key name, else `live name (key_id)`) or model id. */
  name: string;
  /** The team the row belongs to (all but model rows). */
  team: string | null;
  /** The project the row belongs to (key rows). */
  project: string | null;
  /** False: no policy names it (an unmanaged project or key, or a team of unmanaged projects). */
  managed: boolean;
  /** Share of the period's cost, 0..1. */
  share: number;
  /** True for key rows whose cost was split between keys by tokens (the costs endpoint bills per project and model). */
  cost_estimated: boolean;
  today: Figures;
}

export interface DailyCost {
  /** UTC day, `YYYY-MM-DD`. */
  date: string;
  cost_usd: number;
  requests: number;
  /** Team → cost that day. */
  by_team: Record<string, number>;
}

export interface PeakUse {
  project: string;
  project_id: string;
  team: string;
  model: string;
  peak_requests_per_minute: number;
  /** Input plus output tokens in the busiest minute. */
  peak_tokens_per_minute: number;
  /** Start of the busiest minute by the larger ratio (Unix seconds). */
  peak_at: number;
  /** The project's live per-model limits (`null` when the organization reports none). */
  limit_requests_per_minute: number | null;
  limit_tokens_per_minute: number | null;
  /** Peak / limit; `null` without a limit. */
  requests_ratio: number | null;
  tokens_ratio: number | null;
}

export interface SpendStatus {
  /** `YYYY-MM`, UTC. */
  month: string;
  /** From the costs endpoint since the 1st of the month (UTC). */
  month_to_date_usd: number;
  limit_usd: number | null;
  /** The org reports the limit as enforcing: inference is blocked. */
  enforcing: boolean;
  alerts: { threshold_usd: number; reached: boolean }[];
  /** Linear: month-to-date spend / elapsed share of the month. */
  projected_month_end_usd: number;
  /** When the projection crosses the limit (`YYYY-MM-DD`), if it does this month. */
  projected_limit_date: string | null;
}

export type FindingKind =
  'idle_key' | 'limit_reached' | 'limit_near' | 'unmanaged_project' | 'unmanaged_key' | 'spend_share_growth' | 'spend_limit';

export interface Finding {
  kind: FindingKind;
  severity: 'warning' | 'notice';
  team: string | null;
  project: string | null;
  key: string | null;
  model: string | null;
  message: string;
  /** The policy file and line to change; `line` null when only the file is known; `null` when no policy file names it. */
  source: { file: string; line: number | null } | null;
}

export interface UsageReport {
  format_version: 1;
  org: string;
  /** Whose organization (`groq`, `openai`), as org.yaml's `provider:` says it; absent: groq. */
  provider?: string;
  /** The organization's clock when read (Unix seconds). */
  now: number;
  period: { since: string; until: string; start_time: number; end_time: number; days: number };
  today: { date: string; start_time: number; end_time: number };
  /** The breakdown the text and Markdown renderers show. */
  by: Breakdown;
  totals: { period: Figures; today: Figures };
  breakdown: Record<Breakdown, BreakdownRow[]>;
  daily: DailyCost[];
  peaks: { start_time: number; end_time: number; rows: PeakUse[] };
  spend: SpendStatus;
  findings: Finding[];
}

/** The time windows a report covers, and the bucket ranges to fetch for them (see `usageWindows`). */
export interface UsageWindows {
  now: number;
  period: { since: string; until: string; start_time: number; end_time: number; days: number };
  today: { date: string; start_time: number; end_time: number };
  month: { month: string; start_time: number; end_time: number };
  /** 1m buckets: the last day of the period, minute-aligned. */
  peaks: { start_time: number; end_time: number };
  /** 1d usage buckets to fetch: the period, and today when the period does not reach it. */
  usageRanges: { start_time: number; end_time: number }[];
  /** 1d cost buckets to fetch: the period, and the month to date when the period does not cover it. */
  costRanges: { start_time: number; end_time: number }[];
}
