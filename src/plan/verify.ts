/**
 * verify, the pure half: what Groq's inference answers should say for a project if the organization
 * matches the policies, and how what they did say compares. Groq's answers reveal a project's
 * effective state to anyone holding one of its keys (console.groq.com/docs/model-permissions,
 * /docs/rate-limits, /docs/spend-limits, /docs/errors): a blocked model answers 403
 * `model_permission_blocked_org` or `model_permission_blocked_project`; an answer carries
 * `x-ratelimit-limit-requests` (requests per day) and `x-ratelimit-limit-tokens` (tokens per
 * minute) for that model in that project, the stricter of project and organization; a reached spend
 * limit answers 400 `blocked_api_access`; a deleted key, or one of an archived project, 401
 * `invalid_api_key`.
 */
import type { DesiredProject, DesiredState } from '../policy/types.js';
import { normaliseRule, permits } from './model-rules.js';
import { expectedLimit, orgCeiling, projectLimit, type Runbook, type StepCheck } from './runbook.js';

export type HeaderField = 'requests_per_day' | 'tokens_per_minute';
export const HEADER_FIELDS: readonly HeaderField[] = ['requests_per_day', 'tokens_per_minute'];

/** Where a policy field is written, as `file:line:column`. */
export interface PolicyLocator {
  org(path: readonly (string | number)[]): string;
  project(name: string, path: readonly (string | number)[]): string | null;
}

export interface ModelExpectation {
  model: string;
  /** null: allowed; else where the policies block it (the organization's rule is checked first, as Groq does). */
  blockedAt: 'org' | 'project' | null;
  /** What each header should read; null where the policies state no limit. */
  limits: Record<HeaderField, number | null>;
}

/** One probe's answer, reduced to what it tells. */
export type Observation =
  | { model: string; outcome: 'answered'; limits: Record<HeaderField, number | null>; tokens: number }
  | { model: string; outcome: 'blocked'; level: 'org' | 'project' }
  | { model: string; outcome: 'spend_blocked' }
  | { model: string; outcome: 'revoked' }
  | { model: string; outcome: 'unknown'; reason: string };

export interface Finding {
  model: string | null;
  what: 'permission' | HeaderField | 'key' | 'spend_limit' | 'project';
  expected: string | number | null;
  observed: string | number | null;
  /** The policy field that says otherwise (for differences), or states what matched. */
  where: string | null;
  message: string;
}

export interface ProjectVerification {
  project: string;
  /** Where the key came from (an environment variable's name): never the key. */
  key_from: string;
  status: 'checked' | 'revoked' | 'spend_blocked' | 'wrong_project' | 'nothing_to_probe';
  matches: Finding[];
  differences: Finding[];
  /** What the probes could not tell (a 429 that outlasted the retries, an error, a model Groq does not serve). */
  unknown: Finding[];
  /** Limits the policies do not state, with what Groq says: neither a match nor a difference. */
  not_stated: Finding[];
  /** When the key's limits match another project's policy: that project. */
  looks_like: string | null;
  observations: Observation[];
  probes: number;
  tokens: number;
}

export interface VerifyReport {
  format_version: 1;
  org: string;
  projects: ProjectVerification[];
  probes: number;
  retries: number;
  tokens: number;
}

/** The models to probe for a project: those its policies name, its team's, and those the organization allows or blocks. Each once. */
export function probeModels(desired: DesiredState, project: DesiredProject): string[] {
  const team = desired.teams.find((t) => t.name === project.team);
  const named = new Set<string>([
    ...(project.models?.models ?? []),
    ...(team?.models?.models ?? []),
    ...Object.keys(project.limits.models),
    ...(desired.org.models?.models ?? []),
  ]);
  return [...named].sort();
}

export function expectationFor(desired: DesiredState, project: DesiredProject, model: string): ModelExpectation {
  const org = normaliseRule(desired.org.models);
  const own = normaliseRule(project.models);
  const blockedAt = !permits(org, model) ? 'org' : !permits(own, model) ? 'project' : null;
  return {
    model,
    blockedAt,
    limits: {
      requests_per_day: expectedLimit(desired, project, model, 'requests_per_day'),
      tokens_per_minute: expectedLimit(desired, project, model, 'tokens_per_minute'),
    },
  };
}

const LABEL: Record<HeaderField, string> = { requests_per_day: 'requests per day', tokens_per_minute: 'tokens per minute' };

/** The policy field a limit comes from: the model's entry, the project's default, else org.yaml's ceiling. */
function limitSource(desired: DesiredState, project: DesiredProject, model: string, field: HeaderField, at: PolicyLocator): string | null {
  const own = projectLimit(project, model, field);
  const ceiling = orgCeiling(desired, model, field);
  if (own !== null && (ceiling === null || own <= ceiling)) {
    return at.project(
      project.name,
      project.limits.models[model]?.[field] !== undefined ? ['limits', model, field] : ['limits', 'default', field],
    );
  }
  return at.org(['limits', desired.org.limits.models[model]?.[field] !== undefined ? model : 'default', field]);
}

