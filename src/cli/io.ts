import { createInterface } from 'node:readline/promises';
import { createStderrLogger, type Logger } from '../core/log.js';
import { redactSecrets } from '../core/redact.js';
import { terminalText } from '../core/sanitize.js';

/** Everything a command may touch outside its arguments; tests pass their own. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Colour only on a terminal, and never with NO_COLOR. */
  color: boolean;
  /** Interactive: stdin and stdout are terminals. */
  interactive: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
  prompt(question: string): Promise<string>;
  logger: Logger;
  /**
   * Standard input, for a secret piped in (`deliver`): at most `limit` bytes, never echoed. On a
   * terminal it reads one line with echo off. Absent: the command has no input to read.
   */
  /** `prompt` is shown on a terminal only, once echo is off (so nothing typed after it can show). */
  readSecret?(limit: number, prompt?: string): Promise<{ text: string; terminal: boolean }>;
}

export function processIo(options: { debug: boolean; noColor: boolean }): Io {
  const env = process.env;
  const debug = options.debug || env.GROQ_RBAC_DEBUG === '1' || env.RUNNER_DEBUG === '1';
  return {
    // The last line of defence on the terminal, after redaction: a server's or a file's control
    // sequences (clear screen, OSC-8 links, `\r` overwrites) are shown escaped; our own colours pass.
    out: (t) => process.stdout.write(terminalText(redactSecrets(t))),
    err: (t) => process.stderr.write(terminalText(redactSecrets(t))),
    color: Boolean(process.stdout.isTTY) && !options.noColor && env.NO_COLOR === undefined && env.TERM !== 'dumb',
    interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
    env,
    cwd: process.cwd(),
    async prompt(question) {
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
    logger: createStderrLogger({ debug }),
    readSecret: (limit, prompt) => readStdinSecret(limit, prompt),
  };
}

/** All of a piped standard input (up to `limit` bytes), or one line typed at a terminal with echo off. */
function readStdinSecret(limit: number, prompt?: string): Promise<{ text: string; terminal: boolean }> {
  const stdin = process.stdin;
  const terminal = Boolean(stdin.isTTY);
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (error?: Error) => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.off('error', onError);
      if (terminal) {
        stdin.setRawMode(false);
        process.stderr.write('\n');
      }
      stdin.pause();
      if (error) reject(error);
      else resolve({ text, terminal });
    };
    const onData = (chunk: Buffer | string) => {
      const s = chunk.toString();
      if (terminal) {
        for (const ch of s) {
          if (ch === '\r' || ch === '\n' || ch === '\u0004') return done();
          if (ch === '\u0003') return done(new Error('interrupted'));
          if (ch === '\u007f') text = text.slice(0, -1);
          else text += ch;
        }
      } else {
        text += s;
      }
      if (text.length > limit) done();
    };
    const onEnd = () => done();
    const onError = (e: Error) => done(e);
    if (terminal) {
      // Echo off first, then the prompt: a paste that follows the prompt at once is never echoed.
      stdin.setRawMode(true);
      if (prompt) process.stderr.write(prompt);
    }
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.on('error', onError);
    stdin.resume();
  });
}

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  cyan(s: string): string;
}

export function makeStyle(color: boolean): Style {
  const wrap = (code: number) => (s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
  return { bold: wrap(1), dim: wrap(2), green: wrap(32), yellow: wrap(33), red: wrap(31), cyan: wrap(36) };
}
