/**
 * docs/runbook-format.md and docs/verify-format.md describe what `runbook --format json` and
 * `verify --format json` print. Each doc's example is the output of the run below (a git repository
 * with two commits; the real sandbox for verify): its fields must be the real output's fields, and
 * every field the real output has must be in the doc's tables.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createKey, startTestOrg, type TestOrg } from '../helpers/sandbox.js';

// The policies of the docs' examples.
const ORG = `version: 2
org: org_sandbox
admins: ["@acme/platform"]
models: [openai/gpt-oss-120b, openai/gpt-oss-20b]
spending:
  monthly_cap_usd: 100
  alert_thresholds_usd: [50]
  alert_recipients: [platform@acme.example]
`;
const TEAM = `team: chatbot
owners: ["@acme/chatbot"]
projects:
  - name: chatbot-prod
    models: [openai/gpt-oss-120b]
    limits:
      default: {requests_per_day: 1000, tokens_per_minute: 50000}
    keys:
      - name: chatbot-prod-web
        rotation:
          deliver:
            - github: {repository: acme/chatbot, environment: production, secret: GROQ_API_KEY}
`;
const CHANGED_TEAM =
  TEAM.replace('tokens_per_minute: 50000', 'tokens_per_minute: 40000') +
  `  - name: chatbot-eval
    models: [openai/gpt-oss-20b]
    keys:
      - name: chatbot-eval-runner
`;

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, '-c', 'user.email=t@example.com', '-c', 'user.name=t', '-c', 'commit.gpgsign=false', ...args], {
    encoding: 'utf8',
  }).trim();
}

/** main holds the policies above; the checked-out branch raises the spend limit, adds a project with a key, lowers a limit. */
function repository(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-formats-'));
  fs.mkdirSync(path.join(dir, 'policies', 'teams'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'policies', 'org.yaml'), ORG);
  fs.writeFileSync(path.join(dir, 'policies', 'teams', 'chatbot.yaml'), TEAM);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'base');
  git(dir, 'checkout', '-q', '-b', 'change');
  fs.writeFileSync(path.join(dir, 'policies', 'org.yaml'), ORG.replace('monthly_cap_usd: 100', 'monthly_cap_usd: 250'));
  fs.writeFileSync(path.join(dir, 'policies', 'teams', 'chatbot.yaml'), CHANGED_TEAM);
  git(dir, 'commit', '-q', '-am', 'change');
  return dir;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every field path in a JSON value, arrays as `[]`: `steps[].data.fields[].after`. */
function fieldPaths(value: Json, prefix = ''): Set<string> {
  const out = new Set<string>();
  const walk = (v: Json, at: string) => {
    if (Array.isArray(v)) for (const item of v) walk(item, `${at}[]`);
    else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        const p = at === '' ? k : `${at}.${k}`;
        out.add(p);
        walk(child, p);
      }
    }
  };
  walk(value, prefix);
  return out;
}

/** The fields directly under `at` (`''`, `steps[]`, `projects[].matches[]`), across every element. */
function fieldsAt(value: Json, at: string): Set<string> {
  const depth = at === '' ? 0 : at.split('.').length;
  return new Set(
    [...fieldPaths(value)]
      .filter((p) => (at === '' ? !p.includes('.') : p.startsWith(`${at}.`) && p.split('.').length === depth + 1))
      .map((p) => p.split('.').at(-1)!),
  );
}

interface Doc {
  example: Json;
  /** Per `<!-- fields: A B -->` marker, the first-column names of the table that follows it. */
  tables: { at: string[]; names: Set<string> }[];
  /** The `action` → `data` table, when the doc has one. */
  dataByAction: Map<string, string[]>;
}

