import type { LiveKey } from '../core/domain.js';
import { isTeamMark, teamOfMark } from '../core/marks.js';
import type { DesiredProject, DesiredState, SourceRef } from '../policy/types.js';
import type { Refusal } from './types.js';

/**
 * Who may name a project. Live projects are matched by name, so a team file that names a project
 * takes it over, with its keys (adopted by name) and where they are delivered. A team file is
 * approved by that team's owners alone; org.yaml by the org admins. So:
 *
 * - a project the base revision (what the default branch said before this change) had in the
 *   same team's file stays that team's;
 * - a project that does not exist live is new: the team creates it, no grant needed;
 * - a project the base had in another team's file moves only if org.yaml grants it to the new
 *   team (`grants.<team>.projects`);
 * - a live project no team's file had at the base (an unmanaged one, or any live project when no
 *   base could be read) is adopted only if org.yaml grants it;
 * - a live project whose keys carry another team's owner mark (`checkLiveOwners`) moves only if
 *   org.yaml grants it to the new team, whatever the base says.
 *
 * The base alone cannot hold once a move is merged anyway (an admin merge, branch protection off, or
 * one pull request removing the project from A's file and a later one adding it to B's): from the
 * next push on, the base has it in B's file. The owner mark is what the organization itself records,
 * written only by an approved apply (apply-change.ts), so it still says A.
 *
 * Pure: the same inputs give the same findings, in policy order.
 */
export interface OwnershipFinding {
  /** `marked`: the project's live keys carry another team's owner mark. */
  kind: 'move' | 'adopt' | 'marked';
  project: string;
  team: string;
  /** The team whose file had it at the base (a move), or whose mark its keys carry; null for an adoption. */
  from: string | null;
  source: SourceRef;
  message: string;
  hint: string;
}

/** What ownership is measured against: the base revision's projects, or null when none could be read. */
export interface OwnershipBase {
  /** `abc1234` or `origin/main`, for messages. */
  label: string;
  projects: readonly Pick<DesiredProject, 'name' | 'team'>[];
}

const grantHint = (orgFile: string, p: Pick<DesiredProject, 'name' | 'team'>) =>
  `add it to grants.${p.team}.projects in ${orgFile} (grants: {${p.team}: {projects: [${p.name}]}})`;
const isGranted = (head: Pick<DesiredState, 'org'>, p: Pick<DesiredProject, 'name' | 'team'>) =>
  head.org.grants[p.team]?.projects.includes(p.name) === true;

export function checkProjectOwnership(
  head: Pick<DesiredState, 'org' | 'projects'>,
  base: OwnershipBase | null,
  live: ReadonlySet<string>,
): OwnershipFinding[] {
  const before = new Map((base?.projects ?? []).map((p) => [p.name, p.team]));
  const out: OwnershipFinding[] = [];
  const orgFile = head.org.file;
  for (const p of head.projects) {
    if (isGranted(head, p)) continue;
    const grant = grantHint(orgFile, p);
    const owner = before.get(p.name);
    if (owner === p.team) continue;
    if (owner !== undefined) {
      out.push({
        kind: 'move',
        project: p.name,
        team: p.team,
        from: owner,
        source: p.source,
        message: `moving project "${p.name}" from team "${owner}" (its file at ${base!.label}) to team "${p.team}" needs the org admins`,
        hint: `ask them to ${grant}`,
      });
      continue;
    }
    if (!live.has(p.name)) continue;
    out.push({
      kind: 'adopt',
      project: p.name,
      team: p.team,
      from: null,
      source: p.source,
      message: base
        ? `project "${p.name}" exists in the organization and no team's file had it at ${base.label}: team "${p.team}" may take over a live project, with its keys, only if the org admins grant it`
        : `project "${p.name}" exists in the organization, and without a base revision to show which team's file had it, team "${p.team}" may take it over, with its keys, only if the org admins grant it`,
      hint: base
        ? `ask them to ${grant}`
        : `run in the policies' git repository (or pass --base REF) so the approved policies show the owner, or ask the org admins to ${grant}`,
    });
  }
  return out;
}

/**
 * The owner marks of a live project's managed keys that name a team other than `team`, each once,
 * in key order. Keys without a mark (unmanaged, or made before owner marks) have no say.
 */
export function foreignOwnerMarks(keys: readonly LiveKey[], team: string): string[] {
  const out: string[] = [];
  for (const k of keys) {
    const mark = k.marks?.team;
    if (typeof mark === 'string' && mark !== '' && !isTeamMark(mark, team) && !out.includes(mark)) out.push(mark);
  }
  return out;
}

/** An owner mark for a message: the policies' team it names, else the mark itself (a server's text: quoted and cut). */
export function describeOwnerMark(mark: string, teams: readonly string[]): string {
  const team = teamOfMark(mark, teams);
  if (team !== null) return `team "${team}"`;
  if (/^~[0-9a-f]{8}$/.test(mark)) return `a team no file under teams/ defines (owner mark ${mark})`;
  return `team ${JSON.stringify(mark.slice(0, 64))}`;
}

/**
 * Moves the live organization records: a project the policies put in team B whose live keys carry
 * the owner mark of another team needs org.yaml's grant (`grants.B.projects`), whatever the base
 * revision says. `live`: the live projects by name (the oldest of a name: the one managed).
 */
export function checkLiveOwners(
  head: Pick<DesiredState, 'org' | 'projects' | 'teams'>,
  live: ReadonlyMap<string, { keys: readonly LiveKey[] }>,
): OwnershipFinding[] {
  const teams = head.teams.map((t) => t.name);
  const out: OwnershipFinding[] = [];
  for (const p of head.projects) {
    const current = live.get(p.name);
    if (!current || isGranted(head, p)) continue;
    const marks = foreignOwnerMarks(current.keys, p.team);
    if (marks.length === 0) continue;
    const owners = marks.map((m) => describeOwnerMark(m, teams));
    out.push({
      kind: 'marked',
      project: p.name,
      team: p.team,
      from: teamOfMark(marks[0]!, teams) ?? marks[0]!,
      source: p.source,
      message: `project "${p.name}"'s keys belong to ${owners.join(' and ')} (live owner mark): moving it to team "${p.team}" needs the org admins`,
      hint: `ask them to ${grantHint(head.org.file, p)}`,
    });
  }
  return out;
}

/** Findings as plan refusals: nothing is applied while any stands, with or without --force. */
export function ownershipRefusals(findings: readonly OwnershipFinding[]): Refusal[] {
  return findings.map((f) => ({
    code: 'project_ownership',
    forceable: false,
    message: `${f.source.file}:${f.source.line}:${f.source.column}: ${f.message}: ${f.hint}`,
  }));
}
