/**
 * A project's hard spend limit and spend alerts (openai-node `projects/spend-limit.ts`,
 * `projects/spend-alerts.ts`): the organization's shapes with `project.` objects. Kept on the project
 * record, so the journal carries them with it. From the project's month-to-date spend reaching its
 * limit, its keys' inference is refused (OpenAI's answer then is not in the sources: assumed 429
 * `insufficient_quota`, OpenAI's code for an exhausted quota).
 */
import { SandboxError, notFound } from '../errors.js';
import type { OrgState } from '../org-state.js';
import { paginate } from '../pagination.js';
import type { StoredAlert, StoredProject } from '../snapshot.js';
import { monthOf } from '../usage.js';
import { validateSpendAlertBody, validateSpendLimitBody } from '../validate-body.js';

export class ProjectSpend {
  constructor(private readonly org: OrgState) {}

  monthToDateUsd(p: StoredProject): number {
    const now = this.org.now();
    const month = monthOf(now);
    const from = Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)) - 1, 1) / 1000;
    const cutoff = now - this.org.spendLagSeconds;
    let usd = 0;
    for (const r of this.org.usage.all()) if (r.project_id === p.id && r.minute >= from && r.minute <= cutoff) usd += r.cost_usd;
    return usd;
  }

  blocked(p: StoredProject): boolean {
    return p.spend_limit != null && this.monthToDateUsd(p) * 100 >= p.spend_limit;
  }

  getLimit(projectId: string) {
    const p = this.org.project(projectId);
    if (p.spend_limit == null) throw notFound('spend_limit_not_found', `No spend limit is set for project '${projectId}'.`);
    return {
      object: 'project.spend_limit' as const,
      threshold_amount: p.spend_limit,
      currency: 'USD',
      interval: 'month',
      enforcement: { status: this.blocked(p) ? 'enforcing' : 'inactive' },
    };
  }
  setLimit(projectId: string, raw: unknown) {
    const p = this.org.activeProject(projectId);
    p.spend_limit = validateSpendLimitBody(raw);
    this.org.emit({ op: 'project', p });
    return this.getLimit(projectId);
  }
  deleteLimit(projectId: string) {
    const p = this.org.activeProject(projectId);
    p.spend_limit = null;
    this.org.emit({ op: 'project', p });
    return { object: 'project.spend_limit.deleted' as const, deleted: true };
  }

  listAlerts(projectId: string, query: URLSearchParams) {
    return paginate(this.org.project(projectId).spend_alerts ?? [], query, presentAlert);
  }
  getAlert(projectId: string, id: string) {
    return presentAlert(this.alert(this.org.project(projectId), id));
  }
  createAlert(projectId: string, raw: unknown) {
    const p = this.org.activeProject(projectId);
    const alert: StoredAlert = { id: '', ...validateSpendAlertBody(raw) };
    alert.id = this.org.nextId('spend_alert_');
    p.spend_alerts = [...(p.spend_alerts ?? []), alert];
    this.org.emit({ op: 'project', p });
    return presentAlert(alert);
  }
  updateAlert(projectId: string, id: string, raw: unknown) {
    const p = this.org.activeProject(projectId);
    const alert: StoredAlert = { ...this.alert(p, id), ...validateSpendAlertBody(raw), id };
    p.spend_alerts = (p.spend_alerts ?? []).map((a) => (a.id === id ? alert : a));
    this.org.emit({ op: 'project', p });
    return presentAlert(alert);
  }
  deleteAlert(projectId: string, id: string) {
    const p = this.org.activeProject(projectId);
    this.alert(p, id);
    p.spend_alerts = (p.spend_alerts ?? []).filter((a) => a.id !== id);
    this.org.emit({ op: 'project', p });
    return { object: 'project.spend_alert.deleted' as const, id, deleted: true };
  }

  private alert(p: StoredProject, id: string): StoredAlert {
    const a = (p.spend_alerts ?? []).find((x) => x.id === id);
    if (!a) throw notFound('spend_alert_not_found', `No spend alert with id '${id}' in project '${p.id}'.`, 'alert_id');
    return a;
  }
}

function presentAlert(a: StoredAlert) {
  return {
    object: 'project.spend_alert' as const,
    id: a.id,
    threshold_amount: a.threshold_amount,
    currency: 'USD' as const,
    interval: 'month' as const,
    notification_channel: { type: 'email' as const, recipients: [...a.notification_channel.recipients] },
  };
}

export const projectQuotaExceeded = (projectId: string) =>
  new SandboxError(429, 'insufficient_quota', `Project \`${projectId}\` has reached its spend limit for this month.`, 'insufficient_quota');
