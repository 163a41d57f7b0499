import { redactSecrets } from './redact.js';
import { sanitizeText } from './sanitize.js';

/** A sink for diagnostic lines. Everything written through it is redacted, and its control characters are shown escaped. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {} };

export function createStderrLogger(options: { debug: boolean; write?: (line: string) => void }): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const emit = (prefix: string, message: string) => write(`${prefix}${sanitizeText(redactSecrets(message))}\n`);
  return {
    debug: (m) => {
      if (options.debug) emit('debug: ', m);
    },
    info: (m) => emit('', m),
    warn: (m) => emit('warning: ', m),
  };
}
