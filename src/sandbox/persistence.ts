import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { makeDirs } from '../core/make-dirs.js';
import { replay, type Delta, type OrgSnapshot, type UsageRow } from './snapshot.js';

// Past this size, or the last snapshot's if larger, the journal is folded into a new snapshot: each
// snapshot then costs at most as many bytes as the journal lines before it, so writing grows
// linearly with the changes however large the organization (a fixed size rewrote a growing state
// every 8 MiB of changes).
const COMPACT_AT_BYTES = 8 * 1024 * 1024;

/**
 * The sandbox's state on disk: a snapshot, written atomically (temp file + rename), and a journal of
 * changes appended since. A change is acknowledged only once its journal line is written, with
 * concurrent changes batched into one append; so a killed sandbox loses at most the requests in
 * flight, a torn last line is dropped on load, and no file is ever half-written in place.
 */
export class StateFile {
  private readonly journal: string;
  private pending: string[] = [];
  /**
   * Usage rows changed since the last write, serialised when written: a row holds absolute totals,
   * so the 32 requests of one batch that add to one minute's row need one journal line, not 32.
   */
  private pendingRows = new Set<UsageRow>();
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private draining: Promise<void> | null = null;
  private journalBytes = 0;
  private snapshotBytes = 0;
  /** The journal, kept open for appends: opening and closing it per batch cost a fifth of the sandbox's time. */
  private handle: fs.promises.FileHandle | null = null;

  constructor(
    readonly file: string,
    private readonly read: () => OrgSnapshot,
  ) {
    this.journal = `${file}.journal`;
  }

  /**
   * The saved state: the snapshot with the journal replayed over it. A file we cannot read is the
   * user's to remove (a damaged disk, a sandbox of an older groq-rbac), not a bug: say so, and how.
   */
  static load(file: string): OrgSnapshot | undefined {
    if (!fs.existsSync(file)) return undefined;
    const afresh = `delete it (and ${path.basename(file)}.journal) to start afresh`;
    let snapshot: OrgSnapshot;
    try {
      snapshot = JSON.parse(fs.readFileSync(file, 'utf8')) as OrgSnapshot;
    } catch (error) {
      throw new UserError(`${file} is not a readable sandbox state file (${(error as Error).message}); ${afresh}`, { cause: error });
    }
    if (snapshot === null || typeof snapshot !== 'object' || snapshot.version !== 2) {
      const version = (snapshot as { version?: unknown } | null)?.version;
      const what =
        version === 1
          ? 'holds the state of an older sandbox (version 1, API keys without projects)'
          : `is not a sandbox state file of version 2 (version: ${JSON.stringify(version ?? null)})`;
      throw new UserError(`${file} ${what}; ${afresh}`);
    }
    const journal = `${file}.journal`;
    if (!fs.existsSync(journal)) return snapshot;
    // Every whole line ends in a newline; what follows the last one is a line torn by a kill: dropped.
    const lines = fs.readFileSync(journal, 'utf8').split('\n').slice(0, -1);
    const deltas = lines.map((line, i) => {
      try {
        return JSON.parse(line) as Delta;
      } catch (error) {
        throw new UserError(`${journal}:${i + 1}: unreadable journal line; delete the state files to start afresh`, { cause: error });
      }
    });
    return replay(snapshot, deltas);
  }

  /** Queues a change; it is durable once `commit()` resolves. */
  append(delta: Delta): void {
    if (delta.op === 'usage') {
      this.pendingRows.add(delta.row);
      return;
    }
    // After a reset, rows queued before it belong to the organization it emptied.
    if (delta.op === 'reset') this.pendingRows.clear();
    this.pending.push(`${JSON.stringify(delta)}\n`);
  }

  /** Resolves once every change queued before this call is on disk; at once when none is. */
  commit(): Promise<void> {
    if (this.pending.length === 0 && this.pendingRows.size === 0 && !this.draining) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.draining ??= this.drain();
    });
  }

  /** Writes a fresh snapshot and empties the journal. */
  async compact(): Promise<void> {
    makeDirs(path.dirname(path.resolve(this.file)));
    const tmp = `${this.file}.${process.pid}.tmp`;
    const snapshot = JSON.stringify(this.read());
    this.snapshotBytes = Buffer.byteLength(snapshot);
    await fs.promises.writeFile(tmp, snapshot, { mode: 0o600 });
    await fs.promises.rename(tmp, this.file);
    // A crash here leaves journal lines the snapshot already holds: replaying absolute values is harmless.
    await this.closeJournal();
    await fs.promises.writeFile(this.journal, '', { mode: 0o600 });
    this.journalBytes = 0;
  }

  async close(): Promise<void> {
    await this.commit();
    await this.compact();
    await this.closeJournal();
  }

  private async closeJournal(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    await handle?.close();
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0 || this.pendingRows.size > 0 || this.waiters.length > 0) {
      let lines = this.pending.join('');
      for (const row of this.pendingRows) lines += `${JSON.stringify({ op: 'usage', row } satisfies Delta)}\n`;
      this.pendingRows = new Set();
      const waiters = this.waiters;
      this.pending = [];
      this.waiters = [];
      try {
        if (lines) {
          this.handle ??= await fs.promises.open(this.journal, 'a', 0o600);
          await this.handle.write(lines);
        }
        this.journalBytes += Buffer.byteLength(lines);
        if (this.journalBytes > Math.max(COMPACT_AT_BYTES, this.snapshotBytes)) await this.compact();
        for (const w of waiters) w.resolve();
      } catch (error) {
        for (const w of waiters) w.reject(error);
      }
    }
    this.draining = null;
  }
}
