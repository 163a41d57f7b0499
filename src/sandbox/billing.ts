import type { SpendAlert, SpendLimit } from '../providers/groq/wire.js';
import { invalid, notFound } from './errors.js';
import type { OrgState } from './org-state.js';
import { paginate, type ListPage } from './pagination.js';
import type { OrgSnapshot, StoredAlert } from './snapshot.js';
import { monthOf, roundUsd } from './usage.js';
import { validateSpendAlertBody, validateSpendLimitBody } from './validate-body.js';

/**
 * The organization's spend limit and alerts, and its month-to-date spend as billing sees it (traffic
 * older than the spend lag). From spend reaching the limit, inference is blocked until the limit is
 * raised or the month turns (UTC).
 */
export class Billing {
  private readonly alertsById: Map<string, StoredAlert>;

  constructor(
    private readonly org: OrgState,
    private readonly data: OrgSnapshot,
  ) {
    this.alertsById = new Map(data.spend_alerts.map((a) => [a.id, a]));
  }

  alerts(): StoredAlert[] {
    return [...this.alertsById.values()];
  }

  monthToDateUsd(): number {
    const now = this.org.now();
    return this.org.usage.monthToDate(now, this.org.spendLagSeconds, this.data.spend_adjustments[monthOf(now)] ?? 0);
  }

  /** True when inference is blocked by the spend limit. */
  blocked(): boolean {
    return this.data.spend_limit !== null && this.monthToDateUsd() * 100 >= this.data.spend_limit;
  }

  /** `/_sandbox/spend {"add_usd"}`: moves this month's spend without traffic (at once, no lag). */
  addSpend(raw: unknown): { month_to_date_usd: number } {
    const usd = (raw as { add_usd?: unknown } | null)?.add_usd;
    if (typeof usd !== 'number' || !Number.isFinite(usd)) throw invalid('add_usd', "'add_usd' must be a number of US dollars.");
    const month = monthOf(this.org.now());
    this.data.spend_adjustments[month] = (this.data.spend_adjustments[month] ?? 0) + usd;
    this.org.emit({ op: 'spend_adj', m: month, usd: this.data.spend_adjustments[month]! });
    return this.spendStatus();
  }

  spendStatus(): { month_to_date_usd: number } {
    return { month_to_date_usd: roundUsd(this.monthToDateUsd()) };
  }

  getLimit(): SpendLimit {
    if (this.data.spend_limit === null) throw notFound('spend_limit_not_found', 'No spend limit is set for this organization.');
    return {
      object: 'organization.spend_limit',
      threshold_amount: this.data.spend_limit,
      currency: 'USD',
      interval: 'month',
      enforcement: { status: this.blocked() ? 'enforcing' : 'inactive' },
    };
  }
  setLimit(raw: unknown): SpendLimit {
    this.data.spend_limit = validateSpendLimitBody(raw);
    this.org.emit({ op: 'spend_limit', cents: this.data.spend_limit });
    this.org.recordAudit('spend_limit.updated', null, { threshold_amount: this.data.spend_limit });
    return this.getLimit();
  }
  deleteLimit() {
    this.data.spend_limit = null;
    this.org.emit({ op: 'spend_limit', cents: null });
    this.org.recordAudit('spend_limit.deleted', null, {});
    return { object: 'organization.spend_limit.deleted', deleted: true };
  }

  listAlerts(query: URLSearchParams): ListPage<SpendAlert> {
    return paginate(this.alerts(), query, presentAlert);
  }
  getAlert(id: string): SpendAlert {
    return presentAlert(this.alert(id));
  }
  createAlert(raw: unknown): SpendAlert {
    const alert: StoredAlert = { id: '', ...validateSpendAlertBody(raw) };
    alert.id = this.org.nextId('spend_alert_');
    this.alertsById.set(alert.id, alert);
    this.org.emit({ op: 'alert', a: alert });
    this.org.recordAudit('spend_alert.created', null, { id: alert.id, threshold_amount: alert.threshold_amount });
    return presentAlert(alert);
  }
  updateAlert(id: string, raw: unknown): SpendAlert {
    const alert: StoredAlert = { ...this.alert(id), ...validateSpendAlertBody(raw) };
    this.alertsById.set(id, alert);
    this.org.emit({ op: 'alert', a: alert });
    this.org.recordAudit('spend_alert.updated', null, { id, threshold_amount: alert.threshold_amount });
    return presentAlert(alert);
  }
  deleteAlert(id: string) {
    this.alert(id);
    this.alertsById.delete(id);
    this.org.emit({ op: 'del_alert', id });
    this.org.recordAudit('spend_alert.deleted', null, { id });
    return { object: 'organization.spend_alert.deleted', id, deleted: true };
  }
  private alert(id: string): StoredAlert {
    const a = this.alertsById.get(id);
    if (!a) throw notFound('spend_alert_not_found', `No spend alert with id '${id}'.`, 'alert_id');
    return a;
  }
}

function presentAlert(a: StoredAlert): SpendAlert {
  return {
    object: 'organization.spend_alert',
    id: a.id,
    threshold_amount: a.threshold_amount,
    currency: 'USD',
    interval: 'month',
    notification_channel: { type: 'email', recipients: [...a.notification_channel.recipients] },
  };
}
