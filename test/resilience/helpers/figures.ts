import fs from 'node:fs';
import path from 'node:path';
import { afterEach, inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    resilienceFiguresDir: string;
  }
}

/**
 * One part's figures, counted by its tests as they run. Cases run and failed are counted here; the
 * figures are written (for the global teardown to sum into docs/reliability.md) only when every
 * case of the part ran, so a filtered run (`-t`) never rewrites the document.
 */
export function trackFigures(part: string, totalCases: number): { record(figures: Record<string, number>): void } {
  let run = 0;
  let failed = 0;
  afterEach(({ task }) => {
    run += 1;
    if (task.result?.state === 'fail') failed += 1;
  });
  return {
    record(figures) {
      // Run by another config (plain `vitest run`), there is no figures directory: nothing to record.
      const dir = inject('resilienceFiguresDir') as string | undefined;
      if (run < totalCases || !dir) return;
      fs.writeFileSync(path.join(dir, `${part}.json`), JSON.stringify({ ...figures, casesRun: run, casesFailed: failed }));
    },
  };
}
