import { describe, expect, it } from 'vitest';
import { hashedTeamMark, isTeamMark, teamOfMark } from '../../src/core/marks.js';
import { managedProjectsByName, planChanges } from '../../src/plan/plan-changes.js';
import { checkLiveOwners, checkProjectOwnership } from '../../src/plan/project-ownership.js';
import { rotationStepsOnly } from '../../src/plan/summary.js';
import type { KeyChange } from '../../src/plan/types.js';
import {
  makeDesired,
  makeDesiredKey,
  makeDesiredProject,
  makeLive,
  makeLiveKey,
  makeLiveProject,
  managedKeyFor,
  NOW,
} from '../helpers/builders.js';

// Issue 17, the security review's "merged-anyway takeover": the live owner mark (KeyMarks.team) that
// an approved apply writes on each managed key, and what a plan makes of it.

const keys = (plan: ReturnType<typeof planChanges>) => plan.changes.filter((c): c is KeyChange => c.resource === 'api_key');
const grants = (team: string, projects: string[]) => ({ [team]: { projects, github: [], vault: [], files: [] } });

// finance-prod, its key finance-ledger: made by an apply when finance's file had it.
const ledgerOf = (team: string) => makeDesiredKey('finance-ledger', { project: 'finance-prod', team });
const financeLive = (marks: (string | null)[] = ['finance']) =>
  makeLiveProject('finance-prod', {
    keys: marks.map((team, i) =>
      managedKeyFor(ledgerOf('finance'), { created_at: NOW - 86400 * (10 - i), marks: team === null ? {} : { team } }, i + 1),
    ),
  });
/** The policies after the move: chatbot's file names finance-prod; finance's file still exists, without it. */
const moved = (org = {}) =>
  makeDesired(
    [
      makeDesiredProject('finance-prod', { team: 'chatbot', source: { file: 'teams/chatbot.yaml', line: 8, column: 5 } }),
      makeDesiredProject('finance-other', { team: 'finance' }),
    ],
    [ledgerOf('chatbot')],
    org,
  );

describe('owner marks in core (either form names the team)', () => {
  it('the hashed form is ~ and 8 hex, and names only its own team', () => {
    expect(hashedTeamMark('finance')).toMatch(/^~[0-9a-f]{8}$/);
    expect(isTeamMark('finance', 'finance')).toBe(true);
    expect(isTeamMark(hashedTeamMark('finance'), 'finance')).toBe(true);
    expect(isTeamMark(hashedTeamMark('finance'), 'chatbot')).toBe(false);
    expect(isTeamMark('chatbot', 'finance')).toBe(false);
    expect(teamOfMark(hashedTeamMark('finance'), ['chatbot', 'finance'])).toBe('finance');
    expect(teamOfMark(hashedTeamMark('gone'), ['chatbot', 'finance'])).toBeNull();
  });
});

