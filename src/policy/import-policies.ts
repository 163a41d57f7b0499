import { Document, isMap, isScalar, isSeq, visit } from 'yaml';
import { capabilitiesFor } from '../core/capabilities.js';
import {
  DOMAIN_LIMIT_FIELDS,
  type DomainLimitField,
  type DomainLimitSet,
  type DomainLiveProject as LiveProject,
  type DomainLiveState as LiveState,
  type LiveKey,
  type LiveLimit,
  type LiveSpending,
} from '../core/domain.js';
import { derivedKeyName, distinctKeyName, isPolicyKeyName } from '../core/key-names.js';
import { MAX_LIMIT, type LimitSet } from '../core/limits.js';
import { SAFETY_DEFAULTS } from '../core/defaults.js';
import { memberCapabilitiesFor } from '../core/members.js';
import { dumpMembers, type MemberDump } from './import-members.js';
import { effectiveModels } from './model-rules.js';
import type { ModelRule } from './types.js';

const TEAM_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface ImportResult {
  /** Relative path under the output directory → file content. */
  files: Record<string, string>;
  notes: string[];
}

/**
 * Policies (v2) that describe an existing organization as it is, so that `plan` right after shows only
 * key adoptions: the org's model permissions and spending, and per project its model permissions, its
 * rate limits where they differ from the org's, and its keys. Projects are grouped into teams by name
 * prefix (`chatbot-prod` → `chatbot`), else `imported`. org.yaml grants each team its projects, as
 * taking over a live project needs (src/plan/project-ownership.ts); keys are written without delivery
 * targets, so nothing is sent anywhere until a reviewed change adds them.
 *
 * Where the provider keeps groq-rbac's marks in key names (no key metadata: OpenAI's service
 * accounts), an unmanaged key's name is free text: it is imported under the policy key name derived
 * from it (core/key-names.ts), made distinct by its id where another key has that name, and plan
 * adopts it by that name. A provider without organization rate limits (OpenAI) gets each project's
 * limits where they are below the highest any project has for that model: a project's limit can
 * only be at or below the organization's, so the highest seen stands for the organization's
 * (assumed; OpenAI's Administration API does not answer the organization's own limits). A project's
 * own spend limit and alerts (OpenAI) are written as they are.
 */
