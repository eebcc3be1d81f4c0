import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | null = null;

/**
 * The workerdeck package's own directory (the one holding `bin/workerdeck.js`
 * and `themes/`), found by walking up from this module. It works from `src/`
 * under a test runner, from `dist/` and from the bundle in `dist/bundle/`.
 * @throws Error when no such directory is above this module (a broken install).
 */
export function packageRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'bin', 'workerdeck.js')) && existsSync(path.join(dir, 'package.json'))) {
      root = dir;
      return dir;
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error('workerdeck is not installed whole: bin/workerdeck.js was not found above its code.');
    dir = up;
  }
}

/** The absolute path of bin/workerdeck.js in this install (what starts the server and each worker's launcher). */
export function binPath(): string {
  return path.join(packageRoot(), 'bin', 'workerdeck.js');
}
