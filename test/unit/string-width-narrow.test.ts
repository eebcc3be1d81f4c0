import { afterAll, describe, expect, it } from 'vitest';
import { NARROW, stringWidthNarrow } from '../../scripts/string-width-narrow.mjs';
import { loadPatched, stringWidthFile, type StringWidth, type Transform } from '../helpers/bundle-patch.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

async function load(patched: boolean): Promise<StringWidth> {
  const { module, cleanup } = await loadPatched<{ default: StringWidth }>(stringWidthFile(), patched ? (stringWidthNarrow().transform as unknown as Transform) : null);
  cleanups.push(cleanup);
  return module.default;
}

/** Every code point NARROW names, beyond printable ASCII. */
function narrowSymbols(): string[] {
  const re = new RegExp(`^[${NARROW}]$`);
  const out: string[] = [];
  for (let cp = 0x80; cp <= 0xffff; cp++) if (re.test(String.fromCodePoint(cp))) out.push(String.fromCodePoint(cp));
  return out;
}

describe("the bundle's string-width counts ASCII and narrow symbols by their length", () => {
  it('gives every such code point, and every pair of them, the width string-width gives', async () => {
    const plain = await load(false);
    const patched = await load(true);
    const symbols = narrowSymbols();
    expect(symbols.length).toBeGreaterThan(700);
    // string-width sums its widths over grapheme clusters: when each symbol is one column and
    // no two of them (or one and ASCII) join into a cluster, a string of them is as wide as long.
    const differ: string[] = [];
    const graphemes = new Intl.Segmenter();
    for (const a of [...symbols, 'a', ' ', '~']) {
      if (patched(a) !== plain(a) || plain(a) !== 1) differ.push(a);
      for (const b of [...symbols, 'a']) if ([...graphemes.segment(a + b)].length !== 2) differ.push(a + b);
    }
    expect(differ).toEqual([]);
    // And whole rows of them, against string-width's own path.
    for (let i = 0; i < 300; i++) {
      const s = Array.from({ length: 1 + (i % 40) }, (_, j) => symbols[(i * 7919 + j * 104729) % symbols.length]).join(i % 3 === 0 ? ' ' : '');
      expect([s, patched(s)]).toEqual([s, plain(s)]);
    }
    // Anything else still takes string-width's own path: marks, joiners, variation selectors, wide symbols.
    for (const s of ['─\u0301', 'a\u0301b', '·\uFE0F', '✓\uFE0F ok', '●\u200D●', '⚡ ╭─╮', '漢─', '\u001b[31m✓ ─\u001b[0m', '→\u200B', '\u00AD─', '╭─ pane ─╮ ● ✉3']) {
      expect([s, patched(s)]).toEqual([s, plain(s)]);
    }
    // With ambiguous characters counted wide, box drawing and arrows are two columns: no shortcut.
    for (const s of ['╭──╮', '· → ×', '✓ done']) {
      expect([s, patched(s, { ambiguousIsNarrow: false })]).toEqual([s, plain(s, { ambiguousIsNarrow: false })]);
    }
  }, 120_000);

  it('measures a frame row of borders and symbols without the grapheme segmenter', async () => {
    const patched = await load(true);
    const plain = await load(false);
    const row = '╭─ workers ─────────╮ ● api · running → main ✓ … ▏';
    const segment = Intl.Segmenter.prototype.segment;
    let segmented = 0;
    Intl.Segmenter.prototype.segment = function (this: Intl.Segmenter, input: string) {
      segmented++;
      return segment.call(this, input);
    };
    try {
      expect(patched(row)).toBe(row.length);
      expect(segmented).toBe(0);
      expect(plain(row)).toBe(row.length);
      expect(segmented).toBe(1);
    } finally {
      Intl.Segmenter.prototype.segment = segment;
    }
  });

  it('fails the build when string-width no longer has its ASCII fast path', () => {
    const transform = stringWidthNarrow().transform as unknown as (code: string, id: string) => unknown;
    expect(() => transform.call({}, 'export default function stringWidth() {}', '/x/node_modules/string-width/index.js')).toThrow(/string-width\/index.js changed/);
  });
});
