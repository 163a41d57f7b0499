import fs from 'node:fs';
import path from 'node:path';
import { containsKeyValue } from '../../../src/core/redact.js';

/**
 * The suite's leak detector, one per test file (each runs in its own process). Every key value the
 * sandbox issues and the admin key are registered as they appear; every byte groq-rbac writes
 * (stdout, stderr, logs, plan files, reports, comments, summaries, audit logs) is recorded raw and
 * scanned at the end against all of them, so output written before a value was issued is covered too.
 */
export class SecretScanner {
  private readonly secrets = new Set<string>();
  private readonly texts: { label: string; text: string }[] = [];
  bytesScanned = 0;

  addSecret(value: string): void {
    this.secrets.add(value);
  }

  get secretCount(): number {
    return this.secrets.size;
  }

  /** Something groq-rbac wrote, e.g. `record('apply stdout', out)`. */
  record(label: string, text: string | Buffer): void {
    this.texts.push({ label, text: typeof text === 'string' ? text : text.toString('latin1') });
  }

  /** A file groq-rbac wrote (plan, report); a directory is read recursively. Delivery targets must not be passed here. */
  recordPath(file: string): void {
    if (!fs.existsSync(file)) return;
    if (fs.statSync(file).isDirectory()) {
      for (const name of fs.readdirSync(file)) this.recordPath(path.join(file, name));
      return;
    }
    this.record(`file ${file}`, fs.readFileSync(file));
  }

  /** Every recorded text against every secret; a key-shaped string of any provider (`gsk_…`, `sk-…`) counts as a leak too. */
  findings(): string[] {
    // Grouped by a 4-character prefix and length: one indexOf per prefix, then set lookups, so
    // thousands of values against megabytes of output stay linear.
    const groups = new Map<string, Map<number, Set<string>>>();
    for (const s of this.secrets) {
      const byLength = groups.get(s.slice(0, 4)) ?? new Map<number, Set<string>>();
      byLength.set(s.length, (byLength.get(s.length) ?? new Set()).add(s));
      groups.set(s.slice(0, 4), byLength);
    }
    const found: string[] = [];
    for (const { label, text } of this.texts) {
      this.bytesScanned += Buffer.byteLength(text, 'latin1');
      for (const [prefix, byLength] of groups) {
        for (let i = text.indexOf(prefix); i >= 0; i = text.indexOf(prefix, i + 1)) {
          for (const [length, set] of byLength) {
            if (set.has(text.slice(i, i + length))) found.push(`${label}: a secret at offset ${i}`);
          }
        }
      }
      if (containsKeyValue(text)) found.push(`${label}: a key value (gsk_… or sk-…)`);
    }
    this.texts.length = 0;
    return found;
  }
}

export const scanner = new SecretScanner();