function permissionSource(desired: DesiredState, project: DesiredProject, level: 'org' | 'project', at: PolicyLocator): string | null {
  return level === 'org' ? at.org(['models']) : at.project(project.name, ['models']);
}

/** Compares what the probes of one project saw with what its policies say. */
export function compareProject(input: {
  desired: DesiredState;
  project: DesiredProject;
  keyFrom: string;
  observations: Observation[];
  probes: number;
  at: PolicyLocator;
}): ProjectVerification {
  const { desired, project, observations, at } = input;
  const out: ProjectVerification = {
    project: project.name,
    key_from: input.keyFrom,
    status: 'checked',
    matches: [],
    differences: [],
    unknown: [],
    not_stated: [],
    looks_like: null,
    observations,
    probes: input.probes,
    tokens: observations.reduce((n, o) => n + (o.outcome === 'answered' ? o.tokens : 0), 0),
  };
  if (observations.length === 0) {
    out.status = 'nothing_to_probe';
    out.not_stated.push({
      model: null,
      what: 'project',
      expected: null,
      observed: null,
      where: project.source ? `${project.source.file}:${project.source.line}:${project.source.column}` : null,
      message: 'the policies name no model for this project, its team or the organization: there is nothing to probe',
    });
    return out;
  }
  const revoked = observations.find((o) => o.outcome === 'revoked');
  if (revoked) {
    out.status = 'revoked';
    out.differences.push({
      model: null,
      what: 'key',
      expected: 'a working key',
      observed: '401 invalid_api_key',
      where: at.project(project.name, ['keys']),
      message: `the key in ${input.keyFrom} answers 401 invalid_api_key: it was deleted, its project was archived, or it is no key of this organization; the policies say project "${project.name}" has working keys. Nothing else could be told`,
    });
    return out;
  }
  const spend = observations.find((o) => o.outcome === 'spend_blocked');
  if (spend) {
    out.status = 'spend_blocked';
    out.differences.push({
      model: null,
      what: 'spend_limit',
      expected: 'requests served',
      observed: '400 blocked_api_access',
      where: desired.org.spending ? at.org(['spending', 'monthly_cap_usd']) : at.org([]),
      message:
        "the organization's spend limit is reached: every request of every key gets 400 blocked_api_access until the limit is raised or the month turns (the 1st, UTC). Nothing else could be told",
    });
    return out;
  }
  for (const o of observations) {
    const want = expectationFor(desired, project, o.model);
    if (o.outcome === 'unknown') {
      out.unknown.push({
        model: o.model,
        what: 'permission',
        expected: null,
        observed: null,
        where: null,
        message: `${o.model}: could not be told: ${o.reason}`,
      });
      continue;
    }
    if (o.outcome === 'blocked') {
      if (want.blockedAt === null) {
        out.differences.push({
          model: o.model,
          what: 'permission',
          expected: 'allowed',
          observed: `blocked at the ${o.level === 'org' ? 'organization' : 'project'} level`,
          where: permissionSource(desired, project, o.level, at),
          message: `${o.model} is blocked at the ${o.level === 'org' ? 'organization' : 'project'} level (403 model_permission_blocked_${o.level}), but the policies allow it`,
        });
      } else if (want.blockedAt !== o.level) {
        out.differences.push({
          model: o.model,
          what: 'permission',
          expected: `blocked at the ${want.blockedAt === 'org' ? 'organization' : 'project'} level`,
          observed: `blocked at the ${o.level === 'org' ? 'organization' : 'project'} level`,
          where: permissionSource(desired, project, o.level === 'org' ? 'org' : 'project', at),
          message:
            o.level === 'org'
              ? `${o.model} is blocked by the organization (403 model_permission_blocked_org), but the policies let the organization allow it and block it in the project`
              : `${o.model} is blocked by the project only (403 model_permission_blocked_project), but the policies block it for the whole organization`,
        });
      } else {
        out.matches.push({
          model: o.model,
          what: 'permission',
          expected: 'blocked',
          observed: 'blocked',
          where: permissionSource(desired, project, o.level, at),
          message: `${o.model} blocked at the ${o.level === 'org' ? 'organization' : 'project'} level, as the policies say`,
        });
      }
      continue;
    }
    if (o.outcome !== 'answered') continue;
    if (want.blockedAt !== null) {
      out.differences.push({
        model: o.model,
        what: 'permission',
        expected: `blocked at the ${want.blockedAt === 'org' ? 'organization' : 'project'} level`,
        observed: 'allowed',
        where: permissionSource(desired, project, want.blockedAt, at),
        message: `${o.model} answers, but the policies block it at the ${want.blockedAt === 'org' ? 'organization' : 'project'} level`,
      });
      continue;
    }
    out.matches.push({
      model: o.model,
      what: 'permission',
      expected: 'allowed',
      observed: 'allowed',
      where: null,
      message: `${o.model} allowed, as the policies say`,
    });
    for (const field of HEADER_FIELDS) {
      const seen = o.limits[field];
      const expected = want.limits[field];
      if (seen === null) {
        out.unknown.push({
          model: o.model,
          what: field,
          expected,
          observed: null,
          where: null,
          message: `${o.model}: Groq's answer carried no ${field === 'requests_per_day' ? 'x-ratelimit-limit-requests' : 'x-ratelimit-limit-tokens'} header`,
        });
      } else if (expected === null) {
        out.not_stated.push({
          model: o.model,
          what: field,
          expected: null,
          observed: seen,
          where: null,
          message: `${o.model}: the policies state no ${LABEL[field]}; Groq says ${seen}`,
        });
      } else if (seen === expected) {
        out.matches.push({
          model: o.model,
          what: field,
          expected,
          observed: seen,
          where: limitSource(desired, project, o.model, field, at),
          message: `${o.model}: ${LABEL[field]} ${seen}`,
        });
      } else {
        out.differences.push({
          model: o.model,
          what: field,
          expected,
          observed: seen,
          where: limitSource(desired, project, o.model, field, at),
          message: `${o.model}: ${LABEL[field]} is ${seen}, the policies say ${expected}`,
        });
      }
    }
  }
  const other = lookalike(desired, project, observations);
  if (other) {
    // The key answers, but as another project's policy says: most likely that project's key. What it
    // showed says nothing about this project, so none of it is trusted.
    out.status = 'wrong_project';
    out.looks_like = other;
    out.unknown = [
      {
        model: null,
        what: 'key',
        expected: project.name,
        observed: other,
        where: null,
        message: `the key in ${input.keyFrom} answers with the limits and permissions of project "${other}"'s policy, not "${project.name}"'s: it is probably a key of "${other}". Nothing it showed is trusted; give verify a key of "${project.name}"`,
      },
    ];
    out.matches = [];
    out.differences = [];
  }
  return out;
}

