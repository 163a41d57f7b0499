import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelPermissions, ProjectApiKey, RateLimit, SpendAlert, SpendLimit } from '../../src/providers/groq/wire.js';
import type { LiveLimit } from '../../src/core/domain.js';
import type { DomainLiveProject as LiveProject, DomainLiveState as LiveState } from '../../src/core/domain.js';
import { LIMIT_FIELDS } from '../../src/core/limits.js';
import { METADATA } from '../../src/providers/groq/metadata.js';
import { decodeOrganization, decodeProject } from '../../src/providers/groq/read.js';
import { planChanges } from '../../src/plan/plan-changes.js';
import { importPolicies } from '../../src/policy/import-policies.js';
import { effectiveModels } from '../../src/policy/model-rules.js';
import { readPolicies } from '../../src/policy/read-policies.js';
import type { DesiredProject } from '../../src/policy/types.js';

const rateLimit = (
  scope: 'organization' | 'project',
  model: string,
  rpm: number,
  tpm: number,
  rpd = 14_400,
  tpd = 1_000_000,
): RateLimit => ({
  object: `${scope}.rate_limit`,
  id: `rl-${model}`,
  model,
  max_requests_per_1_minute: rpm,
  max_tokens_per_1_minute: tpm,
  max_requests_per_1_day: rpd,
  max_tokens_per_1_day: tpd,
});
const permissions = (scope: 'organization' | 'project', mode: ModelPermissions['mode'], model_ids: string[]): ModelPermissions => ({
  object: `${scope}.model_permissions`,
  mode,
  model_ids,
});
let keySeq = 0;
const key = (name: string, metadata: Record<string, string> = {}): ProjectApiKey => ({
  object: 'organization.project.api_key',
  id: `key_${++keySeq}`,
  name,
  redacted_value: 'gsk_…abcd',
  created_at: 1_700_000_000 + keySeq,
  last_used_at: null,
  metadata,
});
const ORG_LIMITS = [
  rateLimit('organization', 'openai/gpt-oss-120b', 1000, 250_000),
  rateLimit('organization', 'openai/gpt-oss-20b', 1000, 250_000),
  rateLimit('organization', 'qwen/qwen3.8-27b', 1000, 300_000),
];
// Built in the contract's wire shapes, read as the Groq provider reads them (src/providers/groq/read.ts).
const project = (name: string, created: number, perms: ModelPermissions, limits: RateLimit[], keys: ProjectApiKey[]): LiveProject =>
  decodeProject(
    { object: 'organization.project', id: `proj_${name}`, name, created_at: created, archived_at: null, status: 'active' },
    perms,
    // A project has one rate limit per model the org serves; untouched ones equal the org's.
    ORG_LIMITS.map((o) => limits.find((l) => l.model === o.model) ?? { ...o, object: 'project.rate_limit' }),
    keys,
  );

