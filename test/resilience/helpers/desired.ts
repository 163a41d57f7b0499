import { makeDesired, makeDesiredKey, makeDesiredProject } from '../../helpers/builders.js';
import type { DesiredKey, DesiredProject, DesiredState } from '../../../src/policy/types.js';

export const ORG_MODELS = ['openai/gpt-oss-120b', 'openai/gpt-oss-20b', 'qwen/qwen3.8-27b'];
const PROJECT_MODELS = ['openai/gpt-oss-120b', 'openai/gpt-oss-20b'];

export interface LargeOrgOptions {
  projects?: number;
  keysPerProject?: number;
  /** Part of every key's rotation trigger: another value rotates every key. */
  trigger?: string | null;
  /** Added to every project's requests-per-minute limit, so versions can differ. */
  limitOffset?: number;
  /** Extra keys `<project>-extra-<n>` in the first project (a v0 the large org later drops). */
  extraKeys?: number;
  recipients?: string[];
  quietPeriodSeconds?: number;
}

/**
 * An organization declared in memory: per project one create, one permissions change, one rate
 * limit per usable model (two) and `keysPerProject` key creates; plus the org's permissions, spend
 * limit and three alerts. The defaults (22 projects, 5 keys) make 203 changes on an empty org.
 */
export function largeOrg(options: LargeOrgOptions = {}): DesiredState {
  const projectCount = options.projects ?? 22;
  const keysPer = options.keysPerProject ?? 5;
  const projects: DesiredProject[] = [];
  const keys: DesiredKey[] = [];
  for (let p = 0; p < projectCount; p++) {
    const team = `team-${p % 4}`;
    const name = `proj-${String(p).padStart(2, '0')}`;
    projects.push(
      makeDesiredProject(name, {
        team,
        models: { mode: 'allow_list', models: PROJECT_MODELS },
        limits: { default: { requests_per_minute: 100 + p + (options.limitOffset ?? 0) }, models: {} },
      }),
    );
    const names = Array.from({ length: keysPer }, (_, k) => `${name}-key-${k}`);
    if (p === 0) for (let e = 0; e < (options.extraKeys ?? 0); e++) names.push(`${name}-extra-${e}`);
    for (const keyName of names) {
      keys.push(
        makeDesiredKey(keyName, {
          project: name,
          team,
          rotation: {
            everySeconds: 90 * 86400,
            quietPeriodSeconds: options.quietPeriodSeconds ?? 0,
            minOverlapSeconds: 0,
            trigger: options.trigger ?? null,
            deliver: [{ kind: 'file', path: `out/${keyName}.key` }],
          },
        }),
      );
    }
  }
  return makeDesired(projects, keys, {
    models: { mode: 'allow_list', models: ORG_MODELS },
    spending: {
      monthly_cap_usd: 500,
      alert_thresholds_usd: [100, 250, 400],
      alert_recipients: options.recipients ?? ['platform@acme.example'],
    },
    safety: { maxDeletes: 3, maxDeletePercent: 25 },
  });
}

/** OpenAI's models in the OpenAI large org: the organization's ceiling, and what every project allows. */
export const OPENAI_ORG_MODELS = ['gpt-4.1-mini', 'gpt-4o', 'gpt-4o-mini'];
const OPENAI_PROJECT_MODELS = ['gpt-4o', 'gpt-4o-mini'];

/**
 * largeOrg for `provider: openai` (examples/openai's shape): the organization's models are a ceiling
 * folded into each project's rule, its spend limit and alerts; per project one create, one
 * permissions change and `keysPerProject` service accounts. The defaults make 158 changes on an empty org.
 */
export function openAiLargeOrg(orgId: string, options: LargeOrgOptions = {}): DesiredState {
  const groq = largeOrg(options);
  return {
    ...groq,
    org: { ...groq.org, id: orgId, provider: 'openai', models: { mode: 'allow_list', models: OPENAI_ORG_MODELS } },
    projects: groq.projects.map((p) => ({ ...p, models: { mode: 'allow_list', models: OPENAI_PROJECT_MODELS } })),
  };
}
