import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deliverToFile } from '../../src/apply/deliver/file.js';
import { silentLogger } from '../../src/core/log.js';
import { formatDiagnostic } from '../../src/policy/diagnostics.js';
import { checkFileReach, NO_GRANTS } from '../../src/policy/reach.js';
import { readPolicies } from '../../src/policy/read-policies.js';

// Security review (h13): what a team's file alone may reach. Each test is an attack the review tried;
// HOLDS: refused as documented at review time; FIXED: refused since h15 (was BROKEN or WEAK).

const ORG = 'version: 2\norg: org_acme\nadmins: ["@acme/platform"]\n';
const team = (name: string, target: string, owners = `["@acme/${name}"]`) =>
  `team: ${name}\nowners: ${owners}\nprojects:\n  - name: ${name}-prod\n    keys:\n      - name: ${name}-prod-key\n        rotation: {deliver: [${target}]}\n`;

/** validate on a fresh policies directory: the error lines. */
function errorsOf(files: Record<string, string>): string[] {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-review-reach-'));
  for (const [name, text] of Object.entries({ 'org.yaml': ORG, ...files })) {
    fs.mkdirSync(path.dirname(path.join(ws, 'policies', name)), { recursive: true });
    fs.writeFileSync(path.join(ws, 'policies', name), text);
  }
  return readPolicies(path.join(ws, 'policies'), { cwd: ws })
    .diagnostics.filter((d) => d.severity === 'error')
    .map(formatDiagnostic);
}

describe('GitHub name space', () => {
  it('FIXED (#4): team "chatbot" does not reach team "chatbot-eval"\'s repository acme/chatbot-eval: the longest team name wins', () => {
    const errors = errorsOf({
      'teams/chatbot.yaml': team('chatbot', '{github: {repository: acme/chatbot-eval, secret: EVAL_KEY, environment: production}}'),
      'teams/chatbot-eval.yaml': team('chatbot-eval', '{github: {repository: acme/chatbot-eval-ui, secret: OWN_KEY}}'),
    });
    // chatbot's target is out of its reach (acme/chatbot-eval is chatbot-eval's); chatbot-eval's own is not an error.
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('teams/chatbot.yaml');
    expect(errors[0]).toContain('repository "acme/chatbot-eval" is outside team "chatbot"\'s reach: it is named for team "chatbot-eval"');
    // Without a team of that name, the repository is chatbot's own, as before.
    expect(errorsOf({ 'teams/chatbot.yaml': team('chatbot', '{github: {repository: acme/chatbot-eval, secret: EVAL_KEY}}') })).toEqual([]);
  });

  it("FIXED (#5): the default name space is the organization's GitHub owners only, not any owner: evil-corp/chatbot is out of reach", () => {
    const errors = errorsOf({ 'teams/chatbot.yaml': team('chatbot', '{github: {repository: evil-corp/chatbot, secret: GROQ_KEY}}') });
    // Without github_owners: the organizations of the admins' @org/team handles (acme).
    expect(errors.join('\n')).toContain(
      'repository "evil-corp/chatbot" is outside team "chatbot"\'s reach: its own are repositories of acme named "chatbot" or "chatbot-…"',
    );
    expect(errors.join('\n')).toContain('or to add evil-corp to github_owners');
    expect(errorsOf({ 'teams/chatbot.yaml': team('chatbot', '{github: {repository: ACME/Chatbot, secret: GROQ_KEY}}') })).toEqual([]);
    // github_owners replaces that default; [] covers no owner at all.
    const listed = `${ORG}github_owners: [acme-labs]\n`;
    expect(
      errorsOf({
        'org.yaml': listed,
        'teams/chatbot.yaml': team('chatbot', '{github: {repository: acme-labs/chatbot, secret: GROQ_KEY}}'),
      }),
    ).toEqual([]);
    expect(
      errorsOf({
        'org.yaml': listed,
        'teams/chatbot.yaml': team('chatbot', '{github: {repository: acme/chatbot, secret: GROQ_KEY}}'),
      }).join('\n'),
    ).toContain('its own are repositories of acme-labs');
    expect(
      errorsOf({
        'org.yaml': `${ORG}github_owners: []\n`,
        'teams/chatbot.yaml': team('chatbot', '{github: {repository: acme/chatbot, secret: GROQ_KEY}}'),
      }).join('\n'),
    ).toContain('names no GitHub owner (github_owners, or an @org/team in admins)');
    // Admins that are users name no organization: no owner is covered until github_owners says so.
    expect(
      errorsOf({
        'org.yaml': ORG.replace('["@acme/platform"]', '["@alice"]'),
        'teams/chatbot.yaml': team('chatbot', '{github: {repository: acme/chatbot, secret: GROQ_KEY}}'),
      }),
    ).toHaveLength(1);
  });

  it('HOLDS: environment names that would change the API path are refused', () => {
    for (const env of ['..', 'production/..', 'prod%2F..', 'prod\\..', 'prod\u200b']) {
      const errors = errorsOf({
        'teams/chatbot.yaml': team('chatbot', `{github: {repository: acme/chatbot, secret: K, environment: ${JSON.stringify(env)}}}`),
      });
      if (env === 'prod\u200b') continue; // a zero-width space is a distinct environment name, not a path change
      expect(errors.length, env).toBeGreaterThan(0);
    }
  });
});

