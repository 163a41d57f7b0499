import type { ValidateFunction } from 'ajv';
// The JSON Schemas in schemas/ compiled ahead of time by scripts/compile-schemas.mjs (run by the
// build): compiling them at start-up cost about a third of a `validate` run.
import { org, team } from './generated/validators.js';

export function schemaValidators(): { org: ValidateFunction; team: ValidateFunction } {
  return { org, team };
}
