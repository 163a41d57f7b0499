/**
 * Crashes on a Groq apply: `groq-rbac apply` against the Groq sandbox, SIGKILLed at seeded points
 * before or after the server commits (helpers/crash-suite.ts); re-runs converge, and services that
 * read the delivered files never see a failed request.
 */
import { METADATA } from '../../src/providers/groq/metadata.js';
import { defineCrashSuite } from './helpers/crash-suite.js';
import { findDuplicates, KEY_CREATE_ROUTE, KEY_ROUTE, startResilientOrg } from './helpers/org.js';
import { KEYS, MODEL, writePolicies } from './helpers/policy-files.js';

defineCrashSuite({
  part: 'crashes',
  async start(onRequest) {
    const org = await startResilientOrg(onRequest ? { onRequest } : {});
    return {
      baseUrl: org.sandbox.url,
      env: { GROQ_ADMIN_KEY: org.sandbox.adminKey },
      issued: org.issued,
      advance: (seconds) => org.advance(seconds),
      request: (method, path, options) => org.request(method, path, options),
      liveKeys: async () =>
        (await org.snapshot()).flatMap((p) =>
          p.keys.map((k) => ({
            id: k.id,
            project: p.name,
            key: k.metadata[METADATA.key],
            delivered: k.metadata[METADATA.deliveredAt] !== undefined,
          })),
        ),
      findings: async (allowed) => findDuplicates(await org.snapshot(), allowed),
      auditLog: () => org.client.listAuditLogs({ effective_at_gte: 0 }),
      close: () => org.close(),
    };
  },
  writePolicies,
  keys: KEYS,
  model: MODEL,
  createRoute: KEY_CREATE_ROUTE,
  keyRoute: KEY_ROUTE,
  verifyPath: '/openai/v1/models',
  chatPath: '/openai/v1/chat/completions',
});
