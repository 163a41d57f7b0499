import type { Plan } from './types.js';

/** The documented, versioned JSON shape (docs/plan-format.md); also the file `apply --plan` reads. */
export function renderPlanJson(plan: Plan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}
