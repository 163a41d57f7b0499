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
 *   base could be read) is adopted only if org.yaml grants it.
 *
 * Pure: the same inputs give the same findings, in policy order.
 */
export interface OwnershipFinding {
  kind: 'move' | 'adopt';
  project: string;
  team: string;
  /** The team whose file had it at the base (a move); null for an adoption. */
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

export function checkProjectOwnership(head: Pick<DesiredState, 'org' | 'projects'>, base: OwnershipBase | null, live: ReadonlySet<string>): OwnershipFinding[] {
  const before = new Map((base?.projects ?? []).map((p) => [p.name, p.team]));
  const out: OwnershipFinding[] = [];
  const orgFile = head.org.file;
  for (const p of head.projects) {
    if (head.org.grants[p.team]?.projects.includes(p.name)) continue;
    const grant = `add it to grants.${p.team}.projects in ${orgFile} (grants: {${p.team}: {projects: [${p.name}]}})`;
    const owner = before.get(p.name);
    if (owner === p.team) continue;
    if (owner !== undefined) {
      out.push({
        kind: 'move', project: p.name, team: p.team, from: owner, source: p.source,
        message: `moving project "${p.name}" from team "${owner}" (its file at ${base!.label}) to team "${p.team}" needs the org admins`,
        hint: `ask them to ${grant}`,
      });
      continue;
    }
    if (!live.has(p.name)) continue;
    out.push({
      kind: 'adopt', project: p.name, team: p.team, from: null, source: p.source,
      message: base
        ? `project "${p.name}" exists in the organization and no team's file had it at ${base.label}: team "${p.team}" may take over a live project, with its keys, only if the org admins grant it`
        : `project "${p.name}" exists in the organization, and without a base revision to show which team's file had it, team "${p.team}" may take it over, with its keys, only if the org admins grant it`,
      hint: base ? `ask them to ${grant}` : `run in the policies' git repository (or pass --base REF) so the approved policies show the owner, or ask the org admins to ${grant}`,
    });
  }
  return out;
}

/** Findings as plan refusals: nothing is applied while any stands, with or without --force. */
export function ownershipRefusals(findings: readonly OwnershipFinding[]): Refusal[] {
  return findings.map((f) => ({
    code: 'project_ownership', forceable: false,
    message: `${f.source.file}:${f.source.line}:${f.source.column}: ${f.message}: ${f.hint}`,
  }));
}
