import type { DomainLiveProject as LiveProject, DomainLiveState as LiveState, LiveSpendAlert, LiveSpending } from '../core/domain.js';
import { capabilitiesFor } from '../core/capabilities.js';
import { InternalError } from '../core/errors.js';
import { centsToUsd, usdToCents } from '../core/money.js';
import type { DesiredProject, DesiredState, ModelRule, SpendingPolicy } from '../policy/types.js';
import { normaliseRule, sameRule } from './model-rules.js';
import type {
  FieldChange,
  OrgPermissionsChange,
  ProjectSpendAlertChange,
  ProjectSpendLimitChange,
  SpendAlertChange,
  SpendLimitChange,
} from './types.js';

/** Field-level differences of two model rules: the mode, then the models as sorted lists. */
export function ruleFields(before: ModelRule | null, after: ModelRule | null): FieldChange[] {
  const fields: FieldChange[] = [];
  const b = normaliseRule(before);
  const a = normaliseRule(after);
  const mode = (r: ModelRule | null) => r?.mode ?? null;
  if (mode(b) !== mode(a)) fields.push({ field: 'models.mode', before: mode(b), after: mode(a) });
  const list = (r: ModelRule | null) => r?.models ?? [];
  if (JSON.stringify(list(b)) !== JSON.stringify(list(a))) fields.push({ field: 'models', before: list(b), after: list(a) });
  return fields;
}

export function planOrgPermissions(desired: DesiredState, live: LiveState): OrgPermissionsChange | null {
  // Without organization-wide model permissions (OpenAI) the org's `models` is folded into each project's rule.
  if (!orgModelPermissionsOf(live)) return null;
  const before = normaliseRule(live.permissions);
  const after = normaliseRule(desired.org.models);
  if (sameRule(before, after)) return null;
  return {
    resource: 'org_model_permissions',
    action: 'update',
    reason: 'differs',
    team: null,
    before,
    after,
    fields: ruleFields(before, after),
  };
}

/** Whether the provider has model permissions for the whole organization (core/capabilities.ts); unknown providers as Groq. */
export function orgModelPermissionsOf(live: Pick<LiveState, 'provider'>): boolean {
  try {
    return capabilitiesFor(live.provider).orgModelPermissions;
  } catch {
    return true;
  }
}

/** The spend limit and its alerts; nothing when the policies leave spending alone. */
export function planSpending(desired: DesiredState, live: LiveState): (SpendLimitChange | SpendAlertChange)[] {
  const want = desired.org.spending;
  if (!want) return [];
  return spendingChanges(want, live.spending, null);
}

/**
 * A project's own spend limit and alerts (providers with project spending), as the organization's:
 * a project this plan creates has none yet. Nothing when its policy leaves spending alone.
 */
export function planProjectSpending(
  project: DesiredProject,
  live: LiveProject | null,
): (ProjectSpendLimitChange | ProjectSpendAlertChange)[] {
  if (!project.spending) return [];
  // Comparing with spending nobody read would create it again on every apply.
  if (live && !live.spending)
    throw new InternalError(`project "${project.name}" has spending in its policy, but its live spending was not read`);
  const scope = { project: project.name, project_id: live?.id ?? null };
  return spendingChanges(project.spending, live?.spending ?? NO_SPENDING, project.team).map((c) =>
    c.resource === 'spend_limit'
      ? { ...c, resource: 'project_spend_limit' as const, ...scope }
      : { ...c, resource: 'project_spend_alert' as const, ...scope },
  );
}

const NO_SPENDING: LiveSpending = { monthly_cap_usd: null, alerts: [] };

/** The changes that make `live` what `want` says, for the organization's spending or a project's (`team` then names its team). */
function spendingChanges(want: SpendingPolicy, live: LiveSpending, team: string | null): (SpendLimitChange | SpendAlertChange)[] {
  const changes: (SpendLimitChange | SpendAlertChange)[] = [];
  const liveCap = live.monthly_cap_usd;
  if (want.monthly_cap_usd === null && liveCap !== null) {
    changes.push({
      resource: 'spend_limit',
      action: 'delete',
      reason: 'removed',
      team,
      before: { monthly_cap_usd: liveCap },
      after: null,
      fields: [{ field: 'monthly_cap_usd', before: liveCap, after: null }],
    });
  } else if (want.monthly_cap_usd !== null && (liveCap === null || usdToCents(liveCap) !== usdToCents(want.monthly_cap_usd))) {
    changes.push({
      resource: 'spend_limit',
      action: liveCap === null ? 'create' : 'update',
      reason: liveCap === null ? 'new' : 'differs',
      team,
      before: liveCap === null ? null : { monthly_cap_usd: liveCap },
      after: { monthly_cap_usd: want.monthly_cap_usd },
      fields: [{ field: 'monthly_cap_usd', before: liveCap, after: want.monthly_cap_usd }],
    });
  }

  const recipients = [...new Set(want.alert_recipients)].sort();
  // Compared in whole cents, as the policies' dollars are sent.
  const byCents = new Map<number, LiveSpendAlert[]>();
  for (const alert of [...live.alerts].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const cents = usdToCents(alert.threshold_usd);
    byCents.set(cents, [...(byCents.get(cents) ?? []), alert]);
  }
  const wanted = new Set(want.alert_thresholds_usd.map(usdToCents));
  for (const usd of want.alert_thresholds_usd) {
    const [existing] = byCents.get(usdToCents(usd)) ?? [];
    if (!existing) {
      changes.push({
        resource: 'spend_alert',
        action: 'create',
        reason: 'new',
        team,
        alert_id: null,
        threshold_usd: usd,
        before: null,
        after: { recipients },
        fields: [{ field: 'recipients', before: null, after: recipients }],
      });
      continue;
    }
    const have = [...existing.recipients].sort();
    if (JSON.stringify(have) !== JSON.stringify(recipients)) {
      changes.push({
        resource: 'spend_alert',
        action: 'update',
        reason: 'differs',
        team,
        alert_id: existing.id,
        threshold_usd: usd,
        before: { recipients: have },
        after: { recipients },
        fields: [{ field: 'recipients', before: have, after: recipients }],
      });
    }
  }
  for (const [cents, alerts] of [...byCents].sort(([a], [b]) => a - b)) {
    // A second alert at one threshold would e-mail twice: only the first one is kept.
    const extra = wanted.has(cents) ? alerts.slice(1) : alerts;
    for (const alert of extra) {
      changes.push({
        resource: 'spend_alert',
        action: 'delete',
        reason: wanted.has(cents) ? 'surplus' : 'removed',
        team,
        alert_id: alert.id,
        threshold_usd: centsToUsd(cents),
        before: { recipients: [...alert.recipients].sort() },
        after: null,
        fields: [],
      });
    }
  }
  return changes;
}
