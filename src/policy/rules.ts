import type { ModelCatalogue } from '../core/models.js';
import { checkModelIds, isObj, type Checker, type ModelScope, type OrgScope, type Path } from './checker.js';
import { formatPath, type Diagnostic } from './diagnostics.js';
import { checkDelivery } from './delivery-rules.js';
import { checkGrants, checkVaultAddress, readGrants } from './grant-rules.js';
import { defaultGithubOwners, NO_GRANTS, type GithubNameSpace } from './reach.js';
import type { TeamGrants } from './types.js';
import { checkLimits } from './limit-rules.js';
import { checkMembers } from './member-rules.js';
import { effectiveModels, isLiveModel, listedModels, liveModelIds, toModelRule } from './model-rules.js';
import { checkRotation, rotationDefaults } from './rotation-rules.js';
import { locate, ref, type PolicySource } from './source.js';

interface Names {
  teams: Map<string, string>;
  projects: Map<string, string>;
  keys: Map<string, string>;
  targets: Map<string, string>;
}

/**
 * Rules a schema cannot express: across files (names, model subsets, ceilings, delivery targets) and
 * on values (models, durations). Written defensively: it runs on files with schema errors too, so all
 * errors show at once.
 */
export function checkRules(sources: PolicySource[], catalogue: ModelCatalogue): Diagnostic[] {
  const out: Diagnostic[] = [];
  const push =
    (severity: 'error' | 'warning') =>
    (s: PolicySource, p: Path, message: string, hint?: string, target: 'key' | 'value' = 'value') =>
      void out.push({ severity, file: s.file, ...locate(s, p, target), path: formatPath(p), message, ...(hint ? { hint } : {}) });
  const check: Checker = { catalogue, error: push('error'), warn: push('warning') };
  const org = sources.find((s) => s.kind === 'org');
  const scope = org ? checkOrgFile(check, org) : null;
  const names: Names = { teams: new Map(), projects: new Map(), keys: new Map(), targets: new Map() };
  // Without org.yaml nothing is granted: every team keeps to its own name space.
  const grants = org ? readGrants(org.data) : new Map<string, TeamGrants>();
  const orgFile = org?.file ?? 'org.yaml';
  const github = githubNameSpace(org?.data, sources);
  for (const s of sources) if (s.kind === 'team') checkTeamFile(check, s, scope, names, { grants, orgFile, github });
  if (org && isObj(org.data)) checkGrants(check, org, org.data, new Set(names.teams.keys()));
  checkMembers(check, sources);
  return out;
}

const TEAM_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const stringList = (v: unknown): string[] | null => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : null);

/** Whose GitHub repositories the teams' own name spaces cover (reach.ts), read tolerantly: every team's name, and the owners. */
function githubNameSpace(org: unknown, sources: readonly PolicySource[]): GithubNameSpace {
  const data = isObj(org) ? org : {};
  const teams = sources.flatMap((s) =>
    s.kind === 'team' && isObj(s.data) && typeof s.data.team === 'string' && TEAM_NAME.test(s.data.team) ? [s.data.team] : [],
  );
  return { owners: defaultGithubOwners(stringList(data.github_owners), stringList(data.admins) ?? []), teams };
}

function checkOrgFile(check: Checker, s: PolicySource): OrgScope {
  const data = isObj(s.data) ? s.data : {};
  checkModelIds(check, s, ['models'], data.models);
  const rule = toModelRule(data.models);
  const limits = isObj(data.limits) ? data.limits : {};
  checkLimits(check, s, ['limits'], limits, null);
  const rotation = checkRotation(check, s, ['rotation'], data.rotation, rotationDefaults());
  checkSpending(check, s, data.spending);
  checkVaultAddress(check, s, data);
  return {
    label: 'the org',
    source: s,
    rule,
    raw: data.models,
    models: effectiveModels(rule, liveModelIds(check.catalogue)),
    parent: null,
    limits,
    rotation,
  };
}

/** The organization's `spending` (at `['spending']`) or a project's (at `[...project, 'spending']`). */
function checkSpending(check: Checker, s: PolicySource, spending: unknown, at: Path = ['spending']): void {
  if (!isObj(spending)) return;
  const cap = typeof spending.monthly_cap_usd === 'number' && Number.isFinite(spending.monthly_cap_usd) ? spending.monthly_cap_usd : null;
  const thresholds = Array.isArray(spending.alert_thresholds_usd) ? spending.alert_thresholds_usd : [];
  thresholds.forEach((t, i) => {
    if (cap !== null && typeof t === 'number' && t >= cap) {
      check.error(
        s,
        [...at, 'alert_thresholds_usd', i],
        `alert at ${t} USD is not below the monthly cap of ${cap} USD`,
        `use an amount under ${cap}, or raise monthly_cap_usd`,
      );
    }
  });
  if (thresholds.length > 0 && !('alert_recipients' in spending)) {
    const who = at.length === 1 ? 'Groq e-mails each one' : 'each one is e-mailed';
    check.error(
      s,
      at,
      `missing "alert_recipients": alert_thresholds_usd lists alerts, and ${who}`,
      'add alert_recipients: [platform@your-org.example]',
    );
  }
}

