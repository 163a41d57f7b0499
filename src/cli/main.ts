import packageJson from '../../package.json' with { type: 'json' };
import { InternalError, ProviderError, UserError } from '../core/errors.js';
import { oneLine, sanitizeText } from '../core/sanitize.js';
import { NetworkError } from '../net/errors.js';
import { makeStyle, type Io } from './io.js';
import { closest } from './suggest.js';

type Run = (argv: string[], io: Io) => Promise<number>;
// Each command is loaded only when it runs: `--version`, `--help` and `validate` do not pay for the
// HTTP client, the sandbox, Octokit or libsodium.
type Command = { load: () => Promise<Run>; summary: string };

const COMMANDS: Record<string, Command> = {
  validate: {
    load: async () => (await import('./commands/validate.js')).validateCommand,
    summary: 'check the policy files (no credentials needed)',
  },
  plan: { load: async () => (await import('./commands/plan.js')).planCommand, summary: 'show what apply would change in the organization' },
  apply: { load: async () => (await import('./commands/apply.js')).applyCommand, summary: 'change the organization to match the policies' },
  import: {
    load: async () => (await import('./commands/import.js')).importCommand,
    summary: 'write policies for an existing organization',
  },
  codeowners: {
    load: async () => (await import('./commands/codeowners.js')).codeownersCommand,
    summary: 'derive .github/CODEOWNERS from owners and admins',
  },
  usage: {
    load: async () => (await import('./commands/usage.js')).usageCommand,
    summary: 'report usage, cost and spend per team, project, key and model',
  },
  runbook: {
    load: async () => (await import('./commands/runbook.js')).runbookCommand,
    summary: 'the reviewed change as steps in the Groq Console (no credentials needed)',
  },
  deliver: {
    load: async () => (await import('./commands/deliver.js')).deliverCommand,
    summary: 'deliver a key made in the Console (value on standard input) to its targets',
  },
  verify: {
    load: async () => (await import('./commands/verify.js')).verifyCommand,
    summary: "prove from Groq's inference answers that a project matches the policies",
  },
  sandbox: {
    load: async () => (await import('./commands/sandbox.js')).sandboxCommand,
    summary: 'run a local stand-in organization (Groq, or OpenAI with --provider openai)',
  },
};

export const VERSION: string = packageJson.version;

export function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return `groq-rbac ${VERSION}: GitOps for a Groq or an OpenAI organization.

Usage: groq-rbac <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  .join('\n')}

Start with no credentials at all:  groq-rbac plan --sandbox
Run \`groq-rbac <command> --help\` for a command's options.

Environment (org.yaml's provider: says which organization the policies govern):
  GROQ_ADMIN_KEY      admin key of a Groq organization (provider: groq, the default)
  GROQ_BASE_URL       its API base URL (default https://api.groq.com)
  OPENAI_ADMIN_KEY    admin key of an OpenAI organization (provider: openai)
  OPENAI_BASE_URL     its API base URL (default https://api.openai.com/v1)
  GITHUB_TOKEN        delivers keys to GitHub Actions secrets
  VAULT_ADDR, VAULT_TOKEN  deliver keys to Vault (KV v2); VAULT_NAMESPACE on Vault Enterprise
  HTTPS_PROXY, NO_PROXY    the proxy every request goes through
  NO_COLOR            disable colour
`;
}

/** Runs one CLI invocation and returns its exit code: 0 ok, 1 error or refusal, 2 changes present. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(mainHelp());
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.out(`${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  const style = makeStyle(io.color);
  if (!command) {
    const meant = closest(name, Object.keys(COMMANDS));
    io.err(
      `${style.red('error:')} unknown command "${oneLine(name)}"\n${meant ? `  did you mean \`groq-rbac ${meant}\`?\n` : ''}  commands: ${Object.keys(COMMANDS).join(', ')}\n`,
    );
    return 1;
  }
  try {
    return await (
      await command.load()
    )(rest, io);
  } catch (error) {
    io.err(`${style.red('error:')} ${describeError(error)}\n`);
    io.logger.debug(error instanceof Error && error.stack ? error.stack : String(error));
    return 1;
  }
}

/** The error's message for stderr: it may quote a server, a file or a path, so its control characters are shown escaped. */
function describeError(error: unknown): string {
  if (error instanceof UserError || error instanceof ProviderError || error instanceof NetworkError || error instanceof InternalError)
    return sanitizeText(error.message);
  return sanitizeText(new InternalError(error instanceof Error ? `unexpected ${error.name}: ${error.message}` : String(error)).message);
}
