/**
 * Hostile input: the invalid corpus (test/fixtures/invalid) and 10,000 random mutations of the
 * example policies. Each ends in a valid DesiredState that keeps the policy language's invariants,
 * or in clear diagnostics (file:line:column, a message, bounded in number); never a thrown error, a
 * stack trace or "a bug in groq-rbac". Hundreds go through `groq-rbac plan` against a sandbox that
 * must see no request at all.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LIMIT } from '../../src/core/limits.js';
import { formatDiagnostic, MAX_DIAGNOSTICS } from '../../src/policy/diagnostics.js';
import { readPolicies, type PolicyResult } from '../../src/policy/read-policies.js';
import type { DesiredState, LimitsPolicy } from '../../src/policy/types.js';
import { runCliScanned } from './helpers/cli.js';
import { trackFigures } from './helpers/figures.js';
import { startResilientOrg, type ResilientOrg } from './helpers/org.js';
import { scanner } from './helpers/secrets.js';

const EXAMPLES = path.resolve('policies');
const CORPUS = path.resolve('test/fixtures/invalid');
const GENERATED = 10_000;
const CLI_CASES = 300;

/** Problems with one result: an empty list when it is a valid state or clear diagnostics. */
export function judge(result: PolicyResult): string[] {
  const problems: string[] = [];
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (result.desired && errors.length > 0) problems.push('a desired state despite errors');
  if (!result.desired && errors.length === 0) problems.push('no desired state and no error');
  // The step budget on output: capped, whatever the input.
  if (result.diagnostics.length > MAX_DIAGNOSTICS + result.files.length + 1)
    problems.push(`${result.diagnostics.length} diagnostics printed`);
  for (const d of result.diagnostics) {
    const text = formatDiagnostic(d);
    if (!d.file || !Number.isInteger(d.line) || d.line < 1 || !Number.isInteger(d.column) || d.column < 1)
      problems.push(`no file:line:column: ${text}`);
    if (typeof d.message !== 'string' || d.message.trim() === '') problems.push(`an empty message: ${text}`);
    if (/\bundefined\b|\[object Object\]|\bNaN\b|^\s+at .+:\d+:\d+\)?$|bug in groq-rbac/m.test(`${d.message} ${d.hint ?? ''}`))
      problems.push(`an unclear message: ${text}`);
  }
  if (result.desired) problems.push(...invariants(result.desired));
  return problems;
}

/** What every valid DesiredState keeps, whatever the YAML said. */
function invariants(d: DesiredState): string[] {
  const out: string[] = [];
  const unique = (what: string, names: string[]) => {
    const seen = new Set<string>();
    for (const n of names) {
      if (seen.has(n)) out.push(`${what} "${n}" twice`);
      seen.add(n);
    }
  };
  unique(
    'team',
    d.teams.map((t) => t.name),
  );
  unique(
    'project',
    d.projects.map((p) => p.name),
  );
  unique(
    'key',
    d.keys.map((k) => k.name),
  );
  const projects = new Set(d.projects.map((p) => p.name));
  const limits = (where: string, l: LimitsPolicy) => {
    for (const set of [l.default, ...Object.values(l.models)]) {
      for (const [field, v] of Object.entries(set))
        if (!(Number.isSafeInteger(v) && v >= 1 && v <= MAX_LIMIT))
          out.push(`${where}: ${field} ${v} is not an integer in 1..${MAX_LIMIT}`);
    }
  };
  limits('org', d.org.limits);
  for (const t of d.teams)
    if (!/^[a-z0-9][a-z0-9._-]*$/i.test(t.name) || t.name.length > 100)
      out.push(`team name ${JSON.stringify(t.name)} is unsafe in CODEOWNERS and file names`);
  for (const p of d.projects) limits(`project ${p.name}`, p.limits);
  for (const k of d.keys) {
    if (!projects.has(k.project)) out.push(`key ${k.name} in unknown project ${k.project}`);
    const r = k.rotation;
    if (!(
      Number.isSafeInteger(r.everySeconds) &&
      r.everySeconds > 0 &&
      r.quietPeriodSeconds >= 0 &&
      r.minOverlapSeconds >= 0 &&
      r.minOverlapSeconds <= r.quietPeriodSeconds
    ))
      out.push(`key ${k.name}: rotation ${JSON.stringify(r)}`);
    for (const t of r.deliver) {
      if (
        t.kind === 'file' &&
        (t.path.split(/[/\\]/).includes('..') || (t.mode !== undefined && !['600', '0600', '400', '0400'].includes(t.mode)))
      )
        out.push(`key ${k.name}: file target ${JSON.stringify(t)}`);
    }
  }
  const s = d.org.spending;
  if (s && !(s.monthly_cap_usd === null || (Number.isFinite(s.monthly_cap_usd) && s.monthly_cap_usd >= 0)))
    out.push(`spend cap ${s.monthly_cap_usd}`);
  if (s && s.alert_thresholds_usd.some((t) => !Number.isFinite(t) || t < 0))
    out.push(`alert thresholds ${s.alert_thresholds_usd.join(', ')}`);
  return out;
}