/** Another project whose policy every observation fits, while this project's does not: the key is probably that project's. */
function lookalike(desired: DesiredState, project: DesiredProject, observations: readonly Observation[]): string | null {
  const fits = (p: DesiredProject) => {
    let compared = 0;
    for (const o of observations) {
      const want = expectationFor(desired, p, o.model);
      if (o.outcome === 'blocked') {
        if (want.blockedAt !== o.level) return { ok: false, compared };
      } else if (o.outcome === 'answered') {
        if (want.blockedAt !== null) return { ok: false, compared };
        for (const f of HEADER_FIELDS) {
          if (o.limits[f] === null || want.limits[f] === null) continue;
          compared += 1;
          if (o.limits[f] !== want.limits[f]) return { ok: false, compared };
        }
      }
    }
    return { ok: true, compared };
  };
  if (fits(project).ok) return null;
  const candidates = desired.projects.filter((p) => p.name !== project.name && fits(p).ok && fits(p).compared > 0);
  return candidates.length === 1 ? candidates[0]!.name : null;
}

/** Whether one runbook check holds in what verify saw; null when verify saw nothing that tells. */
export function checkHolds(check: StepCheck, report: VerifyReport): boolean | null {
  const trusted = report.projects.filter((p) => p.status === 'checked');
  if (check.kind === 'org_model') {
    const seen = trusted.flatMap((p) =>
      p.observations.filter((o) => o.model === check.model && (o.outcome === 'answered' || o.outcome === 'blocked')),
    );
    if (seen.length === 0) return null;
    const blockedByOrg = seen.some((o) => o.outcome === 'blocked' && o.level === 'org');
    return check.allowed ? !blockedByOrg : blockedByOrg;
  }
  const project = trusted.find((p) => p.project === check.project);
  const o = project?.observations.find((x) => x.model === check.model);
  if (!o || (o.outcome !== 'answered' && o.outcome !== 'blocked')) return null;
  if (check.kind === 'model') return check.allowed ? o.outcome === 'answered' : o.outcome === 'blocked';
  if (o.outcome !== 'answered' || o.limits[check.field] === null) return null;
  return o.limits[check.field] === check.value;
}

/** The runbook steps verify sees done: every check of the step holds. Steps without checks are ticked by hand. */
export function stepsSeenDone(runbook: Runbook, report: VerifyReport): Set<string> {
  const done = new Set<string>();
  for (const step of runbook.steps) {
    if (step.checks.length > 0 && step.checks.every((c) => checkHolds(c, report) === true)) done.add(step.id);
  }
  return done;
}

/** 0 everything matches, 2 something differs, 1 something could not be told (or a key of another project). */
export function verifyExitCode(report: VerifyReport): 0 | 1 | 2 {
  if (report.projects.some((p) => p.differences.length > 0)) return 2;
  if (report.projects.some((p) => p.unknown.length > 0)) return 1;
  return 0;
}
