/**
 * The runbook: a reviewed change to the policies as the steps a person takes in the Groq Console,
 * for organizations Groq lets change only there (`provider: groq-console`). Pure: it compares two
 * desired states (the policies at the base revision and in the working tree), with no organization
 * and no credentials. A desired-vs-desired diff rather than a plan against a LiveState synthesised
 * from the base: a synthetic live state would need ids, clocks, key metadata and the organization's
 * own limits that nobody knows, and planChanges would then report its inventions (unmanaged keys,
 * rotations due by age) as work to do.
 *
 * The Console's pages and words come from Groq's docs (cited per page in CONSOLE_PAGES); where the
 * docs name no control, the step says so instead of inventing a menu path.
 */
import { canonicalDigest } from '../core/canonical-json.js';
import { defaultCatalogue, type ModelCatalogue } from '../core/models.js';
import { LIMIT_FIELDS, type LimitField } from '../core/limits.js';
import type { DesiredKey, DesiredProject, DesiredState, ModelRule } from '../policy/types.js';
import { normaliseRule, permits, sameRule } from './model-rules.js';
import { deliveryLabel, targetsHash } from './rotation.js';
import { memberDrafts } from './runbook-members.js';

export type ConsolePage = 'org_limits' | 'billing_limits' | 'projects' | 'project_limits' | 'api_keys' | 'members' | 'project_members';

/** What `verify` can see of a step being done, from a project key's inference answers. */
export type StepCheck =
  /** The organization lets `model` through (a probe is not `model_permission_blocked_org`), or blocks it. */
  | { kind: 'org_model'; model: string; allowed: boolean }
  /** `model` answers in `project`, or is blocked there (at either level). */
  | { kind: 'model'; project: string; model: string; allowed: boolean }
  /** The `x-ratelimit-limit-*` header for `model` in `project` reads `value` (the stricter of project and org). */
  | { kind: 'limit'; project: string; model: string; field: 'requests_per_day' | 'tokens_per_minute'; value: number };

export type StepAction =
  | 'set_org_models'
  | 'set_project_models'
  | 'set_limits'
  | 'create_project'
  | 'delete_project'
  | 'create_key'
  | 'rotate_create'
  | 'rotate_wait'
  | 'rotate_delete'
  | 'delete_key'
  | 'set_spend_limit'
  | 'remove_spend_limit'
  | 'add_alert'
  | 'remove_alert'
  | 'alert_recipients'
  // Issue 20 (runbook-members.ts).
  | 'invite_member'
  | 'change_member_role'
  | 'remove_member'
  | 'cancel_invite'
  | 'add_project_member'
  | 'change_project_member_role'
  | 'remove_project_member';

export interface RunbookStep {
  /** 1-based, in the order to do them. */
  n: number;
  /** Stable across runs for the same change: the Action's issue ticks steps off by it. */
  id: string;
  page: ConsolePage;
  project: string | null;
  action: StepAction;
  /** One line, in the Console's words. */
  title: string;
  /** How, value by value; where the docs are silent, that is said here. */
  details: string[];
  /** What `verify` can observe; empty: ticked off by hand. */
  checks: StepCheck[];
  /** Before and after, for scripts (`runbook --format json`). */
  data: Record<string, unknown>;
  /**
   * For Markdown (comments, the steps issue) where a step names a person: the title and details
   * with the e-mail address masked (runbook-members.ts). Absent: the step names nobody, or org.yaml
   * says `privacy.member_addresses: shown`.
   */
  masked?: { title: string; details: string[] };
}

export interface Runbook {
  format_version: 1;
  org: string;
  /** sha256 of the canonical JSON of the org and the steps' ids, actions and data: what a reviewer approves. */
  fingerprint: string;
  steps: RunbookStep[];
}