// ---- mutations ----

const HOSTILE_SCALARS = [
  '1e300',
  '-1',
  '0',
  '-0',
  '9007199254740993',
  '1.5',
  '0x10',
  '.inf',
  '-.inf',
  '.nan',
  '~',
  'null',
  'true',
  '""',
  "''",
  '[]',
  '{}',
  '[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]',
  '{a: {b: {c: {d: {e: {f: {}}}}}}}',
  '*anchor',
  '&anchor x',
  '!!binary aGVsbG8=',
  '!!js/function "f() {}"',
  '!custom x',
  '"\\u0000"',
  '"\\uFEFF"',
  '"\u202Eevil"',
  '"x.yaml @evil\\n* @evil"',
  '../../../../root/.ssh/authorized_keys',
  '"777"',
  '"@acme/x\\n* @evil"',
  `"${'x'.repeat(5000)}"`,
  '2026-11-29',
  '90d',
  '0s',
  '-5d',
  '1h30m',
  '999999999999999999999d',
  '"\u00e9\u00e8\u4e2d\u{1F600}"',
  '<<: *a',
  '? complex',
  '|',
  '>-',
];
const HOSTILE_SNIPPETS = [
  '\n',
  ': ',
  '- ',
  '{',
  '}',
  '[',
  ']',
  '"',
  "'",
  '\t',
  '#',
  '&a ',
  '*a',
  '%YAML 1.1\n',
  '---\n',
  '...\n',
  '\u0000',
  '\uFEFF',
  '\r',
  '  ',
  'x: y\n',
  '<<: *a\n',
  '? ',
  '!!str ',
  '\\',
  '@',
];
const FIELD_NAMES = [
  'version',
  'org',
  'admins',
  'models',
  'block',
  'limits',
  'default',
  'spending',
  'monthly_cap_usd',
  'alert_thresholds_usd',
  'alert_recipients',
  'unmanaged',
  'safety',
  'rotation',
  'every',
  'quiet_period',
  'min_overlap',
  'trigger',
  'deliver',
  'file',
  'path',
  'mode',
  'github',
  'vault',
  'team',
  'owners',
  'projects',
  'name',
  'keys',
  'protect',
  'description',
  'requests_per_minute',
  'tokens_per_minute',
  'requests_per_day',
  'tokens_per_day',
  'secret',
  'repository',
  'environment',
  'field',
  'address',
];

type TextMutation =
  | { op: 'deleteLine' | 'duplicateLine'; at: number }
  | { op: 'swapLines'; at: number; other: number }
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; text: string }
  | { op: 'replaceValue'; at: number; value: string }
  | { op: 'reindent'; at: number; by: number }
  | { op: 'renameField'; at: number; name: string }
  | { op: 'addField'; at: number; name: string; value: string }
  | { op: 'flip'; at: number; char: string };

type FileMutation =
  | 'none'
  | 'uppercase-extension'
  | 'yml-extension'
  | 'subfolder'
  | 'unsafe-name'
  | 'org-yml-beside'
  | 'teams-is-a-file'
  | 'no-org'
  | 'empty'
  | 'binary'
  | 'duplicate-team-file'
  | 'symlink';

const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  fc.record({ op: fc.constantFrom('deleteLine' as const, 'duplicateLine' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('swapLines' as const), at: fc.nat(), other: fc.nat() }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    op: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(fc.constantFrom(...HOSTILE_SNIPPETS), fc.string({ maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 4 })),
  }),
  fc.record({
    op: fc.constant('replaceValue' as const),
    at: fc.nat(),
    value: fc.oneof(
      fc.constantFrom(...HOSTILE_SCALARS),
      fc.integer().map(String),
      fc.double().map(String),
      fc.string({ maxLength: 12 }).map((s) => JSON.stringify(s)),
    ),
  }),
  fc.record({ op: fc.constant('reindent' as const), at: fc.nat(), by: fc.integer({ min: -4, max: 4 }) }),
  fc.record({
    op: fc.constant('renameField' as const),
    at: fc.nat(),
    name: fc.oneof(fc.constantFrom(...FIELD_NAMES), fc.string({ maxLength: 10 })),
  }),
  fc.record({
    op: fc.constant('addField' as const),
    at: fc.nat(),
    name: fc.constantFrom(...FIELD_NAMES),
    value: fc.constantFrom(...HOSTILE_SCALARS),
  }),
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), char: fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }) }),
);

