import { describe, expect, it } from 'vitest';
import { containsKeyValue } from '../../src/core/redact.js';
import { renderPlanJson } from '../../src/plan/render-json.js';
import { MARKDOWN_BUDGET, PLAN_COMMENT_MARKER, renderPlanMarkdown, splitMarkdown } from '../../src/plan/render-markdown.js';
import { renderPlanText } from '../../src/plan/render-text.js';
import type { Change, Plan } from '../../src/plan/types.js';
import {
  makeKeyChange,
  makeOrgPermissionsChange,
  makePendingStep,
  makePlan,
  makeProjectChange,
  makeProjectPermissionsChange,
  makeRateLimitChange,
  makeRefusal,
  makeSpendAlertChange,
  makeSpendLimitChange,
  makeUnmanagedKey,
  makeUnmanagedProject,
  makeWarning,
  ORG_LIMITS,
  PLAN_NOW,
} from '../helpers/plan-builders.js';

const DAY = 86_400;

/** One of every change kind, action, reason and context, with unmanaged resources, warnings and both kinds of refusal. */
function richPlan(): Plan {
  const changes: Change[] = [
    makeOrgPermissionsChange({
      before: { mode: 'allow_list', models: ['openai/gpt-oss-120b', 'openai/gpt-oss-20b'] },
      after: { mode: 'deny_list', models: ['meta-llama/llama-guard-4-12b', 'openai/gpt-oss-20b'] },
    }),
    makeSpendLimitChange({ action: 'delete' }),
    makeSpendAlertChange({ action: 'delete', alert_id: 'alert_100', threshold_usd: 100, before: { recipients: ['old@acme.example'] } }),
    makeSpendAlertChange({
      action: 'delete',
      reason: 'surplus',
      alert_id: 'alert_dup',
      threshold_usd: 250,
      before: { recipients: ['platform@acme.example'] },
    }),
    makeSpendAlertChange({
      action: 'create',
      threshold_usd: 300,
      after: { recipients: ['finance@acme.example', 'platform@acme.example'] },
    }),
    makeSpendAlertChange({
      action: 'update',
      alert_id: 'alert_400',
      threshold_usd: 400.5,
      before: { recipients: ['old@acme.example', 'platform@acme.example'] },
      after: { recipients: ['finance@acme.example', 'platform@acme.example'] },
    }),
    // A new project: its permissions and limits are set from the organization's defaults, then its key is made.
    makeProjectChange({ project: 'chatbot-prod' }),
    makeProjectPermissionsChange({
      reason: 'new',
      project_id: null,
      before: null,
      after: { mode: 'allow_list', models: ['openai/gpt-oss-120b'] },
    }),
    makeRateLimitChange({
      reason: 'new',
      project_id: null,
      before: ORG_LIMITS,
      after: { ...ORG_LIMITS, requests_per_minute: 500, tokens_per_minute: 60_000 },
    }),
    makeKeyChange('create', { key: 'chatbot-prod-web', project_id: null }),
    // A live project that drifted.
    makeProjectPermissionsChange({
      project: 'chatbot-stage',
      project_id: 'proj_stage',
      before: { mode: 'deny_list', models: ['qwen/qwen3.8-27b'] },
      after: { mode: 'deny_list', models: ['openai/gpt-oss-20b'] },
    }),
    makeRateLimitChange({ project: 'chatbot-stage', project_id: 'proj_stage', model: 'openai/gpt-oss-20b' }),
    makeKeyChange('update', {
      key: 'chatbot-stage-web',
      project: 'chatbot-stage',
      project_id: 'proj_stage',
      key_id: 'key_stage_web',
      redacted_value: 'gsk_…W3b1',
      before: { name: 'stage-web', managed: true, protect: true },
      after: { name: 'chatbot-stage-web', managed: true, protect: false },
    }),
    makeKeyChange('adopt', {
      key: 'chatbot-stage-batch',
      project: 'chatbot-stage',
      project_id: 'proj_stage',
      key_id: 'key_batch',
      redacted_value: 'gsk_…B4tc',
    }),
    makeKeyChange('delete', {
      key: 'chatbot-stage-web',
      reason: 'surplus',
      project: 'chatbot-stage',
      project_id: 'proj_stage',
      key_id: 'key_stage_web_2',
      redacted_value: 'gsk_…W3b2',
      context: { last_used_at: null },
    }),
    makeKeyChange('delete', {
      key: 'chatbot-stage-old',
      project: 'chatbot-stage',
      project_id: 'proj_stage',
      key_id: 'key_stage_old',
      redacted_value: 'gsk_…0ld1',
      context: { last_used_at: PLAN_NOW - 3 * DAY },
    }),
    makeKeyChange('delete', {
      key: 'laptop-test',
      reason: 'unmanaged',
      project: 'chatbot-stage',
      project_id: 'proj_stage',
      key_id: 'key_laptop',
      redacted_value: 'gsk_…L4pt',
      before: { name: 'laptop-test', managed: false, protect: false },
    }),
    // A rotation due by age, its old generation retired in the same run, and a first key delivered to a file.
    makeKeyChange('rotate', {
      key: 'chatbot-stage-api',
      project: 'chatbot-stage',
      project_id: 'proj_stage',
      key_id: 'key_api_g7',
      redacted_value: 'gsk_…Ap17',
      before: { name: 'chatbot-stage-api', managed: true, protect: false },
      rotation: {
        generation: 8,
        from_generation: 7,
        cause: 'age',
        time_driven: true,
        targets: ['github acme/chatbot environment staging secret GROQ_API_KEY', 'file /run/secrets/groq (0600)'],
        needs_review: 'targets_unrecorded',
      },
    }),
    makeKeyChange('delete', {
      key: 'chatbot-stage-api',
      reason: 'retired',
      project: 'chatbot-stage',
      project_id: 'proj_stage',
      key_id: 'key_api_g6',
      redacted_value: 'gsk_…Ap16',
      rotation: { generation: 6, cause: 'retire', time_driven: true, targets: [], after_rotation: true },
      context: { last_used_at: PLAN_NOW - 2 * DAY },
    }),
    makeKeyChange('create', {
      key: 'chatbot-stage-batch-2',
      project: 'chatbot-stage',
      project_id: 'proj_stage',
      rotation: { generation: 1, cause: 'first', time_driven: false, targets: ['file /run/secrets/batch (0600)'] },
    }),
    makeKeyChange('rotate', {
      key: 'chatbot-stage-leaky',
      project: 'chatbot-stage',
      project_id: 'proj_stage',
      key_id: 'key_leaky',
      redacted_value: 'gsk_…L3ak',
      before: null,
      rotation: { generation: 3, cause: 'trigger', time_driven: false, trigger: '2026-11 leak', targets: [] },
    }),
    makeProjectChange({
      action: 'archive',
      project: 'search-old',
      project_id: 'proj_search_old',
      context: { key_count: 3, last_used_at: Date.UTC(2026, 10, 10) / 1000 },
    }),
    makeProjectChange({
      action: 'archive',
      reason: 'unmanaged',
      project: 'scratch',
      project_id: 'proj_scratch',
      context: { key_count: 1, last_used_at: null },
    }),
  ];
  return makePlan(changes, {
    unmanaged: {
      projects: [makeUnmanagedProject({ name: 'made-in-console', project_id: 'proj_console', key_count: 2 })],
      keys: [makeUnmanagedKey({ name: 'notebook', project: 'chatbot-prod', key_id: 'key_notebook', redacted_value: 'gsk_…N0tb' })],
    },
    pending: [
      makePendingStep({ project: 'chatbot-stage', key: 'chatbot-stage-api', key_id: 'key_api_g5', generation: 5 }),
      makePendingStep({
        project: 'chatbot-stage',
        key: 'chatbot-stage-leaky',
        key_id: 'key_leaky_g2',
        generation: 2,
        waiting_for: 'overlap',
        seconds_left: 2 * DAY + 3 * 3600 + 59,
        last_used_at: null,
      }),
      makePendingStep({
        project: 'chatbot-stage',
        key: 'chatbot-stage-web',
        key_id: 'key_web_g1',
        generation: 1,
        waiting_for: 'usage',
        seconds_left: null,
      }),
      // Only a rotations-only plan has these: a first generation whose targets changed since a reviewed apply recorded them.
      makePendingStep({
        project: 'chatbot-stage',
        key: 'chatbot-stage-cron',
        key_id: null,
        generation: 2,
        waiting_for: 'review',
        needs_review: 'targets_changed',
        seconds_left: null,
        last_used_at: null,
      }),
    ],
    warnings: [
      makeWarning(),
      makeWarning({
        code: 'no_delivery_target',
        key: 'chatbot-prod-web',
        message:
          'key "chatbot-prod-web" has no delivery target: its value would be kept nowhere; add rotation.deliver (github, vault or file)',
      }),
    ],
    refusals: [
      makeRefusal({ message: '6 deletes and archives are over safety.max_deletes 3; --force required' }),
      makeRefusal({
        code: 'protected_project',
        forceable: false,
        message:
          'project "search-old" (proj_search_old) is protected and would be archived, which is final: first merge a change that sets `protect: false` and apply it, then remove the project',
      }),
    ],
  });
}