/** Each page: how to reach it and who may change it, from Groq's docs. */
export const CONSOLE_PAGES: Record<ConsolePage, { title: string; where: string }> = {
  // console.groq.com/docs/model-permissions: "Only Allow" / "Only Block"; Owner role at the organization level.
  // The URL is the one Groq's own 403 body (`model_permission_blocked_org`) sends org admins to.
  org_limits: {
    title: 'Organization settings: model permissions',
    where: 'https://console.groq.com/settings/limits (Owner role; console.groq.com/docs/model-permissions)',
  },
  // console.groq.com/docs/spend-limits: "Settings → Billing → Limits", "Add Limit", "Add Alert" in "Usage Alerts", "Save".
  billing_limits: {
    title: 'Settings → Billing → Limits',
    where: 'https://console.groq.com/settings/billing (paid tier, Owner role; console.groq.com/docs/spend-limits)',
  },
  // console.groq.com/docs/projects: the "Organization / Projects" dropdown at the top left, "Create Project", "Manage Projects".
  projects: {
    title: 'Projects',
    where: 'the Projects dropdown at the top left of the Console ("Organization / Projects"; console.groq.com/docs/projects)',
  },
  // console.groq.com/docs/projects: "Manage Projects" → "View" to customize project rate limits; the URL is the one
  // Groq's 403 body (`model_permission_blocked_project`) sends project admins to. Developer or Owner role.
  project_limits: {
    title: 'Project settings: limits',
    where:
      'select the project in the Projects dropdown, then https://console.groq.com/settings/project/limits (or Manage Projects → View; console.groq.com/docs/projects)',
  },
  // console.groq.com/docs/projects: "Any API keys generated will be specific to the project you have selected."
  api_keys: {
    title: 'API Keys',
    where:
      'select the project in the Projects dropdown, then API Keys (https://console.groq.com/keys); keys are made in the selected project',
  },
  // Issue 20. Assumed wording: Groq's docs name the roles (Owner, Developer, Reader; console.groq.com/docs/projects), not this page.
  members: {
    title: 'Settings → Organization → Members',
    where:
      "Settings → Organization → Members in the Console (Owner role; the page and its controls are assumed: Groq's docs describe the roles, console.groq.com/docs/projects)",
  },
  project_members: {
    title: 'Project settings: members',
    where:
      'select the project in the Projects dropdown, then its members (assumed: console.groq.com/docs/projects says projects give their members role-based access, not where it is set)',
  },
};

/**
 * The Console's names for the four limits (console.groq.com/docs/rate-limits: RPM, RPD, TPM, TPD).
 * Groq has no other limit field (validate refuses them under `provider: groq-console`); any other
 * is named as the policies name it.
 */
export const LIMIT_LABELS: Record<LimitField, string> = {
  requests_per_minute: 'Requests per minute (RPM)',
  tokens_per_minute: 'Tokens per minute (TPM)',
  requests_per_day: 'Requests per day (RPD)',
  tokens_per_day: 'Tokens per day (TPD)',
  images_per_minute: 'images_per_minute',
  audio_megabytes_per_minute: 'audio_megabytes_per_minute',
  batch_input_tokens_per_day: 'batch_input_tokens_per_day',
};

type Draft = Omit<RunbookStep, 'n'>;

/**
 * The steps that take the organization from what `base` says to what `head` says. `base` is null
 * when the policies did not exist at the base revision: everything in `head` is new.
 */
