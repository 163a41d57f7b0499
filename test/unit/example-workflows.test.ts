/**
 * The example workflows users copy: no permissions by default, each job's least permissions, every
 * third-party action pinned by commit SHA, no persisted checkout credentials, and the inputs each
 * mode needs. Read as YAML, so a broken file fails here before anyone copies it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MODES } from '../../src/action/inputs.js';

const DIR = path.resolve('.github/workflows');
const files = fs.readdirSync(DIR).filter((f) => /^groq-rbac-.*\.yml$/.test(f)).sort();

interface Step { uses?: string; with?: Record<string, unknown>; env?: Record<string, string> }
interface Job { permissions?: Record<string, string>; environment?: string; steps: Step[] }
interface Workflow { on: Record<string, unknown>; permissions: unknown; jobs: Record<string, Job> }

const read = (file: string) => parse(fs.readFileSync(path.join(DIR, file), 'utf8')) as Workflow;
const ours = (s: Step) => s.uses?.startsWith('acme/groq-rbac@');

describe('the example workflows', () => {
  it('are one per Action mode', () => {
    expect(files).toEqual(MODES.map((m) => `groq-rbac-${m}.yml`).sort());
  });

  it.each(files)('%s: no default permissions, third-party actions pinned by SHA, no persisted credentials', (file) => {
    const wf = read(file);
    expect(wf.permissions).toEqual({});
    for (const job of Object.values(wf.jobs)) {
      expect(job.permissions).toBeDefined();
      for (const step of job.steps) {
        if (!step.uses || ours(step)) continue;
        expect(step.uses).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
        if (step.uses.startsWith('actions/checkout@')) expect(step.with?.['persist-credentials']).toBe(false);
      }
      const action = job.steps.find(ours)!;
      expect(action.with?.mode).toBe(file.replace(/^groq-rbac-|\.yml$/g, ''));
    }
  });

  it('verify: on a schedule, issues: write, project keys from a default-branch environment, named in the keys file, no admin key', () => {
    const wf = read('groq-rbac-verify.yml');
    expect(Object.keys(wf.on)).toEqual(['schedule', 'workflow_dispatch']);
    const job = Object.values(wf.jobs)[0]!;
    expect(job.permissions).toEqual({ contents: 'read', issues: 'write' });
    expect(job.environment).toBe('groq-rbac-verify');
    const step = job.steps.find(ours)!;
    expect(step.with).toEqual({ mode: 'verify', keys: 'groq-keys.yaml', 'plan-signing-key': '${{ secrets.GROQ_RBAC_PLAN_SIGNING_KEY }}' });
    // Each variable the keys file names comes from the secret of the same name.
    expect(Object.keys(step.env ?? {}).length).toBeGreaterThan(0);
    for (const [name, value] of Object.entries(step.env!)) expect(value).toBe(`\${{ secrets.${name} }}`);
  });
});
