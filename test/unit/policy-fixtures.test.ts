import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/policy/diagnostics.js';
import { readPolicies } from '../../src/policy/read-policies.js';

// Each directory under test/fixtures/invalid is a policies directory with one kind of mistake and
// expected.txt: the exact diagnostics, with file:line:column, message and hint.
const root = path.resolve('test/fixtures/invalid');
const cases = fs.readdirSync(root).sort();

describe('invalid policy corpus', () => {
  it('has at least 50 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(50);
  });

  it.each(cases)('%s', (name) => {
    const dir = path.join(root, name);
    const result = readPolicies(dir, { cwd: dir });
    expect(result.desired).toBeUndefined();
    expect(result.diagnostics.some((d) => d.severity === 'error')).toBe(true);
    const text = `${result.diagnostics.map(formatDiagnostic).join('\n')}\n`;
    expect(text).toBe(fs.readFileSync(path.join(dir, 'expected.txt'), 'utf8'));
  });
});