export function planRunbook(base: DesiredState | null, head: DesiredState, options: { catalogue?: ModelCatalogue } = {}): Runbook {
  const served = (options.catalogue ?? defaultCatalogue).live.map((m) => m.id);
  const first: Draft[] = [];
  const last: Draft[] = [];

  first.push(...orgModelSteps(base, head));
  first.push(...spendSteps(base, head));

  const baseProjects = new Map((base?.projects ?? []).map((p) => [p.name, p]));
  const headProjects = [...head.projects].sort((a, b) => a.name.localeCompare(b.name));
  const headNames = new Set(headProjects.map((p) => p.name));
  for (const p of headProjects) {
    if (!baseProjects.has(p.name)) {
      first.push({
        id: `project:create:${p.name}`,
        page: 'projects',
        project: p.name,
        action: 'create_project',
        title: `Create project "${p.name}"`,
        details: ['Projects dropdown → Create Project, and enter the project name exactly as written.'],
        checks: [],
        data: { project: p.name },
      });
    }
  }
  for (const p of headProjects) {
    const before = baseProjects.get(p.name) ?? null;
    first.push(...projectModelSteps(base, head, before, p, served));
    first.push(...limitSteps(base, head, before, p, served));
    const keys = keyDrafts(base, head, p.name);
    first.push(...keys.now);
    last.push(...keys.later);
  }
  // People (issue 20): invites and promotions, each project's memberships, then demotions; removals last.
  const members = memberDrafts(base, head);
  first.push(...members.org, ...members.projects, ...members.demotions);

  // Keys that left the policies together with a project go with the project; a key that moved
  // to another project is deleted from its old one.
  for (const p of [...baseProjects.values()].filter((x) => headNames.has(x.name) === false).sort((a, b) => a.name.localeCompare(b.name))) {
    const keys = (base?.keys ?? []).filter((k) => k.project === p.name).map((k) => k.name);
    last.push({
      id: `project:delete:${p.name}`,
      page: 'projects',
      project: p.name,
      action: 'delete_project',
      title: `Delete project "${p.name}"`,
      details: [
        ...(keys.length > 0
          ? [
              `Its ${keys.length} API key${keys.length === 1 ? '' : 's'} (${keys.join(', ')}) stop working with it (assumed: the docs do not say what becomes of a deleted project's keys).`,
            ]
          : []),
        'The docs say an Owner can delete projects (console.groq.com/docs/projects) but name no control for it: look under Manage Projects.',
      ],
      checks: [],
      data: { project: p.name, keys },
    });
  }

  last.push(...members.removals);
  const steps = [...first, ...last].map((s, i) => ({ n: i + 1, ...s }));
  const fingerprint = canonicalDigest({ org: head.org.id, steps: steps.map((s) => ({ id: s.id, action: s.action, data: s.data })) });
  return { format_version: 1, org: head.org.id, fingerprint, steps };
}

function ruleTitle(rule: ModelRule | null, what: string): string {
  if (rule === null)
    return `Remove ${what}'s model permissions, so every model ${what === 'the organization' ? 'Groq serves' : 'the organization allows'} is allowed`;
  return rule.mode === 'allow_list'
    ? `Model permissions of ${what}: choose "Only Allow" with exactly ${list(rule.models)}`
    : `Model permissions of ${what}: choose "Only Block" with exactly ${list(rule.models)}`;
}

function ruleDetails(before: ModelRule | null, after: ModelRule | null): string[] {
  const b = normaliseRule(before);
  const a = normaliseRule(after);
  const out: string[] = [];
  const label = (r: ModelRule | null) => (r === null ? 'no restriction' : r.mode === 'allow_list' ? '"Only Allow"' : '"Only Block"');
  if ((b?.mode ?? null) !== (a?.mode ?? null)) out.push(`Strategy: ${label(b)} → ${label(a)}.`);
  const was = new Set(b?.models ?? []);
  const now = new Set(a?.models ?? []);
  const verb = a?.mode === 'deny_list' ? 'block' : 'allow';
  if (b?.mode === a?.mode) {
    for (const m of [...now].filter((x) => !was.has(x))) out.push(`+ add ${m}`);
    for (const m of [...was].filter((x) => !now.has(x))) out.push(`- remove ${m}`);
  } else if (a) {
    out.push(`${verb === 'allow' ? 'Allow' : 'Block'}: ${[...now].join(', ')}.`);
  }
  if (a === null)
    out.push(
      'The docs do not name the control that clears model permissions: remove every model from the list, or look for a reset on the page.',
    );
  return out;
}

function orgModelSteps(base: DesiredState | null, head: DesiredState): Draft[] {
  const before = normaliseRule(base?.org.models ?? null);
  const after = normaliseRule(head.org.models);
  if (sameRule(before, after)) return [];
  const models = [...new Set([...(before?.models ?? []), ...(after?.models ?? [])])].sort();
  return [
    {
      id: 'org:models',
      page: 'org_limits',
      project: null,
      action: 'set_org_models',
      title: ruleTitle(after, 'the organization'),
      details: ruleDetails(before, after),
      checks: models
        .filter((m) => permits(before, m) !== permits(after, m))
        .map((m) => ({ kind: 'org_model', model: m, allowed: permits(after, m) })),
      data: { before, after },
    },
  ];
}

