import xtermHeadless from '@xterm/headless';
import unicode11Addon from '@xterm/addon-unicode11';
import { describe, expect, it } from 'vitest';
import { AttachStream } from '../../src/server/attach-stream.js';
import { MODE_RESET } from '../../src/core/detach-key.js';
import { ScreenMirror } from '../../src/pty/mirror.js';
import type { ScreenSwitch } from '../../src/pty/types.js';

const { Terminal } = xtermHeadless;
const ESC = '\u001b';
const COLS = 40;
const ROWS = 10;

/** The user's real terminal, already on the deck's alternate screen, as a headless xterm. */
function outerTerminal() {
  const term = new Terminal({ cols: COLS, rows: ROWS, allowProposedApi: true, scrollback: 0 });
  // Widths as the mirror counts them (✅ is 2 cells).
  term.loadAddon(new unicode11Addon.Unicode11Addon());
  term.unicode.activeVersion = '11';
  term.write(`${ESC}[?1049h`);
  return term;
}

const settle = (term: InstanceType<typeof Terminal>) => new Promise<void>((r) => term.write('', r));

/**
 * The rows as text, trailing blanks cut. A paint that leaves the cursor waiting to wrap prints its
 * last cell again, which turns an erased cell into a space: the same on screen.
 */
function text(term: InstanceType<typeof Terminal>): string[] {
  const buffer = term.buffer.active;
  return Array.from({ length: term.rows }, (_, y) => (buffer.getLine(buffer.baseY + y)?.translateToString(true) ?? '').trimEnd());
}

/** Every cell that is not a plain blank: its text, width and attributes (an erased cell counts as a space). */
function cells(term: InstanceType<typeof Terminal>): string[] {
  const buffer = term.buffer.active;
  const out: string[] = [];
  for (let y = 0; y < term.rows; y++) {
    const line = buffer.getLine(buffer.baseY + y);
    for (let x = 0; line && x < term.cols; x++) {
      const c = line.getCell(x);
      // The right half of a wide character is no cell of its own on screen.
      if (!c || c.getWidth() === 0) continue;
      const attrs = [c.getFgColorMode(), c.getFgColor(), c.getBgColorMode(), c.getBgColor(), c.isBold(), c.isInverse(), c.isDim(), c.isUnderline()].join(',');
      const chars = c.getChars() || ' ';
      if (chars !== ' ' || !c.isAttributeDefault()) out.push(`${x},${y} ${chars} ${c.getWidth()} ${attrs}`);
    }
  }
  return out;
}

function cursor(term: InstanceType<typeof Terminal>): [number, number] {
  return [term.buffer.active.cursorX, term.buffer.active.cursorY];
}

/**
 * Attach to a worker whose mirror already holds `before`, then deliver
 * `chunks` the way the Deck does (the tap first, then the mirror). After each
 * chunk, once everything is parsed and no paint is pending, the outer
 * terminal must show what the worker's own terminal (the mirror) shows, and
 * still be on its alternate screen.
 */
async function replay(before: string, chunks: string[]): Promise<{ outer: InstanceType<typeof Terminal>; mirror: ScreenMirror; written: string }> {
  // No scrollback: xterm counts a saved cursor (DECSC) from the top of the scrollback, so with one it
  // restores to another row than a terminal without (the outer one here, on its alternate screen).
  const mirror = new ScreenMirror(COLS, ROWS, 0);
  const outer = outerTerminal();
  let written = '';
  mirror.write(before);
  const stream = new AttachStream((data) => {
    written += data;
    outer.write(data);
  });
  mirror.watchSwitches((change: ScreenSwitch) => stream.switched(change));
  await mirror.flush();
  stream.begin(MODE_RESET + mirror.serializeActive());
  for (const [index, chunk] of chunks.entries()) {
    stream.output(chunk);
    mirror.write(chunk);
    await mirror.flush();
    expect(stream.held, `nothing held after chunk ${index}`).toBe(0);
    await settle(outer);
    const where = `after chunk ${index} of ${JSON.stringify(chunks)}`;
    expect(outer.buffer.active.type, where).toBe('alternate');
    expect(text(outer), where).toEqual(mirror.textRows().map((row) => row.trimEnd()));
    expect(cells(outer), where).toEqual(cells(mirror['term']));
    expect(cursor(outer), where).toEqual([mirror['term'].buffer.active.cursorX, mirror['term'].buffer.active.cursorY]);
  }
  return { outer, mirror, written };
}

const PROMPT = '$ ';
const NORMAL = `${PROMPT}ls\r\n\u001b[34mdir\u001b[0m  file.txt\r\n${PROMPT}less file.txt\r\n`;
// What less writes: switch, keypad, then the page in the same write; on quit it leaves and the shell prompts.
const LESS_OPEN = `${ESC}[?1049h${ESC}[22;0;0t${ESC}[?1h${ESC}=\r${Array.from({ length: ROWS - 1 }, (_, i) => `line ${i + 1}`).join('\r\n')}\r\n${ESC}[7m(END)${ESC}[27m`;
const LESS_QUIT = `\r${ESC}[K${ESC}[?1l${ESC}>${ESC}[?1049l${ESC}[23;0;0t${PROMPT}`;

