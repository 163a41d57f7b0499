import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/policy/diagnostics.js';
import { formatDuration, parseDuration } from '../../src/policy/duration.js';
import { closestMatches, lookUpModel, defaultCatalogue } from '../../src/policy/models.js';
import { readPolicies } from '../../src/policy/read-policies.js';
import { MAX_FILE_BYTES } from '../../src/policy/source.js';
import { ORG_YAML, teamYaml, writePolicies } from '../helpers/policies.js';

describe('the repository example policies', () => {
  it('validate with no diagnostics at all', () => {
    const result = readPolicies('policies', { cwd: process.cwd() });
    expect(result.diagnostics).toEqual([]);
    expect(result.desired?.teams.map((t) => t.name).sort()).toEqual(['analytics', 'batch', 'chatbot', 'research']);
  });

  it('reference their JSON Schema for editors, and the path resolves', () => {
    for (const file of ['policies/org.yaml', ...fs.readdirSync('policies/teams').map((f) => `policies/teams/${f}`)]) {
      const first = fs.readFileSync(file, 'utf8').split('\n')[0]!;
      const match = /^# yaml-language-server: \$schema=(.+)$/.exec(first);
      expect(match, file).not.toBeNull();
      expect(fs.existsSync(path.resolve(path.dirname(file), match![1]!)), file).toBe(true);
    }
  });
});

describe('desired state', () => {
  it('resolves defaults: key models from the team, limits from the org ceiling, rotation from org defaults', () => {
    const dir = writePolicies({
      'org.yaml': `${ORG_YAML}rotation:\n  every: 60d\n`,
      'teams/chatbot.yaml': teamYaml('chatbot', ['name: a\n    requests_per_minute: 10', 'name: b\n    models: [openai/gpt-oss-120b]\n    enabled: false\n    protect: true\n    rotation: {every: 7d, trigger: leak}'], 'models: [openai/gpt-oss-20b, openai/gpt-oss-120b]\n'),
      'teams/search.yaml': teamYaml('search', ['name: c']),
    });
    const { desired, diagnostics } = readPolicies(dir, { cwd: dir });
    expect(diagnostics).toEqual([]);
    const [a, b, c] = desired!.keys;
    expect(a).toMatchObject({ name: 'a', team: 'chatbot', models: ['openai/gpt-oss-20b', 'openai/gpt-oss-120b'], enabled: true, protect: false });
    expect(a!.limits).toEqual({ requests_per_minute: 10, tokens_per_minute: 1_000_000, requests_per_day: null, tokens_per_day: null });
    expect(a!.rotation).toMatchObject({ everySeconds: 60 * 86400, quietPeriodSeconds: 86400, minOverlapSeconds: 3600, trigger: null });
    expect(b).toMatchObject({ models: ['openai/gpt-oss-120b'], enabled: false, protect: true, rotation: { everySeconds: 7 * 86400, trigger: 'leak' } });
    expect(c!.models).toEqual(['openai/gpt-oss-120b', 'openai/gpt-oss-20b', 'qwen/qwen3.8-27b']);
    expect(desired!.org.spending).toEqual({ monthly_cap_usd: 500, alert_thresholds_usd: [100, 250, 400], auto_pause: true });
    expect(desired!.org.safety).toEqual({ maxDeletes: 3, maxDeletePercent: 25 });
    expect(a!.source).toEqual({ file: 'teams/chatbot.yaml', line: 5, column: 5 });
  });

  it('gives every model when neither org, team nor key restricts them', () => {
    const dir = writePolicies({ 'org.yaml': 'version: 1\norg: org_x\nadmins: ["@a/b"]\n', 'teams/t.yaml': teamYaml('t', ['name: k']) });
    expect(readPolicies(dir, { cwd: dir }).desired!.keys[0]!.models).toBeNull();
  });
});

describe('warnings do not fail validation', () => {
  it('flags a team file named differently from its team, and YAML files that are not read', () => {
    const dir = writePolicies({ 'org.yaml': ORG_YAML, 'teams/bots.yaml': teamYaml('chatbot', []), 'chatbot.yaml': 'team: x\n' });
    const result = readPolicies(dir, { cwd: dir });
    expect(result.desired).toBeDefined();
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([
      'chatbot.yaml:1:1: warning: this file is not read\n  hint: team files go under teams/',
      'teams/bots.yaml:1:7: warning: team: team "chatbot" is in a file named "bots"\n  hint: rename the file to chatbot.yaml, so CODEOWNERS and reviewers find it',
    ]);
  });
});