const fileMutation: fc.Arbitrary<FileMutation> = fc.oneof(
  { weight: 20, arbitrary: fc.constant('none' as const) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<FileMutation>(
      'uppercase-extension',
      'yml-extension',
      'subfolder',
      'unsafe-name',
      'org-yml-beside',
      'teams-is-a-file',
      'no-org',
      'empty',
      'binary',
      'duplicate-team-file',
      'symlink',
    ),
  },
);

function applyText(text: string, m: TextMutation): string {
  const lines = text.split('\n');
  const i = m.at % Math.max(1, lines.length);
  const valueLines = lines.map((l, n) => [l, n] as const).filter(([l]) => /^\s*-?\s*[\w./-]+:\s*\S/.test(l));
  switch (m.op) {
    case 'deleteLine':
      lines.splice(i, 1);
      return lines.join('\n');
    case 'duplicateLine':
      lines.splice(i, 0, lines[i] ?? '');
      return lines.join('\n');
    case 'swapLines': {
      const j = m.other % Math.max(1, lines.length);
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      return lines.join('\n');
    }
    case 'truncate':
      return text.slice(0, m.at % (text.length + 1));
    case 'insert': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.text + text.slice(at);
    }
    case 'flip': {
      const at = m.at % Math.max(1, text.length);
      return text.slice(0, at) + m.char + text.slice(at + 1);
    }
    case 'replaceValue': {
      if (valueLines.length === 0) return text;
      const [line, n] = valueLines[m.at % valueLines.length]!;
      lines[n] = line.replace(/^(\s*-?\s*[\w./-]+:\s*).*$/, `$1${m.value}`);
      return lines.join('\n');
    }
    case 'reindent': {
      const line = lines[i] ?? '';
      lines[i] = m.by >= 0 ? ' '.repeat(m.by) + line : line.replace(new RegExp(`^ {0,${-m.by}}`), '');
      return lines.join('\n');
    }
    case 'renameField': {
      if (valueLines.length === 0) return text;
      const [line, n] = valueLines[m.at % valueLines.length]!;
      lines[n] = line.replace(/^(\s*-?\s*)[\w./-]+:/, `$1${m.name}:`);
      return lines.join('\n');
    }
    case 'addField': {
      const indent = /^\s*/.exec(lines[i] ?? '')![0].replace('-', ' ');
      lines.splice(i, 0, `${indent}${m.name}: ${m.value}`);
      return lines.join('\n');
    }
  }
}

/** The example files, read once: one is mutated per case, in a workspace holding org.yaml and that file. */
const originals = new Map<string, string>();
let work: string;
let org: ResilientOrg;
const figures = { corpus: 0, generated: 0, valid: 0, invalid: 0, diagnostics: 0, cliRuns: 0, requestsSeen: 0 };
const part = trackFigures('hostile-input', 2);

beforeAll(async () => {
  originals.set('org.yaml', fs.readFileSync(path.join(EXAMPLES, 'org.yaml'), 'utf8'));
  for (const f of fs.readdirSync(path.join(EXAMPLES, 'teams')).sort())
    originals.set(`teams/${f}`, fs.readFileSync(path.join(EXAMPLES, 'teams', f), 'utf8'));
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-hostile-'));
  org = await startResilientOrg({ orgId: 'org_sandbox' });
});

afterAll(async () => {
  const requests = await org.requestCount();
  await org.close();
  fs.rmSync(work, { recursive: true, force: true });
  const leaks = scanner.findings();
  part.record({ ...figures, requestsSeen: requests, leaks: leaks.length, bytesScanned: scanner.bytesScanned });
  expect(requests).toBe(0);
  expect(leaks).toEqual([]);
});

