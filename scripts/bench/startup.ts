// Cold start of the installed binary: `--version` and `validate` of the example policies, each as a
// whole process, against `node -e 0` measured in the same run (best of N, wall time).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fmt, report } from './lib.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);

function bestOf(args: string[]): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
    const ms = performance.now() - start;
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
    best = Math.min(best, ms);
  }
  return best;
}

export async function benchStartup(): Promise<{ version: number; validate: number }> {
  const bin = path.resolve('bin/groq-rbac.js');
  const floor = bestOf(['-e', '0']);
  const version = bestOf([bin, '--version']);
  const validate = bestOf([bin, 'validate', '--policies', 'policies']);
  report(`cold start (best of ${RUNS} whole processes)`, {
    'floor: node -e 0': `${fmt(floor)} ms`,
    '--version': `${fmt(version)} ms = ${fmt(version / floor, 2)}× (target ≤ 1.5×)`,
    'validate of the examples': `${fmt(validate)} ms = ${fmt(validate / floor, 2)}× (target ≤ 2×)`,
  });
  return { version: version / floor, validate: validate / floor };
}

if (import.meta.url === `file://${process.argv[1]}`) await benchStartup();