describe('a plan reads the live owner mark', () => {
  it('keys marked for finance, policies putting the project in chatbot, no grant: refused at the project, whatever the base said', () => {
    const plan = planChanges(moved(), makeLive([financeLive()]), NOW);
    expect(plan.refusals).toEqual([
      {
        code: 'project_ownership',
        forceable: false,
        message:
          'teams/chatbot.yaml:8:5: project "finance-prod"\'s keys belong to team "finance" (live owner mark): moving it to team "chatbot" needs the org admins: ask them to add it to grants.chatbot.projects in org.yaml (grants: {chatbot: {projects: [finance-prod]}})',
      },
    ]);
    // The unreviewed reconcile (rotations only) is refused the same way.
    expect(rotationStepsOnly(plan).refusals.map((r) => r.code)).toEqual(['project_ownership']);
    // The base check, which a merged-anyway move blinds (its base already has chatbot's file naming it), finds nothing.
    const base = { label: 'main', projects: [{ name: 'finance-prod', team: 'chatbot' }] };
    expect(checkProjectOwnership(moved(), base, new Set(['finance-prod']))).toEqual([]);
  });

  it('a hashed mark (OpenAI, a long name) is resolved to the team; one no team has is said so', () => {
    const live = makeLive([financeLive([hashedTeamMark('finance')])]);
    expect(planChanges(moved(), live, NOW).refusals[0]!.message).toContain(
      'project "finance-prod"\'s keys belong to team "finance" (live owner mark)',
    );
    const gone = makeLive([financeLive([hashedTeamMark('treasury')])]);
    expect(planChanges(moved(), gone, NOW).refusals[0]!.message).toContain(
      `keys belong to a team no file under teams/ defines (owner mark ${hashedTeamMark('treasury')})`,
    );
    // A mark in chatbot's hashed form is chatbot's: nothing refused.
    expect(planChanges(moved(), makeLive([financeLive([hashedTeamMark('chatbot')])]), NOW).refusals).toEqual([]);
  });

  it('a mark written outside groq-rbac is quoted, cut, and never printed raw', () => {
    const odd = `evil\u001b[2J${'x'.repeat(100)}`;
    const message = planChanges(moved(), makeLive([financeLive([odd])]), NOW).refusals[0]!.message;
    expect(message).toContain('keys belong to team "evil\\u001b[2J');
    expect(message).not.toContain('\u001b');
    expect(message).not.toContain('x'.repeat(70));
  });

  it("every other team's mark among the project's keys counts (mixed marks: still refused), each named once", () => {
    const live = makeLive([financeLive(['chatbot', 'finance', 'ops', 'finance'])]);
    const findings = checkLiveOwners(moved(), managedProjectsByName(live));
    expect(findings.map((f) => [f.kind, f.project, f.from])).toEqual([['marked', 'finance-prod', 'finance']]);
    expect(findings[0]!.message).toContain('keys belong to team "finance" and team "ops" (live owner mark)');
  });

  it("keys without a mark (an older groq-rbac, or unmanaged) keep today's rules: no refusal from them", () => {
    const unmarked = makeLive([financeLive([null, null])]);
    expect(planChanges(moved(), unmarked, NOW).refusals).toEqual([]);
    const unmanaged = makeLive([makeLiveProject('finance-prod', { keys: [makeLiveKey({ name: 'finance-ledger' })] })]);
    expect(planChanges(moved(), unmanaged, NOW).refusals).toEqual([]);
  });

  it("the same team's marks: no refusal, no change", () => {
    const stay = makeDesired([makeDesiredProject('finance-prod', { team: 'finance' })], [ledgerOf('finance')]);
    const plan = planChanges(stay, makeLive([financeLive(['finance'])]), NOW);
    expect(plan.refusals).toEqual([]);
    expect(keys(plan)).toEqual([]);
  });

  it("with the admins' grant the move is planned: each marked key of the project gets its mark rewritten to chatbot", () => {
    const live = financeLive(['finance', 'finance']);
    const plan = planChanges(moved({ grants: grants('chatbot', ['finance-prod']) }), makeLive([live]), NOW);
    expect(plan.refusals).toEqual([]);
    const remarks = keys(plan).filter((c) => c.fields.some((f) => f.field === 'team'));
    expect(remarks.map((c) => [c.action, c.key_id, c.team, c.fields])).toEqual(
      live.keys.map((k) => ['update', k.id, 'chatbot', [{ field: 'team', before: 'finance', after: 'chatbot' }]]),
    );
    // Not something an unreviewed run does: rotations-only leaves it out.
    expect(rotationStepsOnly(plan).changes.some((c) => c.fields.some((f) => f.field === 'team'))).toBe(false);
    // The grant is for chatbot: granted to another team, it still refuses.
    expect(planChanges(moved({ grants: grants('ops', ['finance-prod']) }), makeLive([live]), NOW).refusals.map((r) => r.code)).toEqual([
      'project_ownership',
    ]);
  });

  it('a key the plan deletes is not re-marked; one it updates gets the mark in the same update', () => {
    const current = managedKeyFor(ledgerOf('finance'), { name: 'old-name', marks: { team: 'finance' } });
    const removed = managedKeyFor(makeDesiredKey('gone', { project: 'finance-prod', team: 'finance' }), { marks: { team: 'finance' } });
    const plan = planChanges(
      moved({ grants: grants('chatbot', ['finance-prod']) }),
      makeLive([makeLiveProject('finance-prod', { keys: [current, removed] })]),
      NOW,
    );
    expect(keys(plan).map((c) => [c.action, c.key_id, c.fields.map((f) => f.field)])).toEqual([
      ['update', current.id, ['name', 'team']],
      ['delete', removed.id, []],
    ]);
  });

  it("a new generation and an adoption are planned for the project's team (apply writes it as the mark)", () => {
    const project = makeDesiredProject('chatbot-prod');
    const plan = planChanges(
      makeDesired([project], [makeDesiredKey('web'), makeDesiredKey('legacy')]),
      makeLive([makeLiveProject('chatbot-prod', { keys: [makeLiveKey({ name: 'legacy' })] })]),
      NOW,
    );
    expect(keys(plan).map((c) => [c.action, c.key, c.team])).toEqual([
      ['create', 'web', 'chatbot'],
      ['adopt', 'legacy', 'chatbot'],
    ]);
    expect(keys(plan)[1]!.fields).toContainEqual({ field: 'team', before: null, after: 'chatbot' });
  });
});