function liveState(): LiveState {
  const { projects, observed_at, ...org } = {
    org: { object: 'organization' as const, id: 'org_sandbox', name: 'Sandbox' },
    permissions: permissions('organization', 'allow_list', ['openai/gpt-oss-20b', 'openai/gpt-oss-120b', 'qwen/qwen3.8-27b']),
    rateLimits: ORG_LIMITS,
    spendLimit: {
      object: 'organization.spend_limit',
      threshold_amount: 50_000,
      currency: 'USD',
      interval: 'month',
      enforcement: { status: 'inactive' },
    } as SpendLimit,
    spendAlerts: [250, 100].map((usd, i): SpendAlert => ({
      object: 'organization.spend_alert',
      id: `alert_${i}`,
      threshold_amount: usd * 100,
      currency: 'USD',
      interval: 'month',
      notification_channel: { type: 'email', recipients: ['platform@acme.example'] },
    })),
    projects: [
      project(
        'chatbot-prod',
        1,
        permissions('project', 'allow_list', ['openai/gpt-oss-120b']),
        [rateLimit('project', 'openai/gpt-oss-120b', 500, 60_000)],
        [
          key('web-old', { [METADATA.key]: 'chatbot-prod-web', [METADATA.protect]: 'true', [METADATA.generation]: '1' }),
          key('web-new', { [METADATA.key]: 'chatbot-prod-web', [METADATA.generation]: '2' }),
          key('chatbot-prod-mobile'),
        ],
      ),
      project(
        'chatbot-staging',
        2,
        permissions('project', 'deny_list', ['qwen/qwen3.8-27b']),
        [rateLimit('project', 'openai/gpt-oss-120b', 60, 20_000), rateLimit('project', 'openai/gpt-oss-20b', 60, 10_000)],
        [key('chatbot-staging-web')],
      ),
      project('analytics-notebooks', 3, permissions('project', 'deny_list', []), [], [key('my key!'), key('chatbot-prod-mobile')]),
      project('Sandbox', 4, permissions('project', 'deny_list', []), [], []),
      project('has space', 5, permissions('project', 'deny_list', []), [], [key('x')]),
      project('chatbot-prod', 6, permissions('project', 'deny_list', []), [], []),
    ],
    observed_at: 1_700_000_100,
  };
  return decodeOrganization(org, projects, observed_at);
}

function importInto(live: LiveState): { dir: string; notes: string[]; files: Record<string, string> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-import-'));
  const { files, notes } = importPolicies(live, {
    admins: ['@acme/platform'],
    schemaRef: { org: '../schemas/org.schema.json', team: '../../schemas/team.schema.json' },
  });
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  }
  return { dir, notes, files };
}

/** The rate limit the plan would want for a project and model: model entry, else default, else the org's. */
function desiredLimit(p: DesiredProject, model: string, field: (typeof LIMIT_FIELDS)[number], org: LiveLimit): number | undefined {
  return p.limits.models[model]?.[field] ?? p.limits.default[field] ?? org.values[field];
}

