// Validating 100 team files with 1,000 projects and 10,000 keys: CPU beyond parsing must be well under a second.
// Floor: reading and YAML-parsing the same files, measured in the same run.
import fs from 'node:fs';
import path from 'node:path';
import { parseDocument, LineCounter } from 'yaml';
import { readPolicies } from '../../src/policy/read-policies.js';
import { best, fmt, generatePolicies, report } from './lib.js';

export async function benchValidate(): Promise<{ beyondParsingCpuMs: number }> {
  const dir = generatePolicies(100, 10, 10);
  const files = [path.join(dir, 'org.yaml'), ...fs.readdirSync(path.join(dir, 'teams')).map((f) => path.join(dir, 'teams', f))];
  const parseOnly = () => {
    for (const f of files) parseDocument(fs.readFileSync(f, 'utf8'), { lineCounter: new LineCounter() }).toJS();
  };
  readPolicies(dir); // warm up: compile the schemas once, as a long-running process would
  const floor = await best(5, parseOnly);
  const full = await best(5, () => readPolicies(dir));
  if (!full.result.desired || full.result.desired.keys.length !== 10_000) throw new Error('the generated policies did not validate');
  const beyond = full.cpuMs - floor.cpuMs;
  report('validate: 100 team files, 1,000 projects, 10,000 keys', {
    'floor (read + YAML parse), CPU': `${fmt(floor.cpuMs)} ms`,
    'validate (everything), CPU': `${fmt(full.cpuMs)} ms`,
    'CPU beyond parsing': `${fmt(beyond)} ms (target: well under 1,000 ms)`,
    'ratio to floor': `${fmt(full.cpuMs / floor.cpuMs, 2)}×`,
  });
  fs.rmSync(dir, { recursive: true, force: true });
  return { beyondParsingCpuMs: beyond };
}

if (import.meta.url === `file://${process.argv[1]}`) await benchValidate();
