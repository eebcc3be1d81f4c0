import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inkFrameCache } from '../../scripts/ink-frame-cache.mjs';
import { loadPatched, type Transform } from '../helpers/bundle-patch.js';

type Transformer = (line: string, index: number) => string;
interface InkOutput {
  write(x: number, y: number, text: string, options: { transformers: Transformer[] }): void;
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
 * Frame `n` of a screen whose rows change, come back and move, with colours, wide characters,
 * a clip, writes that overlap (a wide character cut in half, a write from a negative column),
 * multi-line texts and transformers (new closures every frame, as Ink's Text makes them); the
 * clipped row is new for 700 frames, so the caches' generations turn over.
 */
function drawFrame(Output: OutputClass, n: number): string {
  const out = new Output({ width: 40, height: 8 });
  const t = { transformers: [] as Transformer[] };
  out.write(0, 0, `\u001b[1mheader ${n % 3}\u001b[22m`, t);
  for (let row = 1; row < 5; row++) {
    const k = (n + row) % 4;
    out.write(0, row, `\u001b[3${k}mrow ${k} 漢字 ✓ ${'x'.repeat(k * 3)}\u001b[39m`, t);
  }
  // Over the wide characters of row 1 or 2, and a second piece on the same row.
  out.write(7 + (n % 2), 1 + (n % 2), `\u001b[7m|${n % 5}|\u001b[27m`, t);
  out.write(-2 + (n % 3), 3, `漢字 neg`, t);
  out.clip({ x1: 2 + (n % 2), x2: 10 + (n % 3), y1: 0, y2: 8 });
  out.write(0, 5, `\u001b[44mclipped ${n % 700} 漢字漢字 tail\u001b[49m`, t);
  out.unclip();
  const upper = n % 5 === 0;
  const transformers: Transformer[] = [(line, index) => (upper ? line.toUpperCase() : line) + (index === 1 ? ` #${n % 4}` : '')];
  out.write(1, 6, `two\nlines ${n % 6}`, { transformers });
  return out.get().output;
}

describe('the bundle keeps Ink\'s text caches across frames', () => {
  it('patches Ink\'s Output, and every frame equals what unpatched Ink draws', async () => {
    const plain = await loadOutput(false);
    const patched = await loadOutput(true);
    const code = (inkFrameCache().transform as unknown as Transform).call({}, readFileSync(inkOutputPath, 'utf8'), inkOutputPath)?.code;
    expect(code).toContain('caches = wdFrameCaches();');
    expect(code).toContain('this.wdRow(pieces)');
    for (let n = 0; n < 3000; n++) expect(drawFrame(patched, n)).toBe(drawFrame(plain, n));
  });

  it('fails the build when Ink\'s Output no longer has the line it replaces', () => {
    const transform = inkFrameCache().transform as unknown as (code: string, id: string) => unknown;
    expect(() => transform.call({}, 'export default class Output {}', inkOutputPath)).toThrow(/ink\/build\/output.js changed/);
    // Each replaced piece is checked on its own: one line of Ink's row painting changed is enough.
    const original = readFileSync(inkOutputPath, 'utf8');
    const changed = original.replace('// Nothing to write (e.g. line was clipped away).', '');
    expect(changed).not.toBe(original);
    expect(() => transform.call({}, changed, inkOutputPath)).toThrow(/output.js changed/);
  });
});
