/**
 * Groq today (issue 19): runbook from a git history, deliver from standard input, verify against the
 * real sandbox's inference API (which answers as Groq documents: 403 bodies, spend blocks, 401s and
 * rate-limit headers).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createKey, startTestOrg, type TestOrg } from '../helpers/sandbox.js';

const ORG = `version: 2
org: org_sandbox
admins: ["@acme/platform"]
models: [openai/gpt-oss-120b, openai/gpt-oss-20b]
limits:
  default: {requests_per_day: 500000, tokens_per_minute: 1000000}
spending:
  monthly_cap_usd: 100
  alert_thresholds_usd: [50]
  alert_recipients: [platform@acme.example]
`;

const TEAM = `team: app
owners: ["@acme/app"]
projects:
  - name: app-prod
    models: [openai/gpt-oss-120b]
    limits:
      default: {requests_per_day: 1000, tokens_per_minute: 50000}
    keys:
      - name: app-prod-web
        rotation:
          deliver:
            - file: {path: .secrets/app/prod-web.key}
  - name: app-dev
    models: [openai/gpt-oss-20b]
    limits:
      default: {requests_per_day: 200, tokens_per_minute: 8000}
    keys:
      - name: app-dev-web
  - name: app-old
    keys:
      - name: app-old-batch
`;

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, '-c', 'user.email=t@example.com', '-c', 'user.name=t', '-c', 'commit.gpgsign=false', ...args], {
    encoding: 'utf8',
  }).trim();
}

function workspace(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-today-'));
  fs.mkdirSync(path.join(dir, 'policies', 'teams'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'policies', 'org.yaml'), ORG);
  fs.writeFileSync(path.join(dir, 'policies', 'teams', 'app.yaml'), TEAM);
  return dir;
}

/** A repository with two commits: the policies above, then `change` applied to them. */
function repoWithChange(change: (dir: string) => void): string {
  const dir = workspace();
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'base');
  git(dir, 'tag', 'base');
  git(dir, 'checkout', '-q', '-b', 'change');
  change(dir);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '--allow-empty', '-m', 'change');
  return dir;
}

const edit = (dir: string, file: string, fn: (t: string) => string) => {
  const p = path.join(dir, 'policies', file);
  fs.writeFileSync(p, fn(fs.readFileSync(p, 'utf8')));
};

// The base commit's id differs per run (commit times): snapshots show it as COMMIT.
const stable = (text: string) => text.replace(/\b[0-9a-f]{12}\b/g, 'COMMIT').replace(/[0-9a-f]{64}/g, 'FINGERPRINT');