describe('import', () => {
  const live = liveState();
  const { dir, notes, files } = importInto(live);
  const result = readPolicies(dir, { cwd: dir });

  it('writes v2 policies that validate without a diagnostic', () => {
    expect(result.diagnostics).toEqual([]);
    expect(Object.keys(files).sort()).toEqual(['org.yaml', 'teams/analytics.yaml', 'teams/chatbot.yaml', 'teams/imported.yaml']);
    expect(files['org.yaml']).toMatch(/^# yaml-language-server: \$schema=\.\.\/schemas\/org\.schema\.json\n/);
  });

  it('describes the org: permissions and spending in USD, limits left out', () => {
    const org = result.desired!.org;
    expect(org).toMatchObject({ id: 'org_sandbox', admins: ['@acme/platform'], limits: { default: {}, models: {} } });
    expect(org.models).toEqual({ mode: 'allow_list', models: ['openai/gpt-oss-120b', 'openai/gpt-oss-20b', 'qwen/qwen3.8-27b'] });
    expect(org.spending).toEqual({ monthly_cap_usd: 500, alert_thresholds_usd: [100, 250], alert_recipients: ['platform@acme.example'] });
  });

  it('groups projects into teams by name prefix, else imported', () => {
    const teamOf = Object.fromEntries(result.desired!.projects.map((p) => [p.name, p.team]));
    expect(teamOf).toEqual({
      'chatbot-prod': 'chatbot',
      'chatbot-staging': 'chatbot',
      'analytics-notebooks': 'analytics',
      Sandbox: 'imported',
    });
  });

  it("keeps each project's model permissions as they are", () => {
    for (const p of live.projects.slice(0, 4)) {
      const desired = result.desired!.projects.find((d) => d.name === p.name)!;
      expect(desired.models, p.name).toEqual(p.permissions);
    }
  });

  it("writes limits only where they differ from the org's, and they resolve to the live values", () => {
    const byName = Object.fromEntries(result.desired!.projects.map((p) => [p.name, p]));
    expect(byName['chatbot-prod']!.limits).toEqual({
      default: {},
      models: { 'openai/gpt-oss-120b': { requests_per_minute: 500, tokens_per_minute: 60_000 } },
    });
    // One value across every usable model is folded into default.
    expect(byName['chatbot-staging']!.limits).toEqual({
      default: { requests_per_minute: 60 },
      models: { 'openai/gpt-oss-120b': { tokens_per_minute: 20_000 }, 'openai/gpt-oss-20b': { tokens_per_minute: 10_000 } },
    });
    expect(byName['analytics-notebooks']!.limits).toEqual({ default: {}, models: {} });
    const orgSet = new Set(ORG_LIMITS.map((r) => r.model));
    for (const p of live.projects.slice(0, 4)) {
      const desired = byName[p.name]!;
      for (const model of effectiveModels(desired.models, orgSet)) {
        const liveLimit = p.limits.find((r) => r.model === model)!;
        const orgLimit = live.limits.find((r) => r.model === model)!;
        for (const f of LIMIT_FIELDS)
          expect(desiredLimit(desired, model, f, orgLimit), `${p.name} ${model} ${f}`).toBe(liveLimit.values[f]);
      }
    }
  });

  it('imports keys by their groq-rbac/key name (generations once), unmanaged ones by name, protect from metadata', () => {
    const keys = result.desired!.keys.map((k) => `${k.project}/${k.name}${k.protect ? ' (protected)' : ''}`).sort();
    expect(keys).toEqual([
      'chatbot-prod/chatbot-prod-mobile',
      'chatbot-prod/chatbot-prod-web (protected)',
      'chatbot-staging/chatbot-staging-web',
    ]);
  });

  it('a plan right after shows only key adoptions', () => {
    const plan = planChanges(result.desired!, live, live.observed_at);
    expect(plan.changes.map((c) => `${c.resource} ${c.action} ${'key' in c ? c.key : ''}`)).toEqual([
      'api_key adopt chatbot-prod-mobile',
      'api_key adopt chatbot-staging-web',
    ]);
    expect(plan.refusals).toEqual([]);
  });

  it('notes what it left out and why', () => {
    expect(notes).toEqual([
      'left out key key_5 of project "analytics-notebooks": its name "my key!" is not a valid policy key name (letters, digits, ".", "_", "-"; at most 64); rename it in the Groq Console and import again',
      'left out key key_6 of project "analytics-notebooks": key key_3 is also named "chatbot-prod-mobile" and was imported; key names are unique across the organization, so it stays unmanaged',
      'left out project proj_has space: its name "has space" is not a valid policy name (letters, digits, ".", "_", "-"; at most 64); rename it in the Groq Console and import again',
      'left out project proj_chatbot-prod: another project is also named "chatbot-prod"; it stays unmanaged (policies match projects by name)',
    ]);
  });

  it('writes a block list as {block: [...]} and limit sets on one line', () => {
    expect(files['teams/chatbot.yaml']).toContain('models:\n      block: [qwen/qwen3.8-27b]');
    expect(files['teams/chatbot.yaml']).toContain('openai/gpt-oss-120b: {requests_per_minute: 500, tokens_per_minute: 60000}');
  });

  it('leaves spending out when the org has no spend limit and no alerts, and writes a block list for the org', () => {
    const bare: LiveState = {
      ...liveState(),
      spending: { monthly_cap_usd: null, alerts: [] },
      permissions: { mode: 'deny_list', models: ['qwen/qwen3.8-27b'] },
      projects: [],
    };
    const { dir: bareDir, files: bareFiles } = importInto(bare);
    const r = readPolicies(bareDir, { cwd: bareDir });
    expect(r.diagnostics).toEqual([]);
    expect(r.desired!.org.spending).toBeNull();
    expect(r.desired!.org.models).toEqual({ mode: 'deny_list', models: ['qwen/qwen3.8-27b'] });
    expect(Object.keys(bareFiles)).toEqual(['org.yaml']);
  });
});
