import { createTwoFilesPatch } from 'diff';
import type { ApplyReport, ChangeOutcome } from '../apply/apply-plan.js';
import { redactSecrets } from '../core/redact.js';
import { escapeMarkdown, oneLine } from '../core/sanitize.js';
import type { Diagnostic } from '../policy/diagnostics.js';
import { MARKDOWN_BUDGET, PLAN_COMMENT_MARKER, renderPlanMarkdown, splitMarkdown } from '../plan/render-markdown.js';
import type { Plan, Refusal } from '../plan/types.js';
import { bodyDigest, signFields } from './plan-signature.js';

/** GitHub rejects comment bodies over 65,536 characters. */
export const COMMENT_LIMIT = 65_536;
// Room for the part marker and the "part n of N" line that every extra part starts with.
const PART_HEADER_ROOM = 200;
// Past this many comments a pull request is all plan: post the short form and point at the job summary.
export const MAX_PARTS = 10;
// GitHub caps a job summary at 1 MiB.
const SUMMARY_LIMIT = 1_000_000;

/** What the sticky comment says, read back by `apply`: only a `planned` comment for the PR's last commit is an approval target. */
export interface CommentState {
  state: 'planned' | 'invalid' | 'stale' | 'applied' | 'refused' | 'failed';
  /** The fingerprint of the plan shown. */
  fingerprint: string | null;
  /** The pull request's head commit the plan was computed for. */
  head_sha: string | null;
  /** Set when the plan job signed the comment (plan-signature.ts): the pull request, the number of parts, the text's digest and the HMAC. */
  pr?: number;
  parts?: number;
  body_sha256?: string;
  sig?: string;
}

/** Who signs, and for which pull request; null: the comment goes out unsigned (apply will refuse it). */
export interface Signing {
  key: string;
  pr: number;
}

const STATE_PREFIX = '<!-- groq-rbac:state ';
const STATE_LINE = /^<!-- groq-rbac:state (\{[^\n]*\}) -->$/m;
const STATE_LINE_WITH_NEWLINE = /^<!-- groq-rbac:state \{[^\n]*\} -->\n?/m;

/** The state line as the plan job writes it: the exact text apply compares a comment's line with. */
export function stateLine(state: object): string {
  return `${STATE_PREFIX}${JSON.stringify(state)} -->`;
}

/** The first state line of a body, as written; null when there is none. */
export function rawStateLine(body: string): string | null {
  return STATE_LINE.exec(body)?.[0] ?? null;
}

/** A body without its state line: what a reader sees, and what the signature's digest covers. */
export function stripStateLine(body: string): string {
  return body.replace(STATE_LINE_WITH_NEWLINE, '');
}

export function partMarker(n: number): string {
  return n === 1 ? PLAN_COMMENT_MARKER : `<!-- groq-rbac:plan part ${n} -->`;
}

/** Which part of groq-rbac's comment a body is (1 for the main one), or null for any other comment. */
export function partOf(body: string): number | null {
  const text = body.trimStart();
  if (text.startsWith(PLAN_COMMENT_MARKER)) return 1;
  const m = /^<!-- groq-rbac:plan part (\d+) -->/.exec(text);
  return m ? Number(m[1]) : null;
}

export function readCommentState(body: string): CommentState | null {
  const m = STATE_LINE.exec(body);
  if (!m) return null;
  try {
    const data = JSON.parse(m[1]!) as Partial<CommentState>;
    if (typeof data.state !== 'string') return null;
    const state: CommentState = {
      state: data.state,
      fingerprint: typeof data.fingerprint === 'string' ? data.fingerprint : null,
      head_sha: typeof data.head_sha === 'string' ? data.head_sha : null,
    };
    if (typeof data.pr === 'number') state.pr = data.pr;
    if (typeof data.parts === 'number') state.parts = data.parts;
    if (typeof data.body_sha256 === 'string') state.body_sha256 = data.body_sha256;
    if (typeof data.sig === 'string') state.sig = data.sig;
    return state;
  } catch {
    return null;
  }
}

export interface RunInfo {
  /** The commit planned or applied. */
  sha: string;
  runUrl: string | null;
}

/**
 * A comment body's parts: the first starts with the marker and the state line; the others with
 * their part marker. Fences and `<details>` open at a cut are closed and reopened (splitMarkdown).
 * When even that takes more than MAX_PARTS comments, one short comment points at the job summary.
 */
