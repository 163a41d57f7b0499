import type { OrgSession } from '../../app/session.js';
import type { Logger } from '../../core/log.js';
import type { GitHubClient } from '../../github/client.js';
import type { Plan } from '../../plan/types.js';
import type { PolicyResult } from '../../policy/read-policies.js';
import type { Annotator } from '../annotations.js';
import type { EventContext } from '../context.js';
import type { ActionInputs } from '../inputs.js';

/** Everything a mode works with, built by main.ts; tests build it in memory. */
export interface ModeContext {
  inputs: ActionInputs;
  event: EventContext;
  /** Null only in plan mode with `comment: false` and no token. */
  github: GitHubClient | null;
  /** Reads team memberships for code-owner approval (`members-token`); null when not given. */
  members?: GitHubClient | null;
  cwd: string;
  /** The step's environment: delivery reads its tokens (GITHUB_TOKEN, VAULT_TOKEN) here. */
  env: NodeJS.ProcessEnv;
  logger: Logger;
  annotator: Annotator;
  /** Reads and validates the policies directory. */
  readPolicies(): PolicyResult;
  /** Connects to the organization; the mode closes the session. */
  openSession(): OrgSession;
  /** The job summary's Markdown so far: main.ts writes it in a `finally`, also when the mode throws. */
  summary: string[];
  /** The workflow file of this run (`.github/workflows/x.yml`), for "run it by hand" advice; null when unknown. */
  workflowFile: string | null;
  /** Masks a new key's value in the runner's log (core.setSecret) before anything else sees it. */
  maskSecret?: (value: string) => void;
}

export interface ModeResult {
  /** The plan the outputs describe; null when there was none (invalid policies). */
  plan: Plan | null;
  hasChanges: boolean;
  /** One line for the `summary` output. */
  line: string;
  /** When set, the step fails with this message. */
  failure: string | null;
}
