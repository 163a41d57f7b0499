import packageJson from '../../package.json' with { type: 'json' };
import { InternalError, UserError } from '../core/errors.js';
import { GroqApiError, NetworkError } from '../groq/errors.js';
import { applyCommand, applyHelp } from './commands/apply.js';
import { codeownersCommand, codeownersHelp } from './commands/codeowners.js';
import { importCommand, importHelp } from './commands/import.js';
import { planCommand, planHelp } from './commands/plan.js';
import { sandboxCommand, sandboxHelp } from './commands/sandbox.js';
import { usageCommand, usageHelp } from './commands/usage.js';
import { validateCommand, validateHelp } from './commands/validate.js';
import { makeStyle, type Io } from './io.js';

type Command = { run: (argv: string[], io: Io) => Promise<number>; help: string; summary: string };

const COMMANDS: Record<string, Command> = {
  validate: { run: validateCommand, help: validateHelp, summary: 'check the policy files (no credentials needed)' },
  plan: { run: planCommand, help: planHelp, summary: 'show what apply would change in the organization' },
  apply: { run: applyCommand, help: applyHelp, summary: 'change the organization to match the policies' },
  import: { run: importCommand, help: importHelp, summary: 'write policies for an existing organization' },
  codeowners: { run: codeownersCommand, help: codeownersHelp, summary: 'derive .github/CODEOWNERS from owners and admins' },
  usage: { run: usageCommand, help: usageHelp, summary: 'report usage, cost and spend per team, project, key and model' },
  sandbox: { run: sandboxCommand, help: sandboxHelp, summary: 'run a local stand-in Groq organization' },
};

export const VERSION: string = packageJson.version;

export function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return `groq-rbac ${VERSION}: GitOps for a Groq Cloud organization.

Usage: groq-rbac <command> [options]

Commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`).join('\n')}

Start with no credentials at all:  groq-rbac plan --sandbox
Run \`groq-rbac <command> --help\` for a command's options.

Environment:
  GROQ_ADMIN_KEY   admin key for the organization
  GROQ_BASE_URL    API base URL (default https://api.groq.com)
  NO_COLOR         disable colour
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
    io.err(`${style.red('error:')} unknown command "${name}"\n  commands: ${Object.keys(COMMANDS).join(', ')}\n`);
    return 1;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    io.err(`${style.red('error:')} ${describeError(error)}\n`);
    io.logger.debug(error instanceof Error && error.stack ? error.stack : String(error));
    return 1;
  }
}

function describeError(error: unknown): string {
  if (error instanceof UserError || error instanceof GroqApiError || error instanceof NetworkError || error instanceof InternalError) return error.message;
  return new InternalError(error instanceof Error ? `unexpected ${error.name}: ${error.message}` : String(error)).message;
}
