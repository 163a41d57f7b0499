import { GroqApiError } from '../groq/errors.js';
import type { ApiKey, CreatedKey, DailyUsage, GroqAdmin, Model, Organization, SpendingLimit, UsageToday } from '../groq/types.js';
import { SandboxError } from './errors.js';
import type { OrgState, Reply } from './org-state.js';

/**
 * The GroqAdmin interface straight onto a sandbox organization, without HTTP: for property tests and
 * benchmarks that need thousands of applies. The HTTP client against the real sandbox is the
 * integration path; both speak the same contract.
 */
export function createInMemoryAdmin(state: OrgState): GroqAdmin {
  const call = <T>(method: string, path: string, fn: () => Reply): T => {
    try {
      return fn().body as T;
    } catch (error) {
      if (!(error instanceof SandboxError)) throw error;
      throw new GroqApiError({ status: error.status, code: error.code, type: error.type, param: error.param ?? null, serverMessage: error.message, requestId: null, method, path });
    }
  };
  const all = <T>(path: string, page: (query: URLSearchParams) => Reply): T[] => {
    const items: T[] = [];
    let after: string | null = null;
    for (;;) {
      const body = call<{ data: T[]; has_more: boolean; last_id: string | null }>('GET', path, () => page(new URLSearchParams({ limit: '100', ...(after ? { after } : {}) })));
      items.push(...body.data);
      if (!body.has_more || !body.last_id) return items;
      after = body.last_id;
    }
  };
  return {
    getOrganization: async () => call<Organization>('GET', '/openai/v1/organization', () => state.organization()),
    listKeys: async () => all<ApiKey>('/openai/v1/api-keys', (q) => state.listKeys(q)),
    getKey: async (id) => call<ApiKey>('GET', `/openai/v1/api-keys/${id}`, () => state.getKey(id)),
    createKey: async (input, idempotencyKey) => call<CreatedKey>('POST', '/openai/v1/api-keys', () => state.createKey(structuredClone(input), idempotencyKey)),
    updateKey: async (id, patch) => call<ApiKey>('PATCH', `/openai/v1/api-keys/${id}`, () => state.updateKey(id, structuredClone(patch))),
    deleteKey: async (id) => void call('DELETE', `/openai/v1/api-keys/${id}`, () => state.deleteKey(id)),
    getSpendingLimit: async () => call<SpendingLimit>('GET', '/openai/v1/organization/spending-limit', () => state.getSpendingLimit()),
    setSpendingLimit: async (input) => call<SpendingLimit>('PUT', '/openai/v1/organization/spending-limit', () => state.putSpendingLimit(structuredClone(input))),
    listModels: async () => call<{ data: Model[] }>('GET', '/openai/v1/models', () => state.listModels()).data,
    getUsageToday: async () => call<UsageToday>('GET', '/openai/v1/usage', () => state.usageToday()),
    listDailyUsage: async (start, end) => all<DailyUsage>('/openai/v1/usage', (q) => state.dailyUsage(new URLSearchParams({ ...Object.fromEntries(q), start_date: start, end_date: end }))),
    observedNow: () => state.now(),
  };
}
