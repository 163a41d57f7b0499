/** The organization behind one interface: the HTTP client implements it, tests may fake it. */
import type {
  AuditLog,
  AuditLogQuery,
  Bucket,
  ChatCompletion,
  CostResult,
  CostsQuery,
  CreateKeyInput,
  CreatedProjectApiKey,
  Model,
  ModelPermissions,
  ModelPermissionsInput,
  Organization,
  Project,
  ProjectApiKey,
  RateLimit,
  RateLimitHeaders,
  RateLimitValues,
  SpendAlert,
  SpendAlertInput,
  SpendLimit,
  UpdateKeyInput,
  UsageQuery,
  UsageResult,
} from './wire.js';
import type { Invite, InviteInput, ProjectUser, User } from './wire.js';

/** A create's answer: `replayed` when the contract says it replays an earlier create (`idempotent-replayed: true`). */
export interface Created<T> {
  value: T;
  replayed: boolean;
}

export interface GroqAdmin {
  getOrganization(): Promise<Organization>;
  getOrgModelPermissions(): Promise<ModelPermissions>;
  setOrgModelPermissions(input: ModelPermissionsInput): Promise<ModelPermissions>;
  deleteOrgModelPermissions(): Promise<void>;
  listOrgRateLimits(): Promise<RateLimit[]>;

  listProjects(options?: { includeArchived?: boolean }): Promise<Project[]>;
  getProject(projectId: string): Promise<Project>;
  createProject(input: { name: string }, idempotencyKey: string): Promise<Created<Project>>;
  archiveProject(projectId: string): Promise<Project>;
  getProjectModelPermissions(projectId: string): Promise<ModelPermissions>;
  setProjectModelPermissions(projectId: string, input: ModelPermissionsInput): Promise<ModelPermissions>;
  deleteProjectModelPermissions(projectId: string): Promise<void>;
  listProjectRateLimits(projectId: string): Promise<RateLimit[]>;
  updateProjectRateLimit(projectId: string, rateLimitId: string, values: Partial<RateLimitValues>): Promise<RateLimit>;

  listProjectKeys(projectId: string): Promise<ProjectApiKey[]>;
  getProjectKey(projectId: string, keyId: string): Promise<ProjectApiKey>;
  /** The Idempotency-Key makes a retried or concurrent create return the first key instead of a second. */
  createProjectKey(projectId: string, input: CreateKeyInput, idempotencyKey: string): Promise<Created<CreatedProjectApiKey>>;
  updateProjectKey(projectId: string, keyId: string, input: UpdateKeyInput): Promise<ProjectApiKey>;
  deleteProjectKey(projectId: string, keyId: string): Promise<void>;

  /** `null` when none is set (the contract answers 404). */
  getSpendLimit(): Promise<SpendLimit | null>;
  setSpendLimit(thresholdCents: number): Promise<SpendLimit>;
  deleteSpendLimit(): Promise<void>;
  listSpendAlerts(): Promise<SpendAlert[]>;
  createSpendAlert(input: SpendAlertInput, idempotencyKey: string): Promise<Created<SpendAlert>>;
  updateSpendAlert(alertId: string, input: SpendAlertInput): Promise<SpendAlert>;
  deleteSpendAlert(alertId: string): Promise<void>;

  /** Every page of completions usage buckets. */
  listCompletionsUsage(query: UsageQuery): Promise<Bucket<UsageResult>[]>;
  /** Every page of cost buckets (1d). */
  listCosts(query: CostsQuery): Promise<Bucket<CostResult>[]>;
  listAuditLogs(query: AuditLogQuery): Promise<AuditLog[]>;

  /** With an inference key: the cheap authenticated call that verifies a new key. */
  listModels(apiKey?: string): Promise<Model[]>;
  /** One chat completion with an inference key. Never retried: a completion spends tokens. */
  chatCompletion(
    apiKey: string,
    body: { model: string; messages: { role: string; content: string }[]; max_completion_tokens?: number },
  ): Promise<{ completion: ChatCompletion; rateLimits: RateLimitHeaders }>;

  /** The organization's clock (Unix seconds) as last observed, or null before any response. */
  observedNow(): number | null;
}

// Members (contract v2.1), merged into GroqAdmin above (declaration merging).
export interface GroqAdmin {
  listUsers(): Promise<User[]>;
  updateUser(userId: string, role: string): Promise<User>;
  deleteUser(userId: string): Promise<void>;
  listInvites(): Promise<Invite[]>;
  getInvite(inviteId: string): Promise<Invite>;
  /** The Idempotency-Key makes a retried send answer the first invite instead of a second. */
  createInvite(input: InviteInput, idempotencyKey: string): Promise<Created<Invite>>;
  deleteInvite(inviteId: string): Promise<void>;
  listProjectUsers(projectId: string): Promise<ProjectUser[]>;
  getProjectUser(projectId: string, userId: string): Promise<ProjectUser>;
  addProjectUser(projectId: string, input: { user_id: string; role: string }): Promise<ProjectUser>;
  updateProjectUser(projectId: string, userId: string, role: string): Promise<ProjectUser>;
  deleteProjectUser(projectId: string, userId: string): Promise<void>;
}