describe('plan renderings', () => {
  it('text, Terraform-like and grouped as the organization is', async () => {
    const text = renderPlanText(richPlan());
    await expect(text).toMatchFileSnapshot('__snapshots__/rich-plan.txt');
    expect(text).toContain('      - "openai/gpt-oss-120b"\n');
    expect(text).toContain('      ~ limits openai/gpt-oss-20b: tokens_per_minute 100000 -> 60000  # to match the policies\n');
    expect(text).toContain(
      '  - project "search-old" (proj_search_old)  # will be archived, which is final: 3 keys, last used 2026-11-10; removed from the policies\n',
    );
    expect(text).toContain('Plan: 4 to create, 7 to update, 7 to delete, 1 to adopt, 2 to archive, 2 to rotate.\n');
    expect(text.indexOf('# organization')).toBeLessThan(text.indexOf('# team chatbot'));
    expect(text).toContain(
      '      ~ key "chatbot-stage-api" (key_api_g7, gsk_…Ap17)  rotate g7 -> g8  # due by age; only a reviewed apply makes it: no reviewed apply has recorded its delivery targets yet\n',
    );
    expect(text).toContain('retire g5: waits for its quiet period (21h left)');
    // Issue 17, item 6: what an unreviewed run leaves for a reviewed apply, worded from its enum.
    expect(text).toContain(
      '    … key "chatbot-stage-cron" in project "chatbot-stage": g2 waits for a reviewed apply: its delivery targets differ from those a reviewed apply recorded\n',
    );
  });

  it('words a spend limit change in USD and every reason from the enum', () => {
    const text = renderPlanText(makePlan([makeSpendLimitChange({ action: 'update' })]));
    expect(text).toContain('  ~ spend limit  # to match the policies\n      ~ monthly_cap_usd = 400 -> 500\n');
    const all = renderPlanText(richPlan());
    for (const words of [
      '# to match the policies',
      '# removed from the policies',
      '# in no policy (unmanaged: delete)',
      'in no policy (unmanaged: archive)',
      '# adopted: unmanaged key with this name',
      '# surplus key',
      '# retired: an older generation, quiet',
    ]) {
      expect(all).toContain(words);
    }
  });

  it('counts rotations in the summary line only when there are some', () => {
    const plan = makePlan([makeKeyChange('create')]);
    expect(renderPlanText(plan)).toContain('Plan: 1 to create, 0 to update, 0 to delete, 0 to adopt, 0 to archive.\n');
    expect(renderPlanText({ ...plan, summary: { ...plan.summary, rotate: 2 } })).toContain('0 to archive, 2 to rotate.\n');
  });

  it('markdown, for a pull-request comment', async () => {
    const md = renderPlanMarkdown(richPlan());
    expect(md.startsWith(`${PLAN_COMMENT_MARKER}\n`)).toBe(true);
    await expect(md).toMatchFileSnapshot('__snapshots__/rich-plan.md');
    expect(md).toContain('| team chatbot | 3 | 5 | 4 | 1 | 0 | 2 |');
    expect(md).toContain('| **Total** | **4** | **7** | **7** | **1** | **2** | **2** |');
    expect(md).toContain('> **7 destructive changes:**');
    expect(md).toContain('_(even with `--force`)_');
    expect(md).toContain('groq-rbac apply --expect-fingerprint ');
  });

  it('text and markdown for no changes', () => {
    const plan = makePlan([]);
    expect(renderPlanText(plan)).toBe('No changes. Organization org_test matches the policies.\n');
    const md = renderPlanMarkdown(plan);
    expect(md).toContain('**No changes.** The organization matches the policies.');
    expect(md).not.toContain('| **Total**');
    expect(md).not.toContain('<details>');
  });

  it('json carries the documented shape, fields in the documented order', () => {
    const plan = richPlan();
    const shuffled = Object.fromEntries(Object.entries(plan).reverse()) as unknown as Plan;
    const text = renderPlanJson(shuffled);
    expect(text.endsWith('}\n')).toBe(true);
    const json = JSON.parse(text);
    expect(Object.keys(json)).toEqual([
      'format_version',
      'org',
      'generated_at',
      'fingerprint',
      'summary',
      'changes',
      'unmanaged',
      'pending',
      'warnings',
      'refusals',
    ]);
    expect(json.format_version).toBe(3);
    expect(json.summary).toEqual({ create: 4, update: 7, delete: 7, adopt: 1, archive: 2, rotate: 2 });
    expect(json).toEqual(JSON.parse(JSON.stringify(plan)));
  });
});