describe('hostile input is refused quickly and clearly', () => {
  it('a 50 MB file is refused by its size, without being parsed', () => {
    const dir = writePolicies({ 'org.yaml': ORG_YAML });
    fs.mkdirSync(path.join(dir, 'teams'));
    const fd = fs.openSync(path.join(dir, 'teams/big.yaml'), 'w');
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    for (let i = 0; i < 50; i++) fs.writeSync(fd, chunk);
    fs.closeSync(fd);
    const result = readPolicies(dir, { cwd: dir });
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([
      `teams/big.yaml:1:1: error: is 52428800 bytes, over the ${MAX_FILE_BYTES}-byte limit for a policy file\n  hint: split the team into several files`,
    ]);
  });

  it('a megabyte of nested brackets is refused before the parser recurses into it', () => {
    const head = 'team: x\nowners: ["@a/b"]\nkeys: []\ndescription: ';
    const dir = writePolicies({ 'org.yaml': ORG_YAML, 'teams/x.yaml': `${head}${'['.repeat(500_000)}${']'.repeat(500_000)}\n` });
    expect(readPolicies(dir, { cwd: dir }).diagnostics.map(formatDiagnostic)).toEqual([
      `teams/x.yaml:4:${'description: '.length + 65}: error: nests values more than 32 levels deep\n  hint: a policy is at most a few levels deep; check the indentation`,
    ]);
  });

  it('runaway indentation is refused the same way', () => {
    const deep = Array.from({ length: 200 }, (_, i) => `${' '.repeat(2 * i)}k${i}:`).join('\n');
    const dir = writePolicies({ 'org.yaml': ORG_YAML, 'teams/x.yaml': `team: x\nowners: ["@a/b"]\nkeys: []\nextra:\n${deep}\n` });
    const [d] = readPolicies(dir, { cwd: dir }).diagnostics;
    expect(d).toMatchObject({ file: 'teams/x.yaml', line: 70, column: 131, message: 'nests values more than 32 levels deep' });
  });

  it('a symbolic link out of the policies directory is refused', () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'outside-'));
    fs.writeFileSync(path.join(outside, 'secret.yaml'), teamYaml('x', []));
    const dir = writePolicies({ 'org.yaml': ORG_YAML });
    fs.mkdirSync(path.join(dir, 'teams'));
    fs.symlinkSync(path.join(outside, 'secret.yaml'), path.join(dir, 'teams/x.yaml'));
    const [d] = readPolicies(dir, { cwd: dir }).diagnostics;
    expect(d).toMatchObject({ file: 'teams/x.yaml', line: 1, column: 1, severity: 'error' });
    expect(d!.message).toBe(`is a symbolic link to ${fs.realpathSync(path.join(outside, 'secret.yaml'))}, outside the policies directory`);
  });

  it('a symbolic link inside the policies directory is followed', () => {
    const dir = writePolicies({ 'org.yaml': ORG_YAML, 'shared/t.yaml': teamYaml('t', ['name: k']) });
    fs.mkdirSync(path.join(dir, 'teams'));
    fs.symlinkSync(path.join(dir, 'shared/t.yaml'), path.join(dir, 'teams/t.yaml'));
    expect(readPolicies(dir, { cwd: dir }).desired?.keys.map((k) => k.name)).toEqual(['k']);
  });

  it('a broken symbolic link is reported, not thrown', () => {
    const dir = writePolicies({ 'org.yaml': ORG_YAML });
    fs.mkdirSync(path.join(dir, 'teams'));
    fs.symlinkSync(path.join(dir, 'nowhere.yaml'), path.join(dir, 'teams/gone.yaml'));
    expect(readPolicies(dir, { cwd: dir }).diagnostics[0]!.message).toBe('cannot be read: it is a broken symbolic link');
  });

  it('a missing policies directory says how to create one', () => {
    const result = readPolicies('/nonexistent/policies', { cwd: '/' });
    expect(result.diagnostics.map(formatDiagnostic)).toEqual(['nonexistent/policies:1:1: error: policies directory not found\n  hint: pass --policies DIR, or create it with `groq-rbac import --out policies`']);
  });
});

describe('durations', () => {
  it.each([['90d', 7776000], ['24h', 86400], ['30m', 1800], ['45s', 45], ['2w', 1209600], ['1h30m', 5400]])('%s is %i seconds', (text, seconds) => {
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
    expect(lookUpModel(defaultCatalogue, 'llama-3.3-70b-versatile')).toMatchObject({ entry: { shutdown_date: '2026-08-16', replacement: 'openai/gpt-oss-120b' } });
  });
  it('suggests the closest ids for a typo, nearest first, and nothing for noise', () => {
    expect(closestMatches('openai/gpt-oss-12b', defaultCatalogue.live.map((m) => m.id), 2)).toEqual(['openai/gpt-oss-120b', 'openai/gpt-oss-20b']);
    expect(closestMatches('zzzzzzzz', defaultCatalogue.live.map((m) => m.id), 3)).toEqual([]);
  });
});
