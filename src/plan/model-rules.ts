import type { ModelRule } from '../policy/types.js';

const sorted = (models: readonly string[]): string[] => [...new Set(models)].sort();

export function normaliseRule(rule: ModelRule | null): ModelRule | null {
  if (rule === null || (rule.mode === 'deny_list' && rule.models.length === 0)) return null;
  return { mode: rule.mode, models: sorted(rule.models) };
}

export function sameRule(a: ModelRule | null, b: ModelRule | null): boolean {
  const x = normaliseRule(a);
  const y = normaliseRule(b);
  if (x === null || y === null) return x === y;
  return x.mode === y.mode && x.models.length === y.models.length && x.models.every((m, i) => m === y.models[i]);
}

/** Whether one rule lets `model` through. */
export function permits(rule: ModelRule | null, model: string): boolean {
  if (rule === null) return true;
  const listed = rule.models.includes(model);
  return rule.mode === 'allow_list' ? listed : !listed;
}

/**
 * The organization's rule and a project's as one rule, for a provider whose organization has no
 * model permissions of its own (OpenAI): the project may use what both let through.
 */
export function foldRule(org: ModelRule | null, project: ModelRule | null): ModelRule | null {
  const o = normaliseRule(org);
  const p = normaliseRule(project);
  if (o === null) return p;
  if (p === null) return o;
  const minus = (a: readonly string[], b: readonly string[]) => a.filter((m) => !b.includes(m));
  if (o.mode === 'allow_list' && p.mode === 'allow_list')
    return { mode: 'allow_list', models: p.models.filter((m) => o.models.includes(m)) };
  if (o.mode === 'allow_list') return { mode: 'allow_list', models: minus(o.models, p.models) };
  if (p.mode === 'allow_list') return { mode: 'allow_list', models: minus(p.models, o.models) };
  return normaliseRule({ mode: 'deny_list', models: [...o.models, ...p.models] });
}

/** The models a project may call: served, and let through by the org's rule, then the project's (Groq's cascade). */
export function usableModels(served: readonly string[], orgRule: ModelRule | null, projectRule: ModelRule | null): string[] {
  return served.filter((m) => permits(orgRule, m) && permits(projectRule, m));
}
