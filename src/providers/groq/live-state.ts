/** Everything the planner reads from the organization, read once per run (see src/groq/read-live-state.ts). */
import type { ModelPermissions, Organization, Project, ProjectApiKey, RateLimit, SpendAlert, SpendLimit } from './wire.js';

export interface LiveProject {
  project: Project;
  permissions: ModelPermissions;
  /** One per model. */
  rateLimits: RateLimit[];
  keys: ProjectApiKey[];
}

export interface LiveState {
  org: Organization;
  permissions: ModelPermissions;
  /** The organization's own limits, one per model it serves: the ceiling and default of every project. */
  rateLimits: RateLimit[];
  /** `null`: no spend limit set. */
  spendLimit: SpendLimit | null;
  spendAlerts: SpendAlert[];
  /** Active projects only; archived ones are final and out of reach. */
  projects: LiveProject[];
  /** The organization's clock when it was read (Unix seconds): the `now` to plan against. */
  observed_at: number;
}

/** Model ids the organization serves: those it has a rate limit for. */
export function servedModels(live: Pick<LiveState, 'rateLimits'>): string[] {
  return live.rateLimits.map((r) => r.model);
}
