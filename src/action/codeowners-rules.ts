/**
 * The owner rules of the CODEOWNERS block `groq-rbac codeowners --write` generates
 * (src/policy/codeowners.ts), read back from the file as committed. Only that block: its lines are
 * anchored paths (`/policies/teams/chatbot.yaml`) and directories (`/policies/`), nothing else, so
 * they match exactly as GitHub matches them. Hand-written lines around it are GitHub's to enforce
 * (branch protection's "Require review from Code Owners").
 */
export interface OwnerRule {
  /** `/policies/` (a directory: everything below it) or `/policies/org.yaml` (one file). */
  pattern: string;
  owners: string[];
}

// The markers renderCodeownersBlock writes (src/policy/codeowners.ts).
const BEGIN = /^# BEGIN groq-rbac\b/;
const END = /^# END groq-rbac\b/;

/** The generated block's rules in file order, or null when the file has no complete block. */
export function parseGeneratedBlock(text: string): OwnerRule[] | null {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((l) => BEGIN.test(l));
  if (start < 0) return null;
  const end = lines.findIndex((l, i) => i > start && END.test(l));
  if (end < 0) return null;
  const rules: OwnerRule[] = [];
  for (const line of lines.slice(start + 1, end)) {
    const [pattern, ...owners] = line.trim().split(/\s+/);
    if (!pattern || pattern.startsWith('#')) continue;
    rules.push({ pattern, owners });
  }
  return rules;
}

/** The owners of a repository path: the last matching rule wins, as in CODEOWNERS; [] when none matches. */
export function ownersOf(rules: readonly OwnerRule[], file: string): string[] | null {
  const path = `/${file.replace(/^\/+/, '')}`;
  let owners: string[] | null = null;
  for (const r of rules) {
    const matches = r.pattern.endsWith('/') ? path.startsWith(r.pattern) : path === r.pattern;
    if (matches) owners = r.owners;
  }
  return owners;
}
