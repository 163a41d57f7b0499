import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { planChanges } from '../../src/plan/plan-changes.js';
import { formatDiagnostic } from '../../src/policy/diagnostics.js';
import { importPolicies } from '../../src/policy/import-policies.js';
import { readPolicies } from '../../src/policy/read-policies.js';
import { OpenAiProvider } from '../../src/providers/openai/provider.js';
import { commitAll, runCli } from '../helpers/cli.js';
import { writePolicies } from '../helpers/policies.js';
import { startTestOrg, type TestOrg } from '../helpers/sandbox.js';

// Members and roles end to end (issue 20): the CLI's plan and apply against both sandboxes over HTTP
// on 127.0.0.1 (`--sandbox-url`), the organization checked through the sandbox's own API afterwards.

interface Flavour {
  provider: 'groq' | 'openai';
  orgId: string;
  base: string;
  keyEnv: string;
  /** A member's role below owner, and a lower one to change it to (OpenAI has one role below owner: a promotion instead). */
  role: string;
  changedRole: string;
  projectRole: string;
  changedProjectRole: string;
  /** Whether the provider tells whose the admin key is (OpenAI: the admin key list's owner). */
  knowsAdmin: boolean;
}

const FLAVOURS: Flavour[] = [
  {
    provider: 'groq',
    orgId: 'org_sandbox',
    base: '/openai/v1',
    keyEnv: 'GROQ_ADMIN_KEY',
    role: 'developer',
    changedRole: 'reader',
    projectRole: 'developer',
    changedProjectRole: 'reader',
    knowsAdmin: false,
  },
  {
    provider: 'openai',
    orgId: 'org-sandbox',
    base: '/v1',
    keyEnv: 'OPENAI_ADMIN_KEY',
    role: 'reader',
    changedRole: 'owner',
    projectRole: 'member',
    changedProjectRole: 'owner',
    knowsAdmin: true,
  },
];

const ADA = 'ada@acme.example';

