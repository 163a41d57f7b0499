import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderCodeownersBlock } from '../../src/policy/codeowners.js';
import { formatDiagnostic } from '../../src/policy/diagnostics.js';
import { importPolicies } from '../../src/policy/import-policies.js';
import { readPolicies } from '../../src/policy/read-policies.js';
import { checkProjectOwnership } from '../../src/plan/project-ownership.js';
import { readLiveState } from '../../src/providers/groq/read.js';
import { makeDesired, makeDesiredProject } from '../helpers/builders.js';
import { commitAll, runCli, type RunResult } from '../helpers/cli.js';
import { createKey, createProjectWithKey, startTestOrg, type TestOrg } from '../helpers/sandbox.js';

// Issue 17, items 1-3: a team's file reaches only what the team owns; org.yaml, which the org admins
// approve, is the only place that grants a team more. Each attack is reproduced as the issue found
// it, and seen refused with file:line:column, what is wrong and what to ask the admins for, with
// nothing changed in the organization and no secret sent.

const ORG = `version: 2
org: org_acme
admins: ["@acme/platform"]
`;
const team = (name: string, projects: string) => `team: ${name}\nowners: ["@acme/${name}"]\nprojects:\n${projects}`;
const project = (name: string, key: string, target: string) =>
  `  - name: ${name}\n    keys:\n      - name: ${key}\n        rotation: {quiet_period: 0s, min_overlap: 0s, deliver: [${target}]}\n`;

let org: TestOrg;
let ws: string;
let outputs: RunResult[];

const cli = async (...argv: string[]) => {
  const result = await runCli(argv, {
    cwd: ws,
    env: { GROQ_ADMIN_KEY: org.sandbox.adminKey, GROQ_BASE_URL: org.sandbox.url, VAULT_TOKEN: vaultToken },
  });
  outputs.push(result);
  return result;
};
const write = (files: Record<string, string>) => {
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(ws, 'policies', name)), { recursive: true });
    fs.writeFileSync(path.join(ws, 'policies', name), text);
  }
};
const validate = (dir = path.join(ws, 'policies')) => readPolicies(dir, { cwd: ws });
const errors = (dir?: string) =>
  validate(dir)
    .diagnostics.filter((d) => d.severity === 'error')
    .map(formatDiagnostic);
/** Everything in the organization that could change: projects, and each key's id, name and metadata. */
const snapshot = async () => {
  const projects = await org.client.listProjects();
  return Promise.all(
    projects.map(async (p) => ({
      id: p.id,
      name: p.name,
      keys: (await org.client.listProjectKeys(p.id)).map((k) => ({ id: k.id, name: k.name, metadata: k.metadata })),
    })),
  );
};
const requestsTotal = async () => (await org.request('GET', '/_sandbox/stats')).body.requests_total as number;
// Built at run time: no tracked line looks like a credential.
const vaultToken = ['hvs', 'OwnershipTestToken0123456789'].join('.');

beforeEach(async () => {
  org = await startTestOrg({ orgId: 'org_acme' });
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-own-'));
  outputs = [];
});

afterEach(async () => {
  // Whatever happened, no key value, admin key or Vault token reached stdout or stderr.
  for (const { stdout, stderr } of outputs) {
    for (const text of [stdout, stderr]) {
      expect(text).not.toMatch(/gsk_[A-Za-z0-9]{8,}/);
      expect(text.includes(org.sandbox.adminKey)).toBe(false);
      expect(text.includes(vaultToken)).toBe(false);
    }
  }
  await org.close();
});

