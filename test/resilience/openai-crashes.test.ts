/**
 * Crashes on an OpenAI apply (issue 18): `groq-rbac apply` with `provider: openai` against the
 * OpenAI sandbox, SIGKILLed at seeded points before or after the server commits
 * (helpers/crash-suite.ts): a service account created and its answer never read, a rename marking
 * delivery lost, a retiring delete half done. Re-runs converge to one live service account per
 * policy key, none orphaned or carrying a stale nonce, and services never see a failed request.
 */
import { defineCrashSuite } from './helpers/crash-suite.js';
import { OPENAI_ACCOUNT_ROUTE, OPENAI_ACCOUNTS_ROUTE, openAiFindings, startResilientOpenAiOrg } from './helpers/openai-org.js';
import { KEYS, OPENAI_MODEL, writeOpenAiPolicies } from './helpers/policy-files.js';

defineCrashSuite({
  part: 'openai-crashes',
  async start(onRequest) {
    const org = await startResilientOpenAiOrg(onRequest ? { onRequest } : {});
    return {
      baseUrl: `${org.sandbox.url}/v1`,
      env: { OPENAI_ADMIN_KEY: org.sandbox.adminKey },
      issued: org.issued,
      advance: (seconds) => org.advance(seconds),
      request: (method, path, options) => org.request(method, path, options),
      liveKeys: async () =>
        (await org.snapshot()).flatMap((p) =>
          p.accounts.flatMap((a) =>
            a.keyIds.map((id) => ({
              id,
              project: p.name,
              key: a.marks?.key,
              delivered: a.marks !== null && a.marks.delivered_at !== null,
            })),
          ),
        ),
      findings: async (allowed) => openAiFindings(await org.snapshot(), allowed),
      auditLog: async () => (await org.request('GET', '/v1/organization/audit_logs?limit=100')).body,
      close: () => org.close(),
    };
  },
  writePolicies: writeOpenAiPolicies,
  keys: KEYS,
  model: OPENAI_MODEL,
  createRoute: OPENAI_ACCOUNTS_ROUTE,
  keyRoute: OPENAI_ACCOUNT_ROUTE,
  verifyPath: '/v1/models',
  chatPath: '/v1/chat/completions',
});