function projectModelSteps(
  base: DesiredState | null,
  head: DesiredState,
  before: DesiredProject | null,
  p: DesiredProject,
  served: readonly string[],
): Draft[] {
  const was = normaliseRule(before?.models ?? null);
  const now = normaliseRule(p.models);
  if (before && sameRule(was, now)) return [];
  if (!before && now === null) return [];
  const orgBefore = normaliseRule(base?.org.models ?? null);
  const orgAfter = normaliseRule(head.org.models);
  const named = [...new Set([...(was?.models ?? []), ...(now?.models ?? []), ...(orgAfter?.models ?? [])])]
    .filter((m) => served.includes(m) || (now?.models ?? []).includes(m))
    .sort();
  const allowed = (org: ModelRule | null, rule: ModelRule | null, m: string) => permits(org, m) && permits(rule, m);
  return [
    {
      id: `project:models:${p.name}`,
      page: 'project_limits',
      project: p.name,
      action: 'set_project_models',
      title: ruleTitle(now, `project "${p.name}"`),
      details: [
        ...ruleDetails(was, now),
        'A project can only narrow what the organization allows (console.groq.com/docs/model-permissions).',
      ],
      checks: named
        .filter((m) => !before || allowed(orgBefore, was, m) !== allowed(orgAfter, now, m))
        .map((m) => ({ kind: 'model', project: p.name, model: m, allowed: allowed(orgAfter, now, m) })),
      data: { project: p.name, before: before ? was : null, after: now },
    },
  ];
}

/** A project's own value for one model and field; null: it follows the organization's limit. */
export function projectLimit(p: DesiredProject, model: string, field: LimitField): number | null {
  return p.limits.models[model]?.[field] ?? p.limits.default[field] ?? null;
}

/** org.yaml's ceiling for one model and field; null when it sets none. */
export function orgCeiling(d: DesiredState, model: string, field: LimitField): number | null {
  return d.org.limits.models[model]?.[field] ?? d.org.limits.default[field] ?? null;
}

/** What Groq's header should read: the stricter of the project's own limit and the organization's (as org.yaml states it). */
export function expectedLimit(d: DesiredState, p: DesiredProject, model: string, field: LimitField): number | null {
  const own = projectLimit(p, model, field);
  const ceiling = orgCeiling(d, model, field);
  if (own === null) return ceiling;
  return ceiling === null ? own : Math.min(own, ceiling);
}

function limitSteps(
  base: DesiredState | null,
  head: DesiredState,
  before: DesiredProject | null,
  p: DesiredProject,
  served: readonly string[],
): Draft[] {
  const orgRule = normaliseRule(head.org.models);
  const usable = served.filter((m) => permits(orgRule, m) && permits(normaliseRule(p.models), m));
  const out: Draft[] = [];
  for (const model of usable) {
    const fields: { field: LimitField; before: number | null; after: number | null }[] = [];
    for (const field of LIMIT_FIELDS) {
      const was = before ? projectLimit(before, model, field) : null;
      const now = projectLimit(p, model, field);
      if (was !== now) fields.push({ field, before: was, after: now });
    }
    if (fields.length === 0) continue;
    const details = fields.map((f) => {
      const from =
        f.before === null
          ? before
            ? "the organization's limit"
            : "the organization's limit (a new project starts with it)"
          : String(f.before);
      const ceiling = orgCeiling(head, model, f.field);
      const to =
        f.after === null
          ? `the organization's limit${ceiling !== null ? ` (org.yaml states ${ceiling})` : ''}: clear the project's own value (the docs do not say how)`
          : String(f.after);
      return `${LIMIT_LABELS[f.field]}: ${from} → ${to}`;
    });
    const unseen = fields.filter((f) => f.field === 'requests_per_minute' || f.field === 'tokens_per_day');
    if (unseen.length > 0)
      details.push(
        `verify cannot see ${unseen.map((f) => LIMIT_LABELS[f.field]).join(' or ')} (Groq's headers carry requests per day and tokens per minute only): tick ${unseen.length === fields.length ? 'this step' : 'those'} off by hand.`,
      );
    const checks: StepCheck[] = [];
    for (const f of fields) {
      if (f.field !== 'requests_per_day' && f.field !== 'tokens_per_minute') continue;
      const value = expectedLimit(head, p, model, f.field);
      if (value !== null) checks.push({ kind: 'limit', project: p.name, model, field: f.field, value });
    }
    out.push({
      id: `project:limits:${p.name}:${model}`,
      page: 'project_limits',
      project: p.name,
      action: 'set_limits',
      title: `Rate limits of ${model}: ${fields.map((f) => `${LIMIT_LABELS[f.field]} ${f.after ?? "the organization's"}`).join(', ')}`,
      details,
      checks,
      data: { project: p.name, model, fields },
    });
  }
  void base;
  return out;
}