describe('hostile names', () => {
  const hostile = 'a|b```c<script>alert(1)</script>`d\n# e @everyone [x](https://evil.example)';
  const plan = () =>
    makePlan(
      [
        makeProjectChange({ project: hostile, team: 'chatbot' }),
        makeKeyChange('create', { key: hostile, project: hostile, project_id: null }),
        makeKeyChange('delete', { key: hostile, project: hostile, key_id: 'key_|`x', redacted_value: 'gsk_…|`<b>' }),
      ],
      {
        unmanaged: { projects: [makeUnmanagedProject({ name: hostile })], keys: [makeUnmanagedKey({ name: hostile, project: hostile })] },
        warnings: [makeWarning({ message: `key "${hostile}" is odd` })],
        refusals: [makeRefusal({ message: `project "${hostile}" is protected`, forceable: false })],
      },
    );

  it('cannot break the markdown tables, fences or HTML', () => {
    const md = renderPlanMarkdown(plan());
    let fence: string | null = null;
    for (const line of md.split('\n')) {
      if (fence === null) {
        const open = /^(`{3,})diff$/.exec(line);
        if (open) fence = open[1]!;
        // Outside fences: no raw HTML from a name, no mention, no link, no unescaped pipe inside a cell.
        expect(line).not.toMatch(/(^|[^\\])<\/?script/);
        expect(line).not.toMatch(/(^|[^\\])@everyone/);
        expect(line).not.toMatch(/(^|[^\\])\[x\]/);
      } else if (line === fence) {
        fence = null;
      } else {
        // Inside the fence the name stays verbatim, and no run of backticks can close it.
        expect(line.match(/`+/g)?.every((run) => run.length < fence!.length) ?? true).toBe(true);
      }
    }
    expect(fence).toBeNull();
    // Each table keeps its column count.
    expect(md).toContain(
      '| a\\|b\\`\\`\\`c\\<script\\>alert(1)\\</script\\>\\`d\\\\n# e \\@everyone \\[x\\](https://evil.example) | proj\\_console | 2 |',
    );
    for (const table of md.split('\n\n').filter((b) => b.includes('|---'))) {
      const rows = table.split('\n').filter((l) => l.startsWith('|'));
      const widths = new Set(rows.map((l) => l.split(/(?<!\\)\|/).length));
      expect(widths.size, table).toBe(1);
    }
  });

  it('keeps names on one line in the text plan', () => {
    const text = renderPlanText(plan());
    expect(text).toContain('+ project "a|b```c<script>alert(1)</script>`d\\n# e @everyone [x](https://evil.example)"');
    expect(text.split('\n').filter((l) => l.startsWith('# e'))).toEqual([]);
    const bidi = renderPlanText(makePlan([makeKeyChange('create', { key: 'evil\u202egnp.exe\u001b[2J' })]));
    expect(bidi).toContain('+ key "evil\\u202egnp.exe\\u001b[2J"');
  });
});

