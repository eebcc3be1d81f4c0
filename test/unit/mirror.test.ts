import stringWidth from 'string-width';
import xtermHeadless from '@xterm/headless';
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

describe('ScreenMirror.serializeActive', () => {
  type Internals = { _core: { coreService: { isCursorHidden: boolean }; coreMouseService: { activeEncoding: string }; buffer: { scrollTop: number; scrollBottom: number } } };
  const Terminal = (xtermHeadless as unknown as { Terminal: typeof import('@xterm/headless').Terminal }).Terminal;
  const state = (term: InstanceType<typeof Terminal>) => {
    const core = (term as unknown as Internals)._core;
    const b = term.buffer.active;
    const text = Array.from({ length: term.rows }, (_, y) => b.getLine(b.baseY + y)?.translateToString(true) ?? '');
    return {
      text,
      cursor: [b.cursorX, b.cursorY],
      modes: { ...term.modes },
      hidden: core.coreService.isCursorHidden,
      encoding: core.coreMouseService.activeEncoding,
      region: [core.buffer.scrollTop, core.buffer.scrollBottom],
    };
  };
  /** A terminal that had other things on it, then got the paint. */
  const paintOnto = async (paint: string, cols: number, rows: number, startAlt: boolean) => {
    const term = new Terminal({ cols, rows, allowProposedApi: true, scrollback: 0 });
    await new Promise<void>((r) => term.write(`${startAlt ? '\u001b[?1049h' : ''}junk\u001b[31m more junk\u001b[4h\u001b[?6h\u001b[2;3r\u001b[?7l`, r));
    await new Promise<void>((r) => term.write(paint, r));
    return term;
  };
  const mirrorTerm = (mirror: ScreenMirror) => (mirror as unknown as { term: InstanceType<typeof Terminal> }).term;

  it('paints only the alternate screen when the program is on it, with no screen switch', async () => {
    const mirror = await mirrorOf(20, 5, 'normal line\r\n$ less\u001b[?1049h\u001b[2;4H\u001b[1;32mpager\u001b[0m text');
    try {
      const paint = mirror.serializeActive();
      expect(paint).not.toMatch(/\?(1049|1047|47)[hl]/);
      expect(paint).not.toContain('normal line');
      for (const startAlt of [true, false]) {
        const term = await paintOnto(paint, 20, 5, startAlt);
        expect(term.buffer.active.type).toBe(startAlt ? 'alternate' : 'normal');
        expect(state(term).text).toEqual(mirror.textRows());
        expect(state(term).cursor).toEqual(state(mirrorTerm(mirror)).cursor);
        const cell = term.buffer.active.getLine(1)?.getCell(3);
        expect(cell?.getChars()).toBe('p');
        expect(cell?.isBold()).toBeTruthy();
        expect(cell?.getFgColor()).toBe(2);
      }
    } finally {
      mirror.dispose();
    }
  });

  it('paints the normal screen, without its scrollback, once the program left the alternate one', async () => {
    const lines = Array.from({ length: 12 }, (_, i) => `row ${i}`).join('\r\n');
    const mirror = await mirrorOf(20, 5, `${lines}\u001b[?1049halt\u001b[?1049l`);
    try {
      const paint = mirror.serializeActive();
      expect(paint).not.toContain('row 6');
      expect(paint).not.toContain('alt');
      const term = await paintOnto(paint, 20, 5, true);
      expect(state(term).text).toEqual(mirror.textRows());
      expect(state(term).text[4]).toBe('row 11');
      expect(state(term).cursor).toEqual(state(mirrorTerm(mirror)).cursor);
    } finally {
      mirror.dispose();
    }
  });

  it('carries the modes, the scroll region, origin mode and cursor visibility', async () => {
    const setup = 'top\r\n\u001b[?1h\u001b=\u001b[?2004h\u001b[4h\u001b[?1004h\u001b[?1002h\u001b[?1006h\u001b[?25l\u001b[3;8r\u001b[?6h\u001b[2;5Hin region';
    const mirror = await mirrorOf(30, 10, setup);
    try {
      const term = await paintOnto(mirror.serializeActive(), 30, 10, true);
      expect(state(term)).toEqual(state(mirrorTerm(mirror)));
      expect(state(term).encoding).toBe('SGR');
      expect(state(term).hidden).toBe(true);
      expect(state(term).region).toEqual([2, 7]);
      // Output after the paint lands where it lands on the program's own terminal: inside the region.
      const more = '\u001b[6;1H\n\n\nscrolled';
      await new Promise<void>((r) => term.write(more, r));
      await new Promise<void>((r) => mirror.write(more, r));
      expect(state(term)).toEqual(state(mirrorTerm(mirror)));
    } finally {
      mirror.dispose();
    }
  });
});

describe('ScreenMirror.watchSwitches', () => {
  it('reports each switch with the screen right after it, even mid-write, and stops when unwatched', async () => {
    const mirror = new ScreenMirror(20, 4);
    try {
      const seen: { alt: boolean; screen: string }[] = [];
      mirror.watchSwitches((change) => seen.push(change));
      await new Promise<void>((r) => mirror.write('shell$ \u001b[?1049hALT TEXT\u001b[?10', r));
      await new Promise<void>((r) => mirror.write('49lback', r));
      expect(seen.map((s) => s.alt)).toEqual([true, false]);
      // Right after the switch: the alternate screen is blank, the later text not there yet.
      expect(seen[0]!.screen).not.toContain('ALT TEXT');
      expect(seen[0]!.screen).not.toContain('shell$');
      expect(seen[1]!.screen).toContain('shell$');
      expect(seen[1]!.screen).not.toContain('back');
      expect(mirror.textRows()[0]).toBe('shell$ back');
      mirror.watchSwitches(null);
      await new Promise<void>((r) => mirror.write('\u001b[?1049h', r));
      expect(seen).toHaveLength(2);
    } finally {
      mirror.dispose();
    }
  });
});
