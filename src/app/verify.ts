import { UserError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { registerSecret } from '../core/redact.js';
import { checkSecureUrl } from '../core/secure-url.js';
import { GroqClient } from '../providers/groq/client.js';
import { GroqApiError } from '../providers/groq/errors.js';
import { NetworkError } from '../net/errors.js';
import { compareProject, probeModels, type Observation, type PolicyLocator, type VerifyReport } from '../plan/verify.js';
import type { DesiredState } from '../policy/types.js';

/**
 * The probe: the cheapest request Groq answers with both its permission check and its rate-limit
 * headers. A chat completion with a one-word prompt and `max_completion_tokens: 1` (a few tokens:
 * the prompt's, with its message framing, and one completion token). `GET /openai/v1/models`
 * costs nothing but checks no model's permission and carries no per-model limits; a request Groq
 * refuses before serving it (an invalid body: 400) is refused before the permission check, and Groq
 * documents no free request that reaches it. Refused probes (403, 400 blocked_api_access, 401)
 * cost nothing (assumed: Groq bills served tokens only).
 */
export const PROBE_PROMPT = 'hi';
export const PROBE_MAX_TOKENS = 1;

/** A 429 is retried after its `retry-after`, at most this many times per probe, and only for waits this short. */
const MAX_429_RETRIES = 3;
const MAX_RETRY_WAIT_MS = 60_000;

export interface ProjectKey {
  project: string;
  /** The environment variable it came from, for the report. */
  from: string;
  value: string;
}

export interface VerifyOptions {
  desired: DesiredState;
  keys: readonly ProjectKey[];
  baseUrl: string;
  at: PolicyLocator;
  logger: Logger;
  /** For tests: how to wait out a retry-after. */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Probes each project with its own key: one request per model the policies name for it (plus
 * retries after 429), never more. A spend block stops every probe (it holds for every key of the
 * organization); a revoked key stops its project's.
 */
export async function verifyProjects(options: VerifyOptions): Promise<VerifyReport> {
  checkSecureUrl(
    options.baseUrl,
    'the base URL',
    'set --base-url / GROQ_BASE_URL to https://api.groq.com, or http:// only for a sandbox on this machine',
  );
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (const k of options.keys) registerSecret(k.value);
  // The admin key is never sent on inference calls: each probe carries its project's key as bearer.
  const client = new GroqClient({ baseUrl: options.baseUrl, adminKey: '', logger: options.logger, maxAttempts: 1 });
  const report: VerifyReport = { format_version: 1, org: options.desired.org.id, projects: [], probes: 0, retries: 0, tokens: 0 };
  let spendBlocked = false;
  try {
    for (const key of options.keys) {
      const project = options.desired.projects.find((p) => p.name === key.project);
      if (!project) throw new UserError(`project "${key.project}" is in no policy: name a project the policies define`);
      const observations: Observation[] = [];
      let probes = 0;
      for (const model of probeModels(options.desired, project)) {
        if (spendBlocked) {
          observations.push({ model, outcome: 'spend_blocked' });
          break;
        }
        const { observation, requests } = await probe(client, key.value, model, sleep, options.logger);
        probes += requests;
        report.retries += requests - 1;
        observations.push(observation);
        if (observation.outcome === 'spend_blocked') spendBlocked = true;
        // Every further probe with a dead key or under a spend block would answer the same: stop.
        if (observation.outcome === 'revoked' || observation.outcome === 'spend_blocked') break;
      }
      const result = compareProject({ desired: options.desired, project, keyFrom: key.from, observations, probes, at: options.at });
      report.projects.push(result);
      report.probes += probes;
      report.tokens += result.tokens;
    }
  } finally {
    await client.close();
  }
  return report;
}

async function probe(
  client: GroqClient,
  value: string,
  model: string,
  sleep: (ms: number) => Promise<void>,
  logger: Logger,
): Promise<{ observation: Observation; requests: number }> {
  for (let requests = 1; ; requests++) {
    try {
      const { completion, rateLimits } = await client.chatCompletion(value, {
        model,
        messages: [{ role: 'user', content: PROBE_PROMPT }],
        max_completion_tokens: PROBE_MAX_TOKENS,
      });
      const tokens = completion.usage?.total_tokens ?? 0;
      return {
        requests,
        observation: {
          model,
          outcome: 'answered',
          tokens,
          limits: { requests_per_day: rateLimits.limitRequests, tokens_per_minute: rateLimits.limitTokens },
        },
      };
    } catch (error) {
      if (error instanceof NetworkError)
        return { requests, observation: { model, outcome: 'unknown', reason: `no answer from Groq (${error.message.split('\n')[0]})` } };
      if (!(error instanceof GroqApiError)) throw error;
      const { status, code } = error;
      if (status === 403 && code === 'model_permission_blocked_org')
        return { requests, observation: { model, outcome: 'blocked', level: 'org' } };
      if (status === 403 && code === 'model_permission_blocked_project')
        return { requests, observation: { model, outcome: 'blocked', level: 'project' } };
      if (status === 400 && code === 'blocked_api_access') return { requests, observation: { model, outcome: 'spend_blocked' } };
      if (status === 401) return { requests, observation: { model, outcome: 'revoked' } };
      if (status === 429) {
        // Rate limited: not drift. Wait as Groq says, a few times, then say it could not be told.
        const waitMs =
          error.rateLimits?.retryAfter !== null && error.rateLimits?.retryAfter !== undefined ? error.rateLimits.retryAfter * 1000 : 1000;
        if (requests > MAX_429_RETRIES || waitMs > MAX_RETRY_WAIT_MS) {
          return {
            requests,
            observation: {
              model,
              outcome: 'unknown',
              reason: `rate limited (429) ${requests} time${requests === 1 ? '' : 's'}${waitMs > MAX_RETRY_WAIT_MS ? `, retry-after ${Math.round(waitMs / 1000)}s` : ''}; run verify again later`,
            },
          };
        }
        logger.debug(`verify: ${model} answered 429; retrying after ${waitMs} ms`);
        await sleep(waitMs);
        continue;
      }
      if (status === 404)
        return { requests, observation: { model, outcome: 'unknown', reason: `Groq does not serve it (404${code ? ` ${code}` : ''})` } };
      return { requests, observation: { model, outcome: 'unknown', reason: `Groq answered ${status}${code ? ` ${code}` : ''}` } };
    }
  }
}
