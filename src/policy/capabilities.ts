/**
 * The one place where a policy meets its provider's capabilities (core/capabilities.ts), as
 * octoDNS's `supports_warn_or_except` does: a field the provider lacks is an error where something
 * would be lost (a limit it has no field for, spending it cannot set), and a warning where nothing
 * is (the organization's `models` on a provider without organization-wide model permissions: a
 * ceiling the plan folds into each project's rule). `readPolicies` calls it, so `validate`, `plan`,
 * `apply` and the Action all see the same verdict, with no network.
 */
import { capabilitiesFor, PROVIDER_CAPABILITIES, PROVIDER_TITLES, type ProviderName } from '../core/capabilities.js';
import { LIMIT_FIELDS } from '../core/limits.js';
import type { Capabilities } from '../core/provider.js';
import { isObj, type Path } from './checker.js';
import { formatPath, type Diagnostic } from './diagnostics.js';
import { locate, ref, type PolicySource } from './source.js';

export function checkCapabilities(sources: readonly PolicySource[]): Diagnostic[] {
  const org = sources.find((s) => s.kind === 'org');
  if (!org || !isObj(org.data)) return [];
  const name = org.data.provider ?? 'groq';
  // An unknown name is the schema's error already.
  if (typeof name !== 'string' || !(name in PROVIDER_CAPABILITIES)) return [];
  const caps = capabilitiesFor(name);
  const title = PROVIDER_TITLES[name as ProviderName];
  const because =
    org.data.provider === undefined
      ? `the organization is Groq's (no \`provider:\` in ${org.file})`
      : `${ref(org, ['provider'])} says \`provider: ${name}\``;
  const out: Diagnostic[] = [];
  const at = (s: PolicySource, p: Path, severity: Diagnostic['severity'], message: string, hint: string) =>
    out.push({ severity, file: s.file, ...locate(s, p, 'key'), path: formatPath(p), message, hint });

  const limits = (s: PolicySource, p: Path, value: unknown) => {
    if (!isObj(value)) return;
    for (const [model, set] of Object.entries(value)) {
      if (!isObj(set)) continue;
      for (const field of Object.keys(set)) {
        if (!(LIMIT_FIELDS as readonly string[]).includes(field) || caps.limitFields.includes(field as Capabilities['limitFields'][number]))
          continue;
        at(
          s,
          [...p, model, field],
          'error',
          `${title} has no ${field} limit (${because}): it would not be set`,
          `remove it; ${title}'s limits are ${caps.limitFields.join(', ')}`,
        );
      }
    }
  };

  // Each provider's own organization id form: Groq's `org_…` (contract v2), OpenAI's `org-…`
  // (docs/openai-admin-api.md, "Which organization"; the OpenAI-Organization header carries it).
  const prefix = name === 'openai' ? 'org-' : 'org_';
  if (typeof org.data.org === 'string' && /^org[_-]/.test(org.data.org) && !org.data.org.startsWith(prefix)) {
    out.push({
      severity: 'error',
      file: org.file,
      ...locate(org, ['org'], 'value'),
      path: 'org',
      message: `"${org.data.org}" is not a ${title} organization id (${because}): ${title}'s start with ${prefix}`,
      hint: `write org: ${prefix}${org.data.org.slice(4)}, the id ${title} shows in its organization settings`,
    });
  }
  limits(org, ['limits'], org.data.limits);
  if (org.data.models !== undefined && !caps.orgModelPermissions) {
    at(
      org,
      ['models'],
      'warning',
      `${title} has no model permissions for the whole organization (${because}): these models are a ceiling, folded into each project's rule`,
      "nothing to change: the plan shows each project's rule with the ceiling applied",
    );
  }
  // Issue 20: which roles each provider has is member-rules.ts's check (core/members.ts); here only whether it has people at all.
  if (org.data.members !== undefined && !caps.members) {
    at(org, ['members'], 'error', `${title} has no members groq-rbac can manage (${because})`, 'remove members, and manage people by hand');
  }
  if (org.data.spending !== undefined && !caps.orgSpending) {
    at(org, ['spending'], 'error', `${title} has no spend limit or alerts for the organization (${because})`, 'remove spending');
  }
  for (const team of sources) {
    if (team.kind !== 'team' || !isObj(team.data) || !Array.isArray(team.data.projects)) continue;
    team.data.projects.forEach((project: unknown, i: number) => {
      if (!isObj(project)) return;
      limits(team, ['projects', i, 'limits'], project.limits);
      if (project.spending !== undefined && !caps.projectSpending) {
        const only = caps.orgSpending
          ? `${title} has spend limits and alerts only for the organization, not per project`
          : `${title} has no spend limit or alerts per project`;
        at(
          team,
          ['projects', i, 'spending'],
          'error',
          `${only} (${because}): it would not be set`,
          `remove it${caps.orgSpending ? `, and cap the whole organization with spending in ${org.file}` : ''}`,
        );
      }
    });
  }
  return out;
}