let org: TestOrg | null = null;
const dirs: string[] = [];
afterEach(async () => {
  await org?.close();
  org = null;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** Any e-mail address of the test's people, as the masked renderings must not show them. */
const ADDRESS = /\b[a-z]+@acme\.example\b/;

describe.each(FLAVOURS)('members and roles against the $provider sandbox', (f) => {
  const ORG = `${f.base}/organization`;

  async function setup() {
    org = await startTestOrg({ provider: f.provider, owner: ADA, ...(f.provider === 'groq' ? { orgId: f.orgId } : {}) });
    const dir = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), 'grbac-members-'));
    dirs.push(dir);
    return dir;
  }

  /** org.yaml and teams/chatbot.yaml (project chatbot-prod), written and committed (ownership is measured against the commit). */
  function write(dir: string, o: { members: Record<string, string>; team?: Record<string, string> | null; extra?: string }) {
    const lines = (m: Record<string, string>, indent: string) =>
      Object.entries(m)
        .map(([e, r]) => `${indent}${e}: ${r}`)
        .join('\n');
    const orgYaml = `version: 2\norg: ${f.orgId}\nadmins: ["@acme/platform"]\n${f.provider === 'openai' ? 'provider: openai\n' : ''}members:\n${lines(o.members, '  ')}\n${o.extra ?? ''}`;
    const team = o.team === null ? '' : `members:\n${lines(o.team ?? {}, '  ')}\n`;
    fs.mkdirSync(path.join(dir, 'policies', 'teams'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'policies', 'org.yaml'), orgYaml);
    // No team members (null): no project either; `{}`: the project, managed with nobody in it.
    const projects = o.team === null ? 'projects: []\n' : 'projects:\n  - name: chatbot-prod\n';
    fs.writeFileSync(
      path.join(dir, 'policies', 'teams', 'chatbot.yaml'),
      `team: chatbot\nowners: ["@acme/chatbot"]\n${o.team && Object.keys(o.team).length === 0 ? 'members: {}\n' : team}${projects}`,
    );
    commitAll(dir, 'policies');
  }

  const cli = (dir: string, argv: string[]) =>
    runCli([...argv, '--sandbox-url', org!.sandbox.url, '--policies', 'policies'], {
      cwd: dir,
      env: { [f.keyEnv]: org!.sandbox.adminKey },
    });
  const plan = (dir: string, ...extra: string[]) => cli(dir, ['plan', '--detailed-exitcode', ...extra]);
  const apply = (dir: string, ...extra: string[]) => cli(dir, ['apply', '--yes', ...extra]);
  const planJson = async (dir: string) => JSON.parse((await cli(dir, ['plan', '--format', 'json'])).stdout);

  const get = async (p: string) => {
    const r = await org!.request('GET', p);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  };
  const users = async () =>
    Object.fromEntries((await get(`${ORG}/users?limit=100`)).data.map((u: { email: string; role: string }) => [u.email, u.role]));
  const invites = async () =>
    (await get(`${ORG}/invites?limit=100`)).data
      .filter((i: { status: string }) => i.status === 'pending')
      .map((i: { email: string; role: string }) => `${i.email} ${i.role}`)
      .sort();
  const projectId = async (name: string) =>
    (await get(`${ORG}/projects?limit=100`)).data.find((p: { name: string }) => p.name === name).id as string;
  const projectUsers = async (name: string) =>
    Object.fromEntries(
      (await get(`${ORG}/projects/${await projectId(name)}/users?limit=100`)).data.map((u: { email: string; role: string }) => [
        u.email,
        u.role,
      ]),
    );
  const accept = async (email: string) => {
    const invite = (await get(`${ORG}/invites?limit=100`)).data.find(
      (i: { email: string; status: string }) => i.email === email && i.status === 'pending',
    );
    const r = await org!.request('POST', `/_sandbox/invites/${invite.id}/accept`);
    expect(r.status).toBe(200);
  };
  /** Someone joining outside groq-rbac (the Console): invited and accepted through the API. */
  const join = async (email: string, role: string) => {
    const r = await org!.request('POST', `${ORG}/invites`, { body: { email, role, projects: [] } });
    expect(r.status).toBeLessThan(300);
    await accept(email);
  };

  it('invites, joins the project once accepted, changes roles and removes, each plan showing exactly that', async () => {
    const dir = await setup();
    write(dir, {
      members: { [ADA]: 'owner', 'grace@acme.example': 'owner', 'bob@acme.example': f.role },
      team: { 'bob@acme.example': f.projectRole },
    });

    // Not in the organization: invited, the project this plan creates joined after accepting.
    const first = await plan(dir);
    expect(first.code).toBe(2);
    expect(first.stdout).toContain(`invite "bob@acme.example" as ${f.role}, joining "chatbot-prod" after accepting`);
    expect(first.stdout).toContain('invite "grace@acme.example" as owner');
    expect(first.stdout).toContain('Members: 2 to invite.');
    // The Markdown (the pull-request comment) shows the section with addresses masked.
    const md = await cli(dir, ['plan', '--format', 'markdown']);
    expect(md.stdout).toContain('<b>members (');
    expect(md.stdout).toContain('listed at policies/org.yaml:');
    expect(md.stdout).toContain('(…@acme.example)');
    expect(md.stdout).not.toMatch(ADDRESS);

    const applied = await apply(dir);
    expect(applied.code, applied.stderr).toBe(0);
    // Each change's outcome names people by id only (it reaches the Action's log and comment, and the audit log).
    const outcomes = applied.stdout.split('\n').filter((l) => l.startsWith('✓'));
    expect(outcomes.filter((l) => l.includes('invite'))).toHaveLength(2);
    for (const l of outcomes) expect(l).not.toMatch(ADDRESS);
    expect(fs.readFileSync(path.join(dir, '.groq-rbac', 'audit.jsonl'), 'utf8')).not.toMatch(ADDRESS);
    expect(await invites()).toEqual([`bob@acme.example ${f.role}`, 'grace@acme.example owner']);

    // Pending invites are left alone: nothing to do until they accept.
    const waiting = await plan(dir);
    expect(waiting.code).toBe(0);
    expect(waiting.stdout).toContain('2 invites pending (left alone)');
    expect(waiting.stdout).toContain('joins "chatbot-prod" after accepting (the next plan)');

    // Accepted: members on the next plan, and bob now joins the project.
    await accept('bob@acme.example');
    await accept('grace@acme.example');
    const joined = await plan(dir);
    expect(joined.code).toBe(2);
    expect(joined.stdout).toMatch(new RegExp(`add "bob@acme\\.example" \\(user_\\w+\\) as ${f.projectRole}`));
    expect((await apply(dir)).code).toBe(0);
    expect(await projectUsers('chatbot-prod')).toEqual({ 'bob@acme.example': f.projectRole });
    const settled = await plan(dir);
    expect(settled.code).toBe(0);
    expect(settled.stdout).toContain('No changes.');

    // A role change in the organization and in the project.
    write(dir, {
      members: { [ADA]: 'owner', 'grace@acme.example': 'owner', 'bob@acme.example': f.changedRole },
      team: { 'bob@acme.example': f.changedProjectRole },
    });
    const change = await plan(dir);
    expect(change.code).toBe(2);
    expect(change.stdout).toMatch(new RegExp(`member "bob@acme\\.example" \\(user_\\w+\\) role ${f.role} -> ${f.changedRole}`));
    expect(change.stdout).toMatch(
      new RegExp(`member "bob@acme\\.example" \\(user_\\w+\\) role ${f.projectRole} -> ${f.changedProjectRole}`),
    );
    expect((await apply(dir)).code).toBe(0);
    expect((await users())['bob@acme.example']).toBe(f.changedRole);
    expect(await projectUsers('chatbot-prod')).toEqual({ 'bob@acme.example': f.changedProjectRole });
    expect((await plan(dir)).code).toBe(0);

    // Left the policies: removed under unmanaged.members: remove, with their project membership.
    write(dir, { members: { [ADA]: 'owner', 'grace@acme.example': 'owner' }, team: {}, extra: 'unmanaged:\n  members: remove\n' });
    const removal = await plan(dir);
    expect(removal.code).toBe(2);
    expect(removal.stdout).toMatch(/remove member "bob@acme\.example" \(user_\w+\)/);
    expect(removal.stdout).not.toContain('members of project');
    expect((await apply(dir)).code).toBe(0);
    expect(await users()).toEqual({ [ADA]: 'owner', 'grace@acme.example': 'owner' });
    expect(await projectUsers('chatbot-prod')).toEqual({});
    expect((await plan(dir)).code).toBe(0);
  });

  it('cancels the invite of someone who left the policies, and reports people in no policy, leaving them alone', async () => {
    const dir = await setup();
    const safety = 'safety:\n  min_owners: 1\n';
    write(dir, { members: { [ADA]: 'owner', 'dan@acme.example': f.role }, team: null, extra: safety });
    expect((await apply(dir)).code).toBe(0);
    expect(await invites()).toEqual([`dan@acme.example ${f.role}`]);

    write(dir, { members: { [ADA]: 'owner' }, team: null, extra: safety });
    const cancel = await plan(dir);
    expect(cancel.code).toBe(2);
    expect(cancel.stdout).toMatch(/cancel invite "dan@acme\.example" \(invite-\w+\)/);
    expect((await apply(dir)).code).toBe(0);
    expect(await invites()).toEqual([]);

    // Someone added in the Console: reported (unmanaged.members: report, the default), not removed.
    await join('carol@acme.example', f.role);
    const reported = await plan(dir);
    expect(reported.code).toBe(0);
    expect(reported.stdout).toContain('1 unmanaged member (in no policy; left alone, unmanaged.members: report)');
    expect(reported.stdout).toMatch(/member "carol@acme\.example" \(user_\w+\)/);
    const json = await planJson(dir);
    expect(json.members.unmanaged.members.map((m: { email: string }) => m.email)).toEqual(['carol@acme.example']);
    expect(json.members.changes).toEqual([]);
    expect((await users())['carol@acme.example']).toBe(f.role);
  });

  it('refuses to go below min_owners or over the removal limit (exit 1, nothing changed); --force overrides the removal limit', async () => {
    const dir = await setup();
    for (const e of ['grace', 'bob', 'carol', 'erin']) await join(`${e}@acme.example`, e === 'grace' ? 'owner' : f.role);
    const everyone = {
      [ADA]: 'owner',
      'grace@acme.example': 'owner',
      'bob@acme.example': f.role,
      'carol@acme.example': f.role,
      'erin@acme.example': f.role,
    };
    write(dir, { members: everyone, team: null });
    const settled = await plan(dir);
    expect(settled.code, settled.stdout).toBe(0);
    const before = await users();
    const refused = async (codes: string[], ...extra: string[]) => {
      const json = JSON.parse((await cli(dir, ['plan', '--format', 'json', ...extra])).stdout);
      expect(json.refusals.map((r: { code: string }) => r.code).sort()).toEqual(codes);
      const p = await plan(dir, ...extra);
      expect(p.code).toBe(1);
      const a = await apply(dir, ...extra);
      expect(a.code).toBe(1);
      expect(a.stderr).toContain('apply refused; nothing was changed');
      expect(await users()).toEqual(before);
      expect(await invites()).toEqual([]);
      return a;
    };

    // Grace demoted while the other listed owner has only been invited: one owner after the plan,
    // below safety.min_owners 2 (invited owners count once they have joined).
    const low = f.provider === 'groq' ? 'developer' : 'reader';
    write(dir, { members: { ...everyone, 'grace@acme.example': low, 'hal@acme.example': 'owner' }, team: null });
    const minOwners = await refused(f.knowsAdmin ? ['min_owners'] : ['admin_identity_unknown', 'min_owners']);
    expect(minOwners.stderr).toContain('fewer than safety.min_owners 2');

    // Three of five members removed: over max_member_removal_percent 25 (one removal at most).
    write(dir, { members: { [ADA]: 'owner', 'grace@acme.example': 'owner' }, team: null, extra: 'unmanaged:\n  members: remove\n' });
    const removals = await refused(['member_removals']);
    expect(removals.stderr).toContain('the plan removes 3 of 5 members (60.0 %), over safety.max_member_removal_percent 25 %');
    const forced = await apply(dir, '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(await users()).toEqual({ [ADA]: 'owner', 'grace@acme.example': 'owner' });
  });

  it(`never demotes the admin key's identity${f.knowsAdmin ? ', not even with --force' : ' unless forced, since Groq does not tell whose it is'}`, async () => {
    const dir = await setup();
    await join('grace@acme.example', 'owner');
    const low = f.provider === 'groq' ? 'developer' : 'reader';
    write(dir, { members: { [ADA]: low, 'grace@acme.example': 'owner' }, team: null, extra: 'safety:\n  min_owners: 1\n' });
    const json = JSON.parse((await cli(dir, ['plan', '--format', 'json'])).stdout);
    expect(json.refusals.map((r: { code: string; forceable: boolean }) => `${r.code} ${r.forceable}`)).toEqual([
      f.knowsAdmin ? 'admin_identity false' : 'admin_identity_unknown true',
    ]);
    const forced = await apply(dir, '--force');
    if (f.knowsAdmin) {
      expect(forced.code).toBe(1);
      expect(forced.stderr).toMatch(
        /demoting user_\w+ \(owner\) \(as \S*org\.yaml:\d+:\d+ says: \w+\) would take the organization from the admin key this run uses/,
      );
      expect((await users())[ADA]).toBe('owner');
    } else {
      expect(forced.code, forced.stderr).toBe(0);
      expect((await users())[ADA]).toBe(low);
    }
  });
});

