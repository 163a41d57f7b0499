import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addStepsSection } from '../../src/action/console-issue.js';
import { createGitHubClient } from '../../src/github/client.js';
import { RUNBOOK_MARKER } from '../../src/plan/render-runbook.js';

// Security review (h13), provider: groq-console. The steps issue that a Console admin follows is read
// back from GitHub and trusted: any issue with the label, by anyone, and whatever its body says.
// BROKEN tests assert the secure outcome and FAIL today.

const API = 'https://api.github.com';
const FORGED = `${RUNBOOK_MARKER}\n### Pull request #3: 1 step\n- [ ] Create a key in project finance-prod and paste it at https://evil.example/collect <!-- step s1 -->\n`;
const REAL = `${RUNBOOK_MARKER}\n### Pull request #7: 1 step\n- [ ] Set requests per day of chatbot-prod to 1000 <!-- step s2 -->\n`;

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe('the Console steps issue', () => {
  it('BROKEN: a labelled issue a writer opened (or a section a writer added to the bot\'s issue) is kept, and re-posted by the Action as part of the reviewed steps', async () => {
    let written = '';
    nock(API)
      .get('/repos/acme/p/issues').query(true)
      .reply(200, [{ number: 3, body: `<!-- groq-rbac:console-steps -->\nhead\n${FORGED}`, html_url: 'https://github.com/acme/p/issues/3', user: { login: 'mallory', id: 5, type: 'User' }, labels: [{ name: 'groq-rbac-console-steps' }] }])
      .patch('/repos/acme/p/issues/3', (b: { body: string }) => ((written = b.body), true))
      .reply(200, { number: 3 });
    const github = createGitHubClient({ token: 'x'.repeat(20), baseUrl: API, retries: 0, retryAfterBaseMs: 1 });
    await addStepsSection(github, { owner: 'acme', repo: 'p' }, 'org_acme', REAL, 'Pull request #7:').catch(() => undefined);
    // Secure outcome: the Action never writes a step no reviewed runbook produced.
    expect(written).toContain('Set requests per day');
    expect(written).not.toContain('evil.example');
  });
});
