import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planOrganization } from '../../src/app/plan-organization.js';
import type { OrgSession } from '../../src/app/session.js';
import { spendLimitWarning } from '../../src/plan/warnings.js';
import { makeDesired, makeDesiredKey, makeDesiredProject } from '../helpers/builders.js';
import { chat, createProjectWithKey, startTestOrg, type TestOrg } from '../helpers/sandbox.js';

let org: TestOrg;
let session: OrgSession;
beforeEach(async () => {
  org = await startTestOrg({ orgId: 'org_test' });
  session = { admin: org.provider, adminKeyRedacted: null, target: 'test', concurrency: 4, close: async () => {} };
});
afterEach(async () => {
  await org.close();
});

const desiredWithCap = (cap: number) =>
  makeDesired([makeDesiredProject('p')], [makeDesiredKey('k', { project: 'p' })], {
    id: 'org_test',
    spending: { monthly_cap_usd: cap, alert_thresholds_usd: [], alert_recipients: [] },
  });

describe('a spend limit below the month to date', () => {
  it('is warned about: every key would be refused until the month turns', async () => {
    const { value } = await createProjectWithKey(org, 'traffic');
    // About 75,000 prompt tokens on openai/gpt-oss-120b: a little over one cent.
    const sent = await org.request('POST', '/openai/v1/chat/completions', {
      token: value,
      body: chat('openai/gpt-oss-120b', 'spend '.repeat(50_000), { max_completion_tokens: 8 }),
    });
    expect(sent.status).toBe(200);
    const low = (await planOrganization(session, desiredWithCap(0.01))).plan;
    expect(low.warnings.filter((w) => w.code === 'spend_limit_below_spend').map((w) => w.message)).toEqual([
      expect.stringMatching(
        /^the spend limit of 0\.01 USD is at or below this month's spend so far \(0\.01 USD\): every key in the organization will be refused \(blocked_api_access\) until \d{4}-\d{2}-01$/,
      ),
    ]);
    const high = (await planOrganization(session, desiredWithCap(500))).plan;
    expect(high.warnings.map((w) => w.code)).not.toContain('spend_limit_below_spend');
  });

  it('is only checked when the plan sets a spend limit', () => {
    expect(spendLimitWarning([], 1000, '2026-12-01')).toBeNull();
  });
});
