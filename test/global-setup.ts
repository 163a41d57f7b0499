import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

// The tests that spawn bin/groq-rbac.js or dist/action.js (the `bundle` project in vitest.config.ts)
// run the bundle: build it once from the current source.
// If the build fails, the bundle is removed so that those tests fail loudly instead of running old
// code, and the rest of the suite still runs.
export default function setup(): void {
  try {
    execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  } catch {
    fs.rmSync('dist/cli.js', { force: true });
    console.error('global setup: the bundle did not build; tests that run bin/groq-rbac.js will fail');
  }
}
