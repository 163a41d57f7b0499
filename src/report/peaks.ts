import type { DomainLiveState as LiveState, LiveLimit, UsageRow } from '../core/domain.js';
import { byStart } from './rows.js';
import type { Directory } from './attribution.js';
import type { PeakUse } from './types.js';

/** Above this share of a per-minute limit a project is reported as near it. */
export const NEAR_LIMIT_RATIO = 0.8;

/**
 * The busiest minute per (project, model) in the 1m buckets, against the project's live per-model
 * limits (the organization's when the project reports none for that model).
 */
export function buildPeaks(minutes: readonly UsageRow[], dir: Directory, live: LiveState): PeakUse[] {
  const peaks = new Map<
    string,
    { projectId: string | null; model: string; requests: number; requestsAt: number; tokens: number; tokensAt: number }
  >();
  for (const b of byStart(minutes)) {
    // One bucket may hold several results of the same (project, model) when grouped finer: sum them first.
    const minute = new Map<string, { projectId: string | null; model: string; requests: number; tokens: number }>();
    for (const r of b.results) {
      const model = r.model ?? '(unknown)';
      const id = `${r.project_id}|${model}`;
      const m = minute.get(id) ?? { projectId: r.project_id, model, requests: 0, tokens: 0 };
      m.requests += r.requests;
      m.tokens += r.input_tokens + r.output_tokens;
      minute.set(id, m);
    }
    for (const [id, m] of minute) {
      const p = peaks.get(id) ?? {
        projectId: m.projectId,
        model: m.model,
        requests: 0,
        requestsAt: b.start_time,
        tokens: 0,
        tokensAt: b.start_time,
      };
      if (m.requests > p.requests) Object.assign(p, { requests: m.requests, requestsAt: b.start_time });
      if (m.tokens > p.tokens) Object.assign(p, { tokens: m.tokens, tokensAt: b.start_time });
      peaks.set(id, p);
    }
  }
  const orgLimits = new Map(live.limits.map((r) => [r.model, r]));
  const rows: PeakUse[] = [];
  for (const p of peaks.values()) {
    if (p.requests === 0 && p.tokens === 0) continue;
    const project = dir.project(p.projectId);
    const limit: LiveLimit | undefined = project.live?.limits.find((r) => r.model === p.model) ?? orgLimits.get(p.model);
    const rpm = limit?.values.requests_per_minute ?? null;
    const tpm = limit?.values.tokens_per_minute ?? null;
    const requests_ratio = rpm ? round(p.requests / rpm) : null;
    const tokens_ratio = tpm ? round(p.tokens / tpm) : null;
    rows.push({
      project: project.name,
      project_id: project.id,
      team: project.team,
      model: p.model,
      peak_requests_per_minute: p.requests,
      peak_tokens_per_minute: p.tokens,
      peak_at: (tokens_ratio ?? 0) > (requests_ratio ?? 0) ? p.tokensAt : p.requestsAt,
      limit_requests_per_minute: rpm,
      limit_tokens_per_minute: tpm,
      requests_ratio,
      tokens_ratio,
    });
  }
  return rows.sort((a, b) => peakRatio(b) - peakRatio(a) || cmp(a.project, b.project) || cmp(a.model, b.model));
}

/** The larger of the two ratios (0 without limits). */
export const peakRatio = (p: PeakUse): number => Math.max(p.requests_ratio ?? 0, p.tokens_ratio ?? 0);

const round = (x: number) => Math.round(x * 1e4) / 1e4;
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
