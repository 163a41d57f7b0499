// Members planning (issue 20), pure: 5,000 members in 1,000 projects (20 members each) against 1,000
// members in 200 projects, each with every kind of change. Targets: linear (time per member and
// membership grows at most 1.2× from the small organization to the large). Reported beside it, not a
// target: the ratio to a bare pass building the same maps and comparing roles (planning also builds
// every change, the pending and unmanaged lists and the safety counts; about 4× that pass). The
// floor ratio that compares with keys' (plan within 1.15× of the same requests with bare fetch) is
// `benchMembersRead` below, through the sandbox.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { planOrganization } from '../../src/app/plan-organization.js';
import { openSession } from '../../src/app/session.js';
import { mapLimit } from '../../src/core/concurrency.js';
import { silentLogger } from '../../src/core/log.js';
import { GROQ_MEMBERS, normaliseEmail, type LiveMembers } from '../../src/core/members.js';
import { planMembers } from '../../src/plan/plan-members.js';
import { renderPlanText } from '../../src/plan/render-text.js';
import { readPolicies } from '../../src/policy/read-policies.js';
import type { DesiredMembers } from '../../src/policy/types.js';
import { startSandbox } from '../../src/sandbox/server.js';
import { best, fmt, readOrganizationBare, report, spawnSandbox } from './lib.js';

const SCALE = Number(process.env.BENCH_MEMBERS_SCALE ?? 1);

function organization(
  members: number,
  projects: number,
  perProject: number,
): { desired: DesiredMembers; live: LiveMembers; ids: Map<string, string> } {
  const roles = GROQ_MEMBERS.orgRoles;
  const email = (i: number) => `person${i}@acme.example`;
  const role = (i: number) => (i < 3 ? 'owner' : roles[1 + (i % 2)]!);
  const source = { file: 'policies/org.yaml', line: 1, column: 1 };
  // 2 % change role, 1 % are new (invited), 1 % left the policies (reported).
  const desired: DesiredMembers = {
    provider: 'groq',
    unmanaged: 'report',
    minOwners: 2,
    maxRemovalPercent: 25,
    addresses: 'masked',
    file: 'policies/org.yaml',
    org: Array.from({ length: members }, (_, i) => i)
      .filter((i) => i % 100 !== 99)
      .map((i) => ({ email: email(i), role: i % 50 === 7 ? 'reader' : role(i), source })),
    projects: Array.from({ length: projects }, (_, p) => ({
      project: `p${p}`,
      team: `t${p % 100}`,
      members: Array.from({ length: perProject }, (_, k) => (p * 7 + k * 13) % members)
        .filter((i) => i % 100 !== 99)
        .map((i) => ({ email: email(i), role: 'reader', source })),
    })),
  };
  const live: LiveMembers = {
    members: Array.from({ length: members }, (_, i) => i)
      .filter((i) => i % 100 !== 42)
      .map((i) => ({ id: `user_${i}`, email: email(i), name: `p${i}`, role: role(i) })),
    invites: [],
    projects: Object.fromEntries(
      Array.from({ length: projects }, (_, p) => [
        `proj_${p}`,
        Array.from({ length: perProject }, (_, k) => (p * 7 + k * 13 + (k === 0 ? 1 : 0)) % members).map((i) => ({
          user_id: `user_${i}`,
          email: email(i),
          role: 'reader',
        })),
      ]),
    ),
    admin: { user_id: 'user_0', email: null },
  };
  return { desired, live, ids: new Map(Array.from({ length: projects }, (_, p) => [`p${p}`, `proj_${p}`])) };
}

/** The same maps and role comparisons with nothing else: what any members plan must at least do. */
function floor(o: ReturnType<typeof organization>): number {
  const live = new Map(o.live.members.map((m) => [normaliseEmail(m.email), m]));
  let differ = 0;
  for (const d of o.desired.org) if (live.get(d.email)?.role !== d.role) differ++;
  for (const p of o.desired.projects) {
    const current = new Map((o.live.projects[o.ids.get(p.project)!] ?? []).map((m) => [normaliseEmail(m.email), m]));
    for (const d of p.members) if (current.get(d.email)?.role !== d.role) differ++;
  }
  return differ;
}