function readDoc(file: string): Doc {
  const text = fs.readFileSync(path.resolve('docs', file), 'utf8');
  const example = JSON.parse(/```json\n([\s\S]*?)\n```/.exec(text)![1]!) as Json;
  const tables: Doc['tables'] = [];
  const dataByAction = new Map<string, string[]>();
  const sections = text.split(/^(?=<!-- )/m).slice(1);
  for (const section of sections) {
    // Body rows only: a header row is the one followed by |---|.
    const lines = section.split('\n');
    const rows = lines.filter((l, i) => /^\| `[^`]+` \|/.test(l) && !lines[i + 1]?.startsWith('|---'));
    const marker = /^<!-- (fields:([^>]*)|data by action) -->/.exec(section)!;
    if (marker[1] === 'data by action') {
      for (const row of rows) {
        const [, action, data] = /^\| `([^`]+)` \| (.*) \|$/.exec(row)!;
        dataByAction.set(
          action!,
          [...data!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!),
        );
      }
    } else {
      const at = marker[2]!.trim().split(/\s+/).filter(Boolean);
      tables.push({ at: at.length === 0 ? [''] : at, names: new Set(rows.map((r) => /^\| `([^`]+)` \|/.exec(r)![1]!)) });
    }
  }
  return { example, tables, dataByAction };
}

/** The doc's example has the real output's fields, and its tables name every field the real output has. */
function expectDocuments(doc: Doc, real: Json): void {
  expect([...fieldPaths(doc.example)].sort()).toEqual([...fieldPaths(real)].sort());
  expect(doc.tables.length).toBeGreaterThan(0);
  for (const table of doc.tables) {
    for (const at of table.at) {
      const fields = fieldsAt(real, at);
      expect(fields.size, `the real output has fields under "${at}"`).toBeGreaterThan(0);
      for (const f of fields) expect(table.names, `"${at}" field ${f} is documented`).toContain(f);
    }
  }
}

describe('the JSON formats the docs describe', () => {
  let dir: string;
  let org: TestOrg;
  let key: string;
  beforeAll(async () => {
    dir = repository();
    org = await startTestOrg({ orgId: 'org_sandbox' });
    await org.client.setOrgModelPermissions({ mode: 'allow_list', model_ids: ['openai/gpt-oss-120b', 'openai/gpt-oss-20b'] });
    const project = await org.request('POST', '/openai/v1/organization/projects', { body: { name: 'chatbot-prod' } });
    await org.client.setProjectModelPermissions(project.body.id, { mode: 'allow_list', model_ids: ['openai/gpt-oss-120b'] });
    for (const model of ['openai/gpt-oss-120b', 'openai/gpt-oss-20b']) {
      await org.client.updateProjectRateLimit(project.body.id, `rl-${model}`, {
        max_requests_per_1_day: 1000,
        max_tokens_per_1_minute: 50000,
      });
    }
    key = (await createKey(org, project.body.id, 'chatbot-prod-web')).value;
  });
  afterAll(async () => {
    await org.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("docs/runbook-format.md: the example's fields, every field in a table, and each action's data", async () => {
    const run = await runCli(['runbook', '--since', 'main', '--format', 'json'], { cwd: dir });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(2);
    const real = JSON.parse(run.stdout) as { format_version: number; steps: { action: string; data: Record<string, unknown> }[] };
    const doc = readDoc('runbook-format.md');
    expect((doc.example as { format_version: number }).format_version).toBe(real.format_version);
    expectDocuments(doc, real as unknown as Json);
    // Every action the runbook can take has its data documented, and the real steps' data is that.
    const actions = /export type StepAction =([^;]*);/
      .exec(fs.readFileSync('src/plan/runbook.ts', 'utf8'))![1]!
      .match(/'[a-z_]+'/g)!
      .map((a) => a.slice(1, -1));
    expect([...doc.dataByAction.keys()].sort()).toEqual(actions.sort());
    expect(new Set(real.steps.map((s) => s.action)).size).toBeGreaterThanOrEqual(4);
    for (const s of real.steps) expect(Object.keys(s.data).sort(), s.action).toEqual([...doc.dataByAction.get(s.action)!].sort());
  });

  it("docs/verify-format.md: the example's fields and every field in a table", async () => {
    const run = await runCli(['verify', '--project', 'chatbot-prod', '--format', 'json', '--base-url', org.sandbox.url], {
      cwd: dir,
      env: { GROQ_API_KEY: key },
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(2);
    expect(run.stdout).not.toContain(key);
    const real = JSON.parse(run.stdout) as { format_version: number };
    const doc = readDoc('verify-format.md');
    expect((doc.example as { format_version: number }).format_version).toBe(real.format_version);
    expectDocuments(doc, real as Json);
  });
});
