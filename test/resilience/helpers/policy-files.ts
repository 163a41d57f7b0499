import fs from 'node:fs';
import path from 'node:path';

/** A small organization as policy files on disk (for the CLI): 2 teams, 3 projects, 4 keys, each delivered to a file. */
export const ORG_YAML = `version: 2
org: org_test
admins: ["@acme/platform"]
models: [openai/gpt-oss-120b, openai/gpt-oss-20b, qwen/qwen3.8-27b]
limits:
  default: {requests_per_minute: 1000, tokens_per_minute: 1000000}
spending:
  monthly_cap_usd: 500
  alert_thresholds_usd: [100, 250]
  alert_recipients: [platform@acme.example]
rotation: {every: 30d, quiet_period: 1h, min_overlap: 10m}
# These workspaces are not git repositories, so no base shows who owned what: org.yaml grants it.
grants:
  alpha: {projects: [alpha-prod, alpha-staging], files: [delivered/]}
  beta: {projects: [beta-prod], files: [delivered/]}
`;

/** Which project each key is in, and the model its service calls. */
export const KEYS = {
  'alpha-web': 'alpha-prod',
  'alpha-jobs': 'alpha-prod',
  'alpha-staging-web': 'alpha-staging',
  'beta-api': 'beta-prod',
} as const;
export type KeyName = keyof typeof KEYS;
export const MODEL = 'openai/gpt-oss-20b';

export function teamFiles(trigger: string | null): Record<string, string> {
  const rotation = (key: string, mode = '') =>
    `        rotation: {${trigger ? `trigger: "${trigger}", ` : ''}deliver: [{file: {path: delivered/${key}.key${mode}}}]}\n`;
  return {
    'teams/alpha.yaml': `team: alpha
owners: ["@acme/alpha"]
projects:
  - name: alpha-prod
    limits:
      default: {requests_per_minute: 100}
    keys:
      - name: alpha-web
${rotation('alpha-web')}      - name: alpha-jobs
${rotation('alpha-jobs', ', mode: "0400"')}  - name: alpha-staging
    models: [openai/gpt-oss-20b]
    keys:
      - name: alpha-staging-web
${rotation('alpha-staging-web')}`,
    'teams/beta.yaml': `team: beta
owners: ["@acme/beta"]
projects:
  - name: beta-prod
    keys:
      - name: beta-api
${rotation('beta-api')}`,
  };
}

export function writePolicies(ws: string, trigger: string | null): void {
  const dir = path.join(ws, 'policies');
  fs.mkdirSync(path.join(dir, 'teams'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'org.yaml'), ORG_YAML);
  for (const [name, text] of Object.entries(teamFiles(trigger))) fs.writeFileSync(path.join(dir, name), text);
}

/** The same organization for `provider: openai` (examples/openai's shape), its keys in the same projects. */
export const OPENAI_ORG_YAML = `version: 2
provider: openai
org: org-resilience
admins: ["@acme/platform"]
models: [gpt-4.1-mini, gpt-4o, gpt-4o-mini]
limits:
  default: {requests_per_minute: 1000, tokens_per_minute: 1000000}
spending:
  monthly_cap_usd: 500
  alert_thresholds_usd: [100, 250]
  alert_recipients: [platform@acme.example]
rotation: {every: 30d, quiet_period: 1h, min_overlap: 10m}
# These workspaces are not git repositories, so no base shows who owned what: org.yaml grants it.
grants:
  alpha: {projects: [alpha-prod, alpha-staging], files: [delivered/]}
  beta: {projects: [beta-prod], files: [delivered/]}
`;
export const OPENAI_MODEL = 'gpt-4o-mini';

export function writeOpenAiPolicies(ws: string, trigger: string | null): void {
  const dir = path.join(ws, 'policies');
  fs.mkdirSync(path.join(dir, 'teams'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'org.yaml'), OPENAI_ORG_YAML);
  for (const [name, text] of Object.entries(teamFiles(trigger)))
    fs.writeFileSync(path.join(dir, name), text.replace('models: [openai/gpt-oss-20b]', `models: [${OPENAI_MODEL}]`));
}