function deliverLine(key: DesiredKey): string[] {
  const targets = key.rotation.deliver.map(deliveryLabel);
  if (targets.length === 0) {
    return [
      `The policies give "${key.name}" no delivery target, so its value reaches no one unless you hand it over: add rotation.deliver (github, vault or file) to its policy.`,
    ];
  }
  return [
    `Copy the value (Groq shows it once) straight into \`groq-rbac deliver --key ${key.name}\` (it reads the value from standard input, checks it with Groq, and delivers it to ${targets.length} target${targets.length === 1 ? '' : 's'}: ${targets.join('; ')}). Do not paste it anywhere else.`,
  ];
}

function keyDrafts(base: DesiredState | null, head: DesiredState, project: string): { now: Draft[]; later: Draft[] } {
  const now: Draft[] = [];
  const later: Draft[] = [];
  const baseKeys = new Map((base?.keys ?? []).map((k) => [k.name, k]));
  const headKeys = head.keys.filter((k) => k.project === project).sort((a, b) => a.name.localeCompare(b.name));
  const create = (key: DesiredKey, id: string, action: StepAction, why: string | null): Draft => ({
    id,
    page: 'api_keys',
    project,
    action,
    title: `Create API key "${key.name}" in project "${project}"${why ? ` (${why})` : ''}`,
    details: [
      `Create API Key → Display Name: ${key.name} → Submit (the Console may offer an Expiration: groq-rbac rotates keys itself, so leave it unset unless your policy says otherwise).`,
      ...deliverLine(key),
    ],
    checks: [],
    data: { project, key: key.name, targets: key.rotation.deliver.map(deliveryLabel) },
  });
  for (const key of headKeys) {
    const was = baseKeys.get(key.name);
    if (!was || was.project !== project) {
      now.push(create(key, `key:create:${key.name}`, 'create_key', was ? `moved from project "${was.project}"` : null));
      continue;
    }
    const triggered = key.rotation.trigger !== null && key.rotation.trigger !== was.rotation.trigger;
    const retargeted = targetsHash(key.rotation.deliver) !== targetsHash(was.rotation.deliver);
    if (!triggered && !retargeted) continue;
    const why = triggered ? `rotation: new trigger "${key.rotation.trigger}"` : 'rotation: its delivery targets changed';
    const id = `key:rotate:${key.name}:${targetsHash(key.rotation.deliver)}:${key.rotation.trigger ?? ''}`;
    now.push(create(key, `${id}:create`, 'rotate_create', why));
    const quiet = formatDuration(key.rotation.quietPeriodSeconds);
    const overlap = formatDuration(key.rotation.minOverlapSeconds);
    later.push({
      id: `${id}:wait`,
      page: 'api_keys',
      project,
      action: 'rotate_wait',
      title: `Wait until the old "${key.name}" key is quiet: ${quiet} without use, and at least ${overlap} after the new one was delivered`,
      details: [
        `Run \`groq-rbac verify --project ${project}\` with the new value in GROQ_API_KEY to see it answer with the project's limits.`,
        "Groq's inference answers carry the project's counters, not one key's, so verify cannot tell when the old key alone went quiet: wait out the quiet period after delivery" +
          `${key.rotation.quietPeriodSeconds === 0 ? ' (0s here: no wait)' : ''}, or watch the old key's use where the Console shows it (the docs do not say whether the API Keys page shows a last use).`,
      ],
      checks: [],
      data: {
        project,
        key: key.name,
        quiet_period_seconds: key.rotation.quietPeriodSeconds,
        min_overlap_seconds: key.rotation.minOverlapSeconds,
      },
    });
    later.push({
      id: `${id}:delete`,
      page: 'api_keys',
      project,
      action: 'rotate_delete',
      title: `Delete the older API key named "${key.name}" in project "${project}"`,
      details: [
        "Keep the newest one (the value you just delivered). The docs name no delete control for a key: look for it on the key's row.",
      ],
      checks: [],
      data: { project, key: key.name },
    });
  }
  const headNames = new Map(head.keys.map((k) => [k.name, k]));
  const headProjects = new Set(head.projects.map((p) => p.name));
  for (const was of [...baseKeys.values()].filter((k) => k.project === project).sort((a, b) => a.name.localeCompare(b.name))) {
    const still = headNames.get(was.name);
    if (still && still.project === project) continue;
    if (!headProjects.has(project)) continue;
    later.push({
      id: `key:delete:${project}:${was.name}`,
      page: 'api_keys',
      project,
      action: 'delete_key',
      title: `Delete API key "${was.name}" in project "${project}"${still ? ` (it moved to project "${still.project}")` : ''}`,
      details: [`Its users lose access at once. The docs name no delete control for a key: look for it on the key's row.`],
      checks: [],
      data: { project, key: was.name },
    });
  }
  return { now, later };
}

