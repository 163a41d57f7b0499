// Bundles the CLI and the GitHub Action into single ESM files under dist/.
// tsc only type-checks (npm run typecheck); esbuild emits.
import { build } from 'esbuild';

const banner = {
  // Bundled CommonJS dependencies (ajv) call require(); give them one in ESM.
  js: "import { createRequire as __groqRbacCreateRequire } from 'node:module'; const require = __groqRbacCreateRequire(import.meta.url);",
};

await build({
  entryPoints: { cli: 'src/cli/index.ts', action: 'src/action/index.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.18',
  banner,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});
