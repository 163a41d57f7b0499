/** The runbook as text (a terminal), Markdown (a pull-request comment, an issue) and JSON (scripts). */
import { canonicalJson } from '../core/canonical-json.js';
import { redactSecrets } from '../core/redact.js';
import { clean } from './render-lines.js';
import { CONSOLE_PAGES, type Runbook, type RunbookStep } from './runbook.js';

/** Finds groq-rbac's runbook in a comment or an issue. */
export const RUNBOOK_MARKER = '<!-- groq-rbac:runbook -->';

/** Where the change is measured from: the revision as given and the commit it named. */
export interface RunbookSource {
  ref: string;
  commit: string | null;
}

/** Consecutive steps on one page (of one project): one heading each. */
export function runbookGroups(
  steps: readonly RunbookStep[],
): { page: RunbookStep['page']; project: string | null; steps: RunbookStep[] }[] {
  const groups: { page: RunbookStep['page']; project: string | null; steps: RunbookStep[] }[] = [];
  for (const s of steps) {
    const last = groups.at(-1);
    if (last && last.page === s.page && last.project === s.project) last.steps.push(s);
    else groups.push({ page: s.page, project: s.project, steps: [s] });
  }
  return groups;
}

function heading(page: RunbookStep['page'], project: string | null): string {
  const p = CONSOLE_PAGES[page];
  return `${p.title}${project !== null && page !== 'projects' ? ` — project "${project}"` : ''}`;
}

function fromLine(source: RunbookSource | null): string {
  if (!source) return 'from the policies as they were';
  if (source.commit && source.commit === source.ref) return `from commit ${source.commit.slice(0, 12)}`;
  return `from ${source.ref}${source.commit ? ` (${source.commit.slice(0, 12)})` : ''}`;
}

const VERIFY_HINT =
  "When they are done, `groq-rbac verify --project NAME` (the project's key in GROQ_API_KEY) proves from Groq's own answers that each project matches.";

export function renderRunbookText(runbook: Runbook, source: RunbookSource | null): string {
  const out: string[] = [];
  out.push(`groq-rbac runbook for ${clean(runbook.org)}: ${fromLine(source)} to the working tree`);
  if (runbook.steps.length === 0) {
    out.push('', 'Nothing to do in the Groq Console: the change touches nothing the organization holds.', '');
    return redactSecrets(out.join('\n'));
  }
  out.push(
    `Do these ${runbook.steps.length} step${runbook.steps.length === 1 ? '' : 's'} in the Groq Console (https://console.groq.com), in order.`,
  );
  for (const g of runbookGroups(runbook.steps)) {
    out.push('', heading(g.page, g.project), `  where: ${CONSOLE_PAGES[g.page].where}`);
    for (const s of g.steps) {
      out.push(`  ${String(s.n).padStart(2)}. ${clean(s.title)}`);
      for (const d of s.details) out.push(`      ${clean(d)}`);
      if (s.checks.length === 0) out.push('      (verify cannot see this step: tick it off by hand)');
    }
  }
  out.push(
    '',
    `${runbook.steps.length} step${runbook.steps.length === 1 ? '' : 's'}. ${VERIFY_HINT.replace(/`/g, '')}`,
    `Fingerprint: ${runbook.fingerprint}`,
    '',
  );
  return redactSecrets(out.join('\n'));
}

/**
 * Markdown: a numbered list per page. With `done`, a task list (`- [x]`) for the Action's issue,
 * each step carrying its id in a comment so a later run can tick it off.
 */
export function renderRunbookMarkdown(
  runbook: Runbook,
  source: RunbookSource | null,
  options: { done?: ReadonlySet<string>; title?: string } = {},
): string {
  const out: string[] = [RUNBOOK_MARKER, `### ${options.title ?? `groq-rbac runbook for ${code(runbook.org)}`}`, ''];
  out.push(`The change ${md(fromLine(source))} to this commit, as steps in the [Groq Console](https://console.groq.com).`, '');
  if (runbook.steps.length === 0) {
    out.push('**Nothing to do in the Groq Console:** the change touches nothing the organization holds.', '');
  }
  for (const g of runbookGroups(runbook.steps)) {
    out.push(`#### ${md(heading(g.page, g.project))}`, '', `<sub>${mdInline(CONSOLE_PAGES[g.page].where)}</sub>`, '');
    for (const s of g.steps) {
      const box = options.done ? (options.done.has(s.id) ? '- [x] ' : '- [ ] ') : `${s.n}. `;
      const by = s.checks.length === 0 ? ' <sub>(tick off by hand)</sub>' : '';
      // A step naming a person shows them masked (runbook-members.ts): e-mail addresses are personal data.
      const shown = s.masked ?? s;
      out.push(`${box}${options.done ? `${s.n}. ` : ''}**${md(shown.title)}**${by} <!-- step ${html(s.id)} -->`);
      for (const d of shown.details) out.push(`   - ${mdInline(d)}`);
    }
    out.push('');
  }
  if (runbook.steps.length > 0) out.push(mdInline(VERIFY_HINT), '');
  out.push(`<sub>Runbook fingerprint ${code(runbook.fingerprint)}.</sub>`);
  return redactSecrets(out.join('\n')) + '\n';
}

export function renderRunbookJson(runbook: Runbook, source: RunbookSource | null): string {
  // Canonical (sorted keys) like the plan's JSON, so two runs of the same change print the same bytes.
  return redactSecrets(`${JSON.stringify(JSON.parse(canonicalJson({ ...runbook, from: source })), null, 2)}\n`);
}

/** The step ids a Markdown task list shows ticked (`- [x] … <!-- step ID -->`). */
export function tickedSteps(body: string): Set<string> {
  const done = new Set<string>();
  for (const m of body.matchAll(/^- \[[xX]\] .*<!-- step ([^\n]*?) -->\s*$/gm)) done.add(unhtml(m[1]!));
  return done;
}

function md(text: string): string {
  return clean(redactSecrets(text)).replace(/[\\`*_[\]<>|~&@#]/g, (ch) => `\\${ch}`);
}

function code(text: string): string {
  const t = clean(redactSecrets(text));
  return /[`|]/.test(t) ? md(text) : `\`${t}\``;
}

/** Text whose `backticked` parts are commands: those become code spans, the rest is escaped. */
function mdInline(text: string): string {
  return text
    .split(/(`[^`\n]+`)/)
    .map((part) => (part.startsWith('`') && part.endsWith('`') && part.length > 1 ? code(part.slice(1, -1)) : md(part)))
    .join('');
}

function html(text: string): string {
  return clean(redactSecrets(text)).replace(/[&<>"'-]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function unhtml(text: string): string {
  return text.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));
}
