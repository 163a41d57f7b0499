import fs from 'node:fs';
import path from 'node:path';
import type { OrgSnapshot } from './org-state.js';

/**
 * Writes the sandbox's state atomically (temp file + rename), batching concurrent changes into one
 * write: a change is acknowledged only once a write that includes it has landed, so a killed sandbox
 * loses at most the requests still in flight and never leaves a half-written file.
 */
export class StateFile {
  private writing: Promise<void> | null = null;
  private pending: { resolve: () => void; reject: (e: unknown) => void }[] = [];

  constructor(
    readonly file: string,
    private readonly read: () => OrgSnapshot,
  ) {}

  static load(file: string): OrgSnapshot | undefined {
    if (!fs.existsSync(file)) return undefined;
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as OrgSnapshot;
    if (data.version !== 1) throw new Error(`${file}: unknown sandbox state version ${String(data.version)}; delete the file to start afresh`);
    return data;
  }

  /** Resolves once the current state (with every change made before this call) is on disk. */
  save(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      if (!this.writing) this.writing = this.drain();
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        await this.writeNow();
        for (const w of batch) w.resolve();
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    }
    this.writing = null;
  }

  private async writeNow(): Promise<void> {
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await fs.promises.writeFile(tmp, JSON.stringify(this.read()), { mode: 0o600 });
    await fs.promises.rename(tmp, this.file);
  }
}
