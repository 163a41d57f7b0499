import { describe, expect, it } from 'vitest';
import { annotateDiagnostics, type AnnotationProperties } from '../../src/action/annotations.js';
import { describeError } from '../../src/action/errors.js';
import { UserError } from '../../src/core/errors.js';
import { registerSecret } from '../../src/core/redact.js';

describe('annotations', () => {
  it('marks each finding on its file, line and column, relative to the repository root', () => {
    const seen: { kind: string; message: string; properties: AnnotationProperties }[] = [];
    const annotator = {
      error: (message: string, properties: AnnotationProperties) => void seen.push({ kind: 'error', message, properties }),
      warning: (message: string, properties: AnnotationProperties) => void seen.push({ kind: 'warning', message, properties }),
    };
    annotateDiagnostics(
      [
        {
          severity: 'error',
          file: 'policies/teams/chatbot.yaml',
          line: 7,
          column: 5,
          path: 'projects[0].models[0]',
          message: 'unknown model "gpt-5"',
          hint: 'use a model of the catalogue',
        },
        { severity: 'warning', file: 'policies/org.yaml', line: 0, column: 0, path: '', message: 'no spending section' },
      ],
      annotator,
      { cwd: '/home/runner/work/repo/repo/config', workspace: '/home/runner/work/repo/repo' },
    );
    expect(seen).toEqual([
      {
        kind: 'error',
        message: 'projects[0].models[0]: unknown model "gpt-5"\nhint: use a model of the catalogue',
        properties: { title: 'groq-rbac: invalid policy', file: 'config/policies/teams/chatbot.yaml', startLine: 7, startColumn: 5 },
      },
      {
        kind: 'warning',
        message: 'no spending section',
        properties: { title: 'groq-rbac: policy warning', file: 'config/policies/org.yaml', startLine: 1, startColumn: 1 },
      },
    ]);
  });

  it('never carries a secret', () => {
    registerSecret('annotation-secret-123');
    const seen: string[] = [];
    annotateDiagnostics(
      [
        {
          severity: 'error',
          file: 'a.yaml',
          line: 1,
          column: 1,
          path: '',
          message: 'value annotation-secret-123 and gsk_abcdefghijklmnop1234',
        },
      ],
      { error: (m) => void seen.push(m), warning: (m) => void seen.push(m) },
      { cwd: '/w', workspace: '/w' },
    );
    expect(seen.join()).not.toMatch(/annotation-secret-123|gsk_abcdefghijklmnop1234/);
  });
});

describe('describeError', () => {
  it('turns a GitHub 403 into the permission the job lacks', () => {
    const e = Object.assign(new Error('Resource not accessible by integration'), {
      name: 'HttpError',
      status: 403,
      request: { method: 'POST', url: 'https://api.github.com/repos/acme/x/issues/42/comments' },
      response: { data: { message: 'Resource not accessible by integration' } },
    });
    expect(describeError(e, 'plan')).toBe(
      'GitHub answered 403 to POST /repos/acme/x/issues/42/comments ("Resource not accessible by integration"): the token probably lacks a permission. Give the job `pull-requests: write` (to comment) under `permissions:` in the workflow file (or pass a token that has it as `github-token`)',
    );
    expect(describeError(e, 'drift')).toContain('`issues: write`');
  });

  it('shows a user error as it is, and redacts everything', () => {
    registerSecret('described-secret-456');
    expect(describeError(new UserError('bad input described-secret-456'), null)).toBe('bad input [REDACTED]');
    expect(describeError(new TypeError('x is gsk_abcdefghijklmnop1234'), 'apply')).toBe('TypeError: x is gsk_[REDACTED]');
  });
});