export function importPolicies(live: LiveState, options: { admins: string[]; schemaRef: { org: string; team: string } }): ImportResult {
  const notes: string[] = [];
  const where = whereToRename(live.provider);
  const org: Record<string, unknown> = {
    version: 2,
    ...(live.provider !== 'groq' ? { provider: live.provider } : {}),
    org: live.org.id,
    admins: options.admins,
  };
  const orgModels = toModelsField(live.permissions);
  if (orgModels) org.models = orgModels;
  const spending = importSpending(live.spending, notes);
  if (spending) org.spending = spending;
  org.unmanaged = { projects: 'report', keys: 'report' };
  org.safety = { max_deletes: SAFETY_DEFAULTS.maxDeletes, max_delete_percent: SAFETY_DEFAULTS.maxDeletePercent };

  const orgLimitList = live.limits.length > 0 ? live.limits : highestLimits(live.projects);
  const orgUsable = effectiveModels(live.permissions, new Set(orgLimitList.map((r) => r.model)));
  const orgLimits = new Map(orgLimitList.map((r) => [r.model, r]));
  const projects = [...live.projects].sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1));
  const imported = (p: LiveProject, i: number) => NAME.test(p.name) && projects.findIndex((q) => q.name === p.name) === i;
  // Names the policies must give managed keys: reserved before any unmanaged key is named.
  const reserved = new Set(
    projects.filter(imported).flatMap((p) => p.keys.flatMap((k) => (k.marks && isPolicyKeyName(k.marks.key) ? [k.marks.key] : []))),
  );
  const naming: KeyNaming = { seen: new Map(), reserved, derive: !capabilitiesFor(live.provider).keyMetadata, where };
  const projectNames = new Set<string>();
  const projectIds = new Map<string, string>();
  const teams = new Map<string, Record<string, unknown>[]>();
  for (const p of projects) {
    const name = p.name;
    if (!NAME.test(name)) {
      notes.push(
        `left out project ${p.id}: its name ${JSON.stringify(name)} is not a valid policy name (letters, digits, ".", "_", "-"; at most 64); rename it in ${where} and import again`,
      );
      continue;
    }
    if (projectNames.has(name)) {
      notes.push(`left out project ${p.id}: another project is also named "${name}"; it stays unmanaged (policies match projects by name)`);
      continue;
    }
    projectNames.add(name);
    projectIds.set(name, p.id);
    const entry: Record<string, unknown> = { name };
    const models = toModelsField(p.permissions);
    if (models) entry.models = models;
    const usable = effectiveModels(p.permissions, orgUsable);
    const limits = importLimits(p, usable, orgLimits, notes);
    if (limits) entry.limits = limits;
    // A project's own spend limit and alerts (OpenAI), as they are; none written: left alone.
    const spending = p.spending ? importSpending(p.spending, notes, `project "${name}": `) : null;
    if (spending) entry.spending = spending;
    const keys = importKeys(p, naming, notes);
    if (keys.length > 0) entry.keys = keys;
    const team = teamOf(name);
    teams.set(team, [...(teams.get(team) ?? []), entry]);
  }

  // The projects exist already, so each team file takes over live projects: org.yaml, which the
  // admins approve, grants each team the ones assigned to it (the keys it adopts are in them).
  if (teams.size > 0) {
    org.grants = Object.fromEntries(
      [...teams]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([team, projects]) => [team, { projects: projects.map((p) => String(p.name)).sort() }]),
    );
  }
  const people = importMembers(live, teams, projectIds, org, notes);
  const files: Record<string, string> = {
    'org.yaml': render(org, options.schemaRef.org, `Imported from ${live.org.id} by groq-rbac import. Review admins before committing.`),
  };
  for (const [team, projects] of [...teams].sort(([a], [b]) => a.localeCompare(b))) {
    projects.sort((a, b) => String(a.name).localeCompare(String(b.name)));
    const members = people?.teams[team];
    if (members) for (const p of projects) if (members.projects[String(p.name)]) p.members = members.projects[String(p.name)];
    files[`teams/${team}.yaml`] = render(
      { team, owners: options.admins, ...(members?.members ? { members: members.members } : {}), projects },
      options.schemaRef.team,
      `Imported from ${live.org.id}. Set owners to the team that reviews these projects.`,
    );
  }
  return { files, notes };
}

/**
 * Today's people (issue 20, `--dump` in peribolos's sense), where the live state carries them:
 * org.yaml's `members` (unmanaged people reported, `min_owners` lowered to the owners there are),
 * and per team the members of its projects (import-members.ts), so that plan after import shows no
 * member changes.
 */
function importMembers(
  live: LiveState,
  teams: ReadonlyMap<string, Record<string, unknown>[]>,
  projectIds: ReadonlyMap<string, string>,
  org: Record<string, unknown>,
  notes: string[],
): MemberDump | null {
  const caps = memberCapabilitiesFor(live.provider);
  if (!live.members || !caps) return null;
  const projects = [...teams].flatMap(([team, list]) =>
    list.map((p) => ({ id: projectIds.get(String(p.name))!, name: String(p.name), team })),
  );
  const dump = dumpMembers(live.members, projects, caps);
  org.members = dump.org;
  (org.unmanaged as Record<string, string>).members = 'report';
  if (dump.minOwners !== null) (org.safety as Record<string, number>).min_owners = dump.minOwners;
  notes.push(...dump.notes);
  return dump;
}

function toModelsField(rule: ModelRule | null): string[] | { block: string[] } | null {
  if (!rule) return null;
  return rule.mode === 'allow_list' ? rule.models : { block: rule.models };
}

