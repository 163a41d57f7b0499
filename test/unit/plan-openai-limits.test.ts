import { describe, expect, it } from 'vitest';
import type { LiveLimit } from '../../src/core/domain.js';
import { openAiCatalogue } from '../../src/core/openai-models.js';
import { planChanges } from '../../src/plan/plan-changes.js';
import { renderPlanMarkdown } from '../../src/plan/render-markdown.js';
import { renderPlanText } from '../../src/plan/render-text.js';
import type { Change, RateLimitChange } from '../../src/plan/types.js';
import { formatDiagnostic } from '../../src/policy/diagnostics.js';
import { readPolicies } from '../../src/policy/read-policies.js';
import { makeDesired, makeDesiredProject, makeLive, makeLiveProject, NOW } from '../helpers/builders.js';
import { projectYaml, teamYaml, writePolicies } from '../helpers/policies.js';

// OpenAI has no organization limits: each project's live rate limits (one per model, update only)
// are what the policies are compared with and where values go (src/plan/plan-project-limits.ts).
const CHAT = {
  requests_per_minute: 5000,
  tokens_per_minute: 2_000_000,
  requests_per_day: 10_000_000,
  batch_input_tokens_per_day: 200_000_000,
};
const IMAGE = { requests_per_minute: 5000, tokens_per_minute: 2_000_000, images_per_minute: 50 };
const openAiLimits = (): LiveLimit[] => [
  { id: 'rl-gpt-4o', model: 'gpt-4o', values: { ...CHAT } },
  { id: 'rl-gpt-4o-mini', model: 'gpt-4o-mini', values: { ...CHAT } },
  { id: 'rl-gpt-image-1', model: 'gpt-image-1', values: { ...IMAGE } },
];
const openAiLive = (projects: ReturnType<typeof makeLiveProject>[]) => makeLive(projects, { provider: 'openai', limits: [] });
const source = { file: 'teams/chatbot.yaml', line: 4, column: 5 };
const plan = (desired: ReturnType<typeof makeDesired>, live: ReturnType<typeof makeLive>) =>
  planChanges(desired, live, NOW, { catalogue: openAiCatalogue });
const limitChanges = (changes: Change[]) => changes.filter((c): c is RateLimitChange => c.resource === 'project_rate_limit');

