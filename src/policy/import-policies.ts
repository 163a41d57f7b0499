import { Document, isScalar, isSeq, visit } from 'yaml';
import type { ApiKey, LiveState } from '../groq/types.js';
import { LIMIT_FIELDS } from './types.js';

const TEAM_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface ImportResult {
  /** Relative path under the output directory → file content. */
  files: Record<string, string>;
  notes: string[];
}

/**
 * Policies that describe an existing organization as it is, so that `plan` right after shows only
 * adoptions. Keys are grouped by their `groq-rbac/team` metadata, else by name prefix, else `imported`.
 */
export function importPolicies(live: LiveState, options: { admins: string[]; schemaRef: { org: string; team: string } }): ImportResult {
  const notes: string[] = [];
  const seen = new Map<string, ApiKey>();
  const keys = [...live.keys].sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1));
  const teams = new Map<string, ApiKey[]>();
  for (const k of keys) {
    const name = k.metadata['groq-rbac/key'] ?? k.name;
    if (!KEY_NAME.test(name)) {
      notes.push(`left out ${k.id}: its name "${name}" is not a valid policy key name (letters, digits, ".", "_", "-"); rename it in the Groq Console and import again`);
      continue;
    }
    const first = seen.get(name);
    if (first) {
      notes.push(`left out ${k.id}: another key is also named "${name}" (${first.id} was imported); it stays unmanaged`);
      continue;
    }
    seen.set(name, k);
    const team = teamFor(k, name);
    teams.set(team, [...(teams.get(team) ?? []), k]);
  }

  const everyKeyRestricted = keys.every((k) => k.allowed_models !== null);
  const union = (ks: ApiKey[]) => [...new Set(ks.flatMap((k) => k.allowed_models ?? []))].sort();
  const org: Record<string, unknown> = { version: 1, org: live.org.id, admins: options.admins };
  if (everyKeyRestricted && keys.length > 0) org.models = union(keys);
  org.spending = { monthly_cap_usd: live.spending.monthly_cap_usd, alert_thresholds_usd: [...live.spending.alert_thresholds_usd].sort((a, b) => a - b), auto_pause: live.spending.auto_pause };
  org.unmanaged_keys = 'report';
  org.safety = { max_deletes: 3, max_delete_percent: 25 };

  const files: Record<string, string> = { 'org.yaml': render(org, options.schemaRef.org, `Imported from ${live.org.id} by groq-rbac import. Review admins before committing.`) };
  for (const [team, members] of [...teams].sort(([a], [b]) => a.localeCompare(b))) {
    const teamModels = members.every((k) => k.allowed_models !== null) ? union(members) : null;
    const body: Record<string, unknown> = { team, owners: options.admins };
    if (teamModels && teamModels.length > 0) body.models = teamModels;
    body.keys = [...members].sort((a, b) => nameOf(a).localeCompare(nameOf(b))).map((k) => {
      const entry: Record<string, unknown> = { name: nameOf(k) };
      if (k.allowed_models !== null) entry.models = [...k.allowed_models].sort();
      for (const f of LIMIT_FIELDS) if (k[f] !== null) entry[f] = k[f];
      if (k.status === 'disabled') entry.enabled = false;
      if (k.metadata['groq-rbac/protect'] === 'true') entry.protect = true;
      return entry;
    });
    files[`teams/${team}.yaml`] = render(body, options.schemaRef.team, `Imported from ${live.org.id}. Set owners to the team that reviews these keys.`);
  }
  return { files, notes };
}

function nameOf(k: ApiKey): string {
  return k.metadata['groq-rbac/key'] ?? k.name;
}

function teamFor(k: ApiKey, name: string): string {
  const tagged = k.metadata['groq-rbac/team'];
  if (tagged && TEAM_NAME.test(tagged)) return tagged;
  const prefix = /^([A-Za-z0-9]+)[-_.]/.exec(name)?.[1]?.toLowerCase();
  return prefix && TEAM_NAME.test(prefix) ? prefix : 'imported';
}

function render(data: Record<string, unknown>, schema: string, comment: string): string {
  const doc = new Document(data);
  // Lists of plain values read best on one line, as in hand-written policies.
  visit(doc, { Seq: (_, node) => void (isSeq(node) && node.items.every((i) => isScalar(i)) && (node.flow = true)) });
  doc.commentBefore = ` yaml-language-server: $schema=${schema}\n ${comment}`;
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
