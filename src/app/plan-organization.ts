import type { LiveState } from '../core/live-state.js';
import type { ModelCatalogue } from '../core/models.js';
import { readLiveState } from '../groq/read-live-state.js';
import { planChanges } from '../plan/plan-changes.js';
import type { Plan } from '../plan/types.js';
import type { DesiredState } from '../policy/types.js';
import type { OrgSession } from './session.js';

/** Read the live organization once, then plan against its own clock. */
export async function planOrganization(session: OrgSession, desired: DesiredState, options: { catalogue?: ModelCatalogue } = {}): Promise<{ plan: Plan; live: LiveState }> {
  const live = await readLiveState(session.admin, { concurrency: session.concurrency });
  const plan = planChanges(desired, live, live.observed_at, { adminKeyRedacted: session.adminKeyRedacted, ...(options.catalogue ? { catalogue: options.catalogue } : {}) });
  return { plan, live };
}
