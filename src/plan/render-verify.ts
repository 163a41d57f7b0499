/** verify's report as text (like `plan`: what matches, what differs and where the policies say otherwise, what could not be told) and JSON. */
import { redactSecrets } from '../core/redact.js';
import { clean } from './render-lines.js';
import type { TextStyle as Style } from './render-text.js';
import type { Finding, VerifyReport } from './verify.js';

const plain: Style = { bold: (s) => s, dim: (s) => s, green: (s) => s, yellow: (s) => s, red: (s) => s, cyan: (s) => s };

export function renderVerifyText(report: VerifyReport, style: Style = plain): string {
  const out: string[] = [];
  const n = report.projects.length;
  out.push(`groq-rbac verify for ${clean(report.org)}: ${n} project${n === 1 ? '' : 's'}, from Groq's own answers`);
  const line = (sign: string, f: Finding, paint: (s: string) => string) =>
    `  ${paint(sign)} ${clean(f.message)}${f.where && sign !== '=' ? `  (${clean(f.where)})` : ''}`;
  for (const p of report.projects) {
    out.push('', style.bold(`# project "${clean(p.project)}" (key in ${clean(p.key_from)})`));
    for (const f of p.matches) out.push(line('=', f, style.green));
    for (const f of p.differences) out.push(line('~', f, style.yellow));
    for (const f of p.unknown) out.push(line('?', f, style.red));
    for (const f of p.not_stated) out.push(line('·', f, style.dim));
  }
  const count = (pick: (p: VerifyReport['projects'][number]) => Finding[]) => report.projects.reduce((s, p) => s + pick(p).length, 0);
  const differs = count((p) => p.differences);
  const unknown = count((p) => p.unknown);
  out.push('');
  out.push(`Verify: ${count((p) => p.matches)} match, ${differs} differ${differs === 1 ? 's' : ''}, ${unknown} could not be told.`);
  out.push(
    `Probes: ${report.probes} request${report.probes === 1 ? '' : 's'} (${report.retries} retr${report.retries === 1 ? 'y' : 'ies'} after 429), ${report.tokens} token${report.tokens === 1 ? '' : 's'} used.`,
  );
  out.push('');
  return redactSecrets(out.join('\n'));
}

export function renderVerifyJson(report: VerifyReport): string {
  return redactSecrets(`${JSON.stringify(report, null, 2)}\n`);
}
