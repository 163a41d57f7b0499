import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from '../core/errors.js';
import { closest } from './suggest.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Options every command takes. */
export const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  'no-color': { type: 'boolean' },
  debug: { type: 'boolean' },
} as const satisfies OptionSpec;

/** Options of commands that talk to the organization. */
export const ORG_OPTIONS = {
  policies: { type: 'string', default: 'policies' },
  sandbox: { type: 'boolean' },
  'sandbox-url': { type: 'string' },
  'base-url': { type: 'string' },
  concurrency: { type: 'string' },
} as const satisfies OptionSpec;

export function parseCommandArgs<T extends OptionSpec>(command: string, argv: string[], options: T) {
  const all = { ...COMMON_OPTIONS, ...options };
  try {
    return parseArgs({ args: argv, options: all, allowPositionals: false, strict: true });
  } catch (e) {
    const message = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    // node:util says "Unknown option '--sandbx'": name the option that was probably meant.
    const unknown = /^Unknown option '--([^'=]+)/.exec(message)?.[1];
    const meant = unknown === undefined ? null : closest(unknown, Object.keys(all));
    const hint = meant ? `did you mean --${meant}? ` : '';
    throw new UserError(`${message}\n  ${hint}run \`groq-rbac ${command} --help\` for the options`);
  }
}

export function parsePositiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`--${name} must be a whole number of at least 1, not "${raw}"`);
  return n;
}

/** The help lines of the options every command that talks to the organization takes, aligned at `column`. */
export function orgOptionsHelp(column: number): string {
  const lines: [string, string][] = [
    ['--sandbox', 'use the built-in sandbox organization (no credentials needed)'],
    ['--sandbox-url URL', 'a sandbox already running here (`groq-rbac sandbox`: 127.0.0.1, ::1 or'],
    ['', '  localhost), with GROQ_ADMIN_KEY; GitHub and Vault deliveries go to'],
    ['', '  .groq-rbac/deliveries/, as with --sandbox'],
    ['--base-url URL', 'API base URL (default: GROQ_BASE_URL, else https://api.groq.com): https://'],
    ['', '  (http:// only to 127.0.0.1, ::1, localhost); a real organization, whose'],
    ['', '  keys go to their real targets even if it is a sandbox'],
    ['--concurrency N', 'parallel requests (default 8)'],
    ['--debug', 'log every request and retry to stderr'],
    ['--no-color', 'no colour (also NO_COLOR=1)'],
    ['-h, --help', 'show this help'],
  ];
  return lines.map(([flag, text]) => `  ${flag.padEnd(column - 2)}${text}`).join('\n');
}
