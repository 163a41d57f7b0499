/**
 * The plan laid out as the organization is: the organization's own settings, then per team its
 * projects, each with its models, limits and keys. Text and Markdown both render these lines; only
 * the signs' columns and the escaping differ.
 */
import { DOMAIN_LIMIT_FIELDS } from '../core/domain.js';
import { changeNote } from './render-reason.js';
import type { Change, ChangeAction, KeyChange, OrgPermissionsChange, PlanSummary, SpendAlertChange, SpendLimitChange } from './types.js';

export { formatDate } from './render-reason.js';

export type Sign = '+' | '-' | '~' | '<=' | ' ';

/** One rendered line: a sign, a nesting depth, the text, and an optional `# note`. */
export interface Line {
  sign: Sign;
  depth: number;
  text: string;
  note?: string;
}

/** A heading (`organization`, `team chatbot`, `in no policy`), its changes, and its blocks of lines (one per org setting or project). */
export interface Section {
  title: string;
  changes: Change[];
  blocks: Line[][];
}

export const SIGN: Record<ChangeAction, Exclude<Sign, ' '>> = {
  create: '+',
  update: '~',
  delete: '-',
  adopt: '<=',
  archive: '-',
  rotate: '~',
};

type Rule = OrgPermissionsChange['before'];
type ProjectScoped = Exclude<Change, OrgPermissionsChange | SpendLimitChange | SpendAlertChange>;

const ORG_ORDER: Record<string, number> = { org_model_permissions: 0, spend_limit: 1, spend_alert: 2 };
const PROJECT_ORDER: Record<string, number> = {
  project: 0,
  project_model_permissions: 1,
  project_rate_limit: 2,
  project_spend_limit: 3,
  project_spend_alert: 4,
  api_key: 5,
};
const isOrgChange = (c: Change): c is OrgPermissionsChange | SpendLimitChange | SpendAlertChange => c.resource in ORG_ORDER;

/** The plan's changes grouped into sections; org first, then teams in plan order, then projects in no policy. */
export function planSections(changes: readonly Change[]): Section[] {
  const sections: Section[] = [];
  const orgChanges = changes.filter(isOrgChange);
  // A stable sort: within a resource kind, the planner's order (e.g. alerts by threshold) stands.
  const org = [...orgChanges].sort((a, b) => ORG_ORDER[a.resource]! - ORG_ORDER[b.resource]!);
  // One block per setting: the models, the spend limit, the alerts together.
  const blocks = [...new Set(org.map((c) => c.resource))].map((r) => org.filter((c) => c.resource === r).flatMap((c) => changeLines(c, 0)));
  if (org.length > 0) sections.push({ title: 'organization', changes: org, blocks });

  const projects = new Map<string, ProjectScoped[]>();
  for (const c of changes) {
    if (isOrgChange(c)) continue;
    projects.set(c.project, [...(projects.get(c.project) ?? []), c]);
  }
  const teams = new Map<string | null, { changes: Change[]; blocks: Line[][] }>();
  for (const [name, list] of projects) {
    // An archived project's change carries no team; any other change in it names the team.
    const team = list.find((c) => c.team !== null)?.team ?? null;
    const entry = teams.get(team) ?? { changes: [], blocks: [] };
    const sorted = [...list].sort((a, b) => PROJECT_ORDER[a.resource]! - PROJECT_ORDER[b.resource]!);
    entry.changes.push(...sorted);
    entry.blocks.push(projectBlock(name, sorted));
    teams.set(team, entry);
  }
  for (const [team, entry] of teams) if (team !== null) sections.push({ title: `team ${team}`, ...entry });
  const none = teams.get(null);
  if (none) sections.push({ title: 'in no policy', ...none });
  return sections;
}

function projectBlock(name: string, changes: ProjectScoped[]): Line[] {
  const own = changes.find((c) => c.resource === 'project');
  const id = changes.find((c) => c.project_id !== null)?.project_id ?? null;
  const header: Line = own
    ? { sign: SIGN[own.action], depth: 0, text: projectTitle(name, own.project_id ?? id), note: changeNote(own) }
    : { sign: '~', depth: 0, text: projectTitle(name, id) };
  return [header, ...changes.filter((c) => c !== own).flatMap((c) => changeLines(c, 1))];
}

/** A change's title line and its body, at `depth`. */
export function changeLines(c: Change, depth: number): Line[] {
  const title = (text: string): Line => ({ sign: SIGN[c.action], depth, text, note: changeNote(c) });
  switch (c.resource) {
    case 'org_model_permissions':
    case 'project_model_permissions':
      return [title('models'), ...ruleLines(c.before, c.after, depth + 1)];
    case 'spend_limit':
    case 'project_spend_limit': {
      const [b, a] = [c.before?.monthly_cap_usd, c.after?.monthly_cap_usd];
      const body: Line =
        a === undefined
          ? { sign: '-', depth: depth + 1, text: `monthly_cap_usd = ${formatUsd(b!)}` }
          : b === undefined
            ? { sign: '+', depth: depth + 1, text: `monthly_cap_usd = ${formatUsd(a)}` }
            : { sign: '~', depth: depth + 1, text: `monthly_cap_usd = ${formatUsd(b)} -> ${formatUsd(a)}` };
      return [title('spend limit'), body];
    }
    case 'spend_alert':
    case 'project_spend_alert': {
      const at = `alert at ${formatUsd(c.threshold_usd)} USD${c.alert_id ? ` (${clean(c.alert_id)})` : ''}`;
      if (c.action !== 'update') return [title(`${at} → ${(c.after ?? c.before)?.recipients.map(clean).join(', ') ?? ''}`)];
      return [title(at), ...setLines(c.before?.recipients ?? [], c.after?.recipients ?? [], depth + 1, false)];
    }
    case 'project':
      return [title(projectTitle(c.project, c.project_id))];
    case 'project_rate_limit': {
      const diffs = DOMAIN_LIMIT_FIELDS.map((f) => [f, c.before[f], c.after[f]] as const)
        .filter(([, b, a]) => b !== a)
        // A new project's limit on a provider that makes it with the project: only the value to set.
        .map(([f, b, a]) => (b === undefined ? `${f} = ${a}` : `${f} ${b} -> ${a}`));
      return [title(`limits ${clean(c.model)}${diffs.length > 0 ? `: ${diffs.join(', ')}` : ''}`)];
    }
    case 'api_key':
      return [
        title(keyTitle(c) + rotationTitle(c)),
        ...(c.action === 'update' || c.action === 'adopt' ? keyLines(c, depth + 1) : rotationLines(c, depth + 1)),
      ];
  }
}