describe('markdown budget', () => {
  const hugePlan = (projects: number, keysPerProject: number) => {
    const changes: Change[] = [];
    for (let p = 0; p < projects; p++) {
      const project = `project-${String(p).padStart(4, '0')}`;
      const team = `team-${p % 40}`;
      changes.push(makeProjectChange({ project, team }));
      changes.push(makeRateLimitChange({ project, team, project_id: null, reason: 'new' }));
      for (let k = 0; k < keysPerProject; k++)
        changes.push(makeKeyChange('create', { key: `${project}-key-${k}`, project, team, project_id: null }));
    }
    return makePlan(changes);
  };

  it('falls back to the summary, never cutting a fence or <details>, within GitHub’s limit', () => {
    const plan = hugePlan(1000, 3);
    const md = renderPlanMarkdown(plan);
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_BUDGET);
    expect(md).toContain('| **Total** | **4000** | **1000** | **0** | **0** | **0** |');
    expect(md).toContain('The per-team details are too long for one comment');
    expect(md).toContain(`--expect-fingerprint ${plan.fingerprint}`);
    expect(md).not.toContain('```');
    expect(md.split('<details>').length).toBe(md.split('</details>').length);
  });

  it('cuts long lists short with a count of what was left out', () => {
    const deletes = Array.from({ length: 2000 }, (_, i) => makeKeyChange('delete', { key: `old-key-${i}`, key_id: `key_${i}` }));
    const md = renderPlanMarkdown(makePlan(deletes), { budget: 20_000 });
    expect(md.length).toBeLessThanOrEqual(20_000);
    expect(md).toMatch(/> - …and \d+ more\n/);
    expect(md).toContain('| **Total** | **0** | **0** | **2000** | **0** | **0** |');
    expect(md.trimEnd().endsWith('</sub>')).toBe(true);
  });

  it('keeps everything when the budget allows it', () => {
    const plan = hugePlan(50, 1);
    expect(renderPlanMarkdown(plan, { budget: Number.POSITIVE_INFINITY })).toContain(
      '<details><summary><b>team team-10</b>: 2 to create, 1 to update</summary>',
    );
  });
});

