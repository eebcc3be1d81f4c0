import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { inkFrameCache } from '../../scripts/ink-frame-cache.mjs';

interface InkOutput {
  write(x: number, y: number, text: string, options: { transformers: [] }): void;
  clip(clip: { x1?: number; x2?: number; y1?: number; y2?: number }): void;
  unclip(): void;
  get(): { output: string; height: number };
}
type OutputClass = new (o: { width: number; height: number }) => InkOutput;

const require = createRequire(import.meta.url);
// Ink's entry is build/index.js; Output sits beside it.
const inkOutputPath = path.join(path.dirname(require.resolve('ink')), 'output.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'wd-ink-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Ink's Output module as it is, or as the bundle's plugin transforms it, loaded from a temp copy. */
async function loadOutput(patched: boolean): Promise<OutputClass> {
  let code = readFileSync(inkOutputPath, 'utf8');
  if (patched) code = (inkFrameCache().transform as unknown as (code: string, id: string) => { code: string }).call({}, code, inkOutputPath).code;
  // Its two bare imports (ESM-only packages), resolved from Ink's own directory by their `exports`.
  code = code.replace(/from '([^'.][^']*)'/g, (_, name: string) => {
    let pkgFile = '';
    for (let at = path.dirname(inkOutputPath); !pkgFile; at = path.dirname(at)) {
      if (existsSync(path.join(at, 'node_modules', name, 'package.json'))) pkgFile = path.join(at, 'node_modules', name, 'package.json');
      else if (at === path.dirname(at)) throw new Error(`cannot find ${name} from Ink`);
    }
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports: Record<string, unknown> };
    const root = (pkg.exports['.'] ?? pkg.exports) as { import?: string; default?: string };
    return `from '${pathToFileURL(path.join(path.dirname(pkgFile), root.import ?? root.default ?? 'index.js')).href}'`;
  });
  code = code.replace(/\/\/# sourceMappingURL=.*$/m, '');
  const file = path.join(dir, `output-${patched ? 'patched' : 'plain'}.mjs`);
  writeFileSync(file, code);
  return ((await import(pathToFileURL(file).href)) as { default: OutputClass }).default;
}

/**
 * Frame `n` of a screen whose rows change, come back and move, with colours, wide characters
 * and a clip; the last row is new for 700 frames, so the caches' generations turn over.
 */
function drawFrame(Output: OutputClass, n: number): string {
  const out = new Output({ width: 40, height: 6 });
  const t = { transformers: [] as [] };
  out.write(0, 0, `\u001b[1mheader ${n % 3}\u001b[22m`, t);
  for (let row = 1; row < 5; row++) {
    const k = (n + row) % 4;
    out.write(0, row, `\u001b[3${k}mrow ${k} 漢字 ✓ ${'x'.repeat(k * 3)}\u001b[39m`, t);
  }
  out.clip({ x1: 2, x2: 12, y1: 0, y2: 6 });
  out.write(0, 5, `\u001b[44mclipped ${n % 700} 漢字漢字 tail\u001b[49m`, t);
  out.unclip();
  return out.get().output;
}

describe('the bundle keeps Ink\'s text caches across frames', () => {
  it('patches Ink\'s Output, and every frame equals what unpatched Ink draws', async () => {
    const plain = await loadOutput(false);
    const patched = await loadOutput(true);
    expect(readFileSync(path.join(dir, 'output-patched.mjs'), 'utf8')).toContain('caches = wdFrameCaches();');
    for (let n = 0; n < 3000; n++) expect(drawFrame(patched, n)).toBe(drawFrame(plain, n));
  });

  it('fails the build when Ink\'s Output no longer has the line it replaces', () => {
    const transform = inkFrameCache().transform as unknown as (code: string, id: string) => unknown;
    expect(() => transform.call({}, 'export default class Output {}', inkOutputPath)).toThrow(/ink\/build\/output.js changed/);
  });
});
