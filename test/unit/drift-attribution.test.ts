import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attributeDrift, readDriftAttribution } from '../../src/app/drift-attribution.js';
import type { AuditLog } from '../../src/providers/groq/wire.js';
import { auditEvent } from '../../src/providers/groq/write.js';
import { makeKeyChange, makePlan, makeProjectChange, makeRateLimitChange, makeSpendLimitChange } from '../helpers/plan-builders.js';
import { createProjectWithKey, startTestOrg, type TestOrg } from '../helpers/sandbox.js';

/** An entry of Groq's audit log (OpenAI's shape), as the Groq provider reads it into an audit event. */
const log = (id: string, type: string, effective_at: number, extra: Partial<AuditLog> = {}, details: Record<string, unknown> = {}) =>
  auditEvent({
    id,
    type,
    effective_at,
    actor: { type: 'session', session: { user: { id: 'user_1', email: 'dana@acme.example' } } },
    [type]: details,
    ...extra,
  });

describe('attributeDrift', () => {
  const project = { id: 'proj_prod', name: 'chatbot-prod' };
  const changes = [
    makeProjectChange(),
    makeRateLimitChange(),
    makeKeyChange('update', { key_id: 'key_web' }),
    makeKeyChange('rotate', { key_id: 'key_web' }),
    makeSpendLimitChange({ reason: 'differs' }),
  ];

  it('names the latest audit entry that touched each differing thing', () => {
    const logs = [
      log('audit_1', 'rate_limit.updated', 100, { project }, { id: 'rl-openai/gpt-oss-120b' }),
      log(
        'audit_2',
        'rate_limit.updated',
        200,
        { project, actor: { type: 'api_key', api_key: { id: 'key_admin', type: 'user' } } },
        { id: 'rl-openai/gpt-oss-120b' },
      ),
      log('audit_3', 'rate_limit.updated', 300, { project }, { id: 'rl-openai/gpt-oss-20b' }),
      log('audit_4', 'api_key.updated', 150, { project }, { id: 'key_web' }),
      log('audit_5', 'api_key.updated', 160, { project }, { id: 'key_other' }),
    ];
    expect(attributeDrift(changes, logs)).toEqual([
      { change: 1, actor: 'api key key_admin', effective_at: 200, audit_log_id: 'audit_2', type: 'rate_limit.updated' },
      { change: 2, actor: 'dana@acme.example', effective_at: 150, audit_log_id: 'audit_4', type: 'api_key.updated' },
    ]);
  });

  it('attributes nothing without a matching entry, and never a new change or a rotation', () => {
    expect(
      attributeDrift(changes, [
        log('audit_9', 'api_key.created', 10, { project }, { id: 'key_web' }),
        log('audit_8', 'project.created', 5, { project }, { id: 'proj_prod' }),
      ]),
    ).toEqual([{ change: 2, actor: 'dana@acme.example', effective_at: 10, audit_log_id: 'audit_9', type: 'api_key.created' }]);
    expect(attributeDrift(changes, [])).toEqual([]);
  });
});

describe('readDriftAttribution against the sandbox', () => {
  let org: TestOrg;
  beforeAll(async () => {
    org = await startTestOrg();
  });
  afterAll(async () => {
    await org.close();
  });

  it('reads the audit log once and finds who changed a rate limit in the Console', async () => {
    const { projectId } = await createProjectWithKey(org, 'chatbot-prod', 'chatbot-web');
    const changed = await org.request('POST', `/openai/v1/organization/projects/${projectId}/rate_limits/rl-openai/gpt-oss-120b`, {
      body: { max_tokens_per_1_minute: 100_000 },
    });
    expect(changed.status).toBe(200);
    const now = (await org.request('GET', '/_sandbox/clock')).body.now as number;
    const before = (await org.request('GET', '/_sandbox/stats')).body.requests_total as number;
    const plan = makePlan([makeRateLimitChange({ project_id: projectId })]);
    const found = await readDriftAttribution(org.provider, plan, { now, days: 1 });
    expect(found).toEqual([
      {
        change: 0,
        actor: 'api key key_admin',
        effective_at: expect.any(Number),
        audit_log_id: expect.stringMatching(/^audit_log-/),
        type: 'rate_limit.updated',
      },
    ]);
    expect(Math.abs(found[0]!.effective_at - now)).toBeLessThan(5);
    expect((await org.request('GET', '/_sandbox/stats')).body.requests_total - before).toBe(1);
    // A plan without drift reads nothing.
    expect(await readDriftAttribution(org.provider, makePlan([makeProjectChange()]), { now })).toEqual([]);
  });
});
