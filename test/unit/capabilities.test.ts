import { describe, expect, it } from 'vitest';
import { PROVIDER_CAPABILITIES } from '../../src/core/capabilities.js';
import { formatDiagnostic } from '../../src/policy/diagnostics.js';
import { readPolicies } from '../../src/policy/read-policies.js';
import { planChanges } from '../../src/plan/plan-changes.js';
import { foldRule } from '../../src/plan/model-rules.js';
import { GROQ_LIMIT_FIELDS } from '../../src/providers/groq/metadata.js';
import { GroqProvider } from '../../src/providers/groq/write.js';
import type { GroqAdmin } from '../../src/providers/groq/admin.js';
import { makeDesired, makeDesiredProject, makeLive, makeLiveProject, NOW } from '../helpers/builders.js';
import { projectYaml, teamYaml, writePolicies } from '../helpers/policies.js';

// Each provider's own organization id form: OpenAI's org-…, Groq's org_….
const org = (provider: string | null, extra = '') => `version: 2
org: ${provider === 'openai' ? 'org-acme' : 'org_acme'}
admins: ["@acme/platform"]
${provider ? `provider: ${provider}\n` : ''}${extra}`;
const messages = (dir: string) => readPolicies(dir, { cwd: dir }).diagnostics.map(formatDiagnostic);

describe('the capability check (src/policy/capabilities.ts)', () => {
  it('refuses tokens_per_day under provider: openai at its file:line:column, in org.yaml and in a team file', () => {
    const dir = writePolicies({
      'org.yaml': org('openai', 'limits:\n  default: {requests_per_minute: 100, tokens_per_day: 5000}\n'),
      'teams/chatbot.yaml': teamYaml(
        'chatbot',
        projectYaml('chatbot-prod', { body: '    limits:\n      gpt-4o-mini: {tokens_per_day: 10}' }),
      ),
    });
    const found = messages(dir);
    expect(found).toEqual([
      'org.yaml:6:39: error: limits.default.tokens_per_day: OpenAI has no tokens_per_day limit (org.yaml:4:11 says `provider: openai`): it would not be set\n' +
        "  hint: remove it; OpenAI's limits are requests_per_minute, tokens_per_minute, requests_per_day, images_per_minute, audio_megabytes_per_minute, batch_input_tokens_per_day",
      'teams/chatbot.yaml:6:21: error: projects[0].limits.gpt-4o-mini.tokens_per_day: OpenAI has no tokens_per_day limit (org.yaml:4:11 says `provider: openai`): it would not be set\n' +
        "  hint: remove it; OpenAI's limits are requests_per_minute, tokens_per_minute, requests_per_day, images_per_minute, audio_megabytes_per_minute, batch_input_tokens_per_day",
    ]);
    expect(readPolicies(dir, { cwd: dir }).desired).toBeUndefined();
  });

  it('refuses OpenAI-only limit fields for Groq, with or without `provider:`', () => {
    for (const provider of [null, 'groq', 'groq-console']) {
      const dir = writePolicies({
        'org.yaml': org(provider, 'limits:\n  default: {images_per_minute: 5}\n'),
        'teams/chatbot.yaml': teamYaml('chatbot'),
      });
      const [only, ...rest] = messages(dir);
      expect(rest, String(provider)).toEqual([]);
      expect(only).toContain('error: limits.default.images_per_minute: Groq has no images_per_minute limit');
      expect(only).toContain("hint: remove it; Groq's limits are requests_per_minute, tokens_per_minute, requests_per_day, tokens_per_day");
      if (provider === null) expect(only).toContain("the organization is Groq's (no `provider:` in org.yaml)");
    }
  });

  it('accepts the fields each provider has', () => {
    const openai = writePolicies({
      'org.yaml': org('openai', 'limits:\n  default: {requests_per_minute: 100, images_per_minute: 5, batch_input_tokens_per_day: 9}\n'),
      'teams/chatbot.yaml': teamYaml('chatbot'),
    });
    expect(messages(openai)).toEqual([]);
    const groq = writePolicies({
      'org.yaml': org('groq', 'limits:\n  default: {requests_per_minute: 100, tokens_per_day: 5000}\n'),
      'teams/chatbot.yaml': teamYaml('chatbot'),
    });
    expect(messages(groq)).toEqual([]);
    expect(readPolicies(groq, { cwd: groq }).desired?.org.limits.default).toEqual({ requests_per_minute: 100, tokens_per_day: 5000 });
  });

  it("warns (nothing is lost) that the organization's models are a ceiling on OpenAI, and keeps the policies valid", () => {
    const dir = writePolicies({ 'org.yaml': org('openai', 'models: [gpt-4o-mini]\n'), 'teams/chatbot.yaml': teamYaml('chatbot') });
    const result = readPolicies(dir, { cwd: dir });
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([
      "org.yaml:5:1: warning: models: OpenAI has no model permissions for the whole organization (org.yaml:4:11 says `provider: openai`): these models are a ceiling, folded into each project's rule\n" +
        "  hint: nothing to change: the plan shows each project's rule with the ceiling applied",
    ]);
    expect(result.desired?.org.models).toEqual({ mode: 'allow_list', models: ['gpt-4o-mini'] });
    // Groq has the organization's own rule: no warning.
    const groq = writePolicies({ 'org.yaml': org('groq', 'models: [openai/gpt-oss-20b]\n'), 'teams/chatbot.yaml': teamYaml('chatbot') });
    expect(messages(groq)).toEqual([]);
  });
});

