import { ROTATION_DEFAULTS } from '../core/defaults.js';
import { isObj, type Checker, type Path } from './checker.js';
import { DURATION_HINT, formatDuration, parseDuration } from './duration.js';
import type { PolicySource } from './source.js';

export interface RotationSeconds {
  every: number;
  quiet_period: number;
  min_overlap: number;
}

const FIELDS = ['every', 'quiet_period', 'min_overlap'] as const;

export function rotationDefaults(): RotationSeconds {
  return {
    every: parseDuration(ROTATION_DEFAULTS.every)!,
    quiet_period: parseDuration(ROTATION_DEFAULTS.quiet_period)!,
    min_overlap: parseDuration(ROTATION_DEFAULTS.min_overlap)!,
  };
}

/**
 * Checks a `rotation` mapping's durations and their order (the old key stays quiet for at least the
 * overlap; a rotation fits inside `every`) and returns them resolved over `fallback`.
 */
export function checkRotation(check: Checker, s: PolicySource, p: Path, rotation: unknown, fallback: RotationSeconds): RotationSeconds {
  const result = { ...fallback };
  if (!isObj(rotation)) return result;
  let ok = true;
  for (const field of FIELDS) {
    const raw = rotation[field];
    if (typeof raw !== 'string') continue;
    const seconds = parseDuration(raw);
    if (seconds === null) {
      check.error(s, [...p, field], `"${raw}" is not a duration`, DURATION_HINT);
      ok = false;
    } else if (field === 'every' && seconds === 0) {
      check.error(s, [...p, field], 'must be longer than zero', 'for example every: 90d');
      ok = false;
    } else {
      result[field] = seconds;
    }
  }
  if (!ok || !FIELDS.some((f) => f in rotation)) return result;
  const at = (f: string): Path => (f in rotation ? [...p, f] : p);
  if (result.min_overlap > result.quiet_period) {
    check.error(
      s,
      at('min_overlap'),
      `min_overlap ${formatDuration(result.min_overlap)} is longer than quiet_period ${formatDuration(result.quiet_period)}`,
      'the old key must stay quiet for at least the overlap: shorten min_overlap or lengthen quiet_period',
    );
  } else if (result.every <= result.quiet_period + result.min_overlap) {
    check.error(
      s,
      at('every'),
      `every ${formatDuration(result.every)} leaves no time between rotations (quiet_period + min_overlap is ${formatDuration(result.quiet_period + result.min_overlap)})`,
      'make every longer than quiet_period plus min_overlap',
    );
  }
  return result;
}
