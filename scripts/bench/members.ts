// Members planning (issue 20), pure: 5,000 members in 1,000 projects (20 members each) against 1,000
// members in 200 projects, each with every kind of change. Targets: linear (time per member and
// membership grows at most 1.2× from the small organization to the large). Reported beside it, not a
// target: the ratio to a bare pass building the same maps and comparing roles (planning also builds
// every change, the pending and unmanaged lists and the safety counts; about 4× that pass). The
// floor ratio that compares with keys' (plan within 1.15× of the same requests with bare fetch)
// needs the members read through the provider, after the port (issue 18).
import { pathToFileURL } from 'node:url';
import { GROQ_MEMBERS, normaliseEmail, type LiveMembers } from '../../src/core/members.js';
import { planMembers } from '../../src/plan/plan-members.js';
import type { DesiredMembers } from '../../src/policy/types.js';
import { best, fmt, report } from './lib.js';

const SCALE = Number(process.env.BENCH_MEMBERS_SCALE ?? 1);

function organization(members: number, projects: number, perProject: number): { desired: DesiredMembers; live: LiveMembers; ids: Map<string, string> } {
  const roles = GROQ_MEMBERS.orgRoles;
  const email = (i: number) => `person${i}@acme.example`;
  const role = (i: number) => (i < 3 ? 'owner' : roles[1 + (i % 2)]!);
  const source = { file: 'policies/org.yaml', line: 1, column: 1 };
  // 2 % change role, 1 % are new (invited), 1 % left the policies (reported).
  const desired: DesiredMembers = {
    provider: 'groq', unmanaged: 'report', minOwners: 2, maxRemovalPercent: 25, addresses: 'masked', file: 'policies/org.yaml',
    org: Array.from({ length: members }, (_, i) => i).filter((i) => i % 100 !== 99).map((i) => ({ email: email(i), role: i % 50 === 7 ? 'reader' : role(i), source })),
    projects: Array.from({ length: projects }, (_, p) => ({
      project: `p${p}`, team: `t${p % 100}`,
      members: Array.from({ length: perProject }, (_, k) => (p * 7 + k * 13) % members).filter((i) => i % 100 !== 99).map((i) => ({ email: email(i), role: 'reader', source })),
    })),
  };
  const live: LiveMembers = {
    members: Array.from({ length: members }, (_, i) => i).filter((i) => i % 100 !== 42).map((i) => ({ id: `user_${i}`, email: email(i), name: `p${i}`, role: role(i) })),
    invites: [],
    projects: Object.fromEntries(Array.from({ length: projects }, (_, p) => [`proj_${p}`, Array.from({ length: perProject }, (_, k) => (p * 7 + k * 13 + (k === 0 ? 1 : 0)) % members).map((i) => ({ user_id: `user_${i}`, email: email(i), role: 'reader' }))])),
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
  const run = (o: ReturnType<typeof organization>) => planMembers({ desired: o.desired, live: o.live, caps: GROQ_MEMBERS, projectIds: o.ids, now: 0 });
  const size = (o: ReturnType<typeof organization>) => o.live.members.length + Object.values(o.live.projects).reduce((n, l) => n + l.length, 0);
  // Warmed up first, so the small organization is not measured while the JIT still compiles.
  for (let i = 0; i < 3; i++) {
    run(large);
    floor(large);
  }
  // Each sample repeats the work, so a sample is long enough not to be a scheduler's hiccup on a shared machine.
  const repeat = <T>(n: number, fn: () => T) => () => {
    let out: T;
    for (let i = 0; i < n; i++) out = fn();
    return out!;
  };
  const s = await best(5, repeat(50, () => run(small)));
  const l = await best(5, repeat(10, () => run(large)));
  const f = await best(5, repeat(10, () => floor(large)));
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

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchMembers();