function importSpending(live: LiveSpending, notes: string[], scope = ''): Record<string, unknown> | null {
  const { monthly_cap_usd: cap, alerts } = live;
  if (cap === null && alerts.length === 0) return null;
  const thresholds = [...new Set(alerts.map((a) => a.threshold_usd))].sort((a, b) => a - b);
  const recipients = [...new Set(alerts.flatMap((a) => a.recipients))].sort();
  const lists = new Set(alerts.map((a) => [...a.recipients].sort().join(',')));
  if (lists.size > 1)
    notes.push(
      scope +
        'spend alerts e-mail different recipients; policies give every alert the same list, so plan will show alert changes to send each one to all of them',
    );
  if (cap !== null && thresholds.some((t) => t >= cap))
    notes.push(
      `${scope}a spend alert is not below the spend limit of ${cap} USD; validate will ask you to lower it or raise monthly_cap_usd`,
    );
  const out: Record<string, unknown> = { monthly_cap_usd: cap };
  if (thresholds.length > 0) {
    out.alert_thresholds_usd = thresholds;
    out.alert_recipients = recipients;
  }
  return out;
}

/**
 * The project's limits where they differ from the org's, for the models it may use: a field with one
 * value across all those models goes into `default`, the rest into per-model entries. What the plan
 * derives (model entry, else default, else the org's limit) then equals what is live.
 */
function importLimits(
  p: LiveProject,
  usable: Set<string>,
  orgLimits: Map<string, LiveLimit>,
  notes: string[],
): Record<string, LimitSet> | null {
  const own = new Map(p.limits.map((r) => [r.model, r]));
  const models = [...usable].filter((m) => own.has(m) && orgLimits.has(m)).sort();
  const value = (m: string, f: DomainLimitField) => own.get(m)!.values[f]!;
  const differs = (m: string, f: DomainLimitField) => value(m, f) !== orgLimits.get(m)!.values[f];
  const defaults: LimitSet = {};
  const perModel: Record<string, LimitSet> = {};
  // The fields the provider has: those its limits carry.
  const fields = DOMAIN_LIMIT_FIELDS.filter((f) =>
    models.some((m) => own.get(m)!.values[f] !== undefined && orgLimits.get(m)!.values[f] !== undefined),
  );
  for (const f of fields) {
    const values = new Set(models.map((m) => value(m, f)));
    const [only] = values;
    const folded = models.length > 1 && values.size === 1 && models.some((m) => differs(m, f)) && valid(only!);
    if (folded) {
      defaults[f] = only!;
      continue;
    }
    for (const m of models) {
      if (!differs(m, f)) continue;
      if (!valid(value(m, f))) {
        notes.push(`project "${p.name}": ${f} ${value(m, f)} for "${m}" is outside 1..${MAX_LIMIT} and was left out`);
        continue;
      }
      (perModel[m] ??= {})[f] = value(m, f);
    }
  }
  const out: Record<string, LimitSet> = {};
  if (Object.keys(defaults).length > 0) out.default = defaults;
  for (const m of Object.keys(perModel).sort()) out[m] = perModel[m]!;
  return Object.keys(out).length > 0 ? out : null;
}

const valid = (v: number) => Number.isSafeInteger(v) && v >= 1 && v <= MAX_LIMIT;

interface KeyNaming {
  /** Policy key name → the live key imported under it: names are unique across the organization. */
  seen: Map<string, string>;
  /** The managed keys' names: no unmanaged key is named so. */
  reserved: ReadonlySet<string>;
  /** Unmanaged keys get derived names (the provider keeps marks in names). */
  derive: boolean;
  where: string;
}

const NAME_RULE = 'letters, digits, ".", "_", "-"; at most 64';

/**
 * One project's keys: managed ones by their policy key (generations once), unmanaged ones by their
 * names; deriving names, managed ones first, then unmanaged ones whose names are policy key names,
 * then the others: the order plan adopts in.
 */
