// Bundles the CLI and the GitHub Action into single ESM files under dist/.
// tsc only type-checks (npm run typecheck); esbuild emits.
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { writeCompiledSchemas } from './compile-schemas.mjs';

// The policy JSON Schemas ship as precompiled validators (src/policy/generated/).
writeCompiledSchemas();

const banner = {
  // Bundled CommonJS dependencies (ajv) call require(); give them one in ESM.
  js: "import { createRequire as __groqRbacCreateRequire } from 'node:module'; const require = __groqRbacCreateRequire(import.meta.url);",
};

const common = {
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.18',
  banner,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
};

// Code splitting: commands load on demand (src/cli/main.ts), so `--version` and `validate` start fast.
await build({ ...common, entryPoints: { cli: 'src/cli/index.ts' }, splitting: true, chunkNames: 'chunks/[name]-[hash]' });

// The Action's bundle is committed (action.yml runs dist/action.js): minified, with the licences
// of everything bundled into it in dist/licenses.txt, as @vercel/ncc does.
const action = await build({ ...common, entryPoints: { action: 'src/action/index.ts' }, minify: true, metafile: true });
fs.writeFileSync('dist/licenses.txt', collectLicenses(action.metafile, 'dist/action.js'));

/** Every npm package with a file in `output`, with its licence text; sorted, so a rebuild is byte-identical. */
function collectLicenses(metafile, output) {
  const dirs = new Set();
  for (const input of Object.keys(metafile.outputs[output].inputs)) {
    const at = input.lastIndexOf('node_modules/');
    if (at < 0) continue;
    const rest = input.slice(at + 'node_modules/'.length).split('/');
    dirs.add(input.slice(0, at) + 'node_modules/' + rest.slice(0, rest[0].startsWith('@') ? 2 : 1).join('/'));
  }
  const entries = [...dirs].map((dir) => {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const file = fs
      .readdirSync(dir)
      .filter((f) => /^(licen[cs]e|copying)(\.|-|$)/i.test(f))
      .sort()[0];
    const text = file ? fs.readFileSync(path.join(dir, file), 'utf8').replace(/\r\n/g, '\n').trim() : '(the package ships no licence file)';
    const license = typeof pkg.license === 'string' ? pkg.license : (pkg.license?.type ?? 'unknown');
    return { id: `${pkg.name}@${pkg.version}`, text: `${pkg.name}@${pkg.version}\n${license}\n${text}` };
  });
  // One package may be bundled from two folders (nested node_modules); list each version once.
  const unique = [...new Map(entries.map((e) => [e.id, e])).values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return `Third-party software bundled into dist/action.js, with its licences.\n\n${unique.map((e) => e.text).join('\n\n')}\n`;
}
