import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  addStepsSection,
  isSignedSection,
  signSection,
  stepsIssueBody,
  trustedSections,
  type StepsTrust,
} from '../../src/action/console-issue.js';
import { ACTIONS_BOT } from '../../src/action/pull-request-comment.js';
import { createGitHubClient } from '../../src/github/client.js';
import { RUNBOOK_MARKER } from '../../src/plan/render-runbook.js';

// Security review (h13), provider: groq-console. The steps issue that a Console admin follows is read
// back from GitHub. FIXED (#22, h15): only an issue by comment-author counts, and only the sections
// the Action signed with plan-signing-key; anything else is dropped, and the log says so.

const API = 'https://api.github.com';
const ORG = 'org_acme';
const KEY = ['review', 'console', 'steps', 'key', '0123456789abcdef01234567'].join('-');
const BOT = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' };
const FORGED = `${RUNBOOK_MARKER}\n### Pull request #3: 1 step\n- [ ] Create a key in project finance-prod and paste it at https://evil.example/collect <!-- step s1 -->\n`;
const REAL = `${RUNBOOK_MARKER}\n### Pull request #7: 1 step\n- [ ] Set requests per day of chatbot-prod to 1000 <!-- step s2 -->\n`;
const EARLIER = `${RUNBOOK_MARKER}\n### Pull request #5: 2 steps\n- [ ] Allow openai/gpt-oss-20b in chatbot-prod <!-- step s3 -->\n- [ ] Set tokens per minute of chatbot-prod to 40000 <!-- step s4 -->\n`;

let warnings: string[];
const trust = (): StepsTrust => ({ author: ACTIONS_BOT, key: KEY, logger: { debug() {}, info() {}, warn: (m) => void warnings.push(m) } });
const github = () => createGitHubClient({ token: 'x'.repeat(20), baseUrl: API, retries: 0, retryAfterBaseMs: 1 });

beforeEach(() => {
  nock.disableNetConnect();
  warnings = [];
});
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe('the Console steps issue', () => {
  it('FIXED (#22): a labelled issue a writer opened is ignored: the Action opens its own, with only the reviewed steps', async () => {
    let written = '';
    const api = nock(API)
      .get('/repos/acme/p/issues')
      .query(true)
      .reply(200, [
        {
          number: 3,
          body: `<!-- groq-rbac:console-steps -->\nhead\n${FORGED}`,
          html_url: 'https://github.com/acme/p/issues/3',
          user: { login: 'mallory', id: 5, type: 'User' },
          labels: [{ name: 'groq-rbac-console-steps' }],
        },
      ])
      .post('/repos/acme/p/issues', (b: { body: string }) => ((written = b.body), true))
      .reply(201, { number: 4, html_url: 'https://github.com/acme/p/issues/4' });
    const outcome = await addStepsSection(github(), { owner: 'acme', repo: 'p' }, ORG, REAL, 'Pull request #7:', trust());
    expect(api.pendingMocks()).toEqual([]);
    expect(outcome).toMatchObject({ action: 'opened', number: 4 });
    expect(written).toContain('Set requests per day');
    expect(written).not.toContain('evil.example');
    expect(warnings.join('\n')).toContain(
      'issue #3 by @mallory has the groq-rbac-console-steps label but is not by @github-actions[bot]: ignored',
    );
  });

  it("FIXED (#22): a section a writer added to the bot's issue, or an edit inside a signed one, is dropped when the body is rebuilt", async () => {
    const earlier = signSection(EARLIER, ORG, KEY);
    // A writer's edit to a signed section (a copy of it, renamed): the step now says where to paste the key.
    const edited = earlier
      .replace('### Pull request #5', '### Pull request #6')
      .replace('in chatbot-prod <!-- step s3', 'in chatbot-prod, then paste the key at https://evil.example/2 <!-- step s3');
    expect(edited).toContain('evil.example/2');
    let written = '';
    nock(API)
      .get('/repos/acme/p/issues')
      .query(true)
      .reply(200, [
        {
          number: 9,
          body: stepsIssueBody(ORG, [earlier, FORGED, edited]),
          html_url: 'https://github.com/acme/p/issues/9',
          user: BOT,
          labels: [{ name: 'groq-rbac-console-steps' }],
        },
      ])
      .patch('/repos/acme/p/issues/9', (b: { body: string }) => ((written = b.body), true))
      .reply(200, { number: 9 });
    const outcome = await addStepsSection(github(), { owner: 'acme', repo: 'p' }, ORG, REAL, 'Pull request #7:', trust());
    expect(outcome.action).toBe('updated');
    expect(written).toContain('Set requests per day');
    expect(written).toContain('Allow openai/gpt-oss-20b in chatbot-prod');
    expect(written).not.toContain('evil.example');
    expect(warnings.filter((w) => w.startsWith('Console steps: dropped section'))).toHaveLength(2);
    expect(warnings.join('\n')).toContain('dropped section "Pull request #3: 1 step" of issue #9: it is not signed with plan-signing-key');
  });

  it("FIXED (#22): a box ticked by hand (GitHub's editor writes CRLF) keeps the section signed; another key, another org or added text does not", () => {
    const signed = signSection(EARLIER, ORG, KEY);
    expect(isSignedSection(signed, ORG, KEY)).toBe(true);
    const ticked = signed.replace('- [ ] Allow', '- [x] Allow').replace(/\n/g, '\r\n');
    expect(isSignedSection(ticked, ORG, KEY)).toBe(true);
    expect(isSignedSection(signed, ORG, `${KEY}-other`)).toBe(false);
    expect(isSignedSection(signed, 'org_other', KEY)).toBe(false);
    expect(isSignedSection(signed, ORG, '')).toBe(false);
    expect(isSignedSection(`${signed}- [ ] Paste the key at https://evil.example <!-- step s9 -->\n`, ORG, KEY)).toBe(false);
    expect(isSignedSection(EARLIER, ORG, KEY)).toBe(false);
    // What verify ticks: only the trusted sections of the issue.
    const kept = trustedSections({ number: 9, body: stepsIssueBody(ORG, [ticked, FORGED]), url: 'x' }, ORG, trust());
    expect(kept).toHaveLength(1);
    expect(kept[0]).toContain('- [x] Allow');
  });
});
