/**
 * Domain change → OpenAI calls, apart from keys (keys.ts): projects, project model permissions,
 * rate limits, spend limits and alerts. Updates send absolute values (the same body twice gives the
 * same state), so they are retry-safe; creates are not (no idempotency key on OpenAI), so a create
 * whose answer is lost looks for what it made before it is sent again.
 */
import type { DomainLimitSet, DomainModelRule } from '../../core/domain.js';
import { InternalError, UserError } from '../../core/errors.js';
import type { SpendScope } from '../../core/provider.js';
import { enc, projectPath, type OpenAiClient } from './client.js';
import { ProviderError } from './errors.js';
import { ruleFrom } from './read.js';
import { LIMIT_TO_WIRE, type WireModelPermissions, type WireProject, type WireRateLimitValues, type WireSpendAlert } from './wire.js';

const spendBase = (scope: SpendScope) => (scope.project_id ? projectPath(scope.project_id) : '/organization');

export class Writer {
  constructor(
    private readonly client: OpenAiClient,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  /** OpenAI has no organization model permissions: only "none" can be applied (nothing to do). */
  async setOrgPermissions(rule: DomainModelRule | null): Promise<void> {
    if (rule !== null)
      throw new InternalError(
        'OpenAI has no organization-level model permissions (capabilities.orgModelPermissions is false): fold org `models` into each project',
      );
  }

  /** `POST /organization/projects` → 200 (spec). A lost answer: the project of that name, if one appeared, is it. */
  async createProject(name: string, _identity: string): Promise<{ id: string; replayed: boolean }> {
    return this.createOnce(
      () =>
        this.client
          .call<WireProject>({ method: 'POST', path: '/organization/projects', body: { name }, retrySafe: false })
          .then((p) => p.id),
      async () => {
        const found = (await this.client.list<WireProject>('/organization/projects')).filter((p) => p.name === name);
        if (found.length > 1)
          throw conflict(
            '/organization/projects',
            `${found.length} active projects are named "${name}" after a lost create answer: archive the extra ones, then run plan again`,
          );
        return found[0]?.id ?? null;
      },
    ).then((id) => ({ id, replayed: false }));
  }

  /**
   * Retry-safe in effect: if a retry after a lost answer is refused ("Archived projects cannot be
   * used or updated", spec), the project is looked at, and archived is done.
   */
  async archiveProject(projectId: string): Promise<void> {
    try {
      await this.client.call({ method: 'POST', path: `${projectPath(projectId)}/archive`, retrySafe: true });
    } catch (error) {
      if (!(error instanceof ProviderError) || error.kind !== 'invalid') throw error;
      const p = await this.client.call<WireProject>({ method: 'GET', path: projectPath(projectId) });
      if (p.status !== 'archived' && !p.archived_at) throw error;
    }
  }

  /** null: no rule of its own (DELETE; a 404 is believed only once a read agrees that no rule is left). */
  async setProjectPermissions(projectId: string, rule: DomainModelRule | null): Promise<void> {
    const path = `${projectPath(projectId)}/model_permissions`;
    if (rule === null) {
      return confirmedGone(this.client.call({ method: 'DELETE', path }), async () => {
        try {
          return ruleFrom(await this.client.call<WireModelPermissions>({ method: 'GET', path })) !== null;
        } catch (error) {
          if (error instanceof ProviderError && error.kind === 'not_found') return false;
          throw error;
        }
      });
    }
    await this.client.call({ method: 'POST', path, body: { mode: rule.mode, model_ids: rule.models }, retrySafe: true });
  }

  /** Update only (`POST …/rate_limits/{id}`, SDK `projects/rate-limits.ts`): the fields given, in OpenAI's names. */
  async setProjectLimits(projectId: string, limit: { id: string; model: string }, values: DomainLimitSet): Promise<void> {
    const body: WireRateLimitValues = {};
    for (const [field, value] of Object.entries(values)) {
      if (value === undefined) continue;
      const wire = LIMIT_TO_WIRE[field as keyof DomainLimitSet];
      if (!wire)
        throw new UserError(
          `OpenAI rate limits have no ${field} (model ${limit.model}): remove it from the policy; OpenAI has ${Object.keys(LIMIT_TO_WIRE).join(', ')}`,
        );
      body[wire] = value;
    }
    if (Object.keys(body).length === 0) return;
    await this.client.call({ method: 'POST', path: `${projectPath(projectId)}/rate_limits/${enc(limit.id)}`, body, retrySafe: true });
  }

  /**
   * Create or replace (SDK "Create or replace"); null deletes. Cents, USD, monthly. A delete's 404 is
   * passed on: apply believes it only once readSpending agrees (a spurious 404 is no proof).
   */
  async setSpendLimit(scope: SpendScope, usd: number | null): Promise<void> {
    const path = `${spendBase(scope)}/spend_limit`;
    if (usd === null) {
      await this.client.call({ method: 'DELETE', path });
      return;
    }
    await this.client.call({
      method: 'POST',
      path,
      body: { threshold_amount: Math.round(usd * 100), currency: 'USD', interval: 'month' },
      retrySafe: true,
    });
  }

  /** A lost answer: an alert with the same amount and recipients, if one appeared, is it. */
  async createSpendAlert(
    scope: SpendScope,
    alert: { threshold_usd: number; recipients: string[] },
    _identity: string,
  ): Promise<{ id: string }> {
    const path = `${spendBase(scope)}/spend_alerts`;
    const body = alertBody(alert);
    const id = await this.createOnce(
      () => this.client.call<WireSpendAlert>({ method: 'POST', path, body, retrySafe: false }).then((a) => a.id),
      async () => {
        const same = (await this.client.list<WireSpendAlert>(path)).find(
          (a) => a.threshold_amount === body.threshold_amount && sameSet(a.notification_channel?.recipients ?? [], alert.recipients),
        );
        return same?.id ?? null;
      },
    );
    return { id };
  }

  async updateSpendAlert(scope: SpendScope, id: string, alert: { threshold_usd: number; recipients: string[] }): Promise<void> {
    await this.client.call({
      method: 'POST',
      path: `${spendBase(scope)}/spend_alerts/${enc(id)}`,
      body: alertBody(alert),
      retrySafe: true,
    });
  }

  /** A 404 is passed on: apply believes it only once readSpending agrees (a spurious 404 is no proof). */
  async deleteSpendAlert(scope: SpendScope, id: string): Promise<void> {
    await this.client.call({ method: 'DELETE', path: `${spendBase(scope)}/spend_alerts/${enc(id)}` });
  }

  /**
   * One create, without an idempotency key: a 429 is waited out and sent again; a 5xx first asks
   * `find` whether it was made (the server has finished with it), and only if not is it sent again.
   * No answer at all (a timeout, a dropped connection) asks `find` too, but is never sent again: the
   * request may still be on its way or running, and land after anything this run could look at, so a
   * second create could make a second project. The change fails; the next run adopts what landed, or
   * creates it then.
   */
  private async createOnce(create: () => Promise<string>, find: () => Promise<string | null>, attempts = 5): Promise<string> {
    let uncertain = false;
    for (let attempt = 1; ; attempt++) {
      if (uncertain) {
        const made = await find();
        if (made !== null) return made;
      }
      try {
        return await create();
      } catch (error) {
        // As the transport does: pushback ("later") gets four times the attempts of a failure.
        if (!(error instanceof ProviderError) || !error.retryable || attempt >= (error.kind === 'rate_limited' ? attempts * 4 : attempts))
          throw error;
        if (error.kind === 'unavailable' && error.status === null) {
          const made = await find();
          if (made !== null) return made;
          throw new ProviderError({
            provider: 'openai',
            kind: 'unavailable',
            status: null,
            code: error.code,
            method: error.method,
            path: error.path,
            cause: error,
            message: `${error.message}; nothing it made was found, but with no answer it may still land, and OpenAI has no idempotency key, so it was not sent again: the next run adopts it if it appears, or creates it`,
          });
        }
        uncertain = uncertain || error.kind === 'unavailable';
        await this.sleep(error.retryAfterMs ?? Math.min(8_000, 250 * 2 ** (attempt - 1)));
      }
    }
  }
}

function alertBody(alert: { threshold_usd: number; recipients: string[] }) {
  return {
    threshold_amount: Math.round(alert.threshold_usd * 100),
    currency: 'USD',
    interval: 'month',
    notification_channel: { type: 'email', recipients: alert.recipients },
  };
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

function conflict(path: string, message: string): ProviderError {
  return new ProviderError({ provider: 'openai', kind: 'conflict', status: null, code: null, method: 'POST', path, message });
}

/** A delete whose 404 is believed only if `stillThere` says no (a spurious 404 is no proof it is gone). */
async function confirmedGone(call: Promise<unknown>, stillThere: () => Promise<boolean>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ProviderError && error.kind === 'not_found' && !(await stillThere())) return;
    throw error;
  }
}