describe('import round-trip of members (issue 20): import, then plan, shows no member changes', () => {
  /** An organization with people: two owners, project memberships, a pending invite carrying a project. */
  async function populate(t: TestOrg, base: string, roles: { role: string; projectHigh: string; projectLow: string }) {
    const ORG = `${base}/organization`;
    const req = async (method: string, p: string, body?: unknown) => {
      const r = await t.request(method, p, body === undefined ? {} : { body });
      expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
      return r.body;
    };
    const prod = (await req('POST', `${ORG}/projects`, { name: 'chatbot-prod' })).id;
    const stage = (await req('POST', `${ORG}/projects`, { name: 'chatbot-stage' })).id;
    const search = (await req('POST', `${ORG}/projects`, { name: 'search-prod' })).id;
    const join = async (email: string, role: string, projects: { id: string; role: string }[]) => {
      const invite = await req('POST', `${ORG}/invites`, { email, role, projects });
      return (await req('POST', `/_sandbox/invites/${invite.id}/accept`)).user.id as string;
    };
    await join('grace@acme.example', 'owner', [{ id: search, role: roles.projectHigh }]);
    await join('bob@acme.example', roles.role, [
      { id: prod, role: roles.projectLow },
      { id: stage, role: roles.projectLow },
    ]);
    await join('carol@acme.example', roles.role, [{ id: prod, role: roles.projectLow }]);
    await req('POST', `${ORG}/invites`, { email: 'dan@acme.example', role: roles.role, projects: [{ id: stage, role: roles.projectLow }] });
    return { prod, stage, search };
  }

  it('groq: `groq-rbac import` writes the members, and plan on what it wrote has no member changes', async () => {
    org = await startTestOrg({ owner: ADA });
    await populate(org, '/openai/v1', { role: 'developer', projectHigh: 'owner', projectLow: 'developer' });
    const dir = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), 'grbac-members-import-'));
    dirs.push(dir);
    const env = { GROQ_ADMIN_KEY: org.sandbox.adminKey };
    const imported = await runCli(['import', '--sandbox-url', org.sandbox.url, '--out', 'policies'], { cwd: dir, env });
    expect(imported.code, imported.stderr).toBe(0);
    const orgYaml = fs.readFileSync(path.join(dir, 'policies', 'org.yaml'), 'utf8');
    expect(orgYaml).toContain('  ada@acme.example: owner\n');
    expect(orgYaml).toContain('  dan@acme.example: developer\n');
    expect(orgYaml).toMatch(/unmanaged:\n {2}projects: report\n {2}keys: report\n {2}members: report\n/);
    expect(fs.readFileSync(path.join(dir, 'policies', 'teams', 'chatbot.yaml'), 'utf8')).toContain(
      'members:\n  bob@acme.example: developer\n',
    );
    const validate = await runCli(['validate', '--policies', 'policies'], { cwd: dir });
    expect(validate.code, validate.stdout + validate.stderr).toBe(0);

    const plan = await runCli(['plan', '--sandbox-url', org.sandbox.url, '--policies', 'policies', '--format', 'json'], { cwd: dir, env });
    expect(plan.code, plan.stderr).toBe(0);
    const json = JSON.parse(plan.stdout);
    expect(json.members.changes).toEqual([]);
    expect(json.members.unmanaged).toEqual({ members: [], project_members: [] });
    // The contract's invite does not say what projects it carries, so none are written for dan (unlike OpenAI's below).
    expect(json.members.pending.map((p: { email: string; later: string[] }) => [p.email, p.later])).toEqual([['dan@acme.example', []]]);
    expect(json.members.counts).toEqual({ members: 4, owners_before: 2, owners_after: 2, invites_pending: 1 });
    expect(json.refusals).toEqual([]);
  });

  it('openai: the import of what the OpenAI provider reads round-trips through the policies', async () => {
    org = await startTestOrg({ provider: 'openai', owner: ADA });
    await populate(org, '/v1', { role: 'reader', projectHigh: 'owner', projectLow: 'member' });
    const provider = new OpenAiProvider({
      baseUrl: `${org.sandbox.url}/v1`,
      adminKey: org.sandbox.adminKey,
      organization: 'org-sandbox',
      baseDelayMs: 5,
      maxDelayMs: 20,
    });
    try {
      const live = await provider.readLiveState();
      live.members = await provider.readMembers({ projectIds: live.projects.map((p) => p.id) });
      // Whose the admin key is, from the admin key list's owner.
      expect(live.members.admin?.user_id).toBe(live.members.members.find((m) => m.email === ADA)!.id);
      const { files, notes } = importPolicies(live, {
        admins: ['@acme/platform'],
        schemaRef: { org: 'org.schema.json', team: 'team.schema.json' },
      });
      expect(notes).toEqual([]);
      // Import writes `provider: openai` (OpenAI's roles are validated by it).
      expect(files['org.yaml']).toMatch(/^provider: openai\norg: org-sandbox$/m);
      const dir = writePolicies(files);
      dirs.push(dir);
      const result = readPolicies(dir, { cwd: dir });
      expect(result.diagnostics.map(formatDiagnostic)).toEqual([]);
      const plan = planChanges(result.desired!, live, live.observed_at);
      expect(plan.members?.changes).toEqual([]);
      expect(plan.members?.unmanaged).toEqual({ members: [], project_members: [] });
      // OpenAI's invite carries its projects: nothing left for after accepting.
      expect(plan.members?.pending.map((p) => [p.email, p.later])).toEqual([['dan@acme.example', []]]);
      expect(result.desired!.members!.projects.map((p) => [p.project, p.members.map((m) => `${m.email} ${m.role}`)])).toEqual([
        ['chatbot-prod', ['bob@acme.example member', 'carol@acme.example member']],
        ['chatbot-stage', ['bob@acme.example member', 'dan@acme.example member']],
        ['search-prod', ['grace@acme.example owner']],
      ]);
    } finally {
      await provider.close();
    }
  });
});

