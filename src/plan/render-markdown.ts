import { changeLines, changeTitle, formatDate, isEmptyPlan, SIGN, summaryLine } from './render-lines.js';
import type { Change, Plan } from './types.js';

// GitHub rejects comment bodies over 65,536 characters; keep a margin for the caller's header and footer.
export const MARKDOWN_BUDGET = 60_000;
export const PLAN_COMMENT_MARKER = '<!-- groq-rbac:plan -->';

/** Markdown for a pull-request comment: destructive changes first, a summary table, then per team in `<details>`. */
export function renderPlanMarkdown(plan: Plan, options: { budget?: number } = {}): string {
  const budget = options.budget ?? MARKDOWN_BUDGET;
  const head: string[] = [PLAN_COMMENT_MARKER, `### groq-rbac plan for \`${plan.org}\``, ''];
  if (isEmptyPlan(plan.summary)) head.push('**No changes.** The organization matches the policies.', '');

  const destructive = plan.changes.filter((c) => c.action === 'delete');
  if (destructive.length > 0) {
    head.push('> [!CAUTION]', `> **${destructive.length} key${destructive.length === 1 ? '' : 's'} will be deleted:**`);
    for (const c of destructive) head.push(`> - ${code(c.key ?? '')} (${code(c.resource === 'api_key' ? (c.key_id ?? '') : '')}): ${escape(c.reason)}`);
    head.push('');
  }
  if (plan.refusals.length > 0) {
    head.push('> [!WARNING]', '> **Apply will refuse this plan:**');
    for (const r of plan.refusals) head.push(`> - ${escape(r.message)}${r.forceable ? '' : ' _(even with `--force`)_'}`);
    head.push('');
  }
  if (!isEmptyPlan(plan.summary)) {
    head.push('| | Create | Update | Delete | Adopt |', '|---|---:|---:|---:|---:|');
    for (const [group, changes] of groups(plan.changes)) {
      const n = (a: Change['action']) => changes.filter((c) => c.action === a).length;
      head.push(`| ${escape(group)} | ${n('create')} | ${n('update')} | ${n('delete')} | ${n('adopt')} |`);
    }
    const s = plan.summary;
    head.push(`| **Total** | **${s.create}** | **${s.update}** | **${s.delete}** | **${s.adopt}** |`, '');
  }

  const details: string[] = [];
  for (const [group, changes] of groups(plan.changes)) {
    const body: string[] = [];
    for (const c of changes) {
      body.push(`${c.action === 'update' ? '!' : SIGN[c.action]} ${changeTitle(c)}${c.resource === 'api_key' && c.action !== 'create' ? `  # ${c.reason}` : ''}`);
      // In a diff block only the first column colours a line; `!` shows as a change.
      for (const line of changeLines(c)) body.push(`${line.sign === '~' ? '!' : line.sign}${line.nested ? '         ' : '     '}${line.text}`);
    }
    details.push(`<details><summary><b>${escape(group)}</b>: ${countText(changes)}</summary>`, '', '```diff', ...body.map(noFence), '```', '', '</details>', '');
  }

  const tail: string[] = [];
  if (plan.unmanaged.length > 0) {
    tail.push(`<details><summary>${plan.unmanaged.length} unmanaged key${plan.unmanaged.length === 1 ? '' : 's'} (in no policy)</summary>`, '');
    tail.push('| Name | Id | Value | Last used |', '|---|---|---|---|');
    for (const k of plan.unmanaged) tail.push(`| ${escape(k.name)} | ${code(k.key_id)} | ${code(k.redacted_value)} | ${formatDate(k.last_used_at)} |`);
    tail.push('', '</details>', '');
  }
  if (plan.warnings.length > 0) {
    tail.push('**Warnings**', '');
    for (const w of plan.warnings) tail.push(`- ${escape(w.message)}`);
    tail.push('');
  }
  if (!isEmptyPlan(plan.summary)) tail.push(`\`${summaryLine(plan.summary)}\``, '');
  tail.push(`<sub>Fingerprint \`${plan.fingerprint}\`. Apply exactly this plan with \`groq-rbac apply --expect-fingerprint ${plan.fingerprint}\`.</sub>`);

  const full = [...head, ...details, ...tail].join('\n');
  if (full.length <= budget) return `${full}\n`;
  const note = ['> [!NOTE]', '> The per-team details are too long for one comment; the full plan is in the job summary and the `plan.json` artifact.', ''];
  const short = [...head, ...note, ...tail].join('\n');
  return `${short.length <= budget ? short : `${short.slice(0, budget - 200)}\n\n…(truncated)`}\n`;
}

function groups(changes: Change[]): [string, Change[]][] {
  const map = new Map<string, Change[]>();
  for (const c of changes) {
    const group = c.resource === 'spending_limit' ? 'organization' : c.team ? `team ${c.team}` : 'keys in no team';
    map.set(group, [...(map.get(group) ?? []), c]);
  }
  return [...map];
}

function countText(changes: Change[]): string {
  const parts: string[] = [];
  for (const [action, word] of [['create', 'to create'], ['update', 'to update'], ['delete', 'to delete'], ['adopt', 'to adopt']] as const) {
    const n = changes.filter((c) => c.action === action).length;
    if (n > 0) parts.push(`${n} ${word}`);
  }
  return parts.join(', ');
}

// Names come from policies and from the live org: keep them from breaking the table or the fence.
function escape(text: string): string {
  return text.replace(/[\\`*_[\]<>|]/g, (ch) => `\\${ch}`);
}
function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}
function noFence(line: string): string {
  return line.replace(/```/g, "'''");
}
