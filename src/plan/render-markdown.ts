import { redactSecrets } from '../core/redact.js';
import {
  clean,
  formatDate,
  formatUsd,
  isEmptyPlan,
  keyTitle,
  planSections,
  quote,
  summaryLine,
  type Line,
  type Section,
  type Sign,
} from './render-lines.js';
import { hasMemberChanges } from './plan-members.js';
import { memberBlocks, memberCountsLine, memberSummaryLine, pendingLine, unmanagedLine, type AddressMode } from './render-members.js';
import { changeNote, contextText, pendingText, reasonText } from './render-reason.js';
import type { Change, Plan } from './types.js';

export { splitMarkdown } from './render-split.js';

// GitHub rejects comment bodies over 65,536 characters; keep a margin for the caller's header and footer.
export const MARKDOWN_BUDGET = 60_000;
/** Finds groq-rbac's sticky pull-request comment. */
export const PLAN_COMMENT_MARKER = '<!-- groq-rbac:plan -->';

/** Lines with a head and a tail that must stay whole, and items that may be cut short with a "…and N more" line. */
interface Block {
  head: string[];
  items: string[];
  tail: string[];
  more(n: number): string;
}

/**
 * Markdown for a pull-request comment: destructive changes and refusals first, a summary table,
 * then per team a `<details>` with a diff. Over `budget` characters, the per-team details are left
 * out and lists are cut short, never inside a fence or a `<details>`.
 */
export function renderPlanMarkdown(plan: Plan, options: { budget?: number; memberAddresses?: AddressMode } = {}): string {
  const budget = options.budget ?? MARKDOWN_BUDGET;
  const empty = isEmptyPlan(plan.summary) && !hasMemberChanges(plan.members);
  // Markdown is read by more people than the operator: e-mail addresses only where org.yaml opts in (render-members.ts).
  const addresses = options.memberAddresses ?? plan.members?.addresses ?? 'masked';
  const sections = planSections(plan.changes);
  const title = [PLAN_COMMENT_MARKER, `### groq-rbac plan for ${codeSpan(plan.org)}`, ''];
  if (empty) title.push('**No changes.** The organization matches the policies.', '');
  const footer = empty
    ? []
    : [
        codeSpan(summaryLine(plan.summary)),
        ...(plan.members && hasMemberChanges(plan.members) ? [codeSpan(memberSummaryLine(plan.members))] : []),
        '',
      ];
  footer.push(
    `<sub>Fingerprint ${codeSpan(plan.fingerprint)}. Apply exactly this plan with ${codeSpan(`groq-rbac apply --expect-fingerprint ${plan.fingerprint}`)}.</sub>`,
  );

  const caution = cautionBlock(plan.changes);
  const refusals = refusalBlock(plan);
  const table = empty ? null : tableBlock(plan, sections);
  const [unmanagedProjects, unmanagedKeys] = unmanagedBlocks(plan);
  const pending = pendingBlock(plan);
  const warnings = warningBlock(plan);
  const members = memberChangesBlock(plan, addresses);
  const people = memberListBlock(plan, addresses);

  const full = [
    ...title,
    ...whole(caution),
    ...whole(refusals),
    ...whole(table),
    ...sections.flatMap(detailsLines),
    ...whole(members),
    ...whole(unmanagedProjects),
    ...whole(unmanagedKeys),
    ...whole(people),
    ...whole(pending),
    ...whole(warnings),
    ...footer,
  ];
  if (size(full) <= budget) return finish(full);

  // Too long: drop the per-team details, then cut lists short, most important first.
  const note = [
    '> [!NOTE]',
    '> The per-team details are too long for one comment and are left out: see the job summary, or run `groq-rbac plan`.',
    '',
  ];
  let room = budget - size(title) - size(note) - size(footer);
  const fitted = new Map<Block, string[]>();
  for (const block of [refusals, table, caution, members, warnings, pending, unmanagedProjects, unmanagedKeys, people]) {
    if (!block) continue;
    const lines = fit(block, room);
    fitted.set(block, lines);
    room -= size(lines);
  }
  const get = (b: Block | null) => (b ? (fitted.get(b) ?? []) : []);
  const short = [
    ...title,
    ...get(caution),
    ...get(refusals),
    ...get(table),
    ...note,
    ...get(members),
    ...get(unmanagedProjects),
    ...get(unmanagedKeys),
    ...get(people),
    ...get(pending),
    ...get(warnings),
    ...footer,
  ];
  // Only a budget smaller than the title and footer gets here; cut at a line, outside any block.
  return size(short) <= budget ? finish(short) : finish(cutLines([...title, ...note, ...footer], budget));
}

