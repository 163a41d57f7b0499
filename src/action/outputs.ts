import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderPlanJson } from '../plan/render-json.js';
import { redactSecrets } from '../core/redact.js';
import type { ModeResult } from './modes/mode.js';

export interface Outputs {
  'has-changes': string;
  fingerprint: string;
  'plan-json': string;
  summary: string;
}

/** The step's outputs; the plan's JSON goes to a file under RUNNER_TEMP (an output holds a path, not a document). */
export function buildOutputs(result: ModeResult, env: NodeJS.ProcessEnv): Outputs {
  let planJson = '';
  if (result.plan) {
    const dir = fs.mkdtempSync(path.join(env.RUNNER_TEMP || os.tmpdir(), 'groq-rbac-'));
    planJson = path.join(dir, 'plan.json');
    fs.writeFileSync(planJson, renderPlanJson(result.plan));
  }
  return {
    'has-changes': String(result.hasChanges),
    fingerprint: result.plan?.fingerprint ?? '',
    'plan-json': planJson,
    summary: redactSecrets(result.line),
  };
}
