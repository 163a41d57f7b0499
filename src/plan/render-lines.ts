import { diffArrays } from 'diff';
import type { Change, FieldChange } from './types.js';

/** One line of a change's body: `+` added, `-` removed, `~` changed, ` ` context. */
export interface Line {
  sign: '+' | '-' | '~' | ' ';
  text: string;
  /** An entry inside a list field, shown one level deeper. */
  nested?: boolean;
}

export const SIGN: Record<Change['action'], string> = { create: '+', update: '~', delete: '-', adopt: '<=' };

export function formatValue(field: string, value: unknown): string {
  if (value === null) return field === 'allowed_models' ? '(every model the org allows)' : field.startsWith('metadata.') ? '(none)' : field === 'monthly_cap_usd' ? '(no cap)' : '(org default)';
  if (Array.isArray(value)) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
  return JSON.stringify(value);
}

/** The heading of a change: `key "chatbot-prod" (key_…, gsk_…X3yQ)`. */
export function changeTitle(c: Change): string {
  if (c.resource === 'spending_limit') return 'spending_limit';
  const ids = [c.key_id, c.redacted_value].filter(Boolean).join(', ');
  return `key "${c.key}"${ids ? ` (${ids})` : ''}`;
}

/** A change's field lines, aligned; list fields shown as a diff of their entries. */
export function changeLines(c: Change): Line[] {
  if (c.action === 'delete') return [];
  const width = Math.max(0, ...c.fields.map((f) => f.field.length));
  const lines: Line[] = [];
  for (const f of c.fields) lines.push(...fieldLines(f, width, c.action === 'create'));
  return lines;
}

function fieldLines(f: FieldChange, width: number, creating: boolean): Line[] {
  const label = f.field.padEnd(width);
  if (creating || f.before === null) return [{ sign: '+', text: `${label} = ${formatValue(f.field, f.after)}` }];
  if (f.after === null && f.field.startsWith('metadata.')) return [{ sign: '-', text: `${label} = ${formatValue(f.field, f.before)}` }];
  if (Array.isArray(f.before) && Array.isArray(f.after)) {
    const out: Line[] = [{ sign: '~', text: `${label} = [` }];
    for (const part of diffArrays(f.before.map((v) => JSON.stringify(v)), f.after.map((v) => JSON.stringify(v)))) {
      for (const v of part.value) out.push({ sign: part.added ? '+' : part.removed ? '-' : ' ', text: `${v},`, nested: true });
    }
    out.push({ sign: ' ', text: ']' });
    return out;
  }
  return [{ sign: '~', text: `${label} = ${formatValue(f.field, f.before)} -> ${formatValue(f.field, f.after)}` }];
}

export function summaryLine(s: { create: number; update: number; delete: number; adopt: number; rotate: number }): string {
  const rotate = s.rotate > 0 ? `, ${s.rotate} to rotate` : '';
  return `Plan: ${s.create} to create, ${s.update} to update, ${s.delete} to delete, ${s.adopt} to adopt${rotate}.`;
}

export function isEmptyPlan(s: { create: number; update: number; delete: number; adopt: number; rotate: number }): boolean {
  return s.create + s.update + s.delete + s.adopt + s.rotate === 0;
}

export function formatDate(seconds: number | null): string {
  return seconds === null ? 'never' : new Date(seconds * 1000).toISOString().slice(0, 10);
}