/** Model permissions as a set difference; a mode change also shows the models kept, whose meaning flips. */
function ruleLines(before: Rule, after: Rule, depth: number): Line[] {
  const mode = (r: Rule) => r?.mode ?? '(no restriction)';
  const lines: Line[] = [];
  const modeChanged = mode(before) !== mode(after);
  if (modeChanged) lines.push({ sign: '~', depth, text: `mode = ${mode(before)} -> ${mode(after)}` });
  return [...lines, ...setLines(before?.models ?? [], after?.models ?? [], depth, modeChanged)];
}

function setLines(before: readonly string[], after: readonly string[], depth: number, withKept: boolean): Line[] {
  const b = new Set(before);
  const a = new Set(after);
  const lines: Line[] = [];
  for (const item of [...new Set([...before, ...after])].sort()) {
    const sign: Sign = b.has(item) && a.has(item) ? ' ' : a.has(item) ? '+' : '-';
    if (sign !== ' ' || withKept) lines.push({ sign, depth, text: quote(item) });
  }
  return lines;
}

/** A key's changed fields: its name, managed, protect, and the marks an adoption writes. */
function keyLines(c: KeyChange, depth: number): Line[] {
  const rows: [Sign, string, string][] = [];
  const show = (v: unknown) => (typeof v === 'string' ? quote(v) : clean(String(v)));
  for (const f of c.fields) {
    if (f.before === f.after) continue;
    const label = clean(f.field);
    if (f.before === null || f.before === undefined) rows.push(['+', label, show(f.after)]);
    else if (f.after === null || f.after === undefined) rows.push(['-', label, show(f.before)]);
    else rows.push(['~', label, `${show(f.before)} -> ${show(f.after)}`]);
  }
  const width = Math.max(0, ...rows.map(([, label]) => label.length));
  return rows.map(([sign, label, value]) => ({ sign, depth, text: `${label.padEnd(width)} = ${value}` }));
}

/** `  rotate g7 -> g8`, `  retire g6`. */
function rotationTitle(c: KeyChange): string {
  const step = c.rotation;
  if (!step || step.cause === 'first') return '';
  if (c.action === 'delete') return `  retire g${step.generation}`;
  return `  rotate ${step.from_generation ? `g${step.from_generation} -> ` : 'to '}g${step.generation}`;
}

/**
 * What happens to a new generation: `g8 will be created, verified, delivered to 2 targets: …`; with
 * no target it is only created (marked delivered by its create: there is nothing to verify it for).
 */
function rotationLines(c: KeyChange, depth: number): Line[] {
  const step = c.rotation;
  if (!step || c.action === 'delete') return [];
  const n = step.targets.length;
  const to =
    n === 0
      ? 'delivered nowhere (no target)'
      : `verified, delivered to ${n} target${n === 1 ? '' : 's'}: ${step.targets.map(clean).join(', ')}`;
  return [{ sign: '+', depth, text: `g${step.generation} will be created, ${to}` }];
}

function projectTitle(name: string, id: string | null): string {
  return `project ${quote(name)}${id ? ` (${clean(id)})` : ''}`;
}

/** `key "chatbot-prod" (key_…, gsk_…X3yQ)`. */
export function keyTitle(c: Pick<KeyChange, 'key' | 'key_id' | 'redacted_value'>): string {
  const ids = [c.key_id, c.redacted_value].filter((s): s is string => Boolean(s)).map(clean);
  return `key ${quote(c.key)}${ids.length > 0 ? ` (${ids.join(', ')})` : ''}`;
}

// Names come from policies and from the live org: quoting escapes newlines and terminal control
// sequences, and the invisible and bidirectional characters (Trojan Source) JSON leaves alone.
const INVISIBLE = /[\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
const SHORT: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const escapeChar = (ch: string) => SHORT[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** A name in double quotes, JSON-escaped: `"chatbot-prod"`. */
export function quote(text: string): string {
  return JSON.stringify(text).replace(INVISIBLE, escapeChar);
}
/** Text on one line with control and invisible characters escaped: for ids, model names and messages. */
export function clean(text: string): string {
  return text.replace(CONTROL, escapeChar);
}

export function formatUsd(usd: number): string {
  return Number.isInteger(usd) ? String(usd) : usd.toFixed(2);
}

/** `Plan: 2 to create, 3 to update, 1 to delete, 0 to adopt, 1 to archive.` (rotations only when there are some). */
export function summaryLine(s: PlanSummary): string {
  const rotate = s.rotate > 0 ? `, ${s.rotate} to rotate` : '';
  return `Plan: ${s.create} to create, ${s.update} to update, ${s.delete} to delete, ${s.adopt} to adopt, ${s.archive} to archive${rotate}.`;
}

export function isEmptyPlan(s: PlanSummary): boolean {
  return s.create + s.update + s.delete + s.adopt + s.archive + s.rotate === 0;
}