export function commentParts(
  head: string[],
  planMarkdown: (budget: number) => string,
  state: CommentState,
  tail: string[],
  signing: Signing | null = null,
): { parts: string[]; full: string } {
  const compose = (md: string) => {
    // The renderer's body starts with the marker; ours goes first, with the state line after it.
    const rest = md.startsWith(PLAN_COMMENT_MARKER) ? md.slice(PLAN_COMMENT_MARKER.length).replace(/^\n/, '') : md;
    return [PLAN_COMMENT_MARKER, stateLine(state), ...head, rest.trimEnd(), '', ...tail].join('\n').trimEnd() + '\n';
  };
  let full = compose(planMarkdown(Number.POSITIVE_INFINITY));
  let parts = splitMarkdown(full, COMMENT_LIMIT - PART_HEADER_ROOM);
  if (parts.length > MAX_PARTS) parts = [compose(planMarkdown(MARKDOWN_BUDGET - 2_000))];
  if (full.length > SUMMARY_LIMIT) full = parts.length === 1 ? parts[0]! : compose(planMarkdown(MARKDOWN_BUDGET - 2_000));
  const n = parts.length;
  const out = parts.map((p, i) =>
    redactSecrets(i === 0 ? p : `${partMarker(i + 1)}\n<sub>groq-rbac plan, part ${i + 1} of ${n}</sub>\n\n${p}`),
  );
  if (signing) {
    // Signed last, over the text as posted (after redaction): the state line grows by ~200
    // characters, which PART_HEADER_ROOM leaves room for in the first part.
    const fields = {
      state: state.state,
      fingerprint: state.fingerprint,
      head_sha: state.head_sha,
      pr: signing.pr,
      parts: n,
      body_sha256: bodyDigest(out, stripStateLine),
    };
    const line = stateLine({ ...fields, sig: signFields(signing.key, fields) });
    out[0] = out[0]!.replace(STATE_LINE, () => line);
  }
  return { parts: out, full: redactSecrets(full) };
}

function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

function runLine(run: RunInfo, verb: string): string {
  return `<sub>${verb} for commit ${shortSha(run.sha)}${run.runUrl ? ` in [this run](${run.runUrl})` : ''}.</sub>`;
}

/** The plan on a pull request: what merging it applies, once approved. */
export function planCommentParts(
  plan: Plan,
  run: RunInfo,
  options: { requireApproval: boolean; signing?: Signing | null },
): { parts: string[]; full: string } {
  const signing = options.signing ?? null;
  const how = !signing
    ? '**This plan is not signed** (the plan job has no `plan-signing-key`): apply will not take it from this comment. Merging applies nothing until a maintainer applies a reviewed fingerprint by hand.'
    : options.requireApproval
      ? 'Merging applies exactly this plan, once reviewers with write access who own every changed file approve this commit.'
      : 'Merging applies exactly this plan.';
  return commentParts(
    [],
    (budget) => renderPlanMarkdown(plan, { budget }),
    { state: 'planned', fingerprint: plan.fingerprint, head_sha: run.sha },
    [
      runLine(run, 'Planned'),
      `<sub>${how} If the organization or the policies change before then, apply stops and posts the new plan here.</sub>`,
    ],
    signing,
  );
}

/** The policies do not validate: nothing to plan, and nothing a merge could apply. */
export function invalidCommentParts(diagnostics: readonly Diagnostic[], run: RunInfo): { parts: string[]; full: string } {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const lines = errors.map(
    (d) => `- \`${code(`${d.file}:${d.line}:${d.column}`)}\` ${escape(d.message)}${d.hint ? ` (${escape(d.hint)})` : ''}`,
  );
  const body = [
    `### groq-rbac: the policies do not validate`,
    '',
    `${errors.length} error${errors.length === 1 ? '' : 's'}; each is also marked on the diff.`,
    '',
    ...lines,
    '',
  ].join('\n');
  return commentParts([], () => body, { state: 'invalid', fingerprint: null, head_sha: run.sha }, [runLine(run, 'Checked')]);
}

/** Apply found a different plan than the approved one: nothing was changed. */
export function staleCommentParts(input: {
  plan: Plan;
  approved: string;
  approvedBody: string | null;
  run: RunInfo;
  workflowFile: string | null;
}): { parts: string[]; full: string } {
  const { plan, approved, run } = input;
  const head = [
    '> [!WARNING]',
    `> **Nothing was applied:** the plan changed since it was approved (approved ${code(approved.slice(0, 12))}…, now ${code(plan.fingerprint.slice(0, 12))}…). The organization or the policies changed after the review; the new plan is below.`,
    '',
    ...whatChanged(input.approvedBody, plan),
    '**How to proceed:** review the new plan below. If it is what you want, run the apply workflow by hand' +
      `${input.workflowFile ? ` (\`${code(input.workflowFile)}\`, "Run workflow")` : ' ("Run workflow" on the Actions tab)'} on the default branch with \`expect-fingerprint\` set to \`${plan.fingerprint}\`. ` +
      'If not, open a pull request that changes the policies.',
    '',
  ];
  return commentParts(
    head,
    (budget) => renderPlanMarkdown(plan, { budget }),
    { state: 'stale', fingerprint: plan.fingerprint, head_sha: null },
    [runLine(run, 'Planned again')],
  );
}

