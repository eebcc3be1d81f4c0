import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { ScreenMirror } from '../../src/pty/mirror.js';

const SGR = /\u001b\[[0-9;]*m/g;

async function mirrorOf(cols: number, rows: number, data: string): Promise<ScreenMirror> {
  const mirror = new ScreenMirror(cols, rows);
  await new Promise<void>((r) => mirror.write(data, r));
  return mirror;
}

describe('ScreenMirror wide characters', () => {
  it('keeps CJK and ✅ at their Unicode 11 widths', async () => {
    const mirror = await mirrorOf(20, 4, '日本語✅abc');
    try {
      expect(mirror.textRows()[0]).toBe('日本語✅abc');
      const rows = mirror.styledRows();
      expect(rows).toHaveLength(4);
      for (const row of rows) expect(stringWidth(row.replace(SGR, ''))).toBe(20);
      expect(rows[0]!.replace(SGR, '')).toBe(`日本語✅abc${' '.repeat(9)}`);
    } finally {
      mirror.dispose();
    }
  });

  it('styled rows are exactly cols wide for emoji, ZWJ, combining marks, colours and wrapping', async () => {
    const lines = [
      '\u001b[31m日本語\u001b[0m✅\u001b[1mabc\u001b[0m',
      'family 👨‍👩‍👧 ok',
      'heart ❤️ key 1️⃣ 🇯🇵',
      'thumb 👍🏽 new 🥲 e\u0301',
      '한국어 ｱﾞ',
      `${'x'.repeat(19)}日本`, // the wide char does not fit in the last column and wraps
    ];
    const mirror = await mirrorOf(20, 8, lines.join('\r\n'));
    try {
      for (const row of mirror.styledRows()) {
        expect(stringWidth(row.replace(SGR, '')), JSON.stringify(row)).toBe(20);
      }
      expect(mirror.textRows()[5]).toBe('x'.repeat(19));
      expect(mirror.textRows()[6]).toBe('日本');
    } finally {
      mirror.dispose();
    }
  });
});
