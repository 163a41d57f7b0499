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

/** A valid v2 org.yaml: three models allowed, a per-model ceiling, spending with recipients. */
export const ORG_YAML = `version: 2
org: org_sandbox
admins: ["@acme/platform"]
models: [openai/gpt-oss-120b, openai/gpt-oss-20b, qwen/qwen3.8-27b]
limits:
  default: {requests_per_minute: 1000, tokens_per_minute: 1000000}
  openai/gpt-oss-120b: {tokens_per_minute: 500000}
spending:
  monthly_cap_usd: 500
  alert_thresholds_usd: [400, 100, 250]
  alert_recipients: [platform@acme.example]
`;

/**
 * A v2 team file. `projectsYaml` is the text of the `projects:` list, indented as under it (each
 * entry starts with `  - name: …`); empty writes `projects: []`. `extra` goes before `projects:`.
 */
export function teamYaml(team: string, projectsYaml = '', extra = ''): string {
  const projects = projectsYaml.trim() === '' ? 'projects: []\n' : `projects:\n${projectsYaml.replace(/\n*$/, '\n')}`;
  return `team: ${team}\nowners: ["@acme/${team}"]\n${extra}${projects}`;
}

/** One project entry for `teamYaml`: `- name: <name>` with `body` lines (already indented by four) and keys by name. */
export function projectYaml(name: string, options: { body?: string; keys?: string[] } = {}): string {
  const keys = options.keys ?? [];
  const keyLines = keys.length === 0 ? '' : `    keys:\n${keys.map((k) => `      - name: ${k}\n`).join('')}`;
  return `  - name: ${name}\n${options.body ? options.body.replace(/\n*$/, '\n') : ''}${keyLines}`;
}