function cautionBlock(changes: readonly Change[]): Block | null {
  const items: string[] = [];
  for (const c of changes) {
    if (c.resource === 'api_key' && c.action === 'delete') {
      items.push(`> - delete ${md(keyTitle(c))} in project ${md(quote(c.project))}: ${md(changeNote(c))}`);
    } else if (c.resource === 'project' && c.action === 'archive') {
      const context = contextText(c.context);
      items.push(
        `> - archive project ${md(quote(c.project))}${c.project_id ? ` (${md(c.project_id)})` : ''}, which is final: its keys stop working${context ? ` (${md(context)})` : ''}; ${md(reasonText(c))}`,
      );
    } else if (c.resource === 'spend_limit' && c.action === 'delete') {
      items.push(
        `> - remove the spend limit of ${formatUsd(c.before?.monthly_cap_usd ?? 0)} USD a month: spending is no longer capped; ${md(reasonText(c))}`,
      );
    } else if (c.resource === 'project_spend_limit' && c.action === 'delete') {
      items.push(
        `> - remove the spend limit of ${formatUsd(c.before?.monthly_cap_usd ?? 0)} USD a month of project ${md(quote(c.project))}: its spending is capped by the organization's only; ${md(reasonText(c))}`,
      );
    }
  }
  if (items.length === 0) return null;
  return {
    head: ['> [!CAUTION]', `> **${items.length} destructive change${items.length === 1 ? '' : 's'}:**`],
    items,
    tail: [''],
    more: (n) => `> - …and ${n} more`,
  };
}

function refusalBlock(plan: Plan): Block | null {
  if (plan.refusals.length === 0) return null;
  const items = plan.refusals.map((r) => `> - ${md(r.message)}${r.forceable ? '' : ' _(even with `--force`)_'}`);
  return { head: ['> [!WARNING]', '> **Apply will refuse this plan:**'], items, tail: [''], more: (n) => `> - …and ${n} more` };
}

const COLUMNS = ['create', 'update', 'delete', 'adopt', 'archive', 'rotate'] as const;

function tableBlock(plan: Plan, sections: Section[]): Block {
  const s = plan.summary;
  // Rotations get a column only when there are some, as in the summary line.
  const columns = COLUMNS.filter((a) => a !== 'rotate' || s.rotate > 0);
  const title = (a: string) => `${a[0]!.toUpperCase()}${a.slice(1)}`;
  return {
    head: [`| | ${columns.map(title).join(' | ')} |`, `|---|${columns.map(() => '---:|').join('')}`],
    items: sections.map(
      (section) => `| ${md(section.title)} | ${columns.map((a) => section.changes.filter((c) => c.action === a).length).join(' | ')} |`,
    ),
    tail: [`| **Total** | ${columns.map((a) => `**${s[a]}**`).join(' | ')} |`, ''],
    more: (n) => `| …and ${n} more |${columns.map(() => ' |').join('')}`,
  };
}

function detailsLines(section: Section): string[] {
  const body = section.blocks.flatMap((block, i) => [...(i > 0 ? [''] : []), ...block.map(diffLine)]);
  // A fence longer than any backtick run inside it cannot be closed by a name.
  const longest = Math.max(0, ...body.map((l) => Math.max(0, ...(l.match(/`+/g) ?? []).map((run) => run.length))));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return [
    `<details><summary><b>${html(section.title)}</b>: ${countText(section.changes)}</summary>`,
    '',
    `${fence}diff`,
    ...body,
    fence,
    '',
    '</details>',
    '',
  ];
}

// In a diff block only the first column colours a line: `!` shows a change, an adopt among them.
const COLUMN: Record<Sign, string> = { '+': '+', '-': '-', '~': '!', '<=': '!', ' ': ' ' };
function diffLine(l: Line): string {
  return redactSecrets(
    `${COLUMN[l.sign]} ${'    '.repeat(l.depth)}${l.sign === '<=' ? '<= ' : ''}${l.text}${l.note ? `  # ${clean(l.note)}` : ''}`,
  );
}

function countText(changes: Change[]): string {
  return COLUMNS.map((a) => [changes.filter((c) => c.action === a).length, a] as const)
    .filter(([n]) => n > 0)
    .map(([n, a]) => `${n} to ${a}`)
    .join(', ');
}

function unmanagedBlocks(plan: Plan): [Block | null, Block | null] {
  const { projects, keys } = plan.unmanaged;
  const details = (n: number, noun: string, header: string[]) => [
    `<details><summary>${n} unmanaged ${noun}${n === 1 ? '' : 's'} (in no policy; left alone)</summary>`,
    '',
    ...header,
  ];
  const tail = ['', '</details>', ''];
  return [
    projects.length === 0
      ? null
      : {
          head: details(projects.length, 'project', ['| Name | Id | Keys | Created |', '|---|---|---:|---|']),
          items: projects.map((p) => `| ${md(p.name)} | ${md(p.project_id)} | ${p.key_count} | ${formatDate(p.created_at)} |`),
          tail,
          more: (n) => `| …and ${n} more | | | |`,
        },
    keys.length === 0
      ? null
      : {
          head: details(keys.length, 'key', ['| Name | Project | Id | Value | Last used |', '|---|---|---|---|---|']),
          items: keys.map(
            (k) => `| ${md(k.name)} | ${md(k.project)} | ${md(k.key_id)} | ${md(k.redacted_value)} | ${formatDate(k.last_used_at)} |`,
          ),
          tail,
          more: (n) => `| …and ${n} more | | | | |`,
        },
  ];
}

function pendingBlock(plan: Plan): Block | null {
  const pending = plan.pending ?? [];
  if (pending.length === 0) return null;
  return {
    head: [
      `<details><summary>${pending.length} rotation step${pending.length === 1 ? '' : 's'} waiting</summary>`,
      '',
      '| Key | Project | Id | Waiting |',
      '|---|---|---|---|',
    ],
    items: pending.map((p) => `| ${md(p.key)} | ${md(p.project)} | ${md(p.key_id ?? '')} | ${md(pendingText(p))} |`),
    tail: ['', '</details>', ''],
    more: (n) => `| …and ${n} more | | | |`,
  };
}

function warningBlock(plan: Plan): Block | null {
  if (plan.warnings.length === 0) return null;
  return { head: ['**Warnings**', ''], items: plan.warnings.map((w) => `- ${md(w.message)}`), tail: [''], more: (n) => `- …and ${n} more` };
}

/** Member changes in their own section (issue 20), open: removing someone is as weighty as deleting a key. */
function memberChangesBlock(plan: Plan, addresses: AddressMode): Block | null {
  const members = plan.members;
  if (!members || !hasMemberChanges(members)) return null;
  const body = memberBlocks(members, addresses).flatMap((block, i) => [...(i > 0 ? [''] : []), ...block.map(diffLine)]);
  const longest = Math.max(0, ...body.map((l) => Math.max(0, ...(l.match(/`+/g) ?? []).map((run) => run.length))));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  const removed = members.changes.filter((c) => c.resource === 'member' && c.action === 'delete').length;
  const masked =
    addresses === 'masked'
      ? [
          '',
          '<sub>People are named by their id or where the policies list them; e-mail addresses are shown only with `privacy: {member_addresses: shown}` in org.yaml.</sub>',
        ]
      : [];
  return {
    head: [
      `<details open><summary><b>members (${html(members.provider)})</b>: ${html(memberSummaryLine(members).replace(/^Members: /, ''))}</summary>`,
      '',
      ...(removed > 0
        ? [
            '> [!CAUTION]',
            `> **${removed} ${removed === 1 ? 'person' : 'people'} removed from the organization**, with their project memberships.`,
            '',
          ]
        : []),
      md(memberCountsLine(members)),
      ...masked,
      '',
      `${fence}diff`,
    ],
    items: body,
    tail: [fence, '', '</details>', ''],
    more: (n) => `  …and ${n} more`,
  };
}

