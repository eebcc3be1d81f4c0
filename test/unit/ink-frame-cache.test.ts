import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inkFrameCache } from '../../scripts/ink-frame-cache.mjs';
import { loadPatched, type Transform } from '../helpers/bundle-patch.js';

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
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

/** Ink's Output module as it is, or as the bundle's plugin transforms it. */
async function loadOutput(patched: boolean): Promise<OutputClass> {
  const { module, cleanup } = await loadPatched<{ default: OutputClass }>(inkOutputPath, patched ? (inkFrameCache().transform as unknown as Transform) : null);
  cleanups.push(cleanup);
  return module.default;
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
    expect((inkFrameCache().transform as unknown as Transform).call({}, readFileSync(inkOutputPath, 'utf8'), inkOutputPath)?.code).toContain('caches = wdFrameCaches();');
    for (let n = 0; n < 3000; n++) expect(drawFrame(patched, n)).toBe(drawFrame(plain, n));
  });

  it('fails the build when Ink\'s Output no longer has the line it replaces', () => {
    const transform = inkFrameCache().transform as unknown as (code: string, id: string) => unknown;
    expect(() => transform.call({}, 'export default class Output {}', inkOutputPath)).toThrow(/ink\/build\/output.js changed/);
  });
});