describe('splitMarkdown', () => {
  const FENCE = /^ {0,3}(`{3,})/;
  const structure = (part: string) => {
    let fences = 0;
    let details = 0;
    for (const line of part.split('\n')) {
      if (FENCE.test(line)) fences += 1;
      else if (fences % 2 === 0) details += (line.match(/<details>/g) ?? []).length - (line.match(/<\/details>/g) ?? []).length;
      expect(details).toBeGreaterThanOrEqual(0);
    }
    return { fences, details };
  };

  it('splits a 300-project plan into comment-sized parts, each balanced, losing nothing', () => {
    const changes: Change[] = [];
    for (let p = 0; p < 300; p++) {
      const project = `project-${p}`;
      const team = `team-${p % 7}`;
      changes.push(
        makeProjectChange({ project, team }),
        makeProjectPermissionsChange({ project, team, project_id: null, reason: 'new', before: null }),
      );
      for (let k = 0; k < 4; k++) changes.push(makeKeyChange('create', { key: `${project}-key-${k}`, project, team, project_id: null }));
    }
    const body = renderPlanMarkdown(makePlan(changes), { budget: Number.POSITIVE_INFINITY });
    expect(body.length).toBeGreaterThan(65_536);
    const limit = 20_000;
    const parts = splitMarkdown(body, limit);
    expect(parts.length).toBeGreaterThan(body.length / limit);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(limit);
      expect(structure(part)).toEqual({ fences: expect.any(Number), details: 0 });
      expect(structure(part).fences % 2).toBe(0);
    }
    // The original lines, in order, are the parts' lines less the closers and reopeners added at each cut.
    const original = body.split('\n');
    const joined = parts.join('').split('\n');
    let i = 0;
    const added: string[] = [];
    for (const line of joined) {
      if (i < original.length && line === original[i]) i += 1;
      else added.push(line);
    }
    expect(i).toBe(original.length);
    for (const line of added)
      expect(line === '' || line === '```' || line === '</details>' || line === '```diff' || line.startsWith('<details><summary>')).toBe(
        true,
      );
    expect(parts[0]!.startsWith(PLAN_COMMENT_MARKER)).toBe(true);
  });

  it('returns a short body whole, and cuts an overlong line inside its fence', () => {
    expect(splitMarkdown('short\n', 100)).toEqual(['short\n']);
    const body = `<details><summary>x</summary>\n\n\`\`\`diff\n+ ${'y'.repeat(250)}\n\`\`\`\n\n</details>\n`;
    const parts = splitMarkdown(body, 100);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(100);
      expect(structure(part)).toEqual({ fences: 2, details: 0 });
    }
    expect(parts.length).toBeGreaterThan(2);
    // Less the closers and reopeners, the parts are the body with the long line broken where it was cut.
    const rejoined = parts.join('').replace(/```\n\n<\/details>\n<details><summary>x<\/summary>\n\n```diff\n/g, '');
    expect(rejoined.replace(/\n(?=y)/g, '')).toBe(body);
    expect(() => splitMarkdown(body, 30)).toThrow(RangeError);
  });
});

