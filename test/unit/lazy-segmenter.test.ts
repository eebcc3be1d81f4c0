import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALONE, lazySegmenter, SEGMENTER_MODULE } from '../../scripts/lazy-segmenter.mjs';

type Make = (locales?: string | string[], options?: Intl.SegmenterOptions) => Pick<Intl.Segmenter, 'segment' | 'resolvedOptions'>;

let wdSegmenter: Make;
let dir = '';
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wd-segmenter-'));
  const file = path.join(dir, 'segmenter.mjs');
  writeFileSync(file, SEGMENTER_MODULE);
  ({ wdSegmenter } = (await import(pathToFileURL(file).href)) as { wdSegmenter: Make });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const plain = (segments: Iterable<Intl.SegmentData>) => [...segments].map((s) => ({ ...s }));

const TEXTS = [
  '',
  'a',
  'plain ascii, with punctuation!',
  '╭─ workers ─────────╮',
  '● api · running → main ✓ … ▏ ⚠ ✉ ×',
  'é and e\u0301',
  '─\u0301',
  '👩‍💻 dev ⚡',
  '🇩🇪🇫🇷',
  '漢字 かな 각',
  'a\r\nb',
  '\u001b[31mred\u001b[0m',
  '\uD83D',
  '✓\uFE0F',
  '\u001b[1m\u001b[38;5;117mworkerdeck\u001b[39m\u001b[22m',
  'tab\there\nline\u0007\u009b',
  'cr\r\nlf\n\r',
  '\u001b\u0301',
];

describe('wdSegmenter: Intl.Segmenter made only when a string needs it', () => {
  it('gives the segments and `containing` answers Intl.Segmenter gives', () => {
    for (const options of [undefined, { granularity: 'grapheme' as const }]) {
      const real = new Intl.Segmenter(undefined, options);
      const lazy = wdSegmenter(undefined, options);
      for (const text of TEXTS) {
        expect([text, plain(lazy.segment(text))]).toEqual([text, plain(real.segment(text))]);
        const a = lazy.segment(text);
        const b = real.segment(text);
        for (const at of [-1, 0, 1, 2, 1.5, text.length - 1, text.length, text.length + 3, undefined, Number.NaN]) {
          const got = a.containing(at);
          const want = b.containing(at);
          expect([text, at, got && { ...got }]).toEqual([text, at, want && { ...want }]);
        }
      }
      expect(lazy.resolvedOptions()).toEqual(real.resolvedOptions());
    }
    // Words are Intl.Segmenter's alone.
    const words = wdSegmenter('en', { granularity: 'word' });
    expect(plain(words.segment('two words'))).toEqual(plain(new Intl.Segmenter('en', { granularity: 'word' }).segment('two words')));
  });

  it('takes as lone clusters only code points that are: each beside every other of them', () => {
    const re = new RegExp(`^[${ALONE}]$`);
    const alone: string[] = [];
    for (let cp = 0; cp <= 0xffff; cp++) if (re.test(String.fromCharCode(cp))) alone.push(String.fromCharCode(cp));
    expect(alone).not.toContain('\r');
    expect(alone).toContain('\u001b');
    // string-width-narrow.test.ts pairs the narrow symbols; here the controls meet all of them.
    const controls = alone.filter((c) => c < ' ' || (c >= '\u007f' && c <= '\u009f'));
    const graphemes = new Intl.Segmenter();
    const joined: string[] = [];
    for (const a of controls) for (const b of alone) for (const s of [a + b, b + a]) if ([...graphemes.segment(s)].length !== 2) joined.push(JSON.stringify(s));
    expect(joined).toEqual([]);
  }, 60_000);

  it('makes no Intl.Segmenter for ASCII and narrow symbols, and one for anything else', () => {
    const Real = Intl.Segmenter;
    // Intl.Segmenter is writable at run time; its type says read-only.
    const intl = Intl as { Segmenter: typeof Intl.Segmenter };
    let made = 0;
    intl.Segmenter = new Proxy(Real, {
      construct(target, args: [string?, Intl.SegmenterOptions?]) {
        made++;
        return new target(...args);
      },
    });
    try {
      const lazy = wdSegmenter(undefined, { granularity: 'grapheme' });
      expect([...lazy.segment('╭─ api ─╮ ● ✓ …')].length).toBe(15);
      expect([...lazy.segment('\u001b[1mworkerdeck\u001b[22m')].length).toBe(19);
      expect(made).toBe(0);
      expect([...lazy.segment('e\u0301')].length).toBe(1);
      expect(made).toBe(1);
      expect(() => wdSegmenter('not a locale!')).toThrow(RangeError);
    } finally {
      intl.Segmenter = Real;
    }
  });

  it('rewrites the constructor calls of an ES module, and leaves CommonJS alone', () => {
    const transform = lazySegmenter().transform as unknown as (code: string, id: string) => { code: string } | null;
    const esm = transform.call({}, "import x from 'y';\nconst s = new Intl.Segmenter(void 0, { granularity: 'grapheme' });\nexport { s };", '/m/node_modules/a/index.js');
    expect(esm?.code).toContain("import { wdSegmenter as __wdSegmenter } from 'wd:segmenter';");
    expect(esm?.code).toContain("const s = __wdSegmenter(void 0, { granularity: 'grapheme' });");
    expect(esm?.code).not.toContain('new Intl.Segmenter');
    expect(transform.call({}, 'module.exports = new Intl.Segmenter();', '/m/node_modules/b/index.js')).toBeNull();
    expect(transform.call({}, 'export const x = 1;', '/m/node_modules/c/index.js')).toBeNull();
  });
});