function importKeys(p: LiveProject, naming: KeyNaming, notes: string[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const here = new Set<string>();
  const { seen } = naming;
  // Deriving names, a key's own valid name comes before one derived to it (as plan adopts).
  const rank = (k: LiveKey) => (!naming.derive ? 0 : k.marks ? 0 : isPolicyKeyName(k.name) ? 1 : 2);
  const keys = [...p.keys].sort((a, b) => rank(a) - rank(b) || a.created_at - b.created_at || (a.id < b.id ? -1 : 1));
  const leftOut = (k: LiveKey, why: string) => notes.push(`left out key ${k.id} of project "${p.name}": ${why}`);
  for (const k of keys) {
    if (k.personal) {
      leftOut(
        k,
        "it is a person's own key, not a service account's, and groq-rbac keeps its marks in service accounts; it stays unmanaged",
      );
      continue;
    }
    const managed = k.marks?.key;
    if (managed !== undefined) {
      if (!isPolicyKeyName(managed)) {
        leftOut(
          k,
          `its marks name the policy key only by a hash ("${managed}": the full name did not fit in the service account's name); add that key to the policies under its full name, or plan will delete it as removed`,
        );
        continue;
      }
      // Several managed keys with one name in a project are generations of one policy key.
      if (here.has(managed)) continue;
      const first = seen.get(managed);
      if (first) {
        leftOut(
          k,
          `key ${first} is also named "${managed}" and was imported; key names are unique across the organization, so it stays unmanaged`,
        );
        continue;
      }
      seen.set(managed, k.id);
      here.add(managed);
      out.push(keyEntry(k, managed));
      continue;
    }
    const taken = (n: string) => seen.has(n) || naming.reserved.has(n);
    let name = k.name;
    if (!isPolicyKeyName(name)) {
      if (!naming.derive) {
        leftOut(
          k,
          `its name ${JSON.stringify(name)} is not a valid policy key name (${NAME_RULE}); rename it in ${naming.where} and import again`,
        );
        continue;
      }
      name = derivedKeyName(name);
    }
    if (taken(name)) {
      const first = seen.get(name) ?? 'a managed key';
      if (!naming.derive) {
        leftOut(
          k,
          `key ${first} is also named "${name}" and was imported; key names are unique across the organization, so it stays unmanaged`,
        );
        continue;
      }
      name = distinctKeyName(k.name, k.id);
      if (taken(name)) {
        leftOut(k, `both "${derivedKeyName(k.name)}" and "${name}" name other keys; it stays unmanaged`);
        continue;
      }
    }
    seen.set(name, k.id);
    here.add(name);
    out.push(keyEntry(k, name));
  }
  return out.sort((a, b) => String(a.name).localeCompare(String(b.name)));
}

function keyEntry(k: LiveKey, name: string): Record<string, unknown> {
  const entry: Record<string, unknown> = { name };
  if (k.marks?.protect) entry.protect = true;
  return entry;
}

/** Where a person renames a project or key of the provider's organization. */
function whereToRename(provider: string): string {
  return provider === 'openai' ? 'the OpenAI dashboard' : 'the Groq Console';
}

/**
 * The highest limit any project has, per model and field: what stands for the organization's own
 * where the provider answers none (a project's limit is at or below it).
 */
function highestLimits(projects: readonly LiveProject[]): LiveLimit[] {
  const byModel = new Map<string, DomainLimitSet>();
  for (const p of projects) {
    for (const l of p.limits) {
      const values = byModel.get(l.model) ?? {};
      for (const f of DOMAIN_LIMIT_FIELDS) {
        const v = l.values[f];
        if (v !== undefined && (values[f] === undefined || v > values[f]!)) values[f] = v;
      }
      byModel.set(l.model, values);
    }
  }
  return [...byModel].sort(([a], [b]) => (a < b ? -1 : 1)).map(([model, values]) => ({ id: `highest:${model}`, model, values }));
}

function teamOf(project: string): string {
  const prefix = /^([A-Za-z0-9]+)[-_.]/.exec(project)?.[1]?.toLowerCase();
  return prefix && TEAM_NAME.test(prefix) ? prefix : 'imported';
}

function render(data: Record<string, unknown>, schema: string, comment: string): string {
  const doc = new Document(data);
  // Lists of plain values and mappings of numbers (limit sets) read best on one line, as in hand-written policies.
  visit(doc, {
    Seq: (_, node) => void (isSeq(node) && node.items.every((i) => isScalar(i)) && (node.flow = true)),
    Map: (_, node) =>
      void (
        isMap(node) &&
        node.items.length > 0 &&
        node.items.every((i) => isScalar(i.value) && typeof i.value.value === 'number') &&
        (node.flow = true)
      ),
  });
  doc.commentBefore = ` yaml-language-server: $schema=${schema}\n ${comment}`;
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
