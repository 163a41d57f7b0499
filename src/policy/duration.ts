const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
const DURATION = /^(?:\d+[smhdw])+$/;

/** Parses `90d`, `24h`, `1h30m` into seconds; `null` when it is not a duration. */
export function parseDuration(text: string): number | null {
  if (!DURATION.test(text)) return null;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)([smhdw])/g)) total += Number(amount) * UNIT_SECONDS[unit!]!;
  return Number.isSafeInteger(total) ? total : null;
}

/** The shortest exact rendering: 86400 → `1d`, 5400 → `1h30m`. */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  let rest = seconds;
  let out = '';
  for (const unit of ['w', 'd', 'h', 'm', 's']) {
    const size = UNIT_SECONDS[unit]!;
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return out;
}

export const DURATION_HINT = 'write a whole number and a unit: 45s, 30m, 24h, 90d or 2w (combined: 1h30m)';
