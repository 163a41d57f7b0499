import { redactSecrets } from '../core/redact.js';
import { clean, formatDate, isEmptyPlan, planSections, quote, summaryLine, type Line, type Sign } from './render-lines.js';
import { hasMemberChanges } from './plan-members.js';
import { memberBlocks, memberCountsLine, memberSummaryLine, pendingLine, unmanagedLine, type AddressMode } from './render-members.js';
import { pendingText } from './render-reason.js';
import type { Plan } from './types.js';

export interface TextStyle {
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  cyan(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

const plain: TextStyle = { green: (s) => s, yellow: (s) => s, red: (s) => s, cyan: (s) => s, bold: (s) => s, dim: (s) => s };

/**
 * Terraform-like text, grouped as the organization is: `+` create, `~` update, `-` delete or
 * archive, `<=` adopt; the organization's settings first, then per team each project.
 */
export function renderPlanText(plan: Plan, style: TextStyle = plain, options: { memberAddresses?: AddressMode } = {}): string {
  const colour: Record<Sign, (s: string) => string> = {
    '+': style.green,
    '-': style.red,
    '~': style.yellow,
    '<=': style.cyan,
    ' ': (s) => s,
  };
  const line = (l: Line) =>
    `${colour[l.sign](`${'    '.repeat(l.depth)}${l.sign.padStart(3)} ${l.text}`)}${l.note ? style.dim(`  # ${l.note}`) : ''}`;
  const out: string[] = [];
  // The text plan is the operator's own: it shows e-mail addresses unless asked not to (render-members.ts).
  const addresses = options.memberAddresses ?? 'shown';
  const members = plan.members;
  const empty = isEmptyPlan(plan.summary) && !hasMemberChanges(members);
  if (empty) {
    out.push(`No changes. Organization ${clean(plan.org)} matches the policies.`);
  } else {
    out.push(`groq-rbac will perform the following actions in ${clean(plan.org)}:`, '');
    for (const section of planSections(plan.changes)) {
      out.push(style.bold(`  # ${section.title}`));
      for (const block of section.blocks) out.push(...block.map(line), '');
    }
    if (members && hasMemberChanges(members)) {
      out.push(style.bold(`  # members (${clean(members.provider)}): ${memberCountsLine(members)}`));
      for (const block of memberBlocks(members, addresses)) out.push(...block.map(line), '');
    }
  }
  if (members && members.pending.length > 0) {
    out.push(`${count(members.pending.length, 'invite')} pending (left alone):`);
    for (const p of members.pending) out.push(style.dim(`    … ${pendingLine(p, addresses)}`));
    out.push('');
  }
  const unmanagedPeople = members ? [...members.unmanaged.members, ...members.unmanaged.project_members] : [];
  if (unmanagedPeople.length > 0) {
    out.push(`${count(unmanagedPeople.length, 'unmanaged member')} (in no policy; left alone, unmanaged.members: report):`);
    for (const m of unmanagedPeople) out.push(`    ? ${unmanagedLine(m, addresses)}`);
    out.push('');
  }
  const { projects, keys } = plan.unmanaged;
  if (projects.length > 0) {
    out.push(`${count(projects.length, 'unmanaged project')} (in no policy; left alone):`);
    for (const p of projects)
      out.push(
        `    ? project ${quote(p.name)} (${clean(p.project_id)}), ${count(p.key_count, 'key')}, created ${formatDate(p.created_at)}`,
      );
    out.push('');
  }
  if (keys.length > 0) {
    out.push(`${count(keys.length, 'unmanaged key')} (in no policy; left alone):`);
    for (const k of keys)
      out.push(
        `    ? key ${quote(k.name)} in project ${quote(k.project)} (${clean(k.key_id)}, ${clean(k.redacted_value)}), last used ${formatDate(k.last_used_at)}`,
      );
    out.push('');
  }
  const pending = plan.pending ?? [];
  if (pending.length > 0) {
    out.push(`${count(pending.length, 'rotation step')} waiting:`);
    for (const p of pending)
      out.push(
        style.dim(
          `    … key ${quote(p.key)} in project ${quote(p.project)}${p.key_id === null ? '' : ` (${clean(p.key_id)})`}: ${pendingText(p)}`,
        ),
      );
    out.push('');
  }
  if (plan.warnings.length > 0) {
    out.push(style.yellow('Warnings:'));
    for (const w of plan.warnings) out.push(style.yellow(`    ! ${clean(w.message)}`));
    out.push('');
  }
  if (plan.refusals.length > 0) {
    out.push(style.red('Apply will refuse this plan:'));
    for (const r of plan.refusals) out.push(style.red(`    ✗ ${clean(r.message)}${r.forceable ? '' : ' (even with --force)'}`));
    out.push('');
  }
  if (!empty) {
    out.push(style.bold(summaryLine(plan.summary)));
    if (members && hasMemberChanges(members)) out.push(style.bold(memberSummaryLine(members)));
    out.push(style.dim(`Fingerprint: ${clean(plan.fingerprint)}`));
  }
  // Redaction is the caller's job; this is the last line of defence should a key value reach a name or a message.
  return redactSecrets(`${out.join('\n')}\n`);
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
