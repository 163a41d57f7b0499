import { changeLines, changeTitle, formatDate, isEmptyPlan, SIGN, summaryLine } from './render-lines.js';
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

/** Terraform-like text: `+` create, `~` update, `-` delete, `<=` adopt, each field's old -> new. */
export function renderPlanText(plan: Plan, style: TextStyle = plain): string {
  const colour = { '+': style.green, '-': style.red, '~': style.yellow, '<=': style.cyan, ' ': (s: string) => s };
  const out: string[] = [];
  if (isEmptyPlan(plan.summary)) {
    out.push(`No changes. Organization ${plan.org} matches the policies.`);
  } else {
    out.push(`groq-rbac will perform the following actions in ${plan.org}:`, '');
    let team: string | null | undefined;
    for (const c of plan.changes) {
      if (c.resource === 'api_key' && c.team !== team) {
        team = c.team;
        out.push(style.bold(`  # ${team ? `team ${team}` : 'keys in no team'}`));
      }
      const sign = SIGN[c.action];
      const reason = c.resource === 'api_key' && c.action !== 'create' ? style.dim(`  # ${c.reason}`) : '';
      out.push(`${colour[sign as '+'](`${sign.padStart(3)} ${changeTitle(c)}`)}${reason}`);
      for (const line of changeLines(c)) out.push(colour[line.sign](`${line.nested ? '          ' : '      '}${line.sign} ${line.text}`));
      out.push('');
    }
  }
  if (plan.unmanaged.length > 0) {
    out.push(`${plan.unmanaged.length} unmanaged key${plan.unmanaged.length === 1 ? '' : 's'} (in no policy; unmanaged_keys: report):`);
    for (const k of plan.unmanaged) out.push(`    ? "${k.name}" (${k.key_id}, ${k.redacted_value}), last used ${formatDate(k.last_used_at)}`);
    out.push('');
  }
  if (plan.warnings.length > 0) {
    out.push(style.yellow('Warnings:'));
    for (const w of plan.warnings) out.push(style.yellow(`    ! ${w.message}`));
    out.push('');
  }
  if (plan.refusals.length > 0) {
    out.push(style.red('Apply will refuse this plan:'));
    for (const r of plan.refusals) out.push(style.red(`    ✗ ${r.message}${r.forceable ? '' : ' (even with --force)'}`));
    out.push('');
  }
  if (!isEmptyPlan(plan.summary)) {
    out.push(style.bold(summaryLine(plan.summary)));
    out.push(style.dim(`Fingerprint: ${plan.fingerprint}`));
  }
  return `${out.join('\n')}\n`;
}
