import { describe, expect, it } from 'vitest';
import { renderRunbookMarkdown, renderRunbookText } from '../../src/plan/render-runbook.js';
import { planRunbook } from '../../src/plan/runbook.js';
import { formatDiagnostic } from '../../src/policy/diagnostics.js';
import { readPolicies } from '../../src/policy/read-policies.js';
import type { DesiredState } from '../../src/policy/types.js';
import { writePolicies } from '../helpers/policies.js';

// Member changes as Groq Console steps (issue 20, provider: groq-console).

function desired(members: Record<string, string> | null, team: Record<string, string> | null, extra = ''): DesiredState {
  const list = (m: Record<string, string>) =>
    Object.entries(m)
      .map(([e, r]) => `  ${e}: ${r}`)
      .join('\n');
  const dir = writePolicies({
    'org.yaml': `version: 2\norg: org_acme\nadmins: ["@acme/platform"]\nprovider: groq-console\n${members ? `members:\n${list(members)}\n` : ''}${extra}`,
    'teams/chatbot.yaml': `team: chatbot\nowners: ["@acme/chatbot"]\n${team ? `members:\n${list(team)}\n` : ''}projects:\n  - name: chatbot-prod\n`,
  });
  const result = readPolicies(dir, { cwd: dir });
  expect(result.diagnostics.map(formatDiagnostic)).toEqual([]);
  return result.desired!;
}

const ORG = { 'ada@acme.example': 'owner', 'grace@acme.example': 'owner' };

describe('the runbook of member changes', () => {
  it('invites, promotes before project memberships, demotes after them, and removes last', () => {
    const base = desired(
      { ...ORG, 'bob@acme.example': 'reader', 'carol@acme.example': 'developer', 'zed@acme.example': 'reader' },
      { 'carol@acme.example': 'developer', 'zed@acme.example': 'reader' },
    );
    const head = desired(
      { ...ORG, 'bob@acme.example': 'developer', 'carol@acme.example': 'reader', 'dan@acme.example': 'developer' },
      { 'bob@acme.example': 'developer', 'carol@acme.example': 'reader' },
      'unmanaged:\n  members: remove\n',
    );
    const runbook = planRunbook(base, head);
    const member = runbook.steps.filter((s) => s.page === 'members' || s.page === 'project_members');
    expect(member.map((s) => `${s.action} ${s.title}`)).toEqual([
      'change_member_role Change the role of "bob@acme.example" from Reader to Developer',
      'invite_member Invite "dan@acme.example" as Developer',
      'add_project_member Add "bob@acme.example" to project "chatbot-prod" as Developer',
      'change_project_member_role Change the role of "carol@acme.example" in project "chatbot-prod" from Developer to Reader',
      'change_member_role Change the role of "carol@acme.example" from Developer to Reader',
      'remove_member Remove "zed@acme.example" from the organization',
    ]);
    // Nobody is named in an id; the data has the address for scripts.
    for (const s of member) expect(s.id).not.toMatch(/@/);
    expect(member.find((s) => s.action === 'invite_member')!.data).toEqual({
      email: 'dan@acme.example',
      before: null,
      after: 'developer',
      adopting: false,
    });
    // zed leaves the organization: the project membership goes with it, no step of its own.
    expect(member.filter((s) => s.action === 'remove_project_member')).toEqual([]);
    expect(member.every((s) => s.checks.length === 0)).toBe(true);

    const text = renderRunbookText(runbook, null);
    expect(text).toContain('Settings → Organization → Members');
    expect(text).toContain('Invite "dan@acme.example" as Developer');
    expect(text).toContain('assumed');

    // Markdown (the pull-request comment, the steps issue) masks the addresses.
    const md = renderRunbookMarkdown(runbook, null);
    expect(md).not.toMatch(/[a-z]+@acme\.example/);
    expect(md).toMatch(/Invite the person listed at org\.yaml:\d+:\d+ \(…\\@acme\.example\) as Developer/);
    expect(md).toMatch(/Remove the person listed at org\.yaml:\d+:\d+ before this change \(…\\@acme\.example\) from the organization/);
  });

  it('under unmanaged.members: report, someone who left is a cancelled invite if still pending, not a removal', () => {
    const runbook = planRunbook(desired({ ...ORG, 'zed@acme.example': 'reader' }, null), desired(ORG, null));
    expect(runbook.steps.map((s) => `${s.action} ${s.title}`)).toEqual([
      'cancel_invite Cancel the invite of "zed@acme.example", if it is still pending',
    ]);
  });

  it('where the base did not manage people, each is a step to make sure of; with privacy.member_addresses: shown, Markdown shows addresses', () => {
    const head = desired({ ...ORG }, { 'ada@acme.example': 'owner' }, 'privacy:\n  member_addresses: shown\n');
    const runbook = planRunbook(desired(null, null), head);
    expect(runbook.steps.map((s) => s.title)).toEqual([
      'Make sure "ada@acme.example" is in the organization as Owner',
      'Make sure "grace@acme.example" is in the organization as Owner',
      'Make sure "ada@acme.example" is in project "chatbot-prod" as Owner',
    ]);
    expect(runbook.steps[0]!.data).toEqual({ email: 'ada@acme.example', before: null, after: 'owner', adopting: true });
    expect(runbook.steps.every((s) => s.masked === undefined)).toBe(true);
    expect(renderRunbookMarkdown(runbook, null)).toContain('ada\\@acme.example');
  });

  it('no members: in org.yaml: no member steps, and an unchanged change has none', () => {
    expect(planRunbook(desired(null, null), desired(null, null)).steps).toEqual([]);
    const same = desired({ ...ORG, 'bob@acme.example': 'reader' }, { 'bob@acme.example': 'reader' });
    expect(planRunbook(same, same).steps).toEqual([]);
  });
});