/** `growth`: time per member and membership, large over small (target ≤ 1.2); `ratio`: the large plan over the bare pass. */
export async function benchMembers(): Promise<{ growth: number; ratio: number }> {
  const small = organization(1000 * SCALE, 200 * SCALE, 20);
  const large = organization(5000 * SCALE, 1000 * SCALE, 20);
  const run = (o: ReturnType<typeof organization>) =>
    planMembers({ desired: o.desired, live: o.live, caps: GROQ_MEMBERS, projectIds: o.ids, now: 0 });
  const size = (o: ReturnType<typeof organization>) =>
    o.live.members.length + Object.values(o.live.projects).reduce((n, l) => n + l.length, 0);
  // Warmed up first, so the small organization is not measured while the JIT still compiles.
  for (let i = 0; i < 3; i++) {
    run(large);
    floor(large);
  }
  // Each sample repeats the work, so a sample is long enough not to be a scheduler's hiccup on a shared machine.
  const repeat =
    <T>(n: number, fn: () => T) =>
    () => {
      let out: T;
      for (let i = 0; i < n; i++) out = fn();
      return out!;
    };
  const s = await best(
    5,
    repeat(50, () => run(small)),
  );
  const l = await best(
    5,
    repeat(10, () => run(large)),
  );
  const f = await best(
    5,
    repeat(10, () => floor(large)),
  );
  const growth = l.cpuMs / 10 / size(large) / (s.cpuMs / 50 / size(small));
  const ratio = l.cpuMs / Math.max(f.cpuMs, 0.001);
  report('members plan (pure)', {
    'small: members / memberships / ms': `${fmt(small.live.members.length)} / ${fmt(size(small) - small.live.members.length)} / ${fmt(s.cpuMs / 50, 1)}`,
    'large: members / memberships / ms': `${fmt(large.live.members.length)} / ${fmt(size(large) - large.live.members.length)} / ${fmt(l.cpuMs / 10, 1)}`,
    'changes in the large plan': fmt(l.result.plan.changes.length),
    'growth of time per member (target ≤ 1.2)': fmt(growth, 2),
    'floor (bare maps and comparisons), ms': fmt(f.cpuMs / 10, 1),
    'ratio to the bare pass': fmt(ratio, 2),
  });
  return { growth, ratio };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href && !process.argv.includes('--read')) await benchMembers();

// --- Through the sandbox (after the port): plan of an organization whose people the policies manage,
// read over HTTP from a sandbox in its own process answering after BENCH_LATENCY_MS, against the same
// requests with bare fetch (8 in flight), as the keys' plan bench measures (target: within 1.15×).
// Linear: the client's CPU time per member and membership, 1,000 members in 200 projects against
// 5,000 in 1,000 (target ≤ 1.2×). Requests: the keys' minimum plus the members' (user pages, invite
// pages, one per managed project).

const READ_LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 50);
const ADMIN = 'bench-admin-key';
const PER_PROJECT = 20;
const PROJECTS_PER_TEAM = 10;

/** The organization's people, seeded into a sandbox state file without HTTP, and policies that match it. */
async function seedPeople(members: number, projects: number): Promise<{ dir: string; state: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-bench-members-'));
  const state = path.join(dir, 'sandbox.json');
  const email = (i: number) => `person${i}@acme.example`;
  const role = (i: number) => (i < 3 ? 'owner' : i % 2 ? 'developer' : 'reader');
  const sandbox = await startSandbox({
    host: '127.0.0.1',
    port: 0,
    adminKey: ADMIN,
    orgId: 'org_bench',
    statePath: state,
    owner: email(0),
  });
  const org = sandbox.state;
  for (let i = 1; i < members; i++) org.members.acceptInvite(org.members.createInvite({ email: email(i), role: role(i) }).id, {});
  const users = new Map(Array.from({ length: members }, (_, i) => [i, org.members.userByEmail(email(i))!.id]));
  const teams = new Map<string, string[]>();
  for (let p = 0; p < projects; p++) {
    const name = `team-${String(Math.floor(p / PROJECTS_PER_TEAM)).padStart(4, '0')}-p${p % PROJECTS_PER_TEAM}`;
    const id = org.createProject({ name }).id;
    const people = Array.from({ length: PER_PROJECT }, (_, k) => (p * 7 + k * 13) % members);
    for (const i of people) org.members.addProjectUser(id, { user_id: users.get(i), role: 'reader' }, false);
    const team = name.slice(0, 9);
    teams.set(team, [
      ...(teams.get(team) ?? []),
      `  - name: ${name}\n    members:\n${people.map((i) => `      ${email(i)}: reader\n`).join('')}`,
    ]);
  }
  await sandbox.close();
  fs.mkdirSync(path.join(dir, 'teams'));
  fs.writeFileSync(
    path.join(dir, 'org.yaml'),
    `version: 2\norg: org_bench\nadmins: ["@bench/platform"]\nmembers:\n${Array.from({ length: members }, (_, i) => `  ${email(i)}: ${role(i)}\n`).join('')}` +
      `grants:\n${[...teams.keys()]
        .map(
          (t) =>
            `  ${t}:\n    projects: [${teams
              .get(t)!
              .map((e) => /name: (\S+)/.exec(e)![1])
              .join(', ')}]\n`,
        )
        .join('')}`,
  );
  for (const [team, entries] of teams)
    fs.writeFileSync(path.join(dir, 'teams', `${team}.yaml`), `team: ${team}\nowners: ["@bench/${team}"]\nprojects:\n${entries.join('')}`);
  return { dir, state };
}

