import { describe, expect, it } from 'vitest';
import { containsKeyValue, redactSecrets, registerSecret } from '../../src/core/redact.js';

// Key-shaped values are built at run time: no tracked line looks like a real key.
const body = (n: number) => 'A1b2C3d4E5f6G7h8'.repeat(Math.ceil(n / 16)).slice(0, n);
const groq = `gsk_${body(52)}`;
const openai = {
  project: `sk-proj-${body(40)}_${body(40)}-${body(20)}`,
  serviceAccount: `sk-svcacct-${body(64)}`,
  admin: `sk-admin-${body(48)}`,
  legacy: `sk-${body(48)}`,
};

describe('redactSecrets: every provider’s key values', () => {
  it('replaces Groq’s gsk_ values', () => {
    expect(redactSecrets(`key ${groq} here`)).toBe('key gsk_[REDACTED] here');
  });

  it.each(Object.entries(openai))('replaces OpenAI’s %s keys (sk-…), whole', (_kind, value) => {
    const out = redactSecrets(`Authorization: Bearer ${value}\n`);
    expect(out).toBe('Authorization: Bearer sk-[REDACTED]\n');
    expect(out).not.toContain(value.slice(-12));
  });

  it('leaves redacted forms and ordinary words alone', () => {
    for (const text of [
      'gsk_…X3yQ',
      'sk-svcacct-...abcd',
      'sk-abc...def',
      'a task-list',
      'risk-free and desk-bound',
      'secret/data/risk-assessment-of-the-whole-team',
    ]) {
      expect(redactSecrets(text)).toBe(text);
      expect(containsKeyValue(text)).toBe(false);
    }
  });

  it('finds any provider’s key value in a text', () => {
    expect(containsKeyValue(`x ${groq}`)).toBe(true);
    for (const value of Object.values(openai)) expect(containsKeyValue(`{"value":"${value}"}`)).toBe(true);
  });

  it('a registered secret is replaced even when it has no key shape', () => {
    const admin = `sandbox-admin-${body(24)}`;
    registerSecret(admin);
    expect(redactSecrets(`refused ${admin}`)).toBe('refused [REDACTED]');
  });
});
