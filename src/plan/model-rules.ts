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

/** The models a project may call: served, and let through by the org's rule, then the project's (Groq's cascade). */
export function usableModels(served: readonly string[], orgRule: ModelRule | null, projectRule: ModelRule | null): string[] {
  return served.filter((m) => permits(orgRule, m) && permits(projectRule, m));
}