/** The members' requests with bare fetch: the user pages beside each project's users, `concurrency` of those in flight. */
async function readMembersBare(url: string, headers: Record<string, string>, concurrency: number): Promise<void> {
  const get = async (p: string) =>
    JSON.parse(await (await fetch(`${url}/openai/v1${p}`, { headers })).text()) as {
      data: { id: string }[];
      has_more: boolean;
      last_id: string;
    };
  const pages = async (p: string) => {
    for (let after = ''; ;) {
      const page = await get(`${p}?limit=100${after ? `&after=${after}` : ''}`);
      if (!page.has_more) return;
      after = page.last_id;
    }
  };
  const ids: string[] = [];
  for (let after = ''; ;) {
    const page = await get(`/organization/projects?limit=100${after ? `&after=${after}` : ''}`);
    ids.push(...page.data.map((p) => p.id));
    if (!page.has_more) break;
    after = page.last_id;
  }
  await Promise.all([
    pages('/organization/users'),
    pages('/organization/invites'),
    mapLimit(ids, concurrency, (id) => pages(`/organization/projects/${id}/users`)),
  ]);
}

async function planThroughSandbox(
  members: number,
  projects: number,
): Promise<{ plan: { wallMs: number; cpuMs: number }; floor: { wallMs: number }; requests: number; minimum: number; size: number }> {
  const { dir, state } = await seedPeople(members, projects);
  const sandbox = await spawnSandbox([
    '--admin-key',
    ADMIN,
    '--org-id',
    'org_bench',
    '--state',
    state,
    '--latency-ms',
    String(READ_LATENCY_MS),
  ]);
  const auth = { authorization: `Bearer ${ADMIN}` };
  try {
    const floor = await best(2, async () => {
      await readOrganizationBare(sandbox.url, auth, 8);
      // The bare read lists the projects again for their users: one request per 100 projects more than plan makes.
      await readMembersBare(sandbox.url, auth, 8);
    });
    const stats = async () =>
      ((await (await fetch(`${sandbox.url}/_sandbox/stats`, { headers: auth })).json()) as { requests_total: number }).requests_total;
    const session = openSession({ baseUrl: sandbox.url, adminKey: ADMIN, concurrency: 8, logger: silentLogger });
    let requests = 0;
    const plan = await best(2, async () => {
      const before = await stats();
      const { plan: p } = await planOrganization(session, readPolicies(dir).desired!);
      renderPlanText(p);
      requests = (await stats()) - before;
      if (p.changes.length + (p.members?.changes.length ?? 0) !== 0)
        throw new Error(`expected an empty plan, got ${p.changes.length} changes and ${p.members?.changes.length} member changes`);
      return p;
    });
    await session.close();
    const page = (n: number) => Math.max(1, Math.ceil(n / 100));
    // Every seeded member joined by an invite, and accepted invites stay listed: `members - 1` of them.
    const minimum = page(projects) + 3 * projects + 5 + page(members) + page(members - 1) + projects;
    return { plan, floor, requests, minimum, size: members + projects * PER_PROJECT };
  } finally {
    await sandbox.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `ratio`: the large plan's wall time over the floor's (target ≤ 1.15, as keys'); `growth`: CPU per member and membership, large over small (≤ 1.2). */
export async function benchMembersRead(): Promise<{ ratio: number; growth: number; requests: number; minimum: number }> {
  const small = await planThroughSandbox(1000 * SCALE, 200 * SCALE);
  const large = await planThroughSandbox(5000 * SCALE, 1000 * SCALE);
  const ratio = large.plan.wallMs / large.floor.wallMs;
  const growth = large.plan.cpuMs / large.size / (small.plan.cpuMs / small.size);
  report(
    `members plan through the sandbox: ${fmt(5000 * SCALE)} members in ${fmt(1000 * SCALE)} projects (${PER_PROJECT} each), sandbox latency ${READ_LATENCY_MS} ms`,
    {
      'floor (the same requests, bare fetch)': `${fmt(large.floor.wallMs)} ms`,
      'plan (read policies and org, people, plan, render)': `${fmt(large.plan.wallMs)} ms`,
      'ratio to floor': `${fmt(ratio, 2)}× (target ≤ 1.15×, as keys')`,
      'client CPU per member and membership, large over small': `${fmt(growth, 2)} (target ≤ 1.2)`,
      'HTTP requests': `${large.requests} (minimum ${large.minimum})`,
    },
  );
  return { ratio, growth, requests: large.requests, minimum: large.minimum };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href && process.argv.includes('--read')) await benchMembersRead();
