import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** A rolldown plugin's transform hook, as the bundle's patches define it. */
export type Transform = (code: string, id: string) => { code: string } | null;

/**
 * Load a dependency's ESM file as it is, or as a bundle patch transforms it, from a temp
 * copy whose bare imports point at the packages the original would load (found from its
 * own directory through their `exports`). Returns the module and a cleanup.
 */
export async function loadPatched<T>(file: string, transform: Transform | null): Promise<{ module: T; cleanup: () => void }> {
  let code = readFileSync(file, 'utf8');
  if (transform) code = transform.call({}, code, file)!.code;
  code = code.replace(/from '([^'.][^']*)'/g, (_, name: string) => {
    let pkgFile = '';
    for (let at = path.dirname(file); !pkgFile; at = path.dirname(at)) {
      if (existsSync(path.join(at, 'node_modules', name, 'package.json'))) pkgFile = path.join(at, 'node_modules', name, 'package.json');
      else if (at === path.dirname(at)) throw new Error(`cannot find ${name} from ${file}`);
    }
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports?: Record<string, unknown> | string; main?: string };
    const exp = typeof pkg.exports === 'string' ? { default: pkg.exports } : ((pkg.exports?.['.'] ?? pkg.exports ?? {}) as { import?: string; default?: string });
    return `from '${pathToFileURL(path.join(path.dirname(pkgFile), exp.import ?? exp.default ?? pkg.main ?? 'index.js')).href}'`;
  });
  code = code.replace(/\/\/# sourceMappingURL=.*$/m, '');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wd-patch-'));
  const copy = path.join(dir, `${transform ? 'patched' : 'plain'}.mjs`);
  writeFileSync(copy, code);
  const module = (await import(pathToFileURL(copy).href)) as T;
  return { module, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** string-width's default export, as the bundle's patches of it see it. */
export type StringWidth = (text: string, options?: { ambiguousIsNarrow?: boolean; countAnsiEscapeCodes?: boolean }) => number;

/** string-width's entry (ESM-only with an `exports` map: its index.js in the package dir), found from Ink's, as Ink loads it. */
export function stringWidthFile(): string {
  const require = createRequire(import.meta.url);
  for (let at = path.dirname(require.resolve('ink')); ; at = path.dirname(at)) {
    const candidate = path.join(at, 'node_modules', 'string-width', 'index.js');
    if (existsSync(candidate)) return candidate;
    if (at === path.dirname(at)) throw new Error('string-width not found');
  }
}
