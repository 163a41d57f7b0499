import { lookUpModel, type ModelCatalogue } from '../core/models.js';
import type { ModelRule } from './types.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The model ids written in a `models` field (either form), with their path below it; [] for anything else. */
export function listedModels(value: unknown): { id: string; at: (string | number)[] }[] {
  const list = Array.isArray(value) ? value : isObj(value) && Array.isArray(value.block) ? value.block : [];
  const prefix = Array.isArray(value) ? [] : ['block'];
  const out: { id: string; at: (string | number)[] }[] = [];
  list.forEach((m, i) => typeof m === 'string' && out.push({ id: m, at: [...prefix, i] }));
  return out;
}

/** A `models` field as a rule (sorted, no repeats); `null` when absent or malformed. */
export function toModelRule(value: unknown): ModelRule | null {
  if (Array.isArray(value)) return { mode: 'allow_list', models: uniqueSorted(value) };
  if (isObj(value) && Array.isArray(value.block)) return { mode: 'deny_list', models: uniqueSorted(value.block) };
  return null;
}

function uniqueSorted(values: unknown[]): string[] {
  return [...new Set(values.filter((v): v is string => typeof v === 'string'))].sort();
}

/**
 * The models a rule leaves usable within `parent` (a set of live model ids), as Groq applies it:
 * an allow list keeps what it lists, a block list keeps everything else.
 */
export function effectiveModels(rule: ModelRule | null, parent: ReadonlySet<string>): Set<string> {
  if (!rule) return new Set(parent);
  const listed = new Set(rule.models);
  return new Set([...parent].filter((m) => (rule.mode === 'allow_list' ? listed.has(m) : !listed.has(m))));
}

export function liveModelIds(catalogue: ModelCatalogue): Set<string> {
  return new Set(catalogue.live.map((m) => m.id));
}

export function isLiveModel(catalogue: ModelCatalogue, id: string): boolean {
  return lookUpModel(catalogue, id).kind === 'live';
}
