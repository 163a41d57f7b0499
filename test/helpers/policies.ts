import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Writes a policies directory into a fresh temporary folder and returns the folder. */
export function writePolicies(files: Record<string, string | Buffer>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'groq-rbac-policies-'));
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

export const ORG_YAML = `version: 1
org: org_sandbox
admins: ["@acme/platform"]
models: [openai/gpt-oss-120b, openai/gpt-oss-20b, qwen/qwen3.8-27b]
limits:
  requests_per_minute: 1000
  tokens_per_minute: 1000000
spending:
  monthly_cap_usd: 500
  alert_thresholds_usd: [400, 100, 250]
`;

export function teamYaml(team: string, keys: string[], extra = ''): string {
  return `team: ${team}\nowners: ["@acme/${team}"]\n${extra}keys:\n${keys.map((k) => `  - ${k}\n`).join('')}${keys.length === 0 ? '  []\n' : ''}`.replace('keys:\n  []', 'keys: []');
}
