import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultBaseRef, readOwnershipBase, readPoliciesAtRef } from '../../src/app/policies-at-ref.js';
import { ORG_YAML, projectYaml, teamYaml, writePolicies } from '../helpers/policies.js';

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, '-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { encoding: 'utf8' }).trim();
}

/** A repository whose first commit has one project and whose working tree has another. */
function repository(): { repo: string; policies: string; first: string } {
  const repo = writePolicies({ 'README.md': 'x\n' });
  git(repo, 'init', '-q', '-b', 'main');
  const policies = path.join(repo, 'policies');
  fs.mkdirSync(path.join(policies, 'teams'), { recursive: true });
  fs.writeFileSync(path.join(policies, 'org.yaml'), ORG_YAML);
  fs.writeFileSync(path.join(policies, 'teams', 'chatbot.yaml'), teamYaml('chatbot', projectYaml('chatbot-prod')));
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'first');
  const first = git(repo, 'rev-parse', 'HEAD');
  git(repo, 'checkout', '-q', '-b', 'change');
  fs.writeFileSync(path.join(policies, 'teams', 'chatbot.yaml'), teamYaml('chatbot', projectYaml('chatbot-staging')));
  git(repo, 'commit', '-q', '-am', 'second');
  return { repo, policies, first };
}

describe('readPoliciesAtRef', () => {
  it('reads the policies as they were at a revision, not as the working tree has them', async () => {
    const { policies, first } = repository();
    const at = await readPoliciesAtRef(policies, 'main');
    expect(at.commit).toBe(first);
    expect(at.result?.counts.errors).toBe(0);
    expect(at.result?.desired?.projects.map((p) => p.name)).toEqual(['chatbot-prod']);
    const head = await readPoliciesAtRef(policies, 'HEAD');
    expect(head.result?.desired?.projects.map((p) => p.name)).toEqual(['chatbot-staging']);
  });

  it('answers null where the policies directory did not exist yet', async () => {
    const { repo, policies } = repository();
    fs.writeFileSync(path.join(repo, 'other.txt'), 'y\n');
    git(repo, 'checkout', '-q', '--orphan', 'empty');
    git(repo, 'rm', '-q', '-r', '--cached', 'policies');
    git(repo, 'add', 'other.txt');
    git(repo, 'commit', '-q', '-m', 'no policies');
    const at = await readPoliciesAtRef(policies, 'empty');
    expect(at.result).toBeNull();
  });

  it('refuses an unknown revision with a message naming it', async () => {
    const { policies } = repository();
    await expect(readPoliciesAtRef(policies, 'no-such-branch')).rejects.toThrow(/find revision no-such-branch/);
  });

  it('finds where the branch left main', async () => {
    const { policies, first } = repository();
    expect(await defaultBaseRef(policies)).toBe(first);
  });
});

describe('readOwnershipBase', () => {
  it('a base whose policies do not validate is no base, and the note says where they fail', async () => {
    const { repo, policies } = repository();
    fs.writeFileSync(path.join(policies, 'teams', 'chatbot.yaml'), 'team: chatbot\nowners: ["@acme/chatbot"]\nprojects: null\n');
    git(repo, 'commit', '-q', '-am', 'broken');
    const { base, note } = await readOwnershipBase(policies, 'HEAD');
    expect(base).toBeNull();
    expect(note).toMatch(
      /the policies at HEAD \([0-9a-f]{12}\) do not validate \(first: policies\/teams\/chatbot\.yaml:3:11: must be a list, not null\), so they cannot show who owned which project/,
    );
  });

  const head = { projects: [{ name: 'from-the-working-tree', team: 'chatbot' }] };

  it("takes the working tree's own owners when the policies are unchanged since the base, without reading the revision", async () => {
    const { policies } = repository();
    // HEAD's policies are the working tree's: the base is read from `head`, not from git.
    const { base } = await readOwnershipBase(policies, 'HEAD', head);
    expect(base?.projects).toEqual(head.projects);
  });

  it('reads the revision when the working tree changed the policies, or holds a file git does not track', async () => {
    const { policies } = repository();
    fs.writeFileSync(path.join(policies, 'teams', 'chatbot.yaml'), teamYaml('chatbot', projectYaml('chatbot-changed')));
    expect((await readOwnershipBase(policies, 'HEAD', head)).base?.projects).toEqual([{ name: 'chatbot-staging', team: 'chatbot' }]);
    git(path.dirname(policies), 'checkout', '-q', '--', 'policies');
    fs.writeFileSync(path.join(policies, 'teams', 'research.yaml'), teamYaml('research'));
    expect((await readOwnershipBase(policies, 'HEAD', head)).base?.projects).toEqual([{ name: 'chatbot-staging', team: 'chatbot' }]);
  });
});
