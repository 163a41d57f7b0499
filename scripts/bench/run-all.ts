// npm run bench: every performance target of the project, each measured against a floor taken in the
// same run. Exits 1 when a target is missed. Only ever talks to 127.0.0.1.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { benchApply } from './apply.js';
import { benchMembers, benchMembersRead } from './members.js';
import { benchOpenAiApply, benchOpenAiPlan, openAiTargets } from './openai.js';
import { benchPlan } from './plan.js';
import { benchScale } from './scale.js';
import { benchSandbox } from './sandbox.js';
import { benchStartup } from './startup.js';
import { benchValidate } from './validate.js';

execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
console.log(`groq-rbac benchmarks on ${process.version}, ${(await import('node:os')).cpus().length} cores`);

const startup = await benchStartup();
const validate = await benchValidate();
const sandbox = await benchSandbox();
const plan = await benchPlan();
const apply = await benchApply();
const scale = await benchScale();
const members = await benchMembers();
const membersRead = await benchMembersRead();
const openaiPlan = await benchOpenAiPlan();
const openaiApply = await benchOpenAiApply();

const targets: [string, boolean][] = [
  ['--version within 1.5× of node -e 0', startup.version <= 1.5],
  ['validate of the examples within 2× of node -e 0', startup.validate <= 2],
  ['validate: CPU beyond parsing under 1 s for 10,000 keys', validate.beyondParsingCpuMs < 1000],
  ['sandbox: admin throughput at least 0.5× bare node:http', sandbox.admin.perSecond >= 0.5 * sandbox.floor.perSecond],
  ['sandbox: inference throughput at least 0.5× bare node:http', sandbox.inference.perSecond >= 0.5 * sandbox.floor.perSecond],
  ['plan: within 1.15× of the floor (issue 7 asks 2×)', plan.ratio <= 1.15],
  ['plan: HTTP requests equal the minimum', plan.requests === plan.minimum],
  ['apply: 2,000 key creates (no target, one request each) within 1.15× of the same POSTs with bare fetch', apply.ratio <= 1.15],
  ['apply: 2,000 key creates with a file target each within 1.15× of the same requests and writes', apply.targetedRatio <= 1.15],
  [
    'apply end to end (plan read + creates) within 1.15× of the same requests with bare fetch',
    apply.endToEndRatio <= 1.15 && apply.targetedEndToEndRatio <= 1.15,
  ],
  ['apply under 429 pushback: every change finishes', apply.pushbackFailed === 0],
  ['seeding: 5× the keys in at most 1.2 × 5× the time', scale.seedingRatio <= 1.2],
  ['validate: no superlinear step from 10,000 to 50,000 keys', scale.validateGrowth <= 1.2],
  ['plan: no superlinear step from 10,000 to 50,000 keys', scale.planGrowth <= 1.2],
  ['validate: peak RSS at 50,000 keys within 2× of parsing alone', scale.validateRss <= 2],
  ['plan: peak RSS at 50,000 keys within 2× of parsing alone', scale.planRss <= 2],
  ['members plan: linear from 1,000 members in 200 projects to 5,000 in 1,000 (time per member ≤ 1.2×)', members.growth <= 1.2],
  [
    'members plan through the sandbox: 5,000 members in 1,000 projects within 1.15× of the same requests with bare fetch (as keys)',
    membersRead.ratio <= 1.15,
  ],
  ['members plan through the sandbox: client CPU per member linear (≤ 1.2×)', membersRead.growth <= 1.2],
  ['members plan through the sandbox: HTTP requests equal the minimum', membersRead.requests === membersRead.minimum],
  ...openAiTargets(openaiPlan, openaiApply),
];
console.log('\n## targets');
for (const [name, met] of targets) console.log(`  ${met ? 'met   ' : 'MISSED'} ${name}`);
// Every figure and verdict of this run, for comparing runs and machines; the README's table quotes the latest.
const out = process.env.BENCH_OUT ?? 'docs/bench-results.json';
fs.writeFileSync(
  out,
  `${JSON.stringify({ node: process.version, cores: (await import('node:os')).cpus().length, at: new Date().toISOString(), startup, validate, sandbox, plan, apply, scale, members, membersRead, openaiPlan, openaiApply, targets: targets.map(([name, met]) => ({ name, met })) }, null, 2)}\n`,
);
console.log(`\nfigures written to ${out}`);
process.exitCode = targets.every(([, met]) => met) ? 0 : 1;