function checkTeamFile(
  check: Checker,
  s: PolicySource,
  org: OrgScope | null,
  names: Names,
  reach: { grants: Map<string, TeamGrants>; orgFile: string; github: GithubNameSpace },
): void {
  if (!isObj(s.data)) return;
  const data = s.data;
  const teamName = typeof data.team === 'string' ? data.team : null;
  if (teamName) {
    const previous = names.teams.get(teamName);
    if (previous) check.error(s, ['team'], `team "${teamName}" is also defined in ${previous}`, 'rename one team, or merge the two files');
    else names.teams.set(teamName, ref(s, ['team']));
    const base = s.file
      .split('/')
      .at(-1)!
      .replace(/\.yaml$/, '');
    if (base !== teamName && /^[a-z0-9][a-z0-9-]{0,62}$/.test(teamName)) {
      check.error(
        s,
        ['team'],
        `team "${teamName}" is in a file named "${base}.yaml"`,
        `rename the file to ${teamName}.yaml (CODEOWNERS is derived from file names), or write team: ${base}`,
      );
    }
  }
  checkModelIds(check, s, ['models'], data.models);
  const orgScope: ModelScope = org ?? {
    label: 'the org',
    source: s,
    rule: null,
    raw: undefined,
    models: liveModelIds(check.catalogue),
    parent: null,
  };
  checkNarrows(check, s, ['models'], data.models, orgScope);
  const teamRule = toModelRule(data.models);
  const team: ModelScope = {
    label: `team "${teamName ?? '?'}"`,
    source: s,
    rule: teamRule,
    raw: data.models,
    models: effectiveModels(teamRule, orgScope.models),
    parent: orgScope,
  };

  // Targets are checked against the team the file says it is: a file whose team name is invalid has that error, and reaches nothing.
  const deliveryScope =
    teamName && TEAM_NAME.test(teamName)
      ? { team: teamName, grants: reach.grants.get(teamName) ?? NO_GRANTS, orgFile: reach.orgFile, github: reach.github }
      : null;
  const projects = Array.isArray(data.projects) ? data.projects : [];
  projects.forEach((project, i) => {
    if (!isObj(project)) return;
    const p: Path = ['projects', i];
    unique(
      check,
      s,
      [...p, 'name'],
      project.name,
      names.projects,
      'project',
      'project names are unique across the organization: rename one of them',
    );
    checkModelIds(check, s, [...p, 'models'], project.models);
    checkNarrows(check, s, [...p, 'models'], project.models, teamRule ? team : orgScope);
    // What Groq will let the project use: its own rule (else the team's, as applied) within the org's.
    const applied = toModelRule(project.models) ?? teamRule;
    const usable = effectiveModels(applied, orgScope.models);
    checkLimits(check, s, [...p, 'limits'], project.limits, { org: org ?? null, usable });
    checkSpending(check, s, project.spending, [...p, 'spending']);
    const keys = Array.isArray(project.keys) ? project.keys : [];
    keys.forEach((key, k) => {
      if (!isObj(key)) return;
      const kp: Path = [...p, 'keys', k];
      unique(check, s, [...kp, 'name'], key.name, names.keys, 'key', 'key names are unique across the organization: rename one of them');
      checkRotation(check, s, [...kp, 'rotation'], key.rotation, org?.rotation ?? rotationDefaults());
      const deliver = isObj(key.rotation) && Array.isArray(key.rotation.deliver) ? key.rotation.deliver : [];
      deliver.forEach((entry, d) => checkDelivery(check, s, [...kp, 'rotation', 'deliver', d], entry, names.targets, deliveryScope));
    });
  });
}

function unique(check: Checker, s: PolicySource, p: Path, name: unknown, seen: Map<string, string>, what: string, hint: string): void {
  if (typeof name !== 'string') return;
  const previous = seen.get(name);
  if (previous) check.error(s, p, `${what} "${name}" is also defined in ${previous}`, hint);
  else seen.set(name, ref(s, p));
}

/** A `models` field may only narrow its parent's: an allow list lists nothing the parent excludes, a block list lets nothing through that the parent's ceiling excludes. */
function checkNarrows(check: Checker, s: PolicySource, p: Path, models: unknown, parent: ModelScope): void {
  const rule = toModelRule(models);
  if (!rule) return;
  // A model that is gone or unknown already has its own error; a subset error on top would be noise.
  if (rule.mode === 'allow_list') {
    for (const { id, at } of listedModels(models)) {
      if (!isLiveModel(check.catalogue, id) || parent.models.has(id)) continue;
      const { message, hint } = whyExcluded(parent, id);
      check.error(s, [...p, ...at], `model "${id}" ${message}`, hint);
    }
    return;
  }
  // Groq applies a block list against the org's models; teams do not exist there, so a team's allow list does not bound it.
  const root = parent.parent ?? parent;
  const through = [...effectiveModels(rule, root.models)].filter((m) => !parent.models.has(m)).sort();
  if (through.length > 0) {
    check.error(
      s,
      p,
      `this block list lets the project use models ${parent.label} does not allow: ${through.join(', ')}`,
      `block them too, or list the models the project may use (models: [${[...effectiveModels(rule, parent.models)].sort().join(', ')}])`,
    );
  }
}

function whyExcluded(scope: ModelScope, id: string): { message: string; hint: string } {
  if (scope.parent && !scope.parent.models.has(id)) return whyExcluded(scope.parent, id);
  const where = scope.source.file;
  if (scope.rule?.mode === 'deny_list') {
    const entry = listedModels(scope.raw).find((m) => m.id === id);
    return {
      message: `is blocked by ${scope.label} (${ref(scope.source, ['models', ...(entry?.at ?? [])])})`,
      hint: scope.parent ? `unblock it in ${where}, or remove it here` : `unblock it in ${where} (admins approve), or remove it here`,
    };
  }
  return {
    message: `is not in ${scope.label}'s models (${ref(scope.source, ['models'])})`,
    hint: scope.parent
      ? `add it to the team's models in ${where}, or remove it here`
      : `add it to models in ${where} (admins approve), or remove it here`,
  };
}