describe('delivery targets stay within the team (issue 17, items 1 and 3)', () => {
  it('a team file that sends the Vault token elsewhere with `address` is refused before any request', async () => {
    const seen: string[] = [];
    const evil = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${String(req.headers['x-vault-token'] ?? '')}`);
      res.end('{}');
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    try {
      const address = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;
      write({
        'org.yaml': ORG,
        'teams/research.yaml': team(
          'research',
          project(
            'research-evals',
            'research-evals-runner',
            `{vault: {path: secret/data/groq/research/evals, field: api_key, address: "${address}"}}`,
          ),
        ),
      });
      expect(errors()).toEqual([
        `policies/teams/research.yaml:7:129: error: projects[0].keys[0].rotation.deliver[0].vault.address: a team file cannot choose the Vault address: the Vault address is the organization's (vault.address in org.yaml, or VAULT_ADDR), and the Vault token goes only there
  hint: remove address; if the key belongs in another Vault, the org admins set vault: {address: https://…} in org.yaml`,
      ]);
      const apply = await cli('apply', '--yes');
      expect(apply.code).toBe(1);
      expect(apply.stderr).toContain(
        'policies/teams/research.yaml:7:129: error: projects[0].keys[0].rotation.deliver[0].vault.address: a team file cannot choose the Vault address',
      );
      expect(seen).toEqual([]);
      expect(await requestsTotal()).toBe(0);
      expect(await snapshot()).toEqual([]);
    } finally {
      await new Promise((r) => evil.close(r));
    }
  });

  it("the organization's Vault is org.yaml's vault.address, in the desired state; http:// only to this machine", () => {
    write({
      'org.yaml': `${ORG}vault: {address: https://vault.acme.example}\n`,
      'teams/research.yaml': team(
        'research',
        project('research-evals', 'research-evals-runner', '{vault: {path: secret/groq/research/evals, field: api_key}}'),
      ),
    });
    expect(validate().desired!.org.vault).toEqual({ address: 'https://vault.acme.example' });
    write({ 'org.yaml': `${ORG}vault: {address: "http://vault.acme.example:8200"}\n` });
    expect(errors()).toEqual([
      'policies/org.yaml:4:18: error: vault.address: uses http:// to vault.acme.example, which would send the Vault token in clear text\n  hint: use https:// (http:// only for 127.0.0.1, ::1 or localhost)',
    ]);
    write({ 'org.yaml': `${ORG}vault: {address: "http://127.0.0.1:8200"}\n` });
    expect(errors()).toEqual([]);
  });

  it('environment: ".." (which Octokit would resolve to the repository secret) is refused, with any other non-plain name', async () => {
    write({
      'org.yaml': ORG,
      'teams/payments.yaml': team(
        'payments',
        project('payments-prod', 'payments-npm', '{github: {repository: acme/payments, secret: NPM_TOKEN, environment: ".."}}'),
      ),
    });
    const plain =
      'must be a plain environment name: letters, digits, spaces, ".", "_" and "-", starting and ending with a letter, digit, "_" or "-" (no "/", "..", or control characters)\n  hint: for example environment: production';
    expect(errors()).toEqual([
      `policies/teams/payments.yaml:7:134: error: projects[0].keys[0].rotation.deliver[0].github.environment: ".." ${plain}`,
    ]);
    for (const env of ['.', '../../x', 'prod/..', 'a/b', ' prod', 'prod.', 'prod\\u001b[2J']) {
      write({
        'teams/payments.yaml': team(
          'payments',
          project('payments-prod', 'payments-npm', `{github: {repository: acme/payments, secret: NPM_TOKEN, environment: "${env}"}}`),
        ),
      });
      expect(errors(), env).toHaveLength(1);
      expect(errors()[0], env).toContain(plain);
    }
    write({
      'teams/payments.yaml': team(
        'payments',
        project('payments-prod', 'payments-npm', '{github: {repository: acme/payments, secret: NPM_TOKEN, environment: "EU prod_2-a"}}'),
      ),
    });
    expect(errors()).toEqual([]);
    write({
      'teams/payments.yaml': team(
        'payments',
        project('payments-prod', 'payments-npm', '{github: {repository: acme/payments, secret: NPM_TOKEN, environment: ".."}}'),
      ),
    });
    const apply = await cli('apply', '--yes');
    expect(apply.code).toBe(1);
    expect(await requestsTotal()).toBe(0);
  });

  it('a GitHub repository of another team is refused, saying which grant to ask for', () => {
    write({
      'org.yaml': ORG,
      'teams/research.yaml': team(
        'research',
        project('research-evals', 'research-evals-runner', '{github: {repository: acme/payments, secret: NPM_TOKEN}}'),
      ),
    });
    expect(errors()).toEqual([
      `policies/teams/research.yaml:7:87: error: projects[0].keys[0].rotation.deliver[0].github.repository: repository "acme/payments" is outside team "research"'s reach: its own are repositories of acme named "research" or "research-…", and policies/org.yaml grants it no other
  hint: ask the org admins to add it to policies/org.yaml: grants: {research: {github: [{repository: acme/payments}]}}`,
    ]);
  });

  it("another team's Vault path is refused however it is spelt, and with an explicit address it no longer slips past the duplicate check", () => {
    write({
      'org.yaml': ORG,
      'teams/finance.yaml': team(
        'finance',
        project('finance-prod', 'finance-ledger', '{vault: {path: secret/data/groq/finance/ledger, field: api_key}}'),
      ),
      'teams/research.yaml': team(
        'research',
        project(
          'research-evals',
          'research-evals-runner',
          '{vault: {path: secret/groq/finance//ledger/, field: api_key, address: "https://vault.acme.example/"}}',
        ),
      ),
    });
    const found = errors();
    // The schema refuses "//" outright; the address is the organization's; the rest is checked after normalising.
    expect(found.some((e) => e.includes('vault.address: a team file cannot choose the Vault address'))).toBe(true);
    expect(found.some((e) => e.includes('"secret/groq/finance//ledger/" must be a Vault KV path'))).toBe(true);
    write({
      'teams/research.yaml': team(
        'research',
        project('research-evals', 'research-evals-runner', '{vault: {path: secret/groq/finance/ledger/, field: api_key}}'),
      ),
    });
    expect(errors()).toEqual(
      [
        `policies/teams/research.yaml:7:80: error: projects[0].keys[0].rotation.deliver[0].vault.path: Vault path "secret/groq/finance/ledger/" is outside team "research"'s reach: its own is secret/data/groq/research/ (the same as secret/groq/research/), and policies/org.yaml grants it no other
  hint: use a path under secret/data/groq/research/, or ask the org admins to add it to policies/org.yaml: grants: {research: {vault: [secret/groq/finance/ledger/]}}`,
        'policies/teams/research.yaml:7:65: error: projects[0].keys[0].rotation.deliver[0]: delivers to the same place as policies/teams/finance.yaml:7:65\n  hint: two keys cannot share one secret: give each its own target',
      ].sort((a, b) => (a.split(':')[2]! < b.split(':')[2]! ? -1 : 1)),
    );
    // `secret/groq/chat` does not cover `secret/groq/chatbot`: prefixes end at a segment.
    write({
      'teams/research.yaml': team(
        'research',
        project('research-evals', 'research-evals-runner', '{vault: {path: secret/data/groq/researchers/x, field: api_key}}'),
      ),
    });
    expect(errors()).toHaveLength(1);
  });

  it("file: /home/runner/.gitconfig is refused, as is any path outside the team's folder", async () => {
    write({
      'org.yaml': ORG,
      'teams/research.yaml': team(
        'research',
        project('research-evals', 'research-evals-runner', '{file: {path: /home/runner/.gitconfig}}'),
      ),
    });
    expect(errors()).toEqual([
      `policies/teams/research.yaml:7:79: error: projects[0].keys[0].rotation.deliver[0].file.path: file path "/home/runner/.gitconfig" is absolute: a key file goes under the repository, in .secrets/research/ or a folder policies/org.yaml grants team "research"
  hint: write a path relative to the repository root, for example path: .secrets/research/.gitconfig`,
    ]);
    for (const p of [
      '.secrets/finance/ledger.key',
      '.github/workflows/ci.yml',
      'policies/org.yaml',
      '.secrets/researchers/x.key',
      '.secrets/research',
    ]) {
      write({ 'teams/research.yaml': team('research', project('research-evals', 'research-evals-runner', `{file: {path: "${p}"}}`)) });
      expect(errors(), p).toHaveLength(p === '.secrets/research' ? 0 : 1);
    }
    write({
      'teams/research.yaml': team(
        'research',
        project('research-evals', 'research-evals-runner', '{file: {path: /home/runner/.gitconfig}}'),
      ),
    });
    const apply = await cli('apply', '--yes');
    expect(apply.code).toBe(1);
    expect(await requestsTotal()).toBe(0);
    expect(await snapshot()).toEqual([]);
  });

  it('what org.yaml grants, a team file may use: repositories and environments, Vault prefixes, folders', () => {
    write({
      'org.yaml': `${ORG}grants:
  research:
    github:
      - {repository: acme/models}
      - {repository: acme/web, environments: [Production]}
    vault: [secret/ml/]
    files: [deploy/keys]
`,
      'teams/research.yaml': team(
        'research',
        project(
          'research-evals',
          'research-evals-runner',
          `{github: {repository: ACME/Models, secret: A, environment: anything}}, {github: {repository: acme/models, secret: B}},
          {github: {repository: acme/web, secret: C, environment: production}}, {vault: {path: secret/data/ml/evals, field: api_key}}, {file: {path: ./deploy/keys/evals.key}},
          {github: {repository: acme/research-tools, secret: D}}, {vault: {path: secret/groq/research/x, field: api_key}}, {file: {path: .secrets/research/x.key}}`,
        ),
      ),
    });
    expect(validate().diagnostics).toEqual([]);
    expect(validate().desired!.org.grants.research).toEqual({
      projects: [],
      github: [
        { repository: 'acme/models', environments: null },
        { repository: 'acme/web', environments: ['Production'] },
      ],
      vault: ['secret/ml/'],
      files: ['deploy/keys'],
    });
    // The environments a grant lists, and no others: not staging, not the repository's own secrets.
    write({
      'teams/research.yaml': team(
        'research',
        project(
          'research-evals',
          'research-evals-runner',
          '{github: {repository: acme/web, secret: C, environment: staging}}, {github: {repository: acme/web, secret: E}}',
        ),
      ),
    });
    expect(errors().map((e) => e.split('\n')[0]!.replace(/^.*?: error: /, ''))).toEqual([
      'projects[0].keys[0].rotation.deliver[0].github.environment: environment "staging" of "acme/web" is not granted to team "research": policies/org.yaml grants it only Production',
      'projects[0].keys[0].rotation.deliver[1].github.repository: the repository secrets of "acme/web" are not granted to team "research": policies/org.yaml grants it only the environments Production',
    ]);
  });

  it('grants themselves are checked: teams that exist, prefixes without ".." that name a folder', () => {
    write({
      'org.yaml': `${ORG}grants:\n  reserch:\n    vault: [secret/data/../sys/]\n  research:\n    files: [., /etc/, .git/hooks]\n`,
      'teams/research.yaml': team('research', project('research-evals', 'research-evals-runner', '{file: {path: x/evals.key}}')),
    });
    const { diagnostics } = validate();
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      'policies/org.yaml:5:3: warning: grants.reserch: grants for team "reserch", which no file under teams/ defines: they grant nothing\n  hint: write a team\'s name as its file says (team: …): "research"',
      'policies/org.yaml:6:13: error: grants.reserch.vault[0]: "secret/data/../sys/" must not hold a ".." segment\n  hint: for example secret/data/groq/shared/ (the same as secret/groq/shared/)',
      'policies/org.yaml:8:13: error: grants.research.files[0]: "." is the whole repository: name a folder\n  hint: for example deploy/keys/ (a folder relative to the repository root)',
      'policies/org.yaml:8:16: error: grants.research.files[1]: "/etc/" must be relative to the repository root (no leading "/")\n  hint: for example deploy/keys/ (a folder relative to the repository root)',
      'policies/org.yaml:8:23: error: grants.research.files[2]: ".git/hooks" is inside .git: git\'s own files are never a key\'s destination\n  hint: for example deploy/keys/ (a folder relative to the repository root)',
      // A refused grant grants nothing: the target is still outside.
      expect.stringContaining(
        'policies/teams/research.yaml:7:79: error: projects[0].keys[0].rotation.deliver[0].file.path: file path "x/evals.key" is outside team "research"\'s reach',
      ),
    ]);
  });

  it("org.yaml, where every grant lives, is the admins' in CODEOWNERS", () => {
    write({
      'org.yaml': `${ORG}grants:\n  research:\n    projects: [finance-prod]\n`,
      'teams/research.yaml': team('research', project('research-evals', 'research-evals-runner', '{file: {path: .secrets/research/k}}')),
    });
    const block = renderCodeownersBlock(validate().desired!, 'policies');
    expect(block).toContain('\n/policies/org.yaml @acme/platform\n');
    expect(block).toContain('\n/policies/ @acme/platform\n');
    expect(block).toContain('\n/policies/teams/research.yaml @acme/research\n');
  });
});