describe('OpenAI project rate limits in the plan', () => {
  it("compares a live project's limits field by field: the model's entry over default, the fields each model has, the rest left as they are", () => {
    const project = makeDesiredProject('chatbot-prod', {
      models: { mode: 'allow_list', models: ['gpt-4o', 'gpt-image-1'] },
      limits: { default: { requests_per_minute: 500, requests_per_day: 1000 }, models: { 'gpt-4o': { tokens_per_minute: 90_000 } } },
    });
    const live = openAiLive([
      makeLiveProject('chatbot-prod', {
        id: 'proj_1',
        permissions: { mode: 'allow_list', models: ['gpt-4o', 'gpt-image-1'] },
        limits: openAiLimits(),
      }),
    ]);
    const result = plan(makeDesired([project], []), live);
    expect(result.refusals).toEqual([]);
    expect(limitChanges(result.changes)).toEqual([
      {
        resource: 'project_rate_limit',
        action: 'update',
        reason: 'differs',
        team: 'chatbot',
        project: 'chatbot-prod',
        project_id: 'proj_1',
        model: 'gpt-4o',
        rate_limit_id: 'rl-gpt-4o',
        before: CHAT,
        after: { ...CHAT, requests_per_minute: 500, tokens_per_minute: 90_000, requests_per_day: 1000 },
        fields: [
          { field: 'requests_per_minute', before: 5000, after: 500 },
          { field: 'tokens_per_minute', before: 2_000_000, after: 90_000 },
          { field: 'requests_per_day', before: 10_000_000, after: 1000 },
        ],
      },
      // The image model has no requests per day: default's requests_per_day is not for it. gpt-4o-mini may not be used.
      {
        resource: 'project_rate_limit',
        action: 'update',
        reason: 'differs',
        team: 'chatbot',
        project: 'chatbot-prod',
        project_id: 'proj_1',
        model: 'gpt-image-1',
        rate_limit_id: 'rl-gpt-image-1',
        before: IMAGE,
        after: { ...IMAGE, requests_per_minute: 500 },
        fields: [{ field: 'requests_per_minute', before: 5000, after: 500 }],
      },
    ]);
    expect(renderPlanText(result)).toContain(
      '~ limits gpt-4o: requests_per_minute 5000 -> 500, tokens_per_minute 2000000 -> 90000, requests_per_day 10000000 -> 1000',
    );

    // Applied: nothing left to do.
    const applied = openAiLimits().map((l) => {
      const change = limitChanges(result.changes).find((c) => c.model === l.model);
      return change ? { ...l, values: change.after } : l;
    });
    const again = plan(
      makeDesired([project], []),
      openAiLive([
        makeLiveProject('chatbot-prod', {
          id: 'proj_1',
          permissions: { mode: 'allow_list', models: ['gpt-4o', 'gpt-image-1'] },
          limits: applied,
        }),
      ]),
    );
    expect(again.changes).toEqual([]);
    expect(again.refusals).toEqual([]);
  });

  it("refuses, at its file:line:column, a model the project has no rate limit for and a field the model's limit lacks", () => {
    const project = makeDesiredProject('chatbot-prod', {
      source,
      limits: { default: {}, models: { 'gpt-4o': { images_per_minute: 5 }, 'gpt-4.1': { requests_per_minute: 10 } } },
      limitSources: {
        'gpt-4o': {
          entry: { file: 'teams/chatbot.yaml', line: 7, column: 7 },
          fields: { images_per_minute: { file: 'teams/chatbot.yaml', line: 7, column: 16 } },
        },
        'gpt-4.1': {
          entry: { file: 'teams/chatbot.yaml', line: 8, column: 7 },
          fields: { requests_per_minute: { file: 'teams/chatbot.yaml', line: 8, column: 17 } },
        },
      },
    });
    const result = plan(
      makeDesired([project], []),
      openAiLive([makeLiveProject('chatbot-prod', { id: 'proj_1', limits: openAiLimits() })]),
    );
    expect(result.refusals).toEqual([
      {
        code: 'limit_not_in_project',
        forceable: false,
        message:
          'project "chatbot-prod": OpenAI\'s rate limit for gpt-4o has no images_per_minute (teams/chatbot.yaml:7:16): OpenAI has it only for the models it applies to; remove it',
      },
      {
        code: 'limit_not_in_project',
        forceable: false,
        message:
          'project "chatbot-prod" (proj_1) has no rate limit for gpt-4.1 (teams/chatbot.yaml:8:7): OpenAI\'s rate limits can be updated, not created, and exist only for the models the organization may use; remove the entry, or have the model enabled for the organization first',
      },
    ]);
    expect(limitChanges(result.changes)).toEqual([]);
    // A model the project may not use is validate's warning, not a refusal.
    const blocked = plan(
      makeDesired([{ ...project, models: { mode: 'allow_list', models: ['gpt-4o'] } }], []),
      openAiLive([makeLiveProject('chatbot-prod', { id: 'proj_1', limits: openAiLimits() })]),
    );
    expect(blocked.refusals.map((r) => r.message).filter((m) => m.includes('gpt-4.1'))).toEqual([]);
  });

  it("plans a new project's limits to be set after its create, for the models it may use, with the fields its policy names for each", () => {
    const project = makeDesiredProject('chatbot-new', {
      models: { mode: 'allow_list', models: ['gpt-4o', 'gpt-image-1'] },
      limits: { default: { requests_per_minute: 500 }, models: { 'gpt-image-1': { images_per_minute: 20 } } },
    });
    const result = plan(
      makeDesired([project], [], { models: { mode: 'allow_list', models: ['gpt-4o', 'gpt-4o-mini', 'gpt-image-1'] } }),
      openAiLive([]),
    );
    expect(limitChanges(result.changes)).toEqual([
      {
        resource: 'project_rate_limit',
        action: 'update',
        reason: 'new',
        team: 'chatbot',
        project: 'chatbot-new',
        project_id: null,
        model: 'gpt-4o',
        rate_limit_id: null,
        before: {},
        after: { requests_per_minute: 500 },
        fields: [{ field: 'requests_per_minute', before: null, after: 500 }],
      },
      {
        resource: 'project_rate_limit',
        action: 'update',
        reason: 'new',
        team: 'chatbot',
        project: 'chatbot-new',
        project_id: null,
        model: 'gpt-image-1',
        rate_limit_id: null,
        before: {},
        after: { requests_per_minute: 500, images_per_minute: 20 },
        fields: [
          { field: 'requests_per_minute', before: null, after: 500 },
          { field: 'images_per_minute', before: null, after: 20 },
        ],
        named_fields: ['images_per_minute'],
      },
    ]);
    const text = renderPlanText(result);
    expect(text).toContain(
      '~ limits gpt-image-1: requests_per_minute = 500, images_per_minute = 20  # set after the project is created (its rate limits come with it)',
    );
    expect(renderPlanMarkdown(result)).toContain(
      '!     limits gpt-4o: requests_per_minute = 500  # set after the project is created (its rate limits come with it)',
    );
    // Models other projects have limits for count as served too (OpenAI gives every project one per model).
    const open = makeDesiredProject('chatbot-open', { limits: { default: { requests_per_minute: 7 }, models: {} } });
    const others = openAiLive([
      makeLiveProject('other', { limits: [...openAiLimits(), { id: 'rl-o3', model: 'o3', values: { ...CHAT } }] }),
    ]);
    expect(limitChanges(plan(makeDesired([open], []), others).changes).map((c) => c.model)).toEqual(
      [...openAiCatalogue.live.map((m) => m.id), 'o3'].sort(),
    );
    // A project whose policy sets no limits gets no limit changes.
    expect(limitChanges(plan(makeDesired([makeDesiredProject('bare')], []), openAiLive([])).changes)).toEqual([]);
  });

  it("leaves Groq as it was: limits against the organization's own, a new project from the organization's values", () => {
    const project = makeDesiredProject('chatbot-prod', { limits: { default: { requests_per_minute: 10 }, models: {} } });
    const result = planChanges(makeDesired([project], []), makeLive([]), NOW);
    const changes = limitChanges(result.changes);
    expect(changes.length).toBe(3);
    for (const c of changes)
      expect(c).toMatchObject({
        rate_limit_id: `rl-${c.model}`,
        before: { requests_per_minute: 1000 },
        after: { requests_per_minute: 10 },
      });
    expect(changes.some((c) => 'named_fields' in c)).toBe(false);
  });
});