describe('file targets', () => {
  it('FIXED (#6): a Windows-separated ".." segment is refused by validate, as the "/" one is', () => {
    for (const p of ['/etc/cron.d\\\\..\\\\x', '.secrets/chatbot/x\\\\..\\\\..\\\\research\\\\k', '.secrets/chatbot/x\\\\..']) {
      const errors = errorsOf({ 'teams/chatbot.yaml': team('chatbot', `{file: {path: "${p}"}}`) });
      expect(errors, p).toHaveLength(1);
      expect(errors[0], p).toContain('must not hold a ".." segment');
    }
  });

  it('FIXED (#6): checkFileReach itself calls any ".." segment out of reach, on "/" or "\\"', () => {
    for (const p of ['.secrets/chatbot/../research/k', '.secrets/chatbot/x\\..\\..\\research\\k', '..']) {
      expect(checkFileReach('chatbot', NO_GRANTS, 'org.yaml', p)?.message, p).toContain('holds a ".." segment');
    }
    expect(checkFileReach('chatbot', NO_GRANTS, 'org.yaml', '.secrets/chatbot/..k')).toBeNull();
  });

  it('HOLDS (at delivery): the same path is refused by the file deliverer before anything is written', async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-review-file-'));
    await expect(
      deliverToFile({ kind: 'file', path: '.secrets/chatbot\\..\\research\\k' }, 'v', { cwd, env: {}, logger: silentLogger } as never),
    ).rejects.toThrow(/\.\. segment/);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it('HOLDS: case tricks, trailing dots, %2e, look-alikes and repository files are out of reach', () => {
    for (const p of [
      '.Secrets/chatbot/k',
      '.secrets/Chatbot/k',
      '.secrets/chatbot./k',
      '.secrets/research/k',
      '.secrets/сhatbot/k',
      '.github/workflows/x.yml',
      '.git/config',
      'policies/org.yaml',
      'node_modules/x/index.js',
      '.github/CODEOWNERS',
      '/home/runner/.gitconfig',
      'C:\\x',
      '\\\\server\\share\\x',
    ]) {
      const errors = errorsOf({ 'teams/chatbot.yaml': team('chatbot', `{file: {path: ${JSON.stringify(p)}}}`) });
      expect(errors.length, p).toBeGreaterThan(0);
    }
    // `%2e%2e` is a literal name on disk, inside the team's own folder.
    expect(errorsOf({ 'teams/chatbot.yaml': team('chatbot', '{file: {path: ".secrets/chatbot/%2e%2e/k"}}') })).toEqual([]);
  });

  it("HOLDS: a symbolic link already in the repository on the way to the team's folder is refused at delivery", async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-review-link-'));
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-review-else-'));
    fs.mkdirSync(path.join(cwd, '.secrets'));
    fs.symlinkSync(elsewhere, path.join(cwd, '.secrets', 'chatbot'));
    await expect(
      deliverToFile({ kind: 'file', path: '.secrets/chatbot/k' }, 'v', { cwd, env: {}, logger: silentLogger } as never),
    ).rejects.toThrow(/symbolic link/);
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });
});

describe('Vault paths and grants', () => {
  it('HOLDS: prefixes match segment by segment: team "chat" does not reach secret/groq/chatbot; metadata/ and double data/ are not own paths', () => {
    for (const p of [
      'secret/data/groq/chatbot/x',
      'secret/groq/chatbot',
      'secret/metadata/groq/chat/x',
      'secret/data/data/groq/chat/x',
      'Secret/data/groq/chat/x',
      'secret/data/groq/CHAT/x',
    ]) {
      const errors = errorsOf({ 'teams/chat.yaml': team('chat', `{vault: {path: ${p}, field: k}}`) });
      expect(errors.length, p).toBeGreaterThan(0);
    }
    expect(errorsOf({ 'teams/chat.yaml': team('chat', '{vault: {path: secret/groq/chat/x, field: k}}') })).toEqual([]);
  });

  it('HOLDS: a granted prefix secret/groq/chat does not cover secret/groq/chatbot', () => {
    const org = `${ORG}grants:\n  research:\n    vault: [secret/data/shared/chat]\n`;
    const errors = errorsOf({
      'org.yaml': org,
      'teams/research.yaml': team('research', '{vault: {path: secret/data/shared/chatbot/x, field: k}}'),
    });
    expect(errors.length).toBeGreaterThan(0);
  });

  it('HOLDS: a team file cannot name a Vault address', () => {
    const errors = errorsOf({
      'teams/chatbot.yaml': team('chatbot', '{vault: {path: secret/groq/chatbot/x, field: k, address: "https://evil.example"}}'),
    });
    expect(errors.length).toBeGreaterThan(0);
  });
});

describe('team names', () => {
  it('HOLDS: a file named like one team that says it is another, a look-alike name, and a case variant are all refused', () => {
    expect(errorsOf({ 'teams/research.yaml': team('chatbot', '{file: {path: .secrets/chatbot/k}}') }).join('\n')).toContain(
      'is in a file named "research.yaml"',
    );
    expect(errorsOf({ 'teams/chatbot.yaml': team('chаtbot', '{file: {path: .secrets/chatbot/k}}') }).length).toBeGreaterThan(0);
    expect(errorsOf({ 'teams/Chatbot.yaml': team('chatbot', '{file: {path: .secrets/chatbot/k}}') }).join('\n')).toContain('is not read');
  });

  it("HOLDS: a project or key renamed to another team's name is a duplicate", () => {
    const errors = errorsOf({
      'teams/chatbot.yaml': team('chatbot', '{file: {path: .secrets/chatbot/k}}').replace('chatbot-prod-key', 'research-prod-key'),
      'teams/research.yaml': team('research', '{file: {path: .secrets/research/k}}'),
    });
    expect(errors.join('\n')).toContain('key "research-prod-key" is also defined');
  });
});
