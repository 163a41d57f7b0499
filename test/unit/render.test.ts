import { describe, expect, it } from 'vitest';
import { planChanges } from '../../src/plan/plan-changes.js';
import { renderPlanJson } from '../../src/plan/render-json.js';
import { MARKDOWN_BUDGET, PLAN_COMMENT_MARKER, renderPlanMarkdown } from '../../src/plan/render-markdown.js';
import { renderPlanText } from '../../src/plan/render-text.js';
import { makeDesired, makeDesiredKey, makeLive, makeLiveKey, managedKeyFor, NOW } from '../helpers/builders.js';

/** A plan with one of everything: spending, create, update (scalar and list), adopt, delete, unmanaged, warnings, a refusal. */
function richPlan() {
  const keep = makeDesiredKey('chatbot-prod', { models: ['openai/gpt-oss-120b', 'qwen/qwen3.8-27b'] });
  const desired = makeDesired(
    [keep, makeDesiredKey('chatbot-new'), makeDesiredKey('search-legacy', { team: 'search' })],
    { spending: { monthly_cap_usd: 500, alert_thresholds_usd: [100, 250], auto_pause: true }, safety: { maxDeletes: 0, maxDeletePercent: 25 } },
  );
  const live = makeLive([
    managedKeyFor(keep, { id: 'key_prod', redacted_value: 'gsk_…Pr0d', requests_per_minute: 50, allowed_models: ['openai/gpt-oss-120b', 'openai/gpt-oss-20b'] }),
    makeLiveKey({ id: 'key_legacy', name: 'search-legacy', redacted_value: 'gsk_…L3gc', allowed_models: ['openai/gpt-oss-20b'], requests_per_minute: 100, tokens_per_minute: 10_000 }),
    managedKeyFor(makeDesiredKey('chatbot-old'), { id: 'key_old', redacted_value: 'gsk_…0ld1' }),
    makeLiveKey({ id: 'key_console', name: 'made-in-console', redacted_value: 'gsk_…C0n5', last_used_at: Date.UTC(2026, 10, 1) / 1000 }),
  ], { spending: { monthly_cap_usd: 300, alert_thresholds_usd: [100], auto_pause: true, month_to_date_usd: 12, status: 'active' } });
  return planChanges(desired, live, NOW);
}

describe('renderings', () => {
  it('text, Terraform-like', async () => {
    await expect(renderPlanText(richPlan())).toMatchFileSnapshot('__snapshots__/rich-plan.txt');
  });

  it('markdown, for a pull-request comment', async () => {
    const md = renderPlanMarkdown(richPlan());
    expect(md.startsWith(PLAN_COMMENT_MARKER)).toBe(true);
    await expect(md).toMatchFileSnapshot('__snapshots__/rich-plan.md');
  });

  it('text and markdown for no changes', () => {
    const plan = planChanges(makeDesired([]), makeLive([]), NOW);
    expect(renderPlanText(plan)).toBe('No changes. Organization org_test matches the policies.\n');
    expect(renderPlanMarkdown(plan)).toContain('**No changes.** The organization matches the policies.');
  });

  it('json carries the documented shape', () => {
    const json = JSON.parse(renderPlanJson(richPlan()));
    expect(Object.keys(json)).toEqual(['format_version', 'org', 'generated_at', 'fingerprint', 'summary', 'changes', 'unmanaged', 'warnings', 'refusals']);
    expect(json.format_version).toBe(1);
    expect(json.summary).toEqual({ create: 1, update: 2, delete: 1, adopt: 1, rotate: 0 });
    for (const c of json.changes) expect(Object.keys(c)).toEqual(expect.arrayContaining(['action', 'team', 'key', 'before', 'after', 'fields']));
  });

  it('markdown stays under GitHub’s comment limit for a huge plan, keeping the summary', () => {
    const keys = Array.from({ length: 3000 }, (_, i) => makeDesiredKey(`key-${i}`, { team: `team-${i % 40}` }));
    const md = renderPlanMarkdown(planChanges(makeDesired(keys), makeLive([]), NOW));
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_BUDGET + 1);
    expect(md).toContain('| **Total** | **3000** | **0** | **0** | **0** |');
    expect(md).toContain('The per-team details are too long for one comment');
  });

  it('escapes live key names so they cannot break the table or the code fence', () => {
    const plan = planChanges(makeDesired([]), makeLive([makeLiveKey({ name: 'a|b```c<script>' })]), NOW);
    const md = renderPlanMarkdown(plan);
    expect(md).toContain('| a\\|b\\`\\`\\`c\\<script\\> |');
  });
});
