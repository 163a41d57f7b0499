import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { closestMatches, defaultCatalogue, lookUpModel } from '../../src/core/models.js';
import { MAX_LIMIT } from '../../src/core/limits.js';
import { renderCodeownersBlock } from '../../src/policy/codeowners.js';
import { formatDiagnostic } from '../../src/policy/diagnostics.js';
import { formatDuration, parseDuration } from '../../src/policy/duration.js';
import { readPolicies } from '../../src/policy/read-policies.js';
import { MAX_FILE_BYTES, readPolicySources } from '../../src/policy/source.js';
import { ORG_YAML, projectYaml, teamYaml, writePolicies } from '../helpers/policies.js';

const lines = (dir: string) => readPolicies(dir, { cwd: dir }).diagnostics.map(formatDiagnostic);
const messages = (dir: string) =>
  readPolicies(dir, { cwd: dir }).diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.path}: ${d.message}`);

describe('the repository example policies', () => {
  it('validate with no diagnostics at all', () => {
    const result = readPolicies('policies', { cwd: process.cwd() });
    expect(result.diagnostics).toEqual([]);
    expect(result.desired?.teams.map((t) => t.name).sort()).toEqual(['analytics', 'batch', 'chatbot', 'research']);
    expect(result.desired!.org.id).toBe('org_sandbox');
    const modes = new Set(result.desired!.projects.map((p) => p.models?.mode ?? 'none'));
    expect(modes).toEqual(new Set(['allow_list', 'deny_list']));
    expect(result.desired!.projects.some((p) => Object.keys(p.limits.models).length > 0)).toBe(true);
    expect(result.desired!.keys.some((k) => k.rotation.deliver.length > 0)).toBe(true);
  });

  it('reference their JSON Schema for editors, and the path resolves', () => {
    for (const file of ['policies/org.yaml', ...fs.readdirSync('policies/teams').map((f) => `policies/teams/${f}`)]) {
      const first = fs.readFileSync(file, 'utf8').split('\n')[0]!;
      const match = /^# yaml-language-server: \$schema=(.+)$/.exec(first);
      expect(match, file).not.toBeNull();
      expect(fs.existsSync(path.resolve(path.dirname(file), match![1]!)), file).toBe(true);
    }
  });

  it('the schemas cap limits at MAX_LIMIT', () => {
    const org = JSON.parse(fs.readFileSync('schemas/org.schema.json', 'utf8'));
    expect(org.definitions.limit).toEqual({ type: 'integer', minimum: 1, maximum: MAX_LIMIT });
  });
});

describe('desired state', () => {
  const dir = writePolicies({
    'org.yaml': `${ORG_YAML}rotation:\n  every: 60d\nunmanaged: {projects: archive}\n`,
    'teams/chatbot.yaml': teamYaml(
      'chatbot',
      [
        projectYaml('chatbot-prod', {
          body:
            '    models: [openai/gpt-oss-120b]\n' +
            '    protect: true\n    limits:\n      default: {requests_per_minute: 500}\n      openai/gpt-oss-120b: {tokens_per_minute: 60000}\n',
          keys: ['chatbot-prod-web'],
        }),
        projectYaml('chatbot-staging', {
          keys: [
            'chatbot-staging-web\n        protect: true\n        rotation: {every: 7d, trigger: leak, deliver: [{file: {path: ./.secrets/chatbot/k.key}}]}',
          ],
        }),
      ].join(''),
      'models: [openai/gpt-oss-20b, openai/gpt-oss-120b]\n',
    ),
    'teams/search.yaml': teamYaml(
      'search',
      projectYaml('search-prod', { body: '    models: {block: [qwen/qwen3.8-27b]}', keys: ['search-prod-api'] }),
    ),
    'teams/empty.yaml': teamYaml('empty', projectYaml('empty-prod')),
  });
  const { desired, diagnostics } = readPolicies(dir, { cwd: dir });

  it('has no diagnostics', () => {
    expect(diagnostics).toEqual([]);
  });

  it("resolves project models: its own, else its team's, else none; sorted and without repeats", () => {
    const byName = Object.fromEntries(desired!.projects.map((p) => [p.name, p]));
    expect(byName['chatbot-prod']!.models).toEqual({ mode: 'allow_list', models: ['openai/gpt-oss-120b'] });
    expect(byName['chatbot-staging']!.models).toEqual({ mode: 'allow_list', models: ['openai/gpt-oss-120b', 'openai/gpt-oss-20b'] });
    expect(byName['search-prod']!.models).toEqual({ mode: 'deny_list', models: ['qwen/qwen3.8-27b'] });
    expect(byName['empty-prod']!.models).toBeNull();
    expect(desired!.org.models).toEqual({ mode: 'allow_list', models: ['openai/gpt-oss-120b', 'openai/gpt-oss-20b', 'qwen/qwen3.8-27b'] });
    expect(desired!.teams.find((t) => t.name === 'search')!.models).toBeNull();
  });

  it('keeps limits as written, and the org ceiling', () => {
    const prod = desired!.projects.find((p) => p.name === 'chatbot-prod')!;
    expect(prod.limits).toEqual({ default: { requests_per_minute: 500 }, models: { 'openai/gpt-oss-120b': { tokens_per_minute: 60000 } } });
    expect(desired!.projects.find((p) => p.name === 'empty-prod')!.limits).toEqual({ default: {}, models: {} });
    expect(desired!.org.limits).toEqual({
      default: { requests_per_minute: 1000, tokens_per_minute: 1_000_000 },
      models: { 'openai/gpt-oss-120b': { tokens_per_minute: 500_000 } },
    });
  });

  it('protects a key when it or its project is protected, and resolves rotation over the org defaults', () => {
    const byName = Object.fromEntries(desired!.keys.map((k) => [k.name, k]));
    expect(byName['chatbot-prod-web']).toMatchObject({ project: 'chatbot-prod', team: 'chatbot', protect: true, description: null });
    expect(byName['chatbot-prod-web']!.rotation).toEqual({
      everySeconds: 60 * 86400,
      quietPeriodSeconds: 86400,
      minOverlapSeconds: 3600,
      trigger: null,
      deliver: [],
    });
    expect(byName['chatbot-staging-web']).toMatchObject({
      protect: true,
      rotation: { everySeconds: 7 * 86400, trigger: 'leak', deliver: [{ kind: 'file', path: './.secrets/chatbot/k.key' }] },
    });
    expect(byName['search-prod-api']!.protect).toBe(false);
  });

  it('points at each project and key entry', () => {
    expect(desired!.projects.find((p) => p.name === 'chatbot-prod')!.source).toEqual({ file: 'teams/chatbot.yaml', line: 5, column: 5 });
    expect(desired!.keys.find((k) => k.name === 'chatbot-prod-web')!.source).toEqual({ file: 'teams/chatbot.yaml', line: 12, column: 9 });
  });

  it('reads org settings with their defaults', () => {
    expect(desired!.org.spending).toEqual({
      monthly_cap_usd: 500,
      alert_thresholds_usd: [100, 250, 400],
      alert_recipients: ['platform@acme.example'],
    });
    expect(desired!.org.safety).toEqual({ maxDeletes: 3, maxDeletePercent: 25 });
    expect(desired!.org.unmanaged).toEqual({ projects: 'archive', keys: 'report' });
    // Nothing granted, and no Vault of the organization's own: VAULT_ADDR.
    expect(desired!.org.vault).toBeNull();
    expect(desired!.org.grants).toEqual({});
  });
});

describe('policy v1', () => {
  it('gets one error that says how to write v2', () => {
    const dir = writePolicies({
      'org.yaml': 'version: 1\norg: org_x\nadmins: ["@a/b"]\nlimits: {requests_per_minute: 5}\nunmanaged_keys: report\n',
      'teams/t.yaml': 'team: t\nowners: ["@a/b"]\nkeys:\n  - name: k\n    models: [llama3-8b-8192]\n',
    });
    const [only, ...rest] = readPolicies(dir, { cwd: dir }).diagnostics;
    expect(rest).toEqual([]);
    expect(only).toMatchObject({ file: 'org.yaml', line: 1, column: 10, path: 'version' });
    expect(only!.message).toContain('version 1');
    expect(only!.hint).toContain('version: 2');
    expect(only!.hint).toContain('projects:');
    expect(only!.hint).toContain('limits: {default:');
  });

  it('a v1 team file beside a v2 org.yaml is told to move its keys into projects', () => {
    const dir = writePolicies({
      'org.yaml': ORG_YAML,
      'teams/t.yaml': 'team: t\nowners: ["@a/b"]\nkeys:\n  - name: k\n    requests_per_minute: 5\n',
    });
    expect(lines(dir)).toEqual([
      'teams/t.yaml:3:1: error: keys: keys belong to projects in policy v2\n  hint: write projects: [{name: <project>, models: [...], limits: {default: {...}}, keys: [...]}] and move these keys into a project',
    ]);
  });
});

describe('model rules', () => {
  const team = (models: string, project: string) =>
    writePolicies({ 'org.yaml': ORG_YAML, 'teams/t.yaml': teamYaml('t', projectYaml('p', { body: project }), models) });

  it("a project may not list a model outside its team's allow list", () => {
    expect(messages(team('models: [openai/gpt-oss-20b]\n', '    models: [openai/gpt-oss-120b]'))).toEqual([
      'teams/t.yaml:6:14: projects[0].models[0]: model "openai/gpt-oss-120b" is not in team "t"\'s models (teams/t.yaml:3:9)',
    ]);
  });

  it('a project may not list a model its team blocks, nor one the org does not allow', () => {
    expect(messages(team('models: {block: [openai/gpt-oss-20b]}\n', '    models: [openai/gpt-oss-20b, whisper-large-v3]'))).toEqual([
      'teams/t.yaml:6:14: projects[0].models[0]: model "openai/gpt-oss-20b" is blocked by team "t" (teams/t.yaml:3:18)',
      'teams/t.yaml:6:34: projects[0].models[1]: model "whisper-large-v3" is not in the org\'s models (org.yaml:4:9)',
    ]);
  });

  it("a project block list may not let through what its team's allow list excludes", () => {
    const [d] = readPolicies(team('models: [openai/gpt-oss-20b, qwen/qwen3.8-27b]\n', '    models: {block: [qwen/qwen3.8-27b]}'), {
      cwd: '/',
    }).diagnostics;
    expect(d).toMatchObject({
      line: 6,
      column: 13,
      path: 'projects[0].models',
      message: 'this block list lets the project use models team "t" does not allow: openai/gpt-oss-120b',
    });
    expect(d!.hint).toBe('block them too, or list the models the project may use (models: [openai/gpt-oss-20b])');
  });

  it('a team may not list a model the org blocks', () => {
    const dir = writePolicies({
      'org.yaml': ORG_YAML.replace(
        'models: [openai/gpt-oss-120b, openai/gpt-oss-20b, qwen/qwen3.8-27b]',
        'models: {block: [qwen/qwen3.8-27b]}',
      ),
      'teams/t.yaml': teamYaml('t', '', 'models: [qwen/qwen3.8-27b, whisper-large-v3]\n'),
    });
    expect(messages(dir)).toEqual(['teams/t.yaml:3:10: models[0]: model "qwen/qwen3.8-27b" is blocked by the org (org.yaml:4:18)']);
  });

  it('unknown and decommissioned models get suggestions and replacements', () => {
    expect(lines(team('', '    models: [openai/gpt-oss-12b, llama-3.3-70b-versatile]'))).toEqual([
      'teams/t.yaml:5:14: error: projects[0].models[0]: unknown model "openai/gpt-oss-12b"\n  hint: did you mean "openai/gpt-oss-120b" or "openai/gpt-oss-20b"?',
      'teams/t.yaml:5:34: error: projects[0].models[1]: model "llama-3.3-70b-versatile" was decommissioned on 2026-08-16\n  hint: use its replacement "openai/gpt-oss-120b"',
    ]);
  });
});

describe('limits', () => {
  const project = (limits: string) =>
    writePolicies({ 'org.yaml': ORG_YAML, 'teams/t.yaml': teamYaml('t', projectYaml('p', { body: `    limits:\n${limits}` })) });

  it('a project limit above the org ceiling names both places', () => {
    expect(lines(project('      openai/gpt-oss-120b: {tokens_per_minute: 600000}\n      default: {requests_per_minute: 2000}'))).toEqual([
      'teams/t.yaml:6:48: error: projects[0].limits.openai/gpt-oss-120b.tokens_per_minute: tokens_per_minute 600000 for "openai/gpt-oss-120b" is above the org ceiling of 500000 (org.yaml:7:44)\n  hint: lower it to at most 500000, or raise the ceiling in org.yaml (admins approve)',
      'teams/t.yaml:7:38: error: projects[0].limits.default.requests_per_minute: requests_per_minute 2000 is above the org ceiling of 1000 (org.yaml:6:34)\n  hint: lower it to at most 1000, or raise the ceiling in org.yaml (admins approve)',
    ]);
  });

  it('a default is checked against a lower per-model ceiling of a model the project may use', () => {
    expect(messages(project('      default: {tokens_per_minute: 800000}'))).toEqual([
      'teams/t.yaml:6:36: projects[0].limits.default.tokens_per_minute: tokens_per_minute 800000 is above the org ceiling of 500000 for "openai/gpt-oss-120b" (org.yaml:7:44)',
    ]);
    // Setting that model's own value lifts the conflict.
    expect(messages(project('      default: {tokens_per_minute: 800000}\n      openai/gpt-oss-120b: {tokens_per_minute: 400000}'))).toEqual(
      [],
    );
  });

  it('an unknown model as a limits key gets the unknown-model error with suggestions', () => {
    expect(lines(project('      gpt-oss-20b: {requests_per_minute: 5}'))).toEqual([
      'teams/t.yaml:6:7: error: projects[0].limits.gpt-oss-20b: unknown model "gpt-oss-20b"\n  hint: did you mean "openai/gpt-oss-20b" or "openai/gpt-oss-120b"?',
    ]);
  });

  it.each([
    ['1e300', 'must be at most 1000000000000, not 1e300'],
    ['9007199254740993', 'must be at most 1000000000000, not 9007199254740993'],
    ['1000000000001', 'must be at most 1000000000000, not 1000000000001'],
    ['.inf', 'must be a whole number, not .inf'],
    ['-.inf', 'must be a whole number, not -.inf'],
    ['.nan', 'must be a whole number, not .nan'],
    ['1.5', 'must be a whole number, not number 1.5'],
    ['0', 'must be at least 1, not 0'],
  ])('%s is refused: %s', (value, message) => {
    const [d, ...rest] = readPolicies(project(`      default: {tokens_per_minute: ${value}}`), { cwd: '/' }).diagnostics;
    expect(rest).toEqual([]);
    expect(d).toMatchObject({ severity: 'error', line: 6, column: 36, path: 'projects[0].limits.default.tokens_per_minute', message });
  });
});

describe('names and org settings', () => {
  it('project and key names are unique across the org, pointing at the first', () => {
    const dir = writePolicies({
      'org.yaml': ORG_YAML,
      'teams/a.yaml': teamYaml('a', projectYaml('shared', { keys: ['k1'] })),
      'teams/b.yaml': teamYaml('b', projectYaml('shared', { keys: ['k1'] })),
    });
    expect(messages(dir)).toEqual([
      'teams/b.yaml:4:11: projects[0].name: project "shared" is also defined in teams/a.yaml:4:11',
      'teams/b.yaml:6:15: projects[0].keys[0].name: key "k1" is also defined in teams/a.yaml:6:15',
    ]);
  });

  it('alert thresholds need recipients and must be below the cap', () => {
    const dir = writePolicies({
      'org.yaml': ORG_YAML.replace('  alert_recipients: [platform@acme.example]\n', '').replace('[400, 100, 250]', '[500, 100]'),
    });
    expect(messages(dir)).toEqual([
      'org.yaml:9:3: spending: missing "alert_recipients": alert_thresholds_usd lists alerts, and Groq e-mails each one',
      'org.yaml:10:26: spending.alert_thresholds_usd[0]: alert at 500 USD is not below the monthly cap of 500 USD',
    ]);
  });

  it('unmanaged takes report|archive for projects and report|delete for keys', () => {
    const dir = writePolicies({ 'org.yaml': `${ORG_YAML}unmanaged: {projects: delete, keys: archive}\n` });
    expect(messages(dir)).toEqual([
      'org.yaml:12:23: unmanaged.projects: must be one of "report" or "archive", not "delete"',
      'org.yaml:12:37: unmanaged.keys: must be one of "report" or "delete", not "archive"',
    ]);
  });

  it('a repeated key names the key', () => {
    const dir = writePolicies({
      'org.yaml': ORG_YAML.replace(
        '  default: {requests_per_minute: 1000,',
        '  default: {requests_per_minute: 1000, requests_per_minute: 5,',
      ),
    });
    expect(lines(dir)).toEqual([
      'org.yaml:6:40: error: YAML: `requests_per_minute` appears twice in the same mapping\n  hint: keep one of them; later ones do not override earlier ones',
    ]);
  });
});

describe('delivery targets (issue 11, finding 6)', () => {
  const deliver = (...entries: string[]) => {
    const keys = entries.map((e, i) => `k${i}\n        rotation: {deliver: [${e}]}`);
    // Granted, so that these cases are about each service's own rules (reach has test/security/ownership.test.ts).
    const grants = 'grants:\n  t:\n    github: [{repository: acme/app}]\n    files: [keys/]\n';
    return messages(writePolicies({ 'org.yaml': `${ORG_YAML}${grants}`, 'teams/t.yaml': teamYaml('t', projectYaml('p', { keys })) }));
  };

  it('a file target may not climb out with "..", and its mode is 600 or 400', () => {
    expect(deliver('{file: {path: ../../../../root/.ssh/authorized_keys, mode: "777"}}')).toEqual([
      'teams/t.yaml:7:44: projects[0].keys[0].rotation.deliver[0].file.path: "../../../../root/.ssh/authorized_keys" must not hold a ".." segment or control characters',
      'teams/t.yaml:7:89: projects[0].keys[0].rotation.deliver[0].file.mode: must be one of "600", "0600", "400" or "0400", not "777"',
    ]);
    expect(deliver('{file: {path: /srv/a/../b}}', '{file: {path: keys/x.key, mode: "0400"}}')).toEqual([
      'teams/t.yaml:7:44: projects[0].keys[0].rotation.deliver[0].file.path: "/srv/a/../b" must not hold a ".." segment or control characters',
    ]);
  });

  it('GitHub secret and environment names and Vault paths follow what those services accept', () => {
    expect(
      deliver(
        '{github: {repository: acme/app, secret: GITHUB_TOKEN}}',
        '{github: {repository: -acme/app, secret: "1KEY"}}',
        `{github: {repository: acme/app, secret: K, environment: "${'e'.repeat(256)}"}}`,
        '{github: {repository: acme/app, secret: K2, environment: "prod\\u0007"}}',
        '{vault: {path: /secret/data/x, field: api_key}}',
        '{vault: {path: secret/../sys/x, field: api_key}}',
        `{github: {repository: acme/app, secret: ${'S'.repeat(256)}}}`,
      ).map((m) => m.replace(/^.*?: (projects\S*): /, '$1: ')),
    ).toEqual([
      'projects[0].keys[0].rotation.deliver[0].github.secret: "GITHUB_TOKEN" starts with GITHUB_, which GitHub reserves',
      'projects[0].keys[1].rotation.deliver[0].github.repository: "-acme/app" must be "owner/repository" as GitHub accepts them',
      'projects[0].keys[1].rotation.deliver[0].github.secret: "1KEY" may hold only letters, digits and "_", and must not start with a digit',
      'projects[0].keys[2].rotation.deliver[0].github.environment: must be at most 255 characters',
      'projects[0].keys[3].rotation.deliver[0].github.environment: "prod\\u0007" must be a plain environment name: letters, digits, spaces, ".", "_" and "-", starting and ending with a letter, digit, "_" or "-" (no "/", "..", or control characters)',
      'projects[0].keys[4].rotation.deliver[0].vault.path: "/secret/data/x" must be a Vault KV path: segments of letters, digits, ".", "_", "-" and "@" joined by "/", with no leading "/" and no "." or ".." segment',
      'projects[0].keys[5].rotation.deliver[0].vault.path: "secret/../sys/x" must be a Vault KV path: segments of letters, digits, ".", "_", "-" and "@" joined by "/", with no leading "/" and no "." or ".." segment',
      'projects[0].keys[6].rotation.deliver[0].github.secret: must be at most 255 characters',
    ]);
  });

  it('two keys delivering to one place are caught after normalising case and "./"', () => {
    expect(
      deliver(
        '{github: {repository: acme/App, secret: groq_key, environment: Prod}}',
        '{github: {repository: ACME/app, secret: GROQ_KEY, environment: prod}}',
        '{file: {path: ./keys/a.key}}',
        '{file: {path: keys//a.key}}',
      ),
    ).toEqual([
      'teams/t.yaml:9:30: projects[0].keys[1].rotation.deliver[0]: delivers to the same place as teams/t.yaml:7:30',
      'teams/t.yaml:13:30: projects[0].keys[3].rotation.deliver[0]: delivers to the same place as teams/t.yaml:11:30',
    ]);
  });
});

describe('files that are not read are errors (issue 11, finding 3)', () => {
  it('a team file in a subfolder, a .YAML or .yml team file, org.yml beside org.yaml and a stray root file', () => {
    const dir = writePolicies({
      'org.yaml': ORG_YAML,
      'org.yml': 'version: 2\n',
      'chatbot.yaml': teamYaml('chatbot'),
      'teams/sub/search.yaml': teamYaml('search'),
      'teams/Search.YAML': teamYaml('search'),
      'teams/ops.yml': teamYaml('ops'),
      'teams/README.md': 'not yaml',
      'docs/example.yaml': 'x: 1\n',
    });
    expect(lines(dir)).toEqual([
      'chatbot.yaml:1:1: error: is not read: team files go under teams/\n  hint: move it to teams/chatbot.yaml, or out of the policies directory',
      'docs/example.yaml:1:1: error: is not read: groq-rbac reads only org.yaml and teams/*.yaml\n  hint: move it to teams/, or out of the policies directory',
      'org.yml:1:1: error: is not read: the organization policy is org.yaml\n  hint: merge it into org.yaml and remove it',
      'teams/ops.yml:1:1: error: is not read: team files end in .yaml\n  hint: rename it to teams/ops.yaml',
      'teams/Search.YAML:1:1: error: is not read: team files end in .yaml\n  hint: rename it to teams/search.yaml',
      'teams/sub/search.yaml:1:1: error: is not read: team files sit directly in teams/, not in subfolders\n  hint: move it to teams/search.yaml',
    ]);
  });

  it('org.yml alone is not read as org.yaml', () => {
    const dir = writePolicies({ 'org.yml': ORG_YAML });
    expect(lines(dir)).toEqual([
      'org.yaml:1:1: error: org.yaml is missing\n  hint: create it with at least `version: 2`, `org: org_…` and `admins: ["@your-org/platform"]`',
      'org.yml:1:1: error: is not read: the organization policy is org.yaml\n  hint: rename it to org.yaml',
    ]);
  });
});

describe('what cannot be read is reported once, without the errors that would follow from it', () => {
  it('a file given as the policies directory says it is not a folder', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'file-')), 'org.yaml');
    fs.writeFileSync(file, ORG_YAML);
    expect(readPolicies(file, { cwd: path.dirname(file) }).diagnostics.map(formatDiagnostic)).toEqual([
      'org.yaml:1:1: error: is not a folder, so it cannot be the policies directory\n  hint: pass the folder that holds org.yaml and teams/ (--policies policies), not a file in it',
    ]);
  });

  it('a folder with no policies in it is one error, not one per entry (here: /proc/self, full of links)', () => {
    const d = readPolicies('/proc/self', { cwd: '/' }).diagnostics;
    expect(d).toHaveLength(1);
    expect(d[0]!.message).toBe('is not a policies directory: it holds no org.yaml, no teams/ and no YAML file');
  });

  it("a missing org.yaml is the only error: the team files' reach needs its grants", () => {
    const dir = writePolicies({ 'teams/research.yaml': teamYaml('research') });
    expect(lines(dir)).toEqual([
      'org.yaml:1:1: error: org.yaml is missing\n  hint: create it with at least `version: 2`, `org: org_…` and `admins: ["@your-org/platform"]`',
    ]);
  });

  it('one tab is one error, and a team file YAML cannot parse leaves no warning about its grants', () => {
    const org = `${ORG_YAML}grants:\n  research: {projects: [research-evals]}\n`;
    const team = teamYaml('research', projectYaml('research-evals', { keys: ['evals'] }))
      .split('\n')
      .map((l, i) => (i === 3 ? l.replace(/^ {2}/, '\t') : l))
      .join('\n');
    const dir = writePolicies({ 'org.yaml': org, 'teams/research.yaml': team });
    const found = lines(dir);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^teams\/research\.yaml:4:1: error: YAML: a tab is used for indentation/);
  });
});

describe('team file names (issue 11, finding 5)', () => {
  it('a file name that could inject CODEOWNERS lines is refused, shown escaped', () => {
    const dir = writePolicies({ 'org.yaml': ORG_YAML, 'teams/x.yaml @evil\n* @evil\n#.yaml': teamYaml('x') });
    const result = readPolicies(dir, { cwd: dir });
    expect(result.desired).toBeUndefined();
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([
      'teams/x.yaml @evil\\x0a* @evil\\x0a#.yaml:1:1: error: is not read: a team file is named after its team: lowercase letters, digits and "-", up to 63 characters, then .yaml\n  hint: rename it to teams/x-yaml-evil-evil.yaml and set team: x-yaml-evil-evil',
    ]);
  });

  it('the file name must equal team:', () => {
    const dir = writePolicies({ 'org.yaml': ORG_YAML, 'teams/bots.yaml': teamYaml('chatbot') });
    expect(lines(dir)).toEqual([
      'teams/bots.yaml:1:7: error: team: team "chatbot" is in a file named "bots.yaml"\n  hint: rename the file to chatbot.yaml (CODEOWNERS is derived from file names), or write team: bots',
    ]);
  });

  it('the CODEOWNERS generator refuses a path or owner it cannot write safely', () => {
    const { desired } = readPolicies('policies', { cwd: process.cwd() });
    const evil = { ...desired!, teams: [{ ...desired!.teams[0]!, file: 'policies/teams/x.yaml @evil\n* @evil\n#.yaml' }] };
    expect(() => renderCodeownersBlock(evil, 'policies')).toThrow(/cannot be written to CODEOWNERS/);
    const badOwner = { ...desired!, teams: [{ ...desired!.teams[0]!, owners: ['@acme/x\n* @evil'] }] };
    expect(() => renderCodeownersBlock(badOwner, 'policies')).toThrow(/cannot be written to CODEOWNERS/);
    expect(() => renderCodeownersBlock(desired!, 'my policies')).toThrow(/cannot be written to CODEOWNERS/);
  });
});

describe('large and hostile input', () => {
  it('40,000 unknown fields in one file validate in well under a second, and the listing is capped (issue 11, finding 4)', () => {
    const fields = Array.from({ length: 40_000 }, (_, i) => `field_${i}: ${i}\n`).join('');
    const dir = writePolicies({ 'org.yaml': ORG_YAML, 'teams/t.yaml': `${teamYaml('t')}${fields}` });
    // About 0.6 s on a 2-core machine, most of it the YAML library's lexer; it was 172 s when
    // quadratic, far past the test timeout (tests assert no wall-clock time; `npm run bench` measures).
    const result = readPolicies(dir, { cwd: dir });
    expect(result.counts).toEqual({ errors: 40_000, warnings: 0 });
    expect(result.diagnostics).toHaveLength(51);
    expect(result.diagnostics[0]).toMatchObject({ line: 4, column: 1, path: 'field_0', message: 'unknown field "field_0"' });
    expect(result.diagnostics[50]).toMatchObject({
      file: 'teams/t.yaml',
      message: '39950 more problems in this file not shown (39950 errors)',
    });
  });

  it('40,000 repeated keys are found without a quadratic check, each named', () => {
    const dir = writePolicies({ 'org.yaml': ORG_YAML, 'teams/t.yaml': `${teamYaml('t')}${'description: x\n'.repeat(40_000)}` });
    const result = readPolicies(dir, { cwd: dir });
    expect(result.counts.errors).toBe(39_999);
    expect(result.diagnostics[0]).toMatchObject({ line: 5, column: 1, message: 'YAML: `description` appears twice in the same mapping' });
  });

  it('points at the right place in a mapping whose integer-like keys JavaScript orders first', () => {
    const team =
      'team: t\nowners: ["@acme/t"]\nprojects:\n  - name: p\n    limits:\n      openai/gpt-oss-20b: {requests_per_minute: 10}\n      "7": {requests_per_minute: 10}\n      default: {requests_per_minute: 1.5}\n';
    const dir = writePolicies({ 'org.yaml': ORG_YAML, 'teams/t.yaml': team });
    const found = readPolicies(dir, { cwd: dir }).diagnostics.map((d) => `${d.line}:${d.column} ${d.path}`);
    expect(found).toEqual(['7:7 projects[0].limits.7', '8:38 projects[0].limits.default.requests_per_minute']);
  });

  it('keeps no YAML tree: a source holds plain data and positions', () => {
    const { sources } = readPolicySources('policies', process.cwd());
    for (const s of sources) {
      expect(Object.keys(s).sort()).toEqual(['data', 'file', 'kind', 'positions']);
      expect(Object.keys(s.positions).sort()).toEqual(['data', 'lineStarts', 'positions', 'rawNumbers', 'rootOffset']);
      expect(s.positions.positions.at).toBeInstanceOf(WeakMap);
      // One packed array of offsets per file, not an object and an array per mapping.
      expect(s.positions.positions.pool).toBeInstanceOf(Int32Array);
      expect(s.positions.positions.pool.length).toBeGreaterThan(0);
    }
  });

  it('a 50 MB file is refused by its size, without being parsed', () => {
    const dir = writePolicies({ 'org.yaml': ORG_YAML });
    fs.mkdirSync(path.join(dir, 'teams'));
    const fd = fs.openSync(path.join(dir, 'teams/big.yaml'), 'w');
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    for (let i = 0; i < 50; i++) fs.writeSync(fd, chunk);
    fs.closeSync(fd);
    expect(lines(dir)).toEqual([
      `teams/big.yaml:1:1: error: is 52428800 bytes, over the ${MAX_FILE_BYTES}-byte limit for a policy file\n  hint: split the team into several files`,
    ]);
  });

  it('a megabyte of nested brackets is refused before the parser recurses into it', () => {
    const dir = writePolicies({
      'org.yaml': ORG_YAML,
      'teams/x.yaml': `${teamYaml('x')}description: ${'['.repeat(500_000)}${']'.repeat(500_000)}\n`,
    });
    expect(lines(dir)).toEqual([
      `teams/x.yaml:4:${'description: '.length + 65}: error: nests values more than 32 levels deep\n  hint: a policy is at most a few levels deep; check the indentation`,
    ]);
  });

  it('aliases that expand too far are refused', () => {
    const bomb =
      'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n';
    const dir = writePolicies({ 'org.yaml': ORG_YAML, 'teams/x.yaml': `${bomb}${teamYaml('x')}` });
    expect(lines(dir)).toEqual([
      'teams/x.yaml:1:1: error: uses YAML aliases that expand too far (an alias bomb)\n  hint: write the values out; policies need no aliases',
    ]);
  });

  it('a symbolic link out of the policies directory is refused', () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'outside-'));
    fs.writeFileSync(path.join(outside, 'x.yaml'), teamYaml('x'));
    const dir = writePolicies({ 'org.yaml': ORG_YAML });
    fs.mkdirSync(path.join(dir, 'teams'));
    fs.symlinkSync(path.join(outside, 'x.yaml'), path.join(dir, 'teams/x.yaml'));
    const [d] = readPolicies(dir, { cwd: dir }).diagnostics;
    expect(d).toMatchObject({ file: 'teams/x.yaml', line: 1, column: 1, severity: 'error' });
    expect(d!.message).toBe(`is a symbolic link to ${fs.realpathSync(path.join(outside, 'x.yaml'))}, outside the policies directory`);
  });

  it('a symbolic link inside the policies directory is followed, and its target is not stray', () => {
    const dir = writePolicies({ 'org.yaml': ORG_YAML, 'shared/t.yaml': teamYaml('t', projectYaml('p', { keys: ['k'] })) });
    fs.mkdirSync(path.join(dir, 'teams'));
    fs.symlinkSync(path.join(dir, 'shared/t.yaml'), path.join(dir, 'teams/t.yaml'));
    const result = readPolicies(dir, { cwd: dir });
    expect(result.diagnostics).toEqual([]);
    expect(result.desired?.keys.map((k) => k.name)).toEqual(['k']);
  });

  it('a broken symbolic link is reported, not thrown', () => {
    const dir = writePolicies({ 'org.yaml': ORG_YAML });
    fs.mkdirSync(path.join(dir, 'teams'));
    fs.symlinkSync(path.join(dir, 'nowhere.yaml'), path.join(dir, 'teams/gone.yaml'));
    expect(readPolicies(dir, { cwd: dir }).diagnostics[0]!.message).toBe('cannot be read: it is a broken symbolic link');
  });

  it('a linked teams folder is an error, not silently skipped', () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'outside-'));
    fs.writeFileSync(path.join(outside, 'x.yaml'), teamYaml('x'));
    const dir = writePolicies({ 'org.yaml': ORG_YAML });
    fs.symlinkSync(outside, path.join(dir, 'teams'));
    expect(lines(dir)).toEqual([
      'teams:1:1: error: is a symbolic link to a folder, which groq-rbac does not follow\n  hint: replace the link with the folder itself',
    ]);
  });

  it('teams being a file is an error, not a crash', () => {
    const dir = writePolicies({ 'org.yaml': ORG_YAML, teams: 'oops' });
    expect(lines(dir)).toEqual(['teams:1:1: error: is not a directory\n  hint: teams/ is a folder holding one YAML file per team']);
  });

  it('a missing policies directory says how to create one', () => {
    expect(lines('/nonexistent/policies').length).toBe(1);
    expect(readPolicies('/nonexistent/policies', { cwd: '/' }).diagnostics.map(formatDiagnostic)).toEqual([
      'nonexistent/policies:1:1: error: policies directory not found\n  hint: pass --policies DIR, or create it with `groq-rbac import --out policies`',
    ]);
  });
});

describe('durations', () => {
  it.each([
    ['90d', 7776000],
    ['24h', 86400],
    ['30m', 1800],
    ['45s', 45],
    ['2w', 1209600],
    ['1h30m', 5400],
  ])('%s is %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
    expect(parseDuration(formatDuration(seconds))).toBe(seconds);
  });
  it.each(['90', 'd', '90 days', '1.5h', '-1d', '', '1y'])('"%s" is not a duration', (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});

describe('the model catalogue', () => {
  it('knows every decommissioned model the original design used, with its shutdown date', () => {
    for (const id of ['llama-3.3-70b-versatile', 'llama-3.1-8b-instant', 'mixtral-8x7b-32768', 'gemma2-9b-it']) {
      expect(lookUpModel(defaultCatalogue, id).kind, id).toBe('decommissioned');
    }
    expect(lookUpModel(defaultCatalogue, 'llama-3.3-70b-versatile')).toMatchObject({
      entry: { shutdown_date: '2026-08-16', replacement: 'openai/gpt-oss-120b' },
    });
  });
  it('suggests the closest ids for a typo, nearest first, and nothing for noise', () => {
    expect(
      closestMatches(
        'openai/gpt-oss-12b',
        defaultCatalogue.live.map((m) => m.id),
        2,
      ),
    ).toEqual(['openai/gpt-oss-120b', 'openai/gpt-oss-20b']);
    expect(
      closestMatches(
        'zzzzzzzz',
        defaultCatalogue.live.map((m) => m.id),
        3,
      ),
    ).toEqual([]);
  });
});

describe('precompiled schemas (issue 12, finding 6)', () => {
  it('src/policy/generated/ matches schemas/*.schema.json', () => {
    const run = spawnSync(process.execPath, ['scripts/compile-schemas.mjs', '--check'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
