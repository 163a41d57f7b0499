import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The installed groq-rbac package's folder (which holds schemas/), found from this module, bundled or not. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === 'groq-rbac') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the groq-rbac package folder');
    dir = parent;
  }
}