describe('project spending', () => {
  const spending = { monthly_cap_usd: 120, alert_thresholds_usd: [50, 100], alert_recipients: ['team@acme.example'] };

  it("plans a project's spend limit and alerts, renders them in its block, and nothing once they match", () => {
    const project = makeDesiredProject('chatbot-prod', { spending });
    const live = openAiLive([
      makeLiveProject('chatbot-prod', {
        id: 'proj_1',
        limits: openAiLimits(),
        spending: {
          monthly_cap_usd: 80,
          alerts: [
            { id: 'sa_1', threshold_usd: 50, recipients: ['old@acme.example'] },
            { id: 'sa_2', threshold_usd: 75, recipients: ['team@acme.example'] },
          ],
        },
      }),
    ]);
    const result = plan(makeDesired([project], []), live);
    const base = { team: 'chatbot', project: 'chatbot-prod', project_id: 'proj_1' };
    expect(result.changes).toEqual([
      {
        resource: 'project_spend_limit',
        action: 'update',
        reason: 'differs',
        ...base,
        before: { monthly_cap_usd: 80 },
        after: { monthly_cap_usd: 120 },
        fields: [{ field: 'monthly_cap_usd', before: 80, after: 120 }],
      },
      {
        resource: 'project_spend_alert',
        action: 'update',
        reason: 'differs',
        ...base,
        alert_id: 'sa_1',
        threshold_usd: 50,
        before: { recipients: ['old@acme.example'] },
        after: { recipients: ['team@acme.example'] },
        fields: [{ field: 'recipients', before: ['old@acme.example'], after: ['team@acme.example'] }],
      },
      {
        resource: 'project_spend_alert',
        action: 'create',
        reason: 'new',
        ...base,
        alert_id: null,
        threshold_usd: 100,
        before: null,
        after: { recipients: ['team@acme.example'] },
        fields: [{ field: 'recipients', before: null, after: ['team@acme.example'] }],
      },
      {
        resource: 'project_spend_alert',
        action: 'delete',
        reason: 'removed',
        ...base,
        alert_id: 'sa_2',
        threshold_usd: 75,
        before: { recipients: ['team@acme.example'] },
        after: null,
        fields: [],
      },
    ]);
    expect(result.summary).toMatchObject({ create: 1, update: 2, delete: 1 });
    const text = renderPlanText(result);
    expect(text).toContain(
      [
        '  ~ project "chatbot-prod" (proj_1)',
        '      ~ spend limit  # to match the policies',
        '          ~ monthly_cap_usd = 80 -> 120',
        '      ~ alert at 50 USD (sa_1)  # to match the policies',
        '          - "old@acme.example"',
        '          + "team@acme.example"',
        '      + alert at 100 USD → team@acme.example',
        '      - alert at 75 USD (sa_2) → team@acme.example  # removed from the policies',
      ].join('\n'),
    );
    // The organization's spending is not touched (org.yaml leaves it alone here).
    expect(result.changes.some((c) => c.resource === 'spend_limit' || c.resource === 'spend_alert')).toBe(false);

    const matching = openAiLive([
      makeLiveProject('chatbot-prod', {
        id: 'proj_1',
        limits: openAiLimits(),
        spending: {
          monthly_cap_usd: 120,
          alerts: [
            { id: 'sa_1', threshold_usd: 50, recipients: ['team@acme.example'] },
            { id: 'sa_3', threshold_usd: 100, recipients: ['team@acme.example'] },
          ],
        },
      }),
    ]);
    expect(plan(makeDesired([project], []), matching).changes).toEqual([]);
  });

  it("a new project's spending is created after it; removing the cap is a destructive change in Markdown", () => {
    const created = plan(makeDesired([makeDesiredProject('chatbot-new', { spending })], []), openAiLive([]));
    expect(
      created.changes
        .filter((c) => c.resource === 'project_spend_limit' || c.resource === 'project_spend_alert')
        .map((c) => [c.resource, c.action, c.project_id]),
    ).toEqual([
      ['project_spend_limit', 'create', null],
      ['project_spend_alert', 'create', null],
      ['project_spend_alert', 'create', null],
    ]);
    const removed = plan(
      makeDesired(
        [makeDesiredProject('chatbot-prod', { spending: { monthly_cap_usd: null, alert_thresholds_usd: [], alert_recipients: [] } })],
        [],
      ),
      openAiLive([
        makeLiveProject('chatbot-prod', { id: 'proj_1', limits: openAiLimits(), spending: { monthly_cap_usd: 80, alerts: [] } }),
      ]),
    );
    expect(removed.changes).toMatchObject([
      { resource: 'project_spend_limit', action: 'delete', before: { monthly_cap_usd: 80 }, after: null },
    ]);
    expect(renderPlanMarkdown(removed)).toContain(
      '> - remove the spend limit of 80 USD a month of project "chatbot-prod": its spending is capped by the organization\'s only; removed from the policies',
    );
    // No `spending:` on the project: its live spending is left alone.
    expect(
      plan(
        makeDesired([makeDesiredProject('chatbot-prod')], []),
        openAiLive([
          makeLiveProject('chatbot-prod', { id: 'proj_1', limits: openAiLimits(), spending: { monthly_cap_usd: 80, alerts: [] } }),
        ]),
      ).changes,
    ).toEqual([]);
  });
});