describe('live projects: a team file takes over only what it owns (issue 17, item 2)', () => {
  /** The attack's organization: an unmanaged live project finance-prod with the key finance-ledger. */
  const financeProd = async () => {
    const { projectId, keyId } = await createProjectWithKey(org, 'finance-prod', 'finance-ledger');
    return { projectId, keyId };
  };
  const chatbotBase = team('chatbot', project('chatbot-prod', 'chatbot-prod-web', '{file: {path: .secrets/chatbot/web.key}}'));
  const withFinance = `${chatbotBase}${project('finance-prod', 'finance-ledger', '{file: {path: .secrets/chatbot/ledger.key}}').replace(/\n$/, '')}\n`;

  it("adopting the unmanaged finance-prod and its key finance-ledger from chatbot's file is refused: nothing changed, no key rotated or delivered", async () => {
    await financeProd();
    write({ 'org.yaml': ORG, 'teams/chatbot.yaml': chatbotBase });
    commitAll(ws, 'base');
    write({ 'teams/chatbot.yaml': withFinance });
    const before = await snapshot();

    const refusal = 'policies/teams/chatbot.yaml:8:5: project "finance-prod" exists in the organization and no team\'s file had it at ';
    const hint = 'ask them to add it to grants.chatbot.projects in policies/org.yaml (grants: {chatbot: {projects: [finance-prod]}})';
    const plan = await cli('plan');
    expect(plan.code).toBe(1);
    expect(plan.stdout + plan.stderr).toContain(refusal);
    expect(plan.stdout + plan.stderr).toContain(hint);
    const apply = await cli('apply', '--yes');
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain('apply refused; nothing was changed');
    expect(apply.stderr).toContain(refusal);
    // What the unapproved reconcile runs: refused as well.
    const reconcile = await cli('apply', '--yes', '--rotations-only');
    expect(reconcile.code).toBe(1);
    expect(reconcile.stderr).toContain(refusal);

    expect(await snapshot()).toEqual(before);
    expect(fs.existsSync(path.join(ws, '.secrets/chatbot/ledger.key'))).toBe(false);
    expect(fs.existsSync(path.join(ws, '.secrets/chatbot/web.key'))).toBe(false);
  });

  it('with the grant in org.yaml, the same adoption goes through', async () => {
    const { keyId } = await financeProd();
    write({ 'org.yaml': ORG, 'teams/chatbot.yaml': chatbotBase });
    commitAll(ws, 'base');
    write({ 'org.yaml': `${ORG}grants:\n  chatbot:\n    projects: [finance-prod]\n`, 'teams/chatbot.yaml': withFinance });
    const apply = await cli('apply', '--yes');
    expect(apply.code).toBe(0);
    const finance = (await org.client.listProjects()).find((p) => p.name === 'finance-prod')!;
    const keys = await org.client.listProjectKeys(finance.id);
    expect(keys.map((k) => [k.id, k.metadata['groq-rbac/key']])).toEqual([[keyId, 'finance-ledger']]);
  });

  it("moving a project from one team's file to another's needs a grant: refused without one, nothing changed", async () => {
    write({
      'org.yaml': ORG,
      'teams/chatbot.yaml': chatbotBase,
      'teams/finance.yaml': team('finance', project('finance-prod', 'finance-ledger', '{file: {path: .secrets/finance/ledger.key}}')),
    });
    commitAll(ws, 'base');
    expect((await cli('apply', '--yes')).code).toBe(0);
    const ledger = fs.readFileSync(path.join(ws, '.secrets/finance/ledger.key'), 'utf8');
    // The move: finance's file drops the project, chatbot's takes it with a trigger that would rotate the key into chatbot's folder.
    write({
      'teams/finance.yaml': team('finance', project('finance-other', 'finance-other-key', '{file: {path: .secrets/finance/other.key}}')),
      'teams/chatbot.yaml': `${chatbotBase}${project('finance-prod', 'finance-ledger', '{file: {path: .secrets/chatbot/ledger.key}}').replace('rotation: {', 'rotation: {trigger: moved, ')}`,
    });
    expect(errors()).toEqual([]);
    // validate --base sees the move without the organization.
    const validated = await cli('validate', '--base', 'main');
    expect(validated.code).toBe(1);
    expect(validated.stderr).toMatch(
      /policies\/teams\/chatbot\.yaml:8:5: error: moving project "finance-prod" from team "finance" \(its file at main \([0-9a-f]{12}\)\) to team "chatbot" needs the org admins\n {2}hint: ask them to add it to grants\.chatbot\.projects in policies\/org\.yaml/,
    );
    const before = await snapshot();
    const apply = await cli('apply', '--yes');
    expect(apply.code).toBe(1);
    expect(apply.stderr).toMatch(
      /policies\/teams\/chatbot\.yaml:8:5: moving project "finance-prod" from team "finance" \(its file at [0-9a-f]{12}\) to team "chatbot" needs the org admins: ask them to add it to grants\.chatbot\.projects in policies\/org\.yaml/,
    );
    expect(await snapshot()).toEqual(before);
    expect(fs.existsSync(path.join(ws, '.secrets/chatbot/ledger.key'))).toBe(false);
    expect(fs.readFileSync(path.join(ws, '.secrets/finance/ledger.key'), 'utf8')).toBe(ledger);
    // --base names the revision explicitly; granted, the move is the admins' decision and goes through.
    write({ 'org.yaml': `${ORG}grants:\n  chatbot:\n    projects: [finance-prod]\n` });
    expect((await cli('plan', '--base', 'main')).code).toBe(0);
  });

  it('with no base revision (not a git repository) every live project a team file names needs a grant, and it says so in one line', async () => {
    await financeProd();
    const { projectId } = await createProjectWithKey(org, 'chatbot-prod', 'chatbot-prod-web');
    write({ 'org.yaml': ORG, 'teams/chatbot.yaml': chatbotBase });
    const plan = await cli('plan');
    expect(plan.code).toBe(1);
    expect(plan.stderr.split('\n').filter((l) => l.startsWith('ownership: no base revision'))).toHaveLength(1);
    expect(plan.stdout + plan.stderr).toContain(
      'policies/teams/chatbot.yaml:4:5: project "chatbot-prod" exists in the organization, and without a base revision',
    );
    // A project that does not exist yet is new: no grant needed.
    expect((await readLiveState(org.client)).projects.map((p) => p.id)).toContain(projectId);
    write({ 'teams/chatbot.yaml': team('chatbot', project('chatbot-new', 'chatbot-new-web', '{file: {path: .secrets/chatbot/new.key}}')) });
    expect((await cli('plan')).code).toBe(0);
  });

  it('import writes the grants that make its own output plan without refusals', async () => {
    await financeProd();
    const p = await createProjectWithKey(org, 'chatbot-prod', 'chatbot-prod-web');
    await createKey(org, p.projectId, 'chatbot-prod-mobile');
    const live = await readLiveState(org.client);
    const { files } = importPolicies(live, {
      admins: ['@acme/platform'],
      schemaRef: { org: '../schemas/org.schema.json', team: '../../schemas/team.schema.json' },
    });
    write(files);
    expect(validate().diagnostics).toEqual([]);
    expect(validate().desired!.org.grants).toEqual({
      chatbot: { projects: ['chatbot-prod'], github: [], vault: [], files: [] },
      finance: { projects: ['finance-prod'], github: [], vault: [], files: [] },
    });
    const plan = await cli('plan', '--format', 'json');
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.stdout).refusals).toEqual([]);
  });
});