/** A line diff of the approved comment's plan and the new plan, when the approved comment is at hand. */
function whatChanged(approvedBody: string | null, plan: Plan): string[] {
  if (approvedBody === null) return [];
  // Only the plan: not the markers, the run lines or the blank lines they leave at the end.
  const strip = (md: string) =>
    `${md
      .split('\n')
      .filter((l) => !l.startsWith('<!--') && !l.startsWith('<sub>'))
      .join('\n')
      .trim()}\n`;
  const patch = createTwoFilesPatch(
    'approved plan',
    'plan now',
    strip(approvedBody),
    strip(renderPlanMarkdown(plan, { budget: Number.POSITIVE_INFINITY })),
    '',
    '',
    { context: 1 },
  );
  const lines = patch.split('\n');
  // Past the file header (`===`, `---`, `+++`): the hunks.
  const body = lines
    .slice(
      Math.max(
        0,
        lines.findIndex((l) => l.startsWith('@@')),
      ),
    )
    .filter((l) => l !== '\\ No newline at end of file');
  if (body.every((l) => l.trim() === '')) return [];
  const fence = '`'.repeat(Math.max(3, ...body.map((l) => Math.max(0, ...(l.match(/`+/g) ?? []).map((r) => r.length + 1)))));
  return [
    '<details open><summary><b>What changed since approval</b> (the approved comment against the new plan)</summary>',
    '',
    `${fence}diff`,
    ...body,
    fence,
    '',
    '</details>',
    '',
  ];
}

/** Safety refused the plan at apply time: nothing was changed. */
export function refusedCommentParts(plan: Plan, refusals: readonly Refusal[], run: RunInfo): { parts: string[]; full: string } {
  const head = ['> [!CAUTION]', '> **Apply refused; nothing was changed:**', ...refusals.map((r) => `> - ${escape(r.message)}`), ''];
  return commentParts(
    head,
    (budget) => renderPlanMarkdown(plan, { budget }),
    { state: 'refused', fingerprint: plan.fingerprint, head_sha: null },
    [runLine(run, 'Refused')],
  );
}

/** After apply: each change's outcome above the plan that was applied. */
export function appliedCommentParts(plan: Plan, report: ApplyReport | null, run: RunInfo): { parts: string[]; full: string } {
  const head =
    report === null ? ['> [!NOTE]', '> **Nothing to apply:** the organization already matches the policies.', ''] : outcomeLines(report);
  const ok = report === null || report.summary.failed + report.summary.skipped === 0;
  return commentParts(
    head,
    (budget) => renderPlanMarkdown(plan, { budget }),
    { state: ok ? 'applied' : 'failed', fingerprint: plan.fingerprint, head_sha: null },
    [runLine(run, 'Applied')],
  );
}

function outcomeLines(report: ApplyReport): string[] {
  const { applied, failed, skipped } = report.summary;
  const ok = failed + skipped === 0;
  const title = ok
    ? ['> [!NOTE]', `> **Applied:** ${applied} change${applied === 1 ? '' : 's'} made.`]
    : [
        '> [!CAUTION]',
        `> **Apply finished with ${failed} failed and ${skipped} skipped change${failed + skipped === 1 ? '' : 's'}** (${applied} applied). Nothing is retried by itself: fix the cause, then run the apply workflow by hand with \`expect-fingerprint\` set to the fingerprint of the plan of what is left (the drift workflow shows it).`,
      ];
  const rows = report.outcomes.map(
    (o) => `| ${STATUS[o.status]} | ${o.action} | ${escape(outcomeTitle(o))} | ${escape(o.message.split('\n')[0] ?? '')} |`,
  );
  return [
    ...title,
    '',
    "<details><summary>Every change's outcome</summary>",
    '',
    '| | Action | What | Result |',
    '|---|---|---|---|',
    ...rows,
    '',
    '</details>',
    '',
  ];
}

const STATUS: Record<ChangeOutcome['status'], string> = { applied: '✅', failed: '❌', skipped: '⏭️' };

function outcomeTitle(o: ChangeOutcome): string {
  if (o.resource === 'api_key') return `key "${o.key}" in ${o.project}`;
  if (o.resource === 'project') return `project ${o.project}`;
  return o.project ? `${o.resource.replace(/_/g, ' ')} of ${o.project}` : o.resource.replace(/_/g, ' ');
}

// Names and messages come from policies and the live org: keep them from breaking tables and markup.
function escape(text: string): string {
  return escapeMarkdown(redactSecrets(text));
}

function code(text: string): string {
  return oneLine(redactSecrets(text)).replace(/`/g, '');
}
