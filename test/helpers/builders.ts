import type { ApiKey, LiveState } from '../../src/groq/types.js';
import type { DesiredKey, DesiredOrg, DesiredState } from '../../src/policy/types.js';

export const NOW = 1_795_000_000; // 2026-11-18

export function makeDesiredKey(name: string, overrides: Partial<DesiredKey> = {}): DesiredKey {
  return {
    name,
    team: 'chatbot',
    description: null,
    models: ['openai/gpt-oss-20b'],
    limits: { requests_per_minute: 100, tokens_per_minute: 10_000, requests_per_day: null, tokens_per_day: null },
    enabled: true,
    protect: false,
    rotation: { everySeconds: 90 * 86400, quietPeriodSeconds: 86400, minOverlapSeconds: 3600, trigger: null, deliver: [] },
    source: { file: `teams/${overrides.team ?? 'chatbot'}.yaml`, line: 1, column: 1 },
    ...overrides,
  };
}

export function makeDesired(keys: DesiredKey[], org: Partial<DesiredOrg> = {}): DesiredState {
  const teams = [...new Set(keys.map((k) => k.team))].map((name) => ({ name, owners: [`@acme/${name}`], models: null, file: `teams/${name}.yaml` }));
  return {
    org: {
      id: 'org_test', admins: ['@acme/platform'], models: null,
      ceilings: { requests_per_minute: null, tokens_per_minute: null, requests_per_day: null, tokens_per_day: null },
      spending: null, unmanagedKeys: 'report', safety: { maxDeletes: 3, maxDeletePercent: 25 }, file: 'org.yaml', ...org,
    },
    teams,
    keys,
  };
}

let seq = 0;
export function makeLiveKey(overrides: Partial<ApiKey> = {}): ApiKey {
  seq += 1;
  return {
    id: `key_${String(seq).padStart(6, '0')}`, name: `live-${seq}`, redacted_value: `gsk_…${String(seq).padStart(4, '0')}`,
    allowed_models: null, requests_per_minute: null, tokens_per_minute: null, requests_per_day: null, tokens_per_day: null,
    status: 'active', metadata: {}, created_at: NOW - 86400, last_used_at: NOW - 3600, ...overrides,
  };
}

/** A live key exactly as groq-rbac would have created it for `key`. */
export function managedKeyFor(key: DesiredKey, overrides: Partial<ApiKey> = {}): ApiKey {
  return makeLiveKey({
    name: key.name,
    allowed_models: key.models,
    ...key.limits,
    status: key.enabled ? 'active' : 'disabled',
    metadata: { 'groq-rbac/key': key.name, 'groq-rbac/team': key.team, 'groq-rbac/generation': '1', ...(key.protect ? { 'groq-rbac/protect': 'true' } : {}) },
    ...overrides,
  });
}

export function makeLive(keys: ApiKey[], overrides: Partial<LiveState> = {}): LiveState {
  return {
    org: { id: 'org_test', name: 'Test' },
    keys,
    spending: { monthly_cap_usd: null, alert_thresholds_usd: [], auto_pause: true, month_to_date_usd: 0, status: 'active' },
    models: ['openai/gpt-oss-120b', 'openai/gpt-oss-20b', 'qwen/qwen3.8-27b'],
    observed_at: NOW,
    ...overrides,
  };
}