/** Pending invites and unmanaged members, as a table. */
function memberListBlock(plan: Plan, addresses: AddressMode): Block | null {
  const members = plan.members;
  if (!members) return null;
  const items = [
    ...members.pending.map((p) => `| pending | ${md(pendingLine(p, addresses))} |`),
    ...[...members.unmanaged.members, ...members.unmanaged.project_members].map(
      (m) => `| unmanaged | ${md(unmanagedLine(m, addresses))} |`,
    ),
  ];
  if (items.length === 0) return null;
  return {
    head: [
      `<details><summary>${members.pending.length} invite${members.pending.length === 1 ? '' : 's'} pending, ${items.length - members.pending.length} unmanaged member${items.length - members.pending.length === 1 ? '' : 's'} (left alone)</summary>`,
      '',
      '| | |',
      '|---|---|',
    ],
    items,
    tail: ['', '</details>', ''],
    more: (n) => `| …and ${n} more | |`,
  };
}

function whole(block: Block | null): string[] {
  return block ? [...block.head, ...block.items, ...block.tail] : [];
}

/** The block with as many items as fit in `room`, and a "…and N more" line; nothing if not even its head fits. */
function fit(block: Block, room: number): string[] {
  const all = whole(block);
  if (size(all) <= room) return all;
  let used = size(block.head) + size(block.tail) + size([block.more(block.items.length)]);
  let taken = 0;
  while (taken < block.items.length && used + size([block.items[taken]!]) <= room) used += size([block.items[taken++]!]);
  if (used > room) return [];
  return [...block.head, ...block.items.slice(0, taken), block.more(block.items.length - taken), ...block.tail];
}

function cutLines(lines: string[], budget: number): string[] {
  const out: string[] = [];
  for (const line of lines) {
    if (size([...out, line]) > budget) break;
    out.push(line);
  }
  return out;
}

/** Characters of the lines joined, each ending in a newline. */
function size(lines: readonly string[]): number {
  return lines.reduce((n, l) => n + l.length + 1, 0);
}

function finish(lines: string[]): string {
  // Redaction is the caller's job; this is the last line of defence (text outside fences is redacted before escaping).
  return redactSecrets(lines.map((l) => `${l}\n`).join(''));
}

// Names come from policies and from the live org: keep them from breaking tables, emphasis, links,
// HTML and mentions. Redact first: an escaped `gsk\_…` would no longer look like a key value.
export function md(text: string): string {
  return clean(redactSecrets(text)).replace(/[\\`*_[\]<>|~&@]/g, (ch) => `\\${ch}`);
}
function codeSpan(text: string): string {
  const t = clean(redactSecrets(text));
  return /[`|]/.test(t) ? md(text) : `\`${t}\``;
}
function html(text: string): string {
  return clean(redactSecrets(text)).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