describe('project spending in the policies', () => {
  const org = (provider: string | null) =>
    `version: 2\norg: ${provider === 'openai' ? 'org-acme' : 'org_acme'}\nadmins: ["@acme/platform"]\n${provider ? `provider: ${provider}\n` : ''}`;
  const body =
    '    spending:\n      monthly_cap_usd: 120\n      alert_thresholds_usd: [100, 50]\n      alert_recipients: [team@acme.example]';

  it("reads a project's spending under provider: openai", () => {
    const dir = writePolicies({
      'org.yaml': org('openai'),
      'teams/chatbot.yaml': teamYaml('chatbot', projectYaml('chatbot-prod', { body })),
    });
    const result = readPolicies(dir, { cwd: dir });
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(result.desired?.projects[0]?.spending).toEqual({
      monthly_cap_usd: 120,
      alert_thresholds_usd: [50, 100],
      alert_recipients: ['team@acme.example'],
    });
  });

  it('refuses it for Groq at its file:line:column, saying Groq has spend limits only for the organization', () => {
    for (const provider of [null, 'groq', 'groq-console']) {
      const dir = writePolicies({
        'org.yaml': org(provider),
        'teams/chatbot.yaml': teamYaml('chatbot', projectYaml('chatbot-prod', { body })),
      });
      const result = readPolicies(dir, { cwd: dir });
      const because =
        provider === null ? "the organization is Groq's (no `provider:` in org.yaml)" : `org.yaml:4:11 says \`provider: ${provider}\``;
      expect(result.diagnostics.map(formatDiagnostic), String(provider)).toEqual([
        `teams/chatbot.yaml:5:5: error: projects[0].spending: Groq has spend limits and alerts only for the organization, not per project (${because}): it would not be set\n` +
          '  hint: remove it, and cap the whole organization with spending in org.yaml',
      ]);
      expect(result.desired).toBeUndefined();
    }
  });

  it("checks a project's alerts as the organization's: below its cap, with recipients", () => {
    const bad = '    spending:\n      monthly_cap_usd: 100\n      alert_thresholds_usd: [100]';
    const dir = writePolicies({
      'org.yaml': org('openai'),
      'teams/chatbot.yaml': teamYaml('chatbot', projectYaml('chatbot-prod', { body: bad })),
    });
    expect(readPolicies(dir, { cwd: dir }).diagnostics.map(formatDiagnostic)).toEqual([
      'teams/chatbot.yaml:6:7: error: projects[0].spending: missing "alert_recipients": alert_thresholds_usd lists alerts, and each one is e-mailed\n  hint: add alert_recipients: [platform@your-org.example]',
      'teams/chatbot.yaml:7:30: error: projects[0].spending.alert_thresholds_usd[0]: alert at 100 USD is not below the monthly cap of 100 USD\n  hint: use an amount under 100, or raise monthly_cap_usd',
    ]);
  });

  it("records where each model's limits are written, for the plan's refusals", () => {
    const limits = '    limits:\n      default: {requests_per_minute: 10}\n      gpt-4o: {tokens_per_minute: 900}';
    const dir = writePolicies({
      'org.yaml': org('openai'),
      'teams/chatbot.yaml': teamYaml('chatbot', projectYaml('chatbot-prod', { body: limits })),
    });
    const project = readPolicies(dir, { cwd: dir }).desired!.projects[0]!;
    expect(project.limitSources).toEqual({
      'gpt-4o': {
        entry: { file: 'teams/chatbot.yaml', line: 7, column: 7 },
        fields: { tokens_per_minute: { file: 'teams/chatbot.yaml', line: 7, column: 16 } },
      },
    });
  });
});
