import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { computeLayout, fit, textWidth, wrap } from '../../src/ui/layout.js';

describe('computeLayout', () => {
  for (const [cols, rows] of [
    [80, 24],
    [120, 40],
  ] as const) {
    for (const workers of [0, 1, 5, 50]) {
      it(`${cols}x${rows} with ${workers} workers: panes add up and do not overlap`, () => {
        const l = computeLayout(cols, rows, workers);
        expect(l.cols).toBe(cols);
        expect(l.rows).toBe(rows);
        // Columns: the left column and the mail panel fill the width exactly.
        expect(l.leftWidth + l.mailWidth).toBe(cols);
        expect(l.leftWidth).toBeGreaterThan(l.mailWidth);
        expect(l.mailWidth).toBeGreaterThanOrEqual(26);
        // Rows: header + main + status line + hints; list above preview fills main.
        expect(l.mainHeight + 3).toBe(rows);
        expect(l.listHeight + l.previewHeight).toBe(l.mainHeight);
        expect(l.listRows + 3).toBe(l.listHeight);
        expect(l.listRows).toBeGreaterThanOrEqual(Math.min(3, Math.max(3, workers)));
        expect(l.listRows).toBeLessThanOrEqual(Math.max(3, workers));
        // The preview's inner size sits inside its border.
        expect(l.previewCols).toBe(l.leftWidth - 2);
        expect(l.previewRows).toBe(l.previewHeight - 2);
        expect(l.previewRows).toBeGreaterThanOrEqual(2);
      });
    }
  }

  it('gives the exact sizes at 80x24 and 120x40', () => {
    expect(computeLayout(80, 24, 2)).toMatchObject({ leftWidth: 53, mailWidth: 27, mainHeight: 21, listRows: 3, listHeight: 6, previewHeight: 15, previewCols: 51, previewRows: 13 });
    expect(computeLayout(120, 40, 20)).toMatchObject({ leftWidth: 80, mailWidth: 40, mainHeight: 37, listRows: 12, listHeight: 15, previewHeight: 22, previewCols: 78, previewRows: 20 });
  });

  it('caps the list so the preview keeps most of the height', () => {
    const l = computeLayout(120, 40, 500);
    expect(l.listRows).toBe(Math.floor(37 * 0.35));
    expect(l.previewHeight).toBeGreaterThan(l.listHeight);
  });
});

describe('fit and wrap', () => {
  it('fit pads and cuts to the width', () => {
    expect(fit('abc', 5)).toBe('abc  ');
    expect(fit('abcdef', 4)).toBe('abc…');
    expect(fit('x', 0)).toBe('');
  });

  it('wrap breaks on words and hard-breaks long words', () => {
    expect(wrap('the quick brown fox', 10)).toEqual(['the quick', 'brown fox']);
    expect(wrap('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
    expect(wrap('a\nb', 10)).toEqual(['a', 'b']);
  });

  const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  const clusters = (s: string) => [...segmenter.segment(s)].map((g) => g.segment);

  const samples: Record<string, string> = {
    ascii: 'Should I run the migrations now?',
    cjk: '本番データベースのマイグレーションを今実行してもよいですか？',
    mixed: 'Deploy 日本語 build? yes/no',
    emoji: 'Tests pass ✅ lint ✅ deploy 🚀 done',
    zwj: 'family 👨‍👩‍👧‍👦 and 🏳️‍🌈 and 👍🏽 ok',
    combining: 'cafe\u0301 re\u0301sume\u0301 n\u0303 a\u0308\u0304',
    hangul: '한국어 질문입니다 괜찮아요?',
    empty: '',
  };

  it('textWidth measures terminal columns like string-width', () => {
    expect(textWidth('abc')).toBe(3);
    expect(textWidth('日本語')).toBe(6);
    expect(textWidth('✅')).toBe(2);
    expect(textWidth('👨‍👩‍👧‍👦')).toBe(2);
    expect(textWidth('e\u0301')).toBe(1);
  });

  it('fit pads and cuts CJK, emoji and combining marks by columns', () => {
    expect(fit('日本語', 8)).toBe('日本語  ');
    expect(fit('日本語', 6)).toBe('日本語');
    expect(fit('日本語', 5)).toBe('日本…');
    // 日本 + … would be 5 columns; the wide 語 does not fit in the last one, so a space pads it.
    expect(fit('日本語です', 6)).toBe('日本 …');
    expect(fit('✅ ok', 5)).toBe('✅ ok');
    expect(fit('✅✅✅', 4)).toBe('✅ …');
    expect(fit('👨‍👩‍👧‍👦👨‍👩‍👧‍👦', 3)).toBe('👨‍👩‍👧‍👦…');
    expect(fit('cafe\u0301!', 5)).toBe('cafe\u0301!');
    expect(fit('cafe\u0301s!', 5)).toBe('cafe\u0301…');
    expect(fit('日本', 1)).toBe('…');
    expect(fit('日本', 0)).toBe('');
  });

  for (const [name, text] of Object.entries(samples)) {
    it(`fit of ${name} text is exactly the width and never splits a grapheme`, () => {
      const all = clusters(text);
      for (let width = 1; width <= stringWidth(text) + 3; width++) {
        const out = fit(text, width);
        expect(stringWidth(out), `${JSON.stringify(out)} at ${width}`).toBe(width);
        if (stringWidth(text) <= width) {
          expect(out.startsWith(text)).toBe(true);
          continue;
        }
        expect(out.endsWith('…')).toBe(true);
        // The kept part is whole graphemes of the text, then only padding.
        const kept = out.slice(0, -1).trimEnd();
        const keptClusters = clusters(kept);
        expect(keptClusters).toEqual(all.slice(0, keptClusters.length));
      }
    });

    it(`wrap of ${name} text keeps lines within the width and loses nothing`, () => {
      for (const width of [2, 3, 4, 5, 7, 10, 16, 40]) {
        const lines = wrap(text, width);
        for (const line of lines) expect(stringWidth(line), `${JSON.stringify(line)} at ${width}`).toBeLessThanOrEqual(width);
        // Only whitespace is dropped at the breaks, and no grapheme is split.
        expect(lines.join('').replace(/\s+/g, '')).toBe(text.replace(/\s+/g, ''));
        const lineClusters = lines.flatMap(clusters).filter((c) => !/^\s+$/.test(c));
        expect(lineClusters).toEqual(clusters(text).filter((c) => !/^\s+$/.test(c)));
      }
    });
  }

  it('wrap breaks CJK and emoji by columns', () => {
    expect(wrap('日本語のテキスト', 6)).toEqual(['日本語', 'のテキ', 'スト']);
    // A wide character that would straddle the edge moves to the next line.
    expect(wrap('日本語', 5)).toEqual(['日本', '語']);
    expect(wrap('ok ✅ done ✅', 7)).toEqual(['ok ✅', 'done ✅']);
    expect(wrap('👨‍👩‍👧‍👦👨‍👩‍👧‍👦👨‍👩‍👧‍👦', 4)).toEqual(['👨‍👩‍👧‍👦👨‍👩‍👧‍👦', '👨‍👩‍👧‍👦']);
    expect(wrap('re\u0301sume\u0301 cafe\u0301', 6)).toEqual(['re\u0301sume\u0301', 'cafe\u0301']);
    expect(wrap('質問 ok', 4)).toEqual(['質問', 'ok']);
  });
});