describe('the organization id and the models by provider', () => {
  it("refuses an id of the other provider's form at its location, and knows each provider's models", () => {
    const wrong = writePolicies({
      'org.yaml': `version: 2\norg: org_acme\nadmins: ["@acme/platform"]\nprovider: openai\n`,
      'teams/chatbot.yaml': teamYaml('chatbot'),
    });
    expect(messages(wrong)).toEqual([
      'org.yaml:2:6: error: org: "org_acme" is not a OpenAI organization id (org.yaml:4:11 says `provider: openai`): OpenAI\'s start with org-\n' +
        '  hint: write org: org-acme, the id OpenAI shows in its organization settings',
    ]);
    const groq = writePolicies({ 'org.yaml': org('groq').replace('org_acme', 'org-acme'), 'teams/chatbot.yaml': teamYaml('chatbot') });
    expect(messages(groq)[0]).toContain('org.yaml:2:6: error: org: "org-acme" is not a Groq organization id');
    // OpenAI's model ids under provider: openai; Groq's are unknown there.
    const models = writePolicies({
      'org.yaml': org('openai', 'models: [gpt-4o, openai/gpt-oss-20b]\n'),
      'teams/chatbot.yaml': teamYaml('chatbot'),
    });
    const found = messages(models);
    expect(found.some((m) => m.includes('openai/gpt-oss-20b') && m.includes('error'))).toBe(true);
    expect(found.some((m) => m.includes('"gpt-4o"') && m.includes('error'))).toBe(false);
  });
});

describe('the plan for a provider without organization-wide model permissions', () => {
  it("sets no organization rule, and folds the ceiling into each project's rule", () => {
    const project = makeDesiredProject('chatbot-prod', { models: { mode: 'deny_list', models: ['qwen/qwen3.8-27b'] } });
    const desired = makeDesired([project], [], { models: { mode: 'allow_list', models: ['openai/gpt-oss-20b', 'qwen/qwen3.8-27b'] } });
    const live = makeLive([makeLiveProject('chatbot-prod')], { provider: 'openai' });
    const plan = planChanges(desired, live, NOW);
    expect(plan.changes.filter((c) => c.resource === 'org_model_permissions')).toEqual([]);
    expect(plan.changes.find((c) => c.resource === 'project_model_permissions')).toMatchObject({
      before: null,
      after: { mode: 'allow_list', models: ['openai/gpt-oss-20b'] },
    });
    // The same policies on Groq: the organization's own rule, and the project's as written.
    const groq = planChanges(desired, { ...live, provider: 'groq' }, NOW);
    expect(groq.changes.find((c) => c.resource === 'org_model_permissions')).toMatchObject({ after: { mode: 'allow_list' } });
    expect(groq.changes.find((c) => c.resource === 'project_model_permissions')).toMatchObject({
      after: { mode: 'deny_list', models: ['qwen/qwen3.8-27b'] },
    });
  });

  it.each([
    [null, null, null],
    [{ mode: 'allow_list', models: ['a', 'b'] }, null, { mode: 'allow_list', models: ['a', 'b'] }],
    [
      { mode: 'allow_list', models: ['a', 'b'] },
      { mode: 'allow_list', models: ['b', 'c'] },
      { mode: 'allow_list', models: ['b'] },
    ],
    [
      { mode: 'allow_list', models: ['a', 'b'] },
      { mode: 'deny_list', models: ['a'] },
      { mode: 'allow_list', models: ['b'] },
    ],
    [
      { mode: 'deny_list', models: ['a'] },
      { mode: 'allow_list', models: ['a', 'b'] },
      { mode: 'allow_list', models: ['b'] },
    ],
    [
      { mode: 'deny_list', models: ['a'] },
      { mode: 'deny_list', models: ['c'] },
      { mode: 'deny_list', models: ['a', 'c'] },
    ],
    [null, { mode: 'deny_list', models: ['c'] }, { mode: 'deny_list', models: ['c'] }],
  ] as const)('foldRule(%j, %j) = %j', (o, p, expected) => {
    const rule = (r: typeof o | typeof p) => (r === null ? null : { mode: r.mode, models: [...r.models] });
    expect(foldRule(rule(o), rule(p))).toEqual(expected);
  });
});

describe('declared capabilities', () => {
  it('the Groq provider declares its entry of the static table, with the limit fields it maps', () => {
    const provider = new GroqProvider({} as GroqAdmin);
    expect(provider.capabilities).toBe(PROVIDER_CAPABILITIES.groq);
    expect([...provider.capabilities.limitFields]).toEqual([...GROQ_LIMIT_FIELDS]);
    expect(PROVIDER_CAPABILITIES.openai.limitFields).not.toContain('tokens_per_day');
  });
});
