import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/policy/diagnostics.js';
import { readPolicies } from '../../src/policy/read-policies.js';
import { renderCodeownersBlock } from '../../src/policy/codeowners.js';
import { ORG_YAML, teamYaml, writePolicies } from '../helpers/policies.js';

const ORG_MEMBERS = `members:
  ada@acme.example: owner
  grace@acme.example: owner
  Bob@Acme.example: developer
  carol@acme.example: reader
`;

const read = (files: Record<string, string>) => {
  const dir = writePolicies(files);
  return readPolicies(dir, { cwd: dir });
};
const errors = (files: Record<string, string>) =>
  read(files)
    .diagnostics.filter((d) => d.severity === 'error')
    .map(formatDiagnostic);

describe('members in the policies (issue 20)', () => {
  it('reads org, team and project members into the desired state, addresses in lower case, with the defaults', () => {
    const result = read({
      'org.yaml': ORG_YAML + ORG_MEMBERS,
      'teams/chatbot.yaml': teamYaml(
        'chatbot',
        `  - name: chatbot-prod
    members:
      carol@acme.example: reader
      bob@acme.example: none
  - name: chatbot-stage
`,
        'members:\n  bob@acme.example: developer\n  ada@acme.example: owner\n',
      ),
      'teams/search.yaml': teamYaml('search', '  - name: search-prod\n'),
    });
    expect(result.diagnostics).toEqual([]);
    const m = result.desired!.members!;
    expect(m.org.map((x) => [x.email, x.role])).toEqual([
      ['ada@acme.example', 'owner'],
      ['bob@acme.example', 'developer'],
      ['carol@acme.example', 'reader'],
      ['grace@acme.example', 'owner'],
    ]);
    expect(m.org[1]!.source).toEqual({ file: 'org.yaml', line: 15, column: 3 });
    expect({
      unmanaged: m.unmanaged,
      minOwners: m.minOwners,
      maxRemovalPercent: m.maxRemovalPercent,
      addresses: m.addresses,
      provider: m.provider,
    }).toEqual({ unmanaged: 'report', minOwners: 2, maxRemovalPercent: 25, addresses: 'masked', provider: 'groq' });
    // The project override replaces the team's entry; `none` leaves Bob out of chatbot-prod. search-prod lists nobody: not managed.
    expect(m.projects.map((p) => [p.project, p.team, p.members.map((x) => `${x.email}=${x.role}`)])).toEqual([
      ['chatbot-prod', 'chatbot', ['ada@acme.example=owner', 'carol@acme.example=reader']],
      ['chatbot-stage', 'chatbot', ['ada@acme.example=owner', 'bob@acme.example=developer']],
    ]);
  });

  it('reads the settings org.yaml gives', () => {
    const result = read({
      'org.yaml': `${ORG_YAML}${ORG_MEMBERS}unmanaged: {members: remove}\nsafety: {min_owners: 1, max_member_removal_percent: 10}\nprivacy: {member_addresses: shown}\n`,
      'teams/chatbot.yaml': teamYaml('chatbot'),
    });
    expect(result.diagnostics).toEqual([]);
    const m = result.desired!.members!;
    expect([m.unmanaged, m.minOwners, m.maxRemovalPercent, m.addresses]).toEqual(['remove', 1, 10, 'shown']);
  });

  it('leaves people alone where org.yaml has no members', () => {
    const result = read({ 'org.yaml': ORG_YAML, 'teams/chatbot.yaml': teamYaml('chatbot', '  - name: chatbot-prod\n') });
    expect(result.diagnostics).toEqual([]);
    expect(result.desired!.members).toBeUndefined();
  });

  it("checks roles against the org's provider: OpenAI has owner/reader and owner/member, and no cap", () => {
    // `provider: openai` is the port's to add to the schema; the roles are checked already.
    const found = read({
      'org.yaml': `${ORG_YAML}provider: openai\nmembers:\n  ada@acme.example: owner\n  grace@acme.example: owner\n  bob@acme.example: developer\n  carol@acme.example: reader\n`,
      'teams/chatbot.yaml': teamYaml(
        'chatbot',
        '  - name: chatbot-prod\n',
        'members:\n  carol@acme.example: owner\n  ada@acme.example: developer\n',
      ),
    })
      .diagnostics.filter((d) => d.path.includes('members'))
      .map(formatDiagnostic);
    expect(found).toEqual([
      'org.yaml:16:21: error: members.bob@acme.example: unknown organization role "developer": OpenAI\'s organization roles are "owner" or "reader"\n  hint: write one of "owner" or "reader" after "bob@acme.example:"',
      'teams/chatbot.yaml:5:21: error: members.ada@acme.example: unknown project role "developer": OpenAI\'s project roles are "owner" or "member"\n  hint: write one of "owner" or "member" after "ada@acme.example:"',
    ]);
    // A reader owning a project is no error on OpenAI (no cap in its sources).
  });

  it('on Groq a project role above the organization role is an error where it is written, team level or project level', () => {
    expect(
      errors({
        'org.yaml': ORG_YAML + ORG_MEMBERS,
        'teams/chatbot.yaml': teamYaml(
          'chatbot',
          '  - name: chatbot-prod\n    members:\n      carol@acme.example: owner\n',
          'members:\n  bob@acme.example: owner\n',
        ),
      }),
    ).toEqual([
      'teams/chatbot.yaml:4:21: error: members.bob@acme.example: project role "owner" is above bob@acme.example\'s organization role "developer" (org.yaml:15:3): Groq caps a project member\'s permissions at their organization role\n  hint: write "developer" or "reader", or raise the organization role in org.yaml (admins approve)',
      'teams/chatbot.yaml:8:27: error: projects[0].members.carol@acme.example: project role "owner" is above carol@acme.example\'s organization role "reader" (org.yaml:16:3): Groq caps a project member\'s permissions at their organization role\n  hint: write "reader", or raise the organization role in org.yaml (admins approve)',
    ]);
  });

  it('a person is listed once per mapping, compared without case, across the spellings of one address', () => {
    expect(
      errors({ 'org.yaml': `${ORG_YAML}${ORG_MEMBERS}  BOB@acme.example: reader\n`, 'teams/chatbot.yaml': teamYaml('chatbot') }),
    ).toEqual([
      'org.yaml:17:3: error: members.BOB@acme.example: "BOB@acme.example" is listed twice: also at org.yaml:15:3 (addresses are compared without case)\n  hint: keep one entry',
    ]);
  });

  it('malformed addresses are errors at the key', () => {
    const found = errors({
      'org.yaml': `${ORG_YAML}${ORG_MEMBERS}  "a b@acme.example": reader\n  x@localhost: reader\n  y@acme..example: reader\n`,
      'teams/chatbot.yaml': teamYaml('chatbot'),
    });
    expect(found.map((e) => e.split(': error')[0])).toEqual(['org.yaml:17:3', 'org.yaml:18:3', 'org.yaml:19:3']);
    expect(found.every((e) => e.includes('is not an e-mail address'))).toBe(true);
  });

  it("a team cannot add people to another team's projects: its members reach only the projects in its own file", () => {
    const result = read({
      'org.yaml': ORG_YAML + ORG_MEMBERS,
      'teams/chatbot.yaml': teamYaml('chatbot', '  - name: chatbot-prod\n', 'members:\n  bob@acme.example: developer\n'),
      'teams/search.yaml': teamYaml('search', '  - name: search-prod\n    members:\n      carol@acme.example: reader\n'),
    });
    expect(result.diagnostics).toEqual([]);
    const projects = result.desired!.members!.projects;
    expect(projects.find((p) => p.project === 'search-prod')!.members.map((m) => m.email)).toEqual(['carol@acme.example']);
    expect(projects.find((p) => p.project === 'chatbot-prod')!.members.map((m) => m.email)).toEqual(['bob@acme.example']);
    // The only way to name search-prod is to list it, and a project is defined once: chatbot's file cannot.
    expect(
      errors({
        'org.yaml': ORG_YAML + ORG_MEMBERS,
        'teams/chatbot.yaml': teamYaml('chatbot', '  - name: search-prod\n    members:\n      bob@acme.example: developer\n'),
        'teams/search.yaml': teamYaml('search', '  - name: search-prod\n'),
      }).some((e) => e.includes('project "search-prod" is also defined in')),
    ).toBe(true);
    // CODEOWNERS: a team's file (and so its project members) is its owners'; org.yaml's members are the admins'.
    const block = renderCodeownersBlock(result.desired!, 'policies');
    expect(block).toContain('/policies/teams/chatbot.yaml @acme/chatbot');
    expect(block).toContain('/policies/org.yaml @acme/platform');
  });

  it('every error of the members corpus has a location, a message and a hint', () => {
    const found = read({
      'org.yaml': `${ORG_YAML}members:\n  ada@acme.example: owner\n  nobody: reader\n  eve@acme.example: admin\n`,
      'teams/chatbot.yaml': teamYaml('chatbot', '', 'members:\n  zed@acme.example: reader\n'),
    }).diagnostics;
    expect(found.length).toBe(4);
    for (const d of found) {
      expect(d.line).toBeGreaterThan(0);
      expect(d.hint).toBeTruthy();
    }
  });
});