describe('AttachStream with a real mirror and a real (headless) outer terminal', () => {
  it('shows the pager, then the shell screen as it was, at every split of the output into chunks', async () => {
    const stream = LESS_OPEN + LESS_QUIT + 'echo after\r\nafter\r\n' + PROMPT;
    for (let cut = 1; cut < stream.length; cut += 3) {
      const chunks = [stream.slice(0, cut), stream.slice(cut)];
      const { outer, mirror } = await replay(NORMAL, chunks);
      expect(text(outer).join('\n')).toContain('file.txt');
      expect(text(outer)).toContain('after');
      expect(text(outer).join('\n')).not.toContain('line 1');
      mirror.dispose();
      outer.dispose();
    }
  });

  it('paints a worker already on its alternate screen without switching the outer terminal', async () => {
    const { outer, written, mirror } = await replay(NORMAL + LESS_OPEN, [LESS_QUIT]);
    expect(written).not.toContain('?1049');
    expect(text(outer).join('\n')).toContain('less file.txt');
    mirror.dispose();
    outer.dispose();
  });

  it('keeps each paint exact when switches, colours and more output share one chunk', async () => {
    const chunk = `a${ESC}[31mred${ESC}[?1049hALT\r\n${ESC}[2;3Hx${ESC}[?1049;2004lback${ESC}[?47hin${ESC}[?47l!`;
    for (let cut = 1; cut < chunk.length; cut++) {
      const { outer, mirror, written } = await replay(NORMAL, [chunk.slice(0, cut), chunk.slice(cut)]);
      expect(written).not.toMatch(/\?(1049|47)[hl;]/);
      mirror.dispose();
      outer.dispose();
    }
  });

  it('turns a full reset into a mode reset and a blank screen, on the alternate screen', async () => {
    const { outer, mirror } = await replay(NORMAL, [`${ESC}[?1000h${ESC}c`, 'fresh']);
    expect(outer.modes.mouseTrackingMode).toBe('none');
    expect(text(outer)[0]).toBe('fresh');
    mirror.dispose();
    outer.dispose();
  });

  it('chaos: random output with switches, resets, regions and modes, cut at random, matches the mirror after every chunk', async () => {
    // A fixed seed: the same streams on every run. CHAOS_SEED and CHAOS_ROUNDS run others.
    let seed = Number(process.env.CHAOS_SEED ?? 0x9e3779b9);
    const random = (n: number) => {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      return seed % n;
    };
    const pick = <T,>(items: T[]) => items[random(items.length)]!;
    const parts = [
      () => `text-${random(1000)} `,
      () => '\r\n',
      () => `${ESC}[${random(12) + 1};${random(45) + 1}H`,
      () => `${ESC}[${pick(['0', '1', '31', '42', '38;5;200', '48;2;1;2;3', '7'])}m`,
      () => `${ESC}[${pick(['K', '2K', 'J', '2J', '3L', '2M', '4@', '3P', 'S', 'T'])}`,
      () => `${ESC}[${pick(['?1049', '?1047', '?47', '?1049;2004', '?25;1049', '?1;47'])}${pick(['h', 'l'])}`,
      () => `${ESC}[${random(5) + 1};${random(5) + 6}r`,
      () => `${ESC}[?${pick(['6', '7', '25', '1000', '1006', '2004', '1', '4'])}${pick(['h', 'l'])}`,
      () => pick([`${ESC}7`, `${ESC}8`, `${ESC}M`, `${ESC}D`, '\t', '\b', `${ESC}c`]),
      () => `${ESC}]0;title ?1049h ${random(9)}\u0007`,
      () => '日本語✅',
    ];
    for (let round = 0; round < Number(process.env.CHAOS_ROUNDS ?? 40); round++) {
      let stream = '';
      for (let n = 0; n < 80; n++) stream += pick(parts)();
      const chunks: string[] = [];
      for (let at = 0; at < stream.length; ) {
        const size = 1 + random(40);
        chunks.push(stream.slice(at, at + size));
        at += size;
      }
      const { outer, mirror } = await replay(NORMAL, chunks);
      mirror.dispose();
      outer.dispose();
    }
  });

  it('holds output behind a switch until its screen comes, and lets it go when the mirror is lost', () => {
    const out: string[] = [];
    const stream = new AttachStream((data) => out.push(data));
    stream.output(`before${ESC}[?1049hafter`);
    expect(out).toEqual([]);
    stream.begin('<initial>');
    expect(out).toEqual(['<initial>before']);
    expect(stream.held).toBe(2);
    stream.output('more');
    stream.switched({ alt: true, screen: '<alt screen>' });
    expect(out.at(-1)).toBe('<alt screen>aftermore');
    expect(stream.held).toBe(0);
    stream.output(`x${ESC}[?1049ly`);
    expect(out.at(-1)).toBe('x');
    stream.switched(null);
    expect(out.at(-1)).toBe('y');
    stream.output(`${ESC}[?1049hz`);
    expect(out.at(-1)).toBe('z');
    stream.close();
    stream.output('late');
    stream.switched({ alt: false, screen: '<late>' });
    expect(out.at(-1)).toBe('z');
  });
});