describe('groq-rbac runbook', () => {
  it('turns every kind of change between two commits into numbered Console steps per page', async () => {
    const dir = repoWithChange((d) => {
      edit(d, 'org.yaml', (t) =>
        t
          .replace(
            'models: [openai/gpt-oss-120b, openai/gpt-oss-20b]',
            'models: [openai/gpt-oss-120b, openai/gpt-oss-20b, qwen/qwen3.8-27b]',
          )
          .replace('monthly_cap_usd: 100', 'monthly_cap_usd: 250')
          .replace('alert_thresholds_usd: [50]', 'alert_thresholds_usd: [200]'),
      );
      edit(
        d,
        'teams/app.yaml',
        (t) =>
          t
            // a project's models and limits
            .replace('    models: [openai/gpt-oss-20b]\n', '    models: [openai/gpt-oss-20b, qwen/qwen3.8-27b]\n')
            .replace(
              'default: {requests_per_day: 1000, tokens_per_minute: 50000}',
              'default: {requests_per_day: 1000, tokens_per_minute: 40000}',
            )
            // a rotation (new trigger), a new key, a removed project with its key
            .replace(
              '      - name: app-prod-web\n        rotation:\n',
              '      - name: app-prod-web\n        rotation:\n          trigger: "2026-11 leak"\n          quiet_period: 2h\n',
            )
            .replace(
              '      - name: app-dev-web\n',
              '      - name: app-dev-web\n      - name: app-dev-ci\n        rotation:\n          deliver:\n            - file: {path: .secrets/app/dev-ci.key}\n',
            )
            .replace('  - name: app-old\n    keys:\n      - name: app-old-batch\n', '') +
          // a new project with a key
          '  - name: app-eval\n    models: [qwen/qwen3.8-27b]\n    limits:\n      qwen/qwen3.8-27b: {requests_per_day: 100}\n    keys:\n      - name: app-eval-runner\n',
      );
    });
    const text = await runCli(['runbook', '--since', 'base'], { cwd: dir });
    expect(text.stderr).toBe('');
    expect(text.code).toBe(2);
    const out = text.stdout;
    // Organization model permissions, in the Console's words, with what to add.
    expect(out).toMatch(
      /1\. Model permissions of the organization: choose "Only Allow" with exactly openai\/gpt-oss-120b, openai\/gpt-oss-20b, qwen\/qwen3\.8-27b\n\s+\+ add qwen\/qwen3\.8-27b/,
    );
    // Spend limit and alerts on Settings → Billing → Limits.
    expect(out).toContain('Change the monthly spend limit from $100 to $250');
    expect(out).toContain('Add Alert at $200');
    expect(out).toContain('Remove the alert at $50');
    // Projects to create and delete, keys to create and where their value goes.
    expect(out).toContain('Create project "app-eval"');
    expect(out).toContain('Delete project "app-old"');
    expect(out).toMatch(/Its 1 API key \(app-old-batch\) stop working/);
    expect(out).toContain('Create API key "app-dev-ci" in project "app-dev"');
    expect(out).toContain('groq-rbac deliver --key app-dev-ci');
    expect(out).toContain('Create API key "app-eval-runner" in project "app-eval"');
    expect(out).toContain('The policies give "app-eval-runner" no delivery target');
    // A project's model permissions and its per-model limits, field and old -> new.
    expect(out).toContain('Model permissions of project "app-dev": choose "Only Allow" with exactly openai/gpt-oss-20b, qwen/qwen3.8-27b');
    expect(out).toContain('Tokens per minute (TPM): 50000 → 40000');
    expect(out).toContain("Requests per day (RPD): the organization's limit (a new project starts with it) → 100");
    // A rotation in stages, in order: create and deliver, wait for quiet, delete the old key.
    const create = out.indexOf('Create API key "app-prod-web" in project "app-prod" (rotation: new trigger "2026-11 leak")');
    const wait = out.indexOf('Wait until the old "app-prod-web" key is quiet: 2h without use');
    const del = out.indexOf('Delete the older API key named "app-prod-web"');
    expect(create).toBeGreaterThan(0);
    expect(wait).toBeGreaterThan(create);
    expect(del).toBeGreaterThan(wait);
    // Where the docs name no control, the step says so.
    expect(out).toContain('name no control for it');
    // Grouped by page: each heading is followed by where the page is.
    expect(out).toContain('Settings → Billing → Limits\n  where: https://console.groq.com/settings/billing');
    await expect(stable(out)).toMatchFileSnapshot('__snapshots__/runbook.txt');

    const md = await runCli(['runbook', '--since', 'base', '--format', 'markdown'], { cwd: dir });
    expect(md.code).toBe(2);
    expect(md.stdout.startsWith('<!-- groq-rbac:runbook -->\n### groq-rbac runbook for `org_sandbox`')).toBe(true);
    expect(md.stdout).toContain('`groq-rbac deliver --key app-dev-ci`');
    await expect(stable(md.stdout)).toMatchFileSnapshot('__snapshots__/runbook.md');

    const json = JSON.parse((await runCli(['runbook', '--since', 'base', '--format', 'json'], { cwd: dir })).stdout);
    expect(json.format_version).toBe(1);
    expect(json.from.ref).toBe('base');
    expect(json.steps.map((s: { n: number }) => s.n)).toEqual(json.steps.map((_: unknown, i: number) => i + 1));
    const limits = json.steps.find((s: { id: string }) => s.id === 'project:limits:app-prod:openai/gpt-oss-120b');
    expect(limits.checks).toEqual([
      { kind: 'limit', project: 'app-prod', model: 'openai/gpt-oss-120b', field: 'tokens_per_minute', value: 40000 },
    ]);
  });

  it('defaults to the merge base with main, and says when there is nothing to do', async () => {
    const dir = repoWithChange((d) =>
      edit(d, 'teams/app.yaml', (t) =>
        t.replace('  - name: app-old\n', '  - name: app-old\n    description: comments change nothing in the Console\n'),
      ),
    );
    const r = await runCli(['runbook'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/from commit [0-9a-f]{12} to the working tree/);
    expect(r.stdout).toContain('Nothing to do in the Groq Console');
  });

  it('refuses a revision that does not exist, clearly', async () => {
    const dir = repoWithChange(() => {});
    const r = await runCli(['runbook', '--since', 'no-such-branch'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot find revision no-such-branch');
  });
});

describe('groq-rbac deliver and verify against the sandbox', () => {
  let org: TestOrg;
  let dir: string;
  let ids: Record<string, string>;
  let keys: Record<string, string>;

  beforeAll(async () => {
    org = await startTestOrg({ orgId: 'org_sandbox' });
  });
  afterAll(async () => {
    await org.close();
  });

  /** The organization as the policies say, then `drift` applied to it. */
  async function setUp(drift: { prodModels?: string[] | null; prodTpm?: number } = {}) {
    await org.request('POST', '/_sandbox/reset');
    dir = workspace();
    ids = {};
    keys = {};
    await org.client.setOrgModelPermissions({ mode: 'allow_list', model_ids: ['openai/gpt-oss-120b', 'openai/gpt-oss-20b'] });
    const settings: Record<string, { models: string[] | null; rpd: number; tpm: number }> = {
      'app-prod': {
        models: drift.prodModels === undefined ? ['openai/gpt-oss-120b'] : drift.prodModels,
        rpd: 1000,
        tpm: drift.prodTpm ?? 50000,
      },
      'app-dev': { models: ['openai/gpt-oss-20b'], rpd: 200, tpm: 8000 },
    };
    for (const [name, s] of Object.entries(settings)) {
      const project = await org.request('POST', '/openai/v1/organization/projects', { body: { name } });
      ids[name] = project.body.id;
      if (s.models) await org.client.setProjectModelPermissions(project.body.id, { mode: 'allow_list', model_ids: s.models });
      for (const model of ['openai/gpt-oss-120b', 'openai/gpt-oss-20b']) {
        await org.client.updateProjectRateLimit(project.body.id, `rl-${model}`, {
          max_requests_per_1_day: s.rpd,
          max_tokens_per_1_minute: s.tpm,
        });
      }
      keys[name] = (await createKey(org, project.body.id, `${name}-web`)).value;
    }
  }

  const completions = async () => (await org.request('GET', '/_sandbox/stats')).body.by_route['POST /openai/v1/chat/completions'] ?? 0;
  const verify = (args: string[], env: NodeJS.ProcessEnv) => runCli(['verify', ...args, '--base-url', org.sandbox.url], { cwd: dir, env });
  const noKeyIn = (r: { stdout: string; stderr: string }) => {
    for (const value of Object.values(keys)) {
      expect(r.stdout).not.toContain(value);
      expect(r.stderr).not.toContain(value);
    }
    expect(r.stdout + r.stderr).not.toMatch(/gsk_[A-Za-z0-9]{8,}/);
  };

  beforeEach(async () => {
    await setUp();
  });

  it('deliver: reads the value from standard input, checks it with Groq, writes the file target, never prints it', async () => {
    const r = await runCli(['deliver', '--key', 'app-prod-web', '--base-url', org.sandbox.url], {
      cwd: dir,
      stdin: `${keys['app-prod']}\n`,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('delivered "app-prod-web" (project "app-prod") to 1 target');
    const file = path.join(dir, '.secrets', 'app', 'prod-web.key');
    expect(fs.readFileSync(file, 'utf8').trim()).toBe(keys['app-prod']);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    noKeyIn(r);
    expect((await org.request('GET', '/_sandbox/stats')).body.by_route['GET /openai/v1/models']).toBe(1);
  });

  it('deliver: refuses an empty input, a value Groq refuses, and a key with no target, delivering nothing', async () => {
    const empty = await runCli(['deliver', '--key', 'app-prod-web', '--base-url', org.sandbox.url], { cwd: dir, stdin: '' });
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('standard input is empty: pipe the key value in');
    const wrong = `gsk_${'x'.repeat(52)}`;
    const refused = await runCli(['deliver', '--key', 'app-prod-web', '--base-url', org.sandbox.url], { cwd: dir, stdin: wrong });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Groq refuses this value (401 invalid_api_key)');
    expect(refused.stderr).not.toContain(wrong);
    const none = await runCli(['deliver', '--key', 'app-dev-web', '--base-url', org.sandbox.url], { cwd: dir, stdin: keys['app-dev']! });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('has no delivery target');
    expect(fs.existsSync(path.join(dir, '.secrets'))).toBe(false);
    const plain = await runCli(['deliver', '--key', 'app-prod-web', '--base-url', 'http://example.com'], {
      cwd: dir,
      stdin: keys['app-prod']!,
    });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain('would send credentials in clear text');
  });

  it('deliver: only --sandbox-url keeps a GitHub target local; through --base-url the real target is used', async () => {
    const policy = path.join(dir, 'policies', 'teams', 'app.yaml');
    fs.writeFileSync(
      policy,
      fs
        .readFileSync(policy, 'utf8')
        .replace(
          '      - name: app-dev-web\n',
          '      - name: app-dev-web\n        rotation:\n          deliver:\n            - github: {repository: acme/app, secret: GROQ_API_KEY}\n',
        ),
    );
    const local = await runCli(['deliver', '--key', 'app-dev-web', '--sandbox-url', org.sandbox.url], {
      cwd: dir,
      stdin: keys['app-dev']!,
    });
    expect(local.stderr).toBe('');
    expect(local.code).toBe(0);
    const deliveries = path.join(dir, '.groq-rbac', 'deliveries');
    const written = fs.readdirSync(deliveries, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(written).toHaveLength(1);
    expect(fs.readFileSync(path.join(written[0]!.parentPath, written[0]!.name), 'utf8').trim()).toBe(keys['app-dev']);
    noKeyIn(local);
    fs.rmSync(deliveries, { recursive: true });
    // The same sandbox by --base-url is an organization like any other: its GitHub target is GitHub's.
    const real = await runCli(['deliver', '--key', 'app-dev-web', '--base-url', org.sandbox.url], { cwd: dir, stdin: keys['app-dev']! });
    expect(real.code).toBe(1);
    expect(real.stderr).toContain('github acme/app');
    expect(fs.existsSync(deliveries)).toBe(false);
    noKeyIn(real);
    const remote = await runCli(['deliver', '--key', 'app-dev-web', '--sandbox-url', 'https://sandbox.example.com'], {
      cwd: dir,
      stdin: keys['app-dev']!,
    });
    expect(remote.code).toBe(1);
    expect(remote.stderr).toContain('is not on this machine');
  });

  it('verify: a project that matches, with one probe per model and the tokens they used', async () => {
    const before = await completions();
    const r = await verify(['--project', 'app-prod'], { GROQ_API_KEY: keys['app-prod'] });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('= openai/gpt-oss-120b allowed, as the policies say');
    expect(r.stdout).toContain('= openai/gpt-oss-120b: requests per day 1000');
    expect(r.stdout).toContain('= openai/gpt-oss-120b: tokens per minute 50000');
    expect(r.stdout).toContain('= openai/gpt-oss-20b blocked at the project level, as the policies say');
    expect(r.stdout).toContain('Verify: 4 match, 0 differ, 0 could not be told.');
    // Two models named for app-prod (its own and the organization's): two requests, no more.
    expect(await completions()).toBe(before + 2);
    const tokens = /Probes: 2 requests \(0 retries after 429\), (\d+) tokens used/.exec(r.stdout);
    expect(tokens).not.toBeNull();
    expect(Number(tokens![1])).toBeGreaterThan(0);
    expect(Number(tokens![1])).toBeLessThan(10);
    noKeyIn(r);
  });

  it('verify: a model that should be blocked but answers is a difference, with the policy line', async () => {
    await setUp({ prodModels: null });
    const r = await verify(['--project', 'app-prod'], { GROQ_API_KEY: keys['app-prod'] });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(
      /~ openai\/gpt-oss-20b answers, but the policies block it at the project level {2}\(policies\/teams\/app\.yaml:5:13\)/,
    );
  });

  it('verify: a wrong limit is a difference naming the file and line that says otherwise', async () => {
    await setUp({ prodTpm: 40000 });
    const r = await verify(['--project', 'app-prod', '--format', 'json'], { GROQ_API_KEY: keys['app-prod'] });
    expect(r.code).toBe(2);
    const report = JSON.parse(r.stdout);
    expect(report.projects[0].differences).toEqual([
      expect.objectContaining({
        model: 'openai/gpt-oss-120b',
        what: 'tokens_per_minute',
        expected: 50000,
        observed: 40000,
        where: 'policies/teams/app.yaml:7:60',
      }),
    ]);
    expect(report.probes).toBe(2);
    noKeyIn(r);
  });

  it('verify: a reached spend limit is reported once and stops the probes', async () => {
    await org.client.setSpendLimit(10_000);
    await org.request('POST', '/_sandbox/spend', { body: { add_usd: 150 } });
    const before = await completions();
    const r = await verify(['--project', 'app-prod'], { GROQ_API_KEY: keys['app-prod'] });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("~ the organization's spend limit is reached: every request of every key gets 400 blocked_api_access");
    expect(r.stdout).toContain('(policies/org.yaml:8:20)');
    expect(await completions()).toBe(before + 1);
  });

  it('verify: a revoked key is reported, and nothing is probed after it', async () => {
    const listed = await org.client.listProjectKeys(ids['app-prod']!);
    await org.client.deleteProjectKey(ids['app-prod']!, listed[0]!.id);
    const before = await completions();
    const r = await verify(['--project', 'app-prod'], { GROQ_API_KEY: keys['app-prod'] });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('the key in GROQ_API_KEY answers 401 invalid_api_key');
    expect(await completions()).toBe(before + 1);
    noKeyIn(r);
  });

  it('verify: a key of another project is reported, not trusted', async () => {
    const r = await verify(['--project', 'app-prod'], { GROQ_API_KEY: keys['app-dev'] });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`answers with the limits and permissions of project "app-dev"'s policy, not "app-prod"'s`);
    expect(r.stdout).toContain('Verify: 0 match, 0 differ, 1 could not be told.');
  });

  it('verify --keys: several projects, a 429 retried after retry-after (never drift), at most one request per model per project plus retries', async () => {
    fs.writeFileSync(path.join(dir, 'keys.yaml'), 'app-prod: KEY_PROD\napp-dev: KEY_DEV\n');
    await org.request('POST', '/_sandbox/faults', {
      body: { faults: [{ method: 'POST', path: '/openai/v1/chat/completions', status: 429, retry_after: 1, times: 1 }] },
    });
    const before = await completions();
    const r = await verify(['--keys', 'keys.yaml', '--format', 'json'], { KEY_PROD: keys['app-prod'], KEY_DEV: keys['app-dev'] });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.projects.map((p: { project: string; key_from: string }) => `${p.project}:${p.key_from}`)).toEqual([
      'app-prod:KEY_PROD',
      'app-dev:KEY_DEV',
    ]);
    // 2 models per project, one request each, plus the one retry after the injected 429.
    expect(report.retries).toBe(1);
    expect(report.probes).toBe(5);
    expect(await completions()).toBe(before + 5);
    expect(
      report.projects.every((p: { differences: unknown[]; unknown: unknown[] }) => p.differences.length === 0 && p.unknown.length === 0),
    ).toBe(true);
    noKeyIn(r);
  });

  it('verify --keys: a key value in the keys file is refused with its position, and never echoed', async () => {
    const value = keys['app-prod']!;
    fs.writeFileSync(path.join(dir, 'keys.yaml'), `app-prod: ${value}\n`);
    const r = await verify(['--keys', 'keys.yaml'], {});
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('keys.yaml:1:11: this looks like a key value; write the NAME of the environment variable');
    noKeyIn(r);
  });
});
