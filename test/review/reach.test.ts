import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deliverToFile } from '../../src/apply/deliver/file.js';
import { silentLogger } from '../../src/core/log.js';
import { formatDiagnostic } from '../../src/policy/diagnostics.js';
import { readPolicies } from '../../src/policy/read-policies.js';

// Security review (h13): what a team's file alone may reach. Tests named BROKEN or WEAK assert the
// secure outcome and FAIL today; tests named HOLDS pass (the attack is refused as documented).

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
  return readPolicies(path.join(ws, 'policies'), { cwd: ws }).diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
}

describe('GitHub name space', () => {
  it('BROKEN: team "chatbot" reaches team "chatbot-eval"\'s repository acme/chatbot-eval (the "<team>-…" rule overlaps another team\'s own name)', () => {
    const errors = errorsOf({
      'teams/chatbot.yaml': team('chatbot', '{github: {repository: acme/chatbot-eval, secret: EVAL_KEY, environment: production}}'),
      'teams/chatbot-eval.yaml': team('chatbot-eval', '{github: {repository: acme/chatbot-eval, secret: OWN_KEY}}'),
    });
    // Secure outcome: chatbot's target is out of its reach (acme/chatbot-eval is chatbot-eval's).
    expect(errors.join('\n')).toContain('teams/chatbot.yaml');
  });

  it('WEAK: "any owner" lets a team deliver its key to a repository outside the organization (evil-corp/chatbot)', () => {
    const errors = errorsOf({ 'teams/chatbot.yaml': team('chatbot', '{github: {repository: evil-corp/chatbot, secret: GROQ_KEY}}') });
    // Secure outcome: only the organization's own GitHub owner(s) count as the team's name space.
    expect(errors.join('\n')).toContain('evil-corp/chatbot');
  });

  it('HOLDS: environment names that would change the API path are refused', () => {
    for (const env of ['..', 'production/..', 'prod%2F..', 'prod\\..', 'prod\u200b']) {
      const errors = errorsOf({ 'teams/chatbot.yaml': team('chatbot', `{github: {repository: acme/chatbot, secret: K, environment: ${JSON.stringify(env)}}}`) });
      if (env === 'prod\u200b') continue; // a zero-width space is a distinct environment name, not a path change
      expect(errors.length, env).toBeGreaterThan(0);
    }
  });
});

describe('file targets', () => {
  it('WEAK: a Windows-separated ".." segment skips the reach check entirely: validate accepts /etc/cron.d\\..\\x for any team', () => {
    // reach.ts:88 returns "reachable" for any path with a `..` segment split on / or \, trusting the schema
    // to refuse it; the schema's pattern (team.schema.json file.path) only looks for `/..`.
    const errors = errorsOf({ 'teams/chatbot.yaml': team('chatbot', '{file: {path: "/etc/cron.d\\\\..\\\\x"}}') });
    expect(errors.length).toBeGreaterThan(0);
  });

  it('HOLDS (at delivery): the same path is refused by the file deliverer before anything is written', async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-review-file-'));
    await expect(deliverToFile({ kind: 'file', path: '.secrets/chatbot\\..\\research\\k' }, 'v', { cwd, env: {}, logger: silentLogger } as never)).rejects.toThrow(/\.\. segment/);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it('HOLDS: case tricks, trailing dots, %2e, look-alikes and repository files are out of reach', () => {
    for (const p of ['.Secrets/chatbot/k', '.secrets/Chatbot/k', '.secrets/chatbot./k', '.secrets/research/k', '.secrets/сhatbot/k', '.github/workflows/x.yml',
      '.git/config', 'policies/org.yaml', 'node_modules/x/index.js', '.github/CODEOWNERS', '/home/runner/.gitconfig', 'C:\\x', '\\\\server\\share\\x']) {
      const errors = errorsOf({ 'teams/chatbot.yaml': team('chatbot', `{file: {path: ${JSON.stringify(p)}}}`) });
      expect(errors.length, p).toBeGreaterThan(0);
    }
    // `%2e%2e` is a literal name on disk, inside the team's own folder.
    expect(errorsOf({ 'teams/chatbot.yaml': team('chatbot', '{file: {path: ".secrets/chatbot/%2e%2e/k"}}') })).toEqual([]);
  });

  it('HOLDS: a symbolic link already in the repository on the way to the team\'s folder is refused at delivery', async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-review-link-'));
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-review-else-'));
    fs.mkdirSync(path.join(cwd, '.secrets'));
    fs.symlinkSync(elsewhere, path.join(cwd, '.secrets', 'chatbot'));
    await expect(deliverToFile({ kind: 'file', path: '.secrets/chatbot/k' }, 'v', { cwd, env: {}, logger: silentLogger } as never)).rejects.toThrow(/symbolic link/);
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });
});

describe('Vault paths and grants', () => {
  it('HOLDS: prefixes match segment by segment: team "chat" does not reach secret/groq/chatbot; metadata/ and double data/ are not own paths', () => {
    for (const p of ['secret/data/groq/chatbot/x', 'secret/groq/chatbot', 'secret/metadata/groq/chat/x', 'secret/data/data/groq/chat/x', 'Secret/data/groq/chat/x', 'secret/data/groq/CHAT/x']) {
      const errors = errorsOf({ 'teams/chat.yaml': team('chat', `{vault: {path: ${p}, field: k}}`) });
      expect(errors.length, p).toBeGreaterThan(0);
    }
    expect(errorsOf({ 'teams/chat.yaml': team('chat', '{vault: {path: secret/groq/chat/x, field: k}}') })).toEqual([]);
  });

  it('HOLDS: a granted prefix secret/groq/chat does not cover secret/groq/chatbot', () => {
    const org = `${ORG}grants:\n  research:\n    vault: [secret/data/shared/chat]\n`;
    const errors = errorsOf({ 'org.yaml': org, 'teams/research.yaml': team('research', '{vault: {path: secret/data/shared/chatbot/x, field: k}}') });
    expect(errors.length).toBeGreaterThan(0);
  });

  it('HOLDS: a team file cannot name a Vault address', () => {
    const errors = errorsOf({ 'teams/chatbot.yaml': team('chatbot', '{vault: {path: secret/groq/chatbot/x, field: k, address: "https://evil.example"}}') });
    expect(errors.length).toBeGreaterThan(0);
  });
});

describe('team names', () => {
  it('HOLDS: a file named like one team that says it is another, a look-alike name, and a case variant are all refused', () => {
    expect(errorsOf({ 'teams/research.yaml': team('chatbot', '{file: {path: .secrets/chatbot/k}}') }).join('\n')).toContain('is in a file named "research.yaml"');
    expect(errorsOf({ 'teams/chatbot.yaml': team('chаtbot', '{file: {path: .secrets/chatbot/k}}') }).length).toBeGreaterThan(0);
    expect(errorsOf({ 'teams/Chatbot.yaml': team('chatbot', '{file: {path: .secrets/chatbot/k}}') }).join('\n')).toContain('is not read');
  });

  it('HOLDS: a project or key renamed to another team\'s name is a duplicate', () => {
    const errors = errorsOf({
      'teams/chatbot.yaml': team('chatbot', '{file: {path: .secrets/chatbot/k}}').replace('chatbot-prod-key', 'research-prod-key'),
      'teams/research.yaml': team('research', '{file: {path: .secrets/research/k}}'),
    });
    expect(errors.join('\n')).toContain('key "research-prod-key" is also defined');
  });
});