describe.each(FLAVOURS)('the members port of $provider over its sandbox', (f) => {
  const open = async () => {
    org = await startTestOrg({ provider: f.provider, owner: ADA });
    return f.provider === 'groq'
      ? org.provider
      : new OpenAiProvider({
          baseUrl: `${org.sandbox.url}/v1`,
          adminKey: org.sandbox.adminKey,
          organization: 'org-sandbox',
          baseDelayMs: 5,
          maxDelayMs: 20,
        });
  };

  it('writes each change once, and a repeated add, invite (same identity) or cancel is answered as such', async () => {
    const port = await open();
    try {
      const projectId = (await port.createProject('chatbot-prod', 'identity-project')).id;
      const sent = await port.invite(
        { email: 'bob@acme.example', role: f.role, projects: [{ id: projectId, role: f.projectRole }] },
        'identity-bob',
      );
      let read = await port.readMembers({ projectIds: [projectId] });
      expect(read.invites.map((i) => [i.id, i.email, i.role, i.status])).toEqual([[sent.id, 'bob@acme.example', f.role, 'pending']]);
      // OpenAI's invite says which projects it carries; the contract's does not (read as none).
      expect(read.invites[0]!.projects).toEqual(f.provider === 'openai' ? [{ id: projectId, role: f.projectRole }] : []);
      expect(read.admin).toEqual(f.knowsAdmin ? { user_id: read.members.find((m) => m.email === ADA)!.id, email: null } : null);
      if (f.provider === 'groq')
        expect(
          await port.invite(
            { email: 'bob@acme.example', role: f.role, projects: [{ id: projectId, role: f.projectRole }] },
            'identity-bob',
          ),
        ).toEqual(sent);
      await port.cancelInvite(sent.id);
      await expect(port.cancelInvite(sent.id)).rejects.toMatchObject({ kind: 'not_found' });

      await port.invite({ email: 'carol@acme.example', role: f.role, projects: [] }, 'identity-carol');
      const invite = (await port.readMembers({ projectIds: [] })).invites.find((i) => i.email === 'carol@acme.example')!;
      expect((await org!.request('POST', `/_sandbox/invites/${invite.id}/accept`)).status).toBe(200);
      read = await port.readMembers({ projectIds: [projectId] });
      const carol = read.members.find((m) => m.email === 'carol@acme.example')!;
      expect(carol.role).toBe(f.role);
      await port.addProjectMember(projectId, carol.id, f.projectRole);
      // Sent again (a lost answer's retry): the membership there with that role is this add's.
      await port.addProjectMember(projectId, carol.id, f.projectRole);
      expect((await port.readMembers({ projectIds: [projectId] })).projects[projectId]).toEqual([
        { user_id: carol.id, email: 'carol@acme.example', role: f.projectRole },
      ]);
      await port.setMemberRole(carol.id, f.changedRole);
      await port.setProjectMemberRole(projectId, carol.id, f.changedProjectRole);
      read = await port.readMembers({ projectIds: [projectId] });
      expect([read.members.find((m) => m.id === carol.id)!.role, read.projects[projectId]![0]!.role]).toEqual([
        f.changedRole,
        f.changedProjectRole,
      ]);
      await port.removeProjectMember(projectId, carol.id);
      await expect(port.removeProjectMember(projectId, carol.id)).rejects.toMatchObject({ kind: 'not_found' });

      // An archived project refuses member changes.
      await port.archiveProject(projectId);
      await expect(port.addProjectMember(projectId, carol.id, f.projectRole)).rejects.toMatchObject({
        kind: 'invalid',
        code: 'project_archived',
      });

      await port.removeMember(carol.id);
      expect((await port.readMembers({ projectIds: [] })).members.map((m) => m.email)).toEqual([ADA]);
    } finally {
      if (port !== org!.provider) await port.close?.();
    }
  });
});
