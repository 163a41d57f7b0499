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
const files = fs
  .readdirSync(DIR)
  .filter((f) => /^groq-rbac-.*\.yml$/.test(f))
  .sort();

interface Step {
  uses?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  permissions?: Record<string, string>;
  environment?: string;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: unknown;
  jobs: Record<string, Job>;
}

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

  it.each(files.filter((f) => /groq-admin-key:/.test(fs.readFileSync(path.join(DIR, f), 'utf8'))))(
    '%s: says which input an OpenAI organization gives its admin key in, and action.yml has it',
    (file) => {
      const lines = fs.readFileSync(path.join(DIR, file), 'utf8').split('\n');
      const at = lines.findIndex((l) => /^\s+groq-admin-key: \$\{\{ secrets\.GROQ_ADMIN_KEY \}\}$/.test(l));
      expect(lines[at - 1]!.trim()).toBe(
        '# An OpenAI organization (`provider: openai` in org.yaml): `openai-admin-key: ${{ secrets.OPENAI_ADMIN_KEY }}` instead.',
      );
      const inputs = (parse(fs.readFileSync(path.resolve('action.yml'), 'utf8')) as { inputs: Record<string, unknown> }).inputs;
      expect(Object.keys(inputs)).toEqual(expect.arrayContaining(['groq-admin-key', 'openai-admin-key', 'openai-base-url']));
    },
  );
});
