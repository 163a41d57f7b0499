import { execFileSync } from 'node:child_process';

// CLI tests spawn bin/groq-rbac.js, which runs the bundle: build it once from the current source.
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}