function spendSteps(base: DesiredState | null, head: DesiredState): Draft[] {
  const want = head.org.spending;
  // No `spending:` in org.yaml: the policies leave the spend limit and its alerts alone.
  if (!want) return [];
  const had = base?.org.spending ?? null;
  const out: Draft[] = [];
  const cap = (usd: number) => `$${usd}`;
  const beforeCap = had?.monthly_cap_usd ?? null;
  if (want.monthly_cap_usd !== beforeCap) {
    if (want.monthly_cap_usd === null) {
      out.push({
        id: 'spend:limit',
        page: 'billing_limits',
        project: null,
        action: 'remove_spend_limit',
        title: `Remove the monthly spend limit (${cap(beforeCap!)})`,
        details: ['The docs describe adding a limit, not removing one: look for it on the limit.'],
        checks: [],
        data: { before: beforeCap, after: null },
      });
    } else {
      out.push({
        id: 'spend:limit',
        page: 'billing_limits',
        project: null,
        action: 'set_spend_limit',
        title:
          beforeCap === null
            ? `Add Limit: a monthly spend limit of ${cap(want.monthly_cap_usd)}`
            : `Change the monthly spend limit from ${cap(beforeCap)} to ${cap(want.monthly_cap_usd)}`,
        details: [
          beforeCap === null
            ? 'Click Add Limit, enter the monthly budget in USD, and click Save.'
            : 'The docs describe adding a limit (Add Limit, then Save), not editing one: change the amount on the existing limit, or remove it and add the new one.',
          'When it is reached, every key of the organization gets 400 blocked_api_access until the limit is raised or the month turns (console.groq.com/docs/spend-limits).',
        ],
        checks: [],
        data: { before: beforeCap, after: want.monthly_cap_usd },
      });
    }
  }
  const was = new Set(had?.alert_thresholds_usd ?? []);
  const now = new Set(want.alert_thresholds_usd);
  for (const usd of want.alert_thresholds_usd.filter((t) => !was.has(t))) {
    out.push({
      id: `spend:alert:add:${usd}`,
      page: 'billing_limits',
      project: null,
      action: 'add_alert',
      title: `Add Alert at ${cap(usd)}`,
      details: ['In the Usage Alerts section: Add Alert, enter the USD amount, Save.'],
      checks: [],
      data: { threshold_usd: usd },
    });
  }
  for (const usd of [...was].filter((t) => !now.has(t)).sort((a, b) => a - b)) {
    out.push({
      id: `spend:alert:remove:${usd}`,
      page: 'billing_limits',
      project: null,
      action: 'remove_alert',
      title: `Remove the alert at ${cap(usd)}`,
      details: ['The docs describe adding alerts, not removing them: look for it on the alert.'],
      checks: [],
      data: { threshold_usd: usd },
    });
  }
  const recipients = [...new Set(want.alert_recipients)].sort();
  const before = [...new Set(had?.alert_recipients ?? [])].sort();
  if (recipients.length > 0 && JSON.stringify(recipients) !== JSON.stringify(before)) {
    out.push({
      id: `spend:recipients:${recipients.join(',')}`,
      page: 'billing_limits',
      project: null,
      action: 'alert_recipients',
      title: `Make the billing email addresses ${recipients.join(', ')}`,
      details: [
        'Groq sends spend alerts and limit notices to the organization\'s billing email addresses (console.groq.com/docs/spend-limits, "Update billing emails"); alerts have no recipients of their own.',
      ],
      checks: [],
      data: { before, after: recipients },
    });
  }
  return out;
}

function list(models: readonly string[]): string {
  return models.length === 0 ? 'no models' : models.join(', ');
}

export function formatDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