/** Writes one case into a fresh policies directory and returns it. */
function writeCase(n: number, target: string, text: string, file: FileMutation): string {
  const dir = path.join(work, `case-${n}`, 'policies');
  fs.mkdirSync(path.join(dir, 'teams'), { recursive: true });
  const files = new Map([['org.yaml', originals.get('org.yaml')!]]);
  // Team files name the org's models; with the org mutated, one team file is enough to check against.
  files.set(target === 'org.yaml' ? 'teams/chatbot.yaml' : target, originals.get(target === 'org.yaml' ? 'teams/chatbot.yaml' : target)!);
  files.set(target, text);
  for (const [name, content] of files) fs.writeFileSync(path.join(dir, name), content);
  const team = [...files.keys()].find((f) => f.startsWith('teams/'))!;
  const teamPath = path.join(dir, team);
  switch (file) {
    case 'none':
      break;
    case 'uppercase-extension':
      fs.renameSync(teamPath, teamPath.replace(/\.yaml$/, '.YAML'));
      break;
    case 'yml-extension':
      fs.renameSync(teamPath, teamPath.replace(/\.yaml$/, '.yml'));
      break;
    case 'subfolder':
      fs.mkdirSync(path.join(dir, 'teams', 'nested'));
      fs.renameSync(teamPath, path.join(dir, 'teams', 'nested', path.basename(teamPath)));
      break;
    case 'unsafe-name':
      fs.renameSync(teamPath, path.join(dir, 'teams', 'x.yaml @evil\n* @evil\n#.yaml'));
      break;
    case 'org-yml-beside':
      fs.writeFileSync(path.join(dir, 'org.yml'), originals.get('org.yaml')!);
      break;
    case 'teams-is-a-file':
      fs.rmSync(path.join(dir, 'teams'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'teams'), 'not a directory\n');
      break;
    case 'no-org':
      fs.rmSync(path.join(dir, 'org.yaml'));
      break;
    case 'empty':
      fs.writeFileSync(teamPath, '');
      break;
    case 'binary':
      fs.writeFileSync(teamPath, Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 0x0a]));
      break;
    case 'duplicate-team-file':
      fs.writeFileSync(path.join(dir, 'teams', `copy-${path.basename(teamPath)}`), fs.readFileSync(teamPath));
      break;
    case 'symlink':
      fs.symlinkSync(teamPath, path.join(dir, 'teams', 'linked.yaml'));
      break;
  }
  return dir;
}

describe('hostile policy input', () => {
  it('the invalid corpus: every set is refused with clear diagnostics, and plan sends no request', async () => {
    const sets = fs
      .readdirSync(CORPUS)
      .filter((d) => fs.statSync(path.join(CORPUS, d)).isDirectory())
      .sort();
    expect(sets.length).toBeGreaterThanOrEqual(60);
    const unclear: string[] = [];
    for (const set of sets) {
      const dir = path.join(CORPUS, set);
      const result = readPolicies(dir, { cwd: CORPUS });
      const problems = judge(result);
      if (!result.desired && result.counts.errors === 0) problems.push('not refused');
      if (result.desired) problems.push('accepted');
      unclear.push(...problems.map((p) => `${set}: ${p}`));
      const cli = await runCliScanned(['plan', '--policies', dir, '--base-url', org.sandbox.url], {
        cwd: CORPUS,
        env: { GROQ_ADMIN_KEY: org.sandbox.adminKey },
        label: `corpus ${set}`,
      });
      if (cli.code !== 1 || !/error/.test(cli.stderr) || /bug in groq-rbac|\n\s+at /.test(cli.stderr))
        unclear.push(`${set}: plan exited ${cli.code}: ${cli.stderr.slice(0, 300)}`);
      figures.corpus += 1;
      figures.cliRuns += 1;
    }
    expect(unclear).toEqual([]);
    expect(await org.requestCount()).toBe(0);
  });

  it(`${GENERATED} mutations of the example policies: a valid state or clear diagnostics, never a throw`, async () => {
    const targets = [...originals.keys()];
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.nat(targets.length - 1),
        fc.array(textMutation, { minLength: 1, maxLength: 3 }),
        fileMutation,
        async (t, mutations, file) => {
          const target = targets[t]!;
          const text = mutations.reduce(applyText, originals.get(target)!);
          const dir = writeCase(n++, target, text, file);
          try {
            const result = readPolicies(dir, { cwd: path.dirname(dir) });
            expect(judge(result)).toEqual([]);
            figures.generated += 1;
            figures.diagnostics += result.diagnostics.length;
            if (result.desired) figures.valid += 1;
            else {
              figures.invalid += 1;
              // A few hundred of the refused ones through the CLI: exit 1, diagnostics, no request.
              if (figures.cliRuns - figures.corpus < CLI_CASES) {
                const cli = await runCliScanned(['plan', '--policies', 'policies', '--base-url', org.sandbox.url], {
                  cwd: path.dirname(dir),
                  env: { GROQ_ADMIN_KEY: org.sandbox.adminKey },
                  label: `generated case ${n}`,
                });
                expect(cli.code).toBe(1);
                expect(cli.stderr).toMatch(/:\d+:\d+: error: /);
                expect(cli.stderr).not.toMatch(/bug in groq-rbac|\n\s+at /);
                figures.cliRuns += 1;
              }
            }
          } finally {
            fs.rmSync(path.dirname(dir), { recursive: true, force: true });
          }
        },
      ),
      { numRuns: GENERATED, seed: 20_261_129, endOnFailure: true },
    );
    expect(figures.cliRuns - figures.corpus).toBe(CLI_CASES);
    expect(await org.requestCount()).toBe(0);
  });
});