describe('key values', () => {
  it('never appear in any rendering, wherever a renderer might echo one', () => {
    const value = 'gsk_' + 'Abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKL';
    const stuffed = makePlan(
      [
        makeKeyChange('create', {
          key: value,
          project: value,
          project_id: null,
          after: { name: value, managed: true, protect: false },
          rotation: { generation: 1, cause: 'first', trigger: value, time_driven: false, targets: [] },
        }),
        makeKeyChange('update', {
          key: 'web',
          key_id: value,
          redacted_value: value,
          before: { name: value, managed: true, protect: false },
          after: { name: 'web', managed: true, protect: false },
        }),
        makeKeyChange('adopt', { key: 'web', key_id: 'key_adopted', fields: [{ field: 'trigger', before: null, after: value }] }),
        makeKeyChange('delete', { key: value, key_id: value, redacted_value: value }),
        makeProjectChange({ action: 'archive', project: value, project_id: value }),
        makeRateLimitChange({ model: value, project: value }),
        makeKeyChange('rotate', {
          key: value,
          key_id: value,
          rotation: { generation: 2, cause: 'trigger', trigger: value, time_driven: false, targets: [`file /tmp/${value}`] },
        }),
        makeSpendAlertChange({ after: { recipients: [`${value}@acme.example`] } }),
        makeOrgPermissionsChange({ after: { mode: 'deny_list', models: [value] } }),
      ],
      {
        org: value,
        unmanaged: {
          projects: [makeUnmanagedProject({ name: value, project_id: value })],
          keys: [makeUnmanagedKey({ name: value, key_id: value, redacted_value: value, project: value })],
        },
        pending: [makePendingStep({ key: value, key_id: value, project: value })],
        warnings: [makeWarning({ message: `key ${value} is unused` })],
        refusals: [makeRefusal({ message: `key ${value} looks like the admin key` })],
      },
    );
    const human = [renderPlanText(stuffed), renderPlanMarkdown(stuffed), renderPlanMarkdown(stuffed, { budget: 2000 })];
    for (const output of [...human, renderPlanJson(stuffed)]) {
      expect(containsKeyValue(output)).toBe(false);
      expect(output).not.toContain('Abcdefghijklmnop');
      expect(output).not.toContain('gsk\\_Abcd');
    }
    // Metadata that is not groq-rbac's own is never shown to reviewers.
    for (const output of human) expect(output).not.toContain('kept-out-of-output');
  });
});
