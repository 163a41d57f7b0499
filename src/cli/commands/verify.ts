import path from 'node:path';
import { readKeysFile } from '../../app/keys-file.js';
import { verifyProjects, type ProjectKey } from '../../app/verify.js';
import { UserError } from '../../core/errors.js';
import { DEFAULT_BASE_URL } from '../../providers/groq/client.js';
import { renderVerifyJson, renderVerifyText } from '../../plan/render-verify.js';
import { verifyExitCode } from '../../plan/verify.js';
import { fieldLocator } from '../../policy/field-lines.js';
import { parseCommandArgs } from '../args.js';
import { makeStyle, type Io } from '../io.js';
import { loadDesired, requireGroqOrganization } from '../policies-input.js';

export const verifyHelp = `Usage: groq-rbac verify (--project NAME | --keys FILE) [--policies DIR] [--format text|json]

Proves from Groq's own inference answers that projects match the policies, with nothing but each
project's own key (what a service's CI already holds; no admin key). For each model the policies
name for the project, its team or the organization, one probe: a chat completion of a one-word
prompt with max_completion_tokens 1 (a few tokens). It checks the model is allowed or blocked as
the policies say (403 model_permission_blocked_org / _project), and that requests per day
(x-ratelimit-limit-requests) and tokens per minute (x-ratelimit-limit-tokens) are as the policies
say, the stricter of project and org.yaml's ceiling. A reached spend limit (400 blocked_api_access)
and a deleted key (401 invalid_api_key) are differences; a 429 is retried after its retry-after,
never reported as drift; a key whose answers fit another project's policy is reported, not trusted.
Prints the number of probes and the tokens they used. The key never appears in any output.

Options:
  --project NAME   verify this project, with its key in GROQ_API_KEY
  --keys FILE      verify several: YAML mapping each project to the NAME of the environment
                   variable holding its key (chatbot-prod: GROQ_KEY_CHATBOT_PROD)
  --policies DIR   the policies directory (default: policies)
  --format FORMAT  text (default) or json
  --base-url URL   API base URL (default: GROQ_BASE_URL, else ${DEFAULT_BASE_URL}); https, or http to this machine
  --no-color       no colour
  -h, --help       show this help

Exit codes: 0 everything matches, 2 something differs, 1 error or something could not be told.
`;

export async function verifyCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('verify', argv, {
    project: { type: 'string' },
    keys: { type: 'string' },
    policies: { type: 'string', default: 'policies' },
    format: { type: 'string', default: 'text' },
    'base-url': { type: 'string' },
  });
  if (values.help) return (io.out(verifyHelp), 0);
  if (values.format !== 'text' && values.format !== 'json') throw new UserError(`--format must be text or json, not "${values.format}"`);
  if ((values.project === undefined) === (values.keys === undefined))
    throw new UserError('give --project NAME (its key in GROQ_API_KEY) or --keys FILE (project → environment variable name), one of them');
  const desired = loadDesired(values.policies, io);
  if (!desired) return 1;
  requireGroqOrganization(desired, 'verify');
  let keys: ProjectKey[];
  if (values.project !== undefined) {
    if (!desired.projects.some((p) => p.name === values.project)) {
      throw new UserError(
        `project "${values.project}" is in no policy under ${values.policies}: name one of ${desired.projects
          .map((p) => p.name)
          .sort()
          .join(', ')}`,
      );
    }
    const value = io.env.GROQ_API_KEY?.trim();
    if (!value)
      throw new UserError(`GROQ_API_KEY is not set: export a key of project "${values.project}" in it (verify needs no admin key)`);
    keys = [{ project: values.project, from: 'GROQ_API_KEY', value }];
  } else {
    keys = readKeysFile(values.keys!, io.cwd, desired, io.env);
  }
  const report = await verifyProjects({
    desired,
    keys,
    baseUrl: values['base-url'] ?? io.env.GROQ_BASE_URL ?? DEFAULT_BASE_URL,
    at: fieldLocator(path.resolve(io.cwd, values.policies), io.cwd),
    logger: io.logger,
  });
  io.out(values.format === 'json' ? renderVerifyJson(report) : renderVerifyText(report, makeStyle(io.color)));
  return verifyExitCode(report);
}