describe('the ownership rule, as a pure function', () => {
  const head = makeDesired(
    [
      makeDesiredProject('a-new', { team: 'a' }),
      makeDesiredProject('a-kept', { team: 'a' }),
      makeDesiredProject('b-moved', { team: 'a' }),
      makeDesiredProject('stray', { team: 'a' }),
    ],
    [],
  );
  const base = {
    label: 'main',
    projects: [
      { name: 'a-kept', team: 'a' },
      { name: 'b-moved', team: 'b' },
    ],
  };
  const live = new Set(['a-kept', 'b-moved', 'stray']);

  it('keeps, creates, and refuses moves and adoptions', () => {
    expect(checkProjectOwnership(head, base, live).map((f) => [f.kind, f.project, f.from])).toEqual([
      ['move', 'b-moved', 'b'],
      ['adopt', 'stray', null],
    ]);
    // A move is refused whether or not the project is live yet.
    expect(checkProjectOwnership(head, base, new Set()).map((f) => f.project)).toEqual(['b-moved']);
    // No base: every live project needs a grant.
    expect(checkProjectOwnership(head, null, live).map((f) => f.project)).toEqual(['a-kept', 'b-moved', 'stray']);
  });

  it('a grant in org.yaml allows the move and the adoption, for that team only', () => {
    const granted = { ...head, org: { ...head.org, grants: { a: { projects: ['b-moved', 'stray'], github: [], vault: [], files: [] } } } };
    expect(checkProjectOwnership(granted, base, live)).toEqual([]);
    const elsewhere = {
      ...head,
      org: { ...head.org, grants: { b: { projects: ['b-moved', 'stray'], github: [], vault: [], files: [] } } },
    };
    expect(checkProjectOwnership(elsewhere, base, live)).toHaveLength(2);
  });
});
