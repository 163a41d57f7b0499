/** Number formatting and plain tables shared by the usage renderers. */

export const int = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Dollars: cents for ordinary amounts; small ones keep six decimals so a test org's spend is not `$0.00`. */
export function usd(n: number): string {
  if (n === 0) return '$0.00';
  if (Math.abs(n) >= 0.01) return `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  const fixed = n.toFixed(6);
  return Number(fixed) === 0 ? '<$0.000001' : `$${fixed}`;
}

export const pct = (ratio: number): string => `${(ratio * 100).toFixed(1)} %`;

/** A plain decimal (never exponent notation, which Mermaid does not parse). */
export function plainNumber(n: number): string {
  const fixed = Math.abs(n) >= 0.01 || n === 0 ? n.toFixed(2) : n.toFixed(6);
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}

/** `width` characters of █, the rest ░, for a 0..1 share. */
export function bar(share: number, width = 20): string {
  const full = Math.max(0, Math.min(width, Math.round(share * width)));
  return `${'█'.repeat(full)}${'░'.repeat(width - full)}`;
}

export const minuteUtc = (t: number): string => `${new Date(t * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
export const timeUtc = (t: number): string => `${new Date(t * 1000).toISOString().slice(11, 16)} UTC`;

export type Align = 'left' | 'right';

/** Columns padded to their widest cell; `align` per column. */
export function alignTable(header: string[], rows: string[][], align: Align[], indent = '  '): string[] {
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: string[]) =>
    `${indent}${cells.map((c, i) => (align[i] === 'right' ? c.padStart(widths[i]! + c.length - width(c)) : c.padEnd(widths[i]! + c.length - width(c)))).join('  ')}`.trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

// Characters as the terminal shows them (the bar's blocks are one column each; no wide characters here).
const width = (s: string): number => [...s].length;
