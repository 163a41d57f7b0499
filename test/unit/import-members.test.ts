import { fc, test } from '@fast-check/vitest';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { GROQ_MEMBERS, type LiveMembers } from '../../src/core/members.js';
import { dumpMembers, type MemberDump } from '../../src/policy/import-members.js';
import { readPolicies } from '../../src/policy/read-policies.js';
import { formatDiagnostic } from '../../src/policy/diagnostics.js';
import { invite, liveMembers, livePM, plan, userId } from '../helpers/member-builders.js';
import { writePolicies } from '../helpers/policies.js';

const PROJECTS = [
  { id: 'proj_1', name: 'chatbot-prod', team: 'chatbot' },
  { id: 'proj_2', name: 'chatbot-stage', team: 'chatbot' },
  { id: 'proj_3', name: 'search-prod', team: 'search' },
];

/** The dump written as policies (what `import` will write), read back, and planned against the same organization. */
function roundTrip(live: LiveMembers, dump: MemberDump) {
  const org: Record<string, unknown> = { version: 2, org: 'org_acme', admins: ['@acme/platform'], members: dump.org };
  if (dump.minOwners !== null) org.safety = { min_owners: dump.minOwners };
  const files: Record<string, string> = { 'org.yaml': stringify(org) };
  for (const [team, entry] of Object.entries(dump.teams)) {
    const projects = PROJECTS.filter((p) => p.team === team).map((p) => ({
      name: p.name,
      ...(entry.projects[p.name] ? { members: entry.projects[p.name] } : {}),
    }));
    files[`teams/${team}.yaml`] = stringify({
      team,
      owners: [`@acme/${team}`],
      ...(entry.members ? { members: entry.members } : {}),
      projects,
    });
  }
  const dir = writePolicies(files);
  const result = readPolicies(dir, { cwd: dir });
  expect(result.diagnostics.map(formatDiagnostic)).toEqual([]);
  return plan(result.desired!.members!, live, Object.fromEntries(PROJECTS.map((p) => [p.name, p.id])));
}

describe('import --dump of members (issue 20)', () => {
  const live = liveMembers(
    { 'ada@acme.example': 'owner', 'Grace@Acme.example': 'owner', 'bob@acme.example': 'developer', 'carol@acme.example': 'reader' },
    {
      invites: [
        invite('dan@acme.example', 'developer', { projects: [{ id: 'proj_3', role: 'reader' }] }),
        invite('old@acme.example', 'reader', { status: 'expired' }),
      ],
      projects: {
        proj_1: livePM({ 'bob@acme.example': 'developer', 'carol@acme.example': 'reader', 'ada@acme.example': 'owner' }),
        proj_2: livePM({ 'bob@acme.example': 'developer', 'carol@acme.example': 'reader', 'ada@acme.example': 'developer' }),
        proj_3: [{ user_id: userId('Grace@Acme.example'), email: 'Grace@Acme.example', role: 'reader' }],
      },
    },
  );

  it("writes org.yaml's members, each team's shared members and each project's own; pending invites as members", () => {
    const dump = dumpMembers(live, PROJECTS, GROQ_MEMBERS);
    expect(dump.org).toEqual({
      'ada@acme.example': 'owner',
      'bob@acme.example': 'developer',
      'carol@acme.example': 'reader',
      'dan@acme.example': 'developer',
      'grace@acme.example': 'owner',
    });
    expect(dump.teams).toEqual({
      chatbot: {
        members: { 'bob@acme.example': 'developer', 'carol@acme.example': 'reader' },
        projects: { 'chatbot-prod': { 'ada@acme.example': 'owner' }, 'chatbot-stage': { 'ada@acme.example': 'developer' } },
      },
      search: { members: { 'dan@acme.example': 'reader', 'grace@acme.example': 'reader' }, projects: {} },
    });
    expect(dump.minOwners).toBeNull();
  });

  it('round-trips: import, then plan, shows no member changes', () => {
    const r = roundTrip(live, dumpMembers(live, PROJECTS, GROQ_MEMBERS));
    expect(r.plan.changes).toEqual([]);
    expect(r.refusals).toEqual([]);
    expect(r.plan.pending.map((p) => [p.email, p.later])).toEqual([['dan@acme.example', []]]);
    expect(r.plan.unmanaged).toEqual({ members: [], project_members: [] });
  });

  it('leaves out what the policies cannot say, with a note, and sets min_owners where there are fewer owners', () => {
    const odd = liveMembers({ 'ada@acme.example': 'owner', 'eve@acme.example': 'billing', 'not an address': 'reader' });
    const dump = dumpMembers(odd, [], GROQ_MEMBERS);
    expect(dump.org).toEqual({ 'ada@acme.example': 'owner' });
    expect(dump.minOwners).toBe(1);
    expect(dump.notes).toEqual([
      'left out member user_eve: its role "billing" is not one of Groq\'s organization roles; plan will report them as unmanaged',
      'left out member user_not an address: "not an address" is not an e-mail address groq-rbac accepts',
      'the organization has 1 owner: safety.min_owners is set to 1; raise it to 2 once there are more',
    ]);
  });

  const person = fc.tuple(fc.stringMatching(/^[a-z]{1,5}$/), fc.constantFrom(...GROQ_MEMBERS.orgRoles));
  test.prop(
    [
      fc.uniqueArray(person, { minLength: 2, maxLength: 8, selector: ([e]) => e }),
      fc.array(fc.array(fc.nat(7), { maxLength: 8 }), { minLength: 3, maxLength: 3 }),
      fc.nat(3),
    ],
    { numRuns: 25 },
  )('round-trips any organization: plan after import has no member changes', (people, memberships, invited) => {
    const roles = Object.fromEntries(people.map(([e, r], i) => [`${e}@acme.example`, i < 2 ? 'owner' : r]));
    const emails = Object.keys(roles);
    const joined = Object.fromEntries(emails.slice(0, Math.max(2, emails.length - invited)).map((e) => [e, roles[e]!]));
    // Project roles within the organization role (Groq's cap).
    const projects = Object.fromEntries(
      PROJECTS.map((p, n) => [
        p.id,
        livePM(
          Object.fromEntries(
            memberships[n]!.map((i) => emails[i % emails.length]!)
              .filter((e) => e in joined)
              .map((e) => [e, roles[e]!]),
          ),
        ),
      ]),
    );
    const invites = emails.filter((e) => !(e in joined)).map((e) => invite(e, roles[e]!, { projects: [{ id: 'proj_1', role: 'reader' }] }));
    const org = liveMembers(joined, { invites, projects });
    const r = roundTrip(org, dumpMembers(org, PROJECTS, GROQ_MEMBERS));
    expect(r.plan.changes).toEqual([]);
  });
});
