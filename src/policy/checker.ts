import { lookUpModel, type ModelCatalogue } from '../core/models.js';
import { quoteList } from './diagnostics.js';
import { listedModels } from './model-rules.js';
import type { RotationSeconds } from './rotation-rules.js';
import type { PolicySource } from './source.js';
import type { ModelRule } from './types.js';

/** What the rule checks share: how they report, and the scopes models narrow through. */
export type Path = (string | number)[];
export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Collects diagnostics for the rule checks. */
export interface Checker {
  catalogue: ModelCatalogue;
  error(s: PolicySource, p: Path, message: string, hint?: string, target?: 'key' | 'value'): void;
  warn(s: PolicySource, p: Path, message: string, hint?: string, target?: 'key' | 'value'): void;
}

/** Who narrows the models: the org, or a team within it. */
export interface ModelScope {
  label: string;
  source: PolicySource;
  rule: ModelRule | null;
  raw: unknown;
  models: Set<string>;
  parent: ModelScope | null;
}

export interface OrgScope extends ModelScope {
  limits: Obj;
  rotation: RotationSeconds;
}

/** Decommissioned and unknown model ids in a `models` field, and models about to shut down. */
export function checkModelIds(check: Checker, s: PolicySource, p: Path, models: unknown): void {
  for (const { id, at } of listedModels(models)) checkModelId(check, s, [...p, ...at], id, 'value');
}

export function checkModelId(check: Checker, s: PolicySource, p: Path, id: string, target: 'key' | 'value'): boolean {
  const { catalogue } = check;
  const status = lookUpModel(catalogue, id);
  if (status.kind === 'decommissioned') {
    const { shutdown_date, replacement } = status.entry;
    check.error(
      s,
      p,
      `model "${id}" was decommissioned on ${shutdown_date}`,
      replacement
        ? `use its replacement "${replacement}"`
        : 'remove it; Groq names no replacement (see https://console.groq.com/docs/deprecations)',
      target,
    );
    return false;
  }
  if (status.kind === 'unknown') {
    check.error(
      s,
      p,
      `unknown model "${id}"`,
      status.suggestions.length > 0
        ? `did you mean ${quoteList(status.suggestions)}?`
        : `known models: ${catalogue.live.map((x) => x.id).join(', ')}`,
      target,
    );
    return false;
  }
  if (status.retiring) {
    const r = status.retiring;
    check.warn(
      s,
      p,
      `model "${id}" shuts down on ${r.shutdown_date}`,
      r.replacement ? `move to "${r.replacement}"` : 'plan to remove it',
      target,
    );
  }
  return true;
}
