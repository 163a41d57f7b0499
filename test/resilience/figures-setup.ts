import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

/** The parts that each record their figures once all their cases passed (see helpers/figures.ts). */
const PARTS = ['faults', 'crashes', 'openai-faults', 'openai-crashes', 'concurrency', 'hostile-input', 'secrets'] as const;
const DOC = path.resolve('docs/reliability.md');
const BEGIN = '<!-- figures:begin (written by npm run test:resilience) -->';
const END = '<!-- figures:end -->';

type Figures = Record<string, number>;

/**
 * Hands each test file a directory for its figures; at the end sums them, prints one summary line,
 * and, when every part ran in full, rewrites the figures block of docs/reliability.md.
 */
export default function setup(project: TestProject): () => void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-figures-'));
  project.provide('resilienceFiguresDir', dir);
  return () => {
    const parts = new Map<string, Figures>();
    for (const part of PARTS) {
      const file = path.join(dir, `${part}.json`);
      if (fs.existsSync(file)) parts.set(part, JSON.parse(fs.readFileSync(file, 'utf8')) as Figures);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    if (parts.size === 0) return;
    const lines = summarise(parts);
    console.log(`\nresilience: ${lines.join('; ')}\n`);
    const missing = PARTS.filter((p) => !parts.has(p));
    if (missing.length > 0) {
      console.log(`resilience: docs/reliability.md not updated: ${missing.join(', ')} did not run in full\n`);
      return;
    }
    if (!fs.existsSync(DOC)) return;
    const doc = fs.readFileSync(DOC, 'utf8');
    const begin = doc.indexOf(BEGIN);
    const end = doc.indexOf(END);
    if (begin < 0 || end < begin) return;
    const block = `${BEGIN}\n${table(parts)}\n${END}`;
    const next = doc.slice(0, begin) + block + doc.slice(end + END.length);
    if (next !== doc) fs.writeFileSync(DOC, next);
  };
}

const n = (x: number | undefined) => (x ?? 0).toLocaleString('en-US');
const sum = (parts: Map<string, Figures>, field: string) => [...parts.values()].reduce((s, f) => s + (f[field] ?? 0), 0);

function summarise(parts: Map<string, Figures>): string[] {
  const out: string[] = [];
  const f = parts.get('faults');
  if (f) out.push(`${n(f.casesRun)} fault cases, ${n(f.faultsInjected)} faults injected into ${n(f.changesPlanned)} planned changes`);
  const c = parts.get('crashes');
  if (c) out.push(`${n(c.casesRun)} crash seeds (${n(c.kills)} SIGKILLs)`);
  const of = parts.get('openai-faults');
  if (of)
    out.push(
      `OpenAI: ${n(of.casesRun)} fault cases, ${n(of.faultsInjected)} faults injected into ${n(of.changesPlanned)} planned changes (${n(of.lostCreates)} create answers lost)`,
    );
  const oc = parts.get('openai-crashes');
  if (oc) out.push(`OpenAI: ${n(oc.casesRun)} crash seeds (${n(oc.kills)} SIGKILLs)`);
  const k = parts.get('concurrency');
  if (k) out.push(`${n(k.casesRun)} concurrency cases (${n(k.applies)} applies)`);
  const h = parts.get('hostile-input');
  if (h)
    out.push(`${n((h.corpus ?? 0) + (h.generated ?? 0))} hostile inputs (${n(h.cliRuns)} through the CLI, ${n(h.requestsSeen)} requests)`);
  out.push(
    `${(sum(parts, 'bytesScanned') / 1e6).toFixed(1)} MB scanned for ${n(sum(parts, 'secrets'))} secrets: ${n(sum(parts, 'leaks'))} leaks`,
  );
  out.push(`duplicates found: ${n(sum(parts, 'duplicates'))}`);
  out.push(`cases failing: ${n(sum(parts, 'casesFailed'))}`);
  return out;
}

function table(parts: Map<string, Figures>): string {
  const f = parts.get('faults')!;
  const c = parts.get('crashes')!;
  const k = parts.get('concurrency')!;
  const h = parts.get('hostile-input')!;
  const s = parts.get('secrets')!;
  const of = parts.get('openai-faults')!;
  const oc = parts.get('openai-crashes')!;
  const rows = [
    ['Fault cases (kind × endpoint, plus compound and seeded mixes)', n(f.casesRun)],
    ['Faults injected (requests that met one)', n(f.faultsInjected)],
    ['Changes planned under faults (~200 per case)', n(f.changesPlanned)],
    ['Outcomes failed or skipped under faults, each finished by the one re-run', n(f.failedOutcomes)],
    ['Re-runs needed (at most one per case)', n(f.reruns)],
    ['Crash seeds (SIGKILL of `groq-rbac apply`)', n(c.casesRun)],
    ['Kills before the server committed / after', `${n(c.killsBeforeCommit)} / ${n(c.killsAfterCommit)}`],
    ['Re-runs after the kills, to convergence', n(c.reruns)],
    ['Keys issued in the crash runs, each delivered or deleted', n(c.keysIssued)],
    ['Inference requests by services holding delivered values (each must succeed)', n(c.servedRequests)],
    [
      'OpenAI fault cases (kind × endpoint, 429 with and without `retry-after`, lost create answers, compound and seeded mixes)',
      n(of.casesRun),
    ],
    ['OpenAI faults injected / changes planned under them (~160 per case)', `${n(of.faultsInjected)} / ${n(of.changesPlanned)}`],
    ['OpenAI service account creates whose answer was lost (each recovered: purged and made once)', n(of.lostCreates)],
    [
      'OpenAI outcomes failed or skipped under faults, each finished by the one re-run / re-runs',
      `${n(of.failedOutcomes)} / ${n(of.reruns)}`,
    ],
    ['OpenAI crash seeds (SIGKILL of `groq-rbac apply`, `provider: openai`)', n(oc.casesRun)],
    [
      'OpenAI kills before the server committed / after; re-runs to convergence',
      `${n(oc.killsBeforeCommit)} / ${n(oc.killsAfterCommit)}; ${n(oc.reruns)}`,
    ],
    [
      'OpenAI keys issued in the crash runs, each delivered or deleted; inference requests served',
      `${n(oc.keysIssued)}; ${n(oc.servedRequests)}`,
    ],
    ['Concurrency cases / applies started at once', `${n(k.casesRun)} / ${n(k.applies)}`],
    ['Hostile inputs: invalid corpus + generated mutations', `${n(h.corpus)} + ${n(h.generated)}`],
    ['Generated inputs valid / refused with diagnostics', `${n(h.valid)} / ${n(h.invalid)}`],
    ['Refused inputs run through `groq-rbac plan`; requests the sandbox saw', `${n(h.cliRuns)}; ${n(h.requestsSeen)}`],
    ['Secret-echo cases (admin key, key values, base-URL credentials)', n(s.echoCases)],
    ['Bytes of output scanned for secrets', n(sum(parts, 'bytesScanned'))],
    ['Secrets tracked (admin keys and every key value issued)', n(sum(parts, 'secrets'))],
    ['**Secrets found in output**', `**${n(sum(parts, 'leaks'))}**`],
    [
      '**Duplicates found** (projects, keys, generations, spend alerts; OpenAI: also orphaned service accounts and stale nonces)',
      `**${n(sum(parts, 'duplicates'))}**`,
    ],
    ['Cases run / failing', `${n(sum(parts, 'casesRun'))} / ${n(sum(parts, 'casesFailed'))}`],
  ];
  return ['| Figure | Value |', '|---|---:|', ...rows.map(([a, b]) => `| ${a} | ${b} |`)].join('\n');
}
