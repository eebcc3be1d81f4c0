import { describe, expect, it } from 'vitest';
import { computeLayout, fit, wrap } from '../../src/ui/layout.js';

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
});
