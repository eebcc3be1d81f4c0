import xtermHeadless from '@xterm/headless';
import serializeAddon from '@xterm/addon-serialize';
import unicode11Addon from '@xterm/addon-unicode11';
import { cachedWidth } from '../core/width.js';
import { AltScreenFilter } from '../core/passthrough.js';
import type { ScreenSwitch } from './types.js';
import type { IBufferCell, IBufferLine, Terminal as TerminalType } from '@xterm/headless';

const { Terminal } = xtermHeadless;
const { SerializeAddon } = serializeAddon;
const { Unicode11Addon } = unicode11Addon;

/**
 * Lines of scrollback each mirror keeps for PgUp in the preview. The whole
 * output is in the transcript; at 32 workers each 1000 lines cost ~0.15 MB.
 */
export const MIRROR_SCROLLBACK = 1000;

/**
 * Puts a terminal in a known state for a paint, whatever the worker left on:
 * default SGR, no origin mode, autowrap on, insert mode off, the whole
 * screen as scroll region, cursor home, screen cleared.
 */
const PAINT_START = '\u001b[0m\u001b[?6l\u001b[?7h\u001b[4l\u001b[r\u001b[H\u001b[2J';

/**
 * The parts of xterm's state that its public API does not expose, read from
 * its internals (as addon-serialize itself does for the cursor's SGR). Every
 * field is optional: a later xterm that renames one only loses that mode
 * (test/unit/mirror.test.ts checks them against the pinned version).
 */
interface XtermInternals {
  _core?: {
    coreService?: { isCursorHidden?: boolean };
    coreMouseService?: { activeEncoding?: string };
    buffer?: { scrollTop?: number; scrollBottom?: number; savedX?: number; savedY?: number; savedCurAttrData?: IBufferCell };
    _inputHandler?: { _curAttrData?: IBufferCell };
  };
}

/**
 * A worker's screen, kept by a headless xterm that parses everything the PTY
 * prints. The deck reads rows from it for the preview, serialises it to
 * restore the screen on attach, and reads terminal modes (bracketed paste)
 * from it before it types a reply.
 */
export class ScreenMirror {
  private readonly term: TerminalType;
  private readonly serializer: InstanceType<typeof SerializeAddon>;
  private readonly cell: IBufferCell;
  /** Decodes byte writes while switches are watched. */
  private readonly decoder = new TextDecoder('utf-8');
  /** Set while someone watches screen switches (attach): the same filter the attach stream runs. */
  private switches: { filter: AltScreenFilter; listener: (change: ScreenSwitch) => void } | null = null;

  constructor(cols: number, rows: number, scrollback = MIRROR_SCROLLBACK) {
    this.term = new Terminal({ cols, rows, scrollback, allowProposedApi: true });
    this.serializer = new SerializeAddon();
    this.term.loadAddon(this.serializer);
    // Unicode 11 widths (emoji such as ✅ take 2 cells), as Ink's string-width
    // measures them; xterm's default Unicode 6 tables would make them 1 cell.
    this.term.loadAddon(new Unicode11Addon());
    this.term.unicode.activeVersion = '11';
    const cell = this.term.buffer.active.getNullCell();
    this.cell = cell;
  }

  get cols(): number {
    return this.term.cols;
  }

  get rows(): number {
    return this.term.rows;
  }

  /** True when the program turned bracketed paste on (`CSI ?2004h`). */
  get bracketedPaste(): boolean {
    return this.term.modes.bracketedPasteMode;
  }

  /** Lines of scrollback above the screen. */
  get scrollbackLength(): number {
    return this.term.buffer.active.baseY;
  }

  /**
   * Parse output, a string or UTF-8 bytes (xterm keeps a sequence split
   * between two chunks). `onParsed` runs once xterm has consumed `data`; the
   * PTY host uses it for flow control.
   */
  write(bytes: string | Uint8Array, onParsed?: () => void): void {
    const watch = this.switches;
    if (!watch) {
      this.term.write(bytes, onParsed);
      return;
    }
    // Watched (someone is attached): the switches are found in text. The decoder keeps a
    // UTF-8 sequence split across writes for the next one.
    const data = typeof bytes === 'string' ? bytes : this.decoder.decode(bytes, { stream: true });
    // Parse up to each alternate-screen switch, take the screen right there, then go on:
    // xterm runs a write's callback before it parses the next write.
    let from = 0;
    for (const piece of watch.filter.push(data)) {
      if (piece.kind !== 'switch') continue;
      const alt = piece.alt;
      this.term.write(data.slice(from, piece.end), () => watch.listener({ alt, screen: this.serializeActive() }));
      from = piece.end;
    }
    this.term.write(from === 0 ? data : data.slice(from), onParsed);
  }

  /**
   * Report every alternate-screen switch (`CSI ?1049/1047/47 h|l`) in output
   * written from now on, with the active screen as it is just after the
   * switch (`serializeActive`), in stream order. The switches are found by
   * the same AltScreenFilter the attach stream runs over the same bytes, so
   * the n-th report belongs to the n-th switch it removes. One watcher at a
   * time: a new one replaces the old; null stops watching.
   */
  watchSwitches(listener: ((change: ScreenSwitch) => void) | null): void {
    this.switches = listener ? { filter: new AltScreenFilter(), listener } : null;
  }

  /** Resolves once every write so far has been parsed. */
  flush(): Promise<void> {
    return new Promise((resolve) => this.term.write('', resolve));
  }

  /** Resize in cells; xterm reflows the buffer. */
  resize(cols: number, rows: number): void {
    if (cols === this.term.cols && rows === this.term.rows) return;
    this.term.resize(Math.max(2, cols), Math.max(2, rows));
  }

  /**
   * The visible screen as one string per row, with SGR colours, each exactly
   * `cols` cells wide.
   * @param scrollBack lines to look back from the bottom (0 = live screen)
   */
  styledRows(scrollBack = 0): string[] {
    const buffer = this.term.buffer.active;
    const top = Math.max(0, buffer.baseY - Math.max(0, scrollBack));
    const out: string[] = [];
    for (let y = 0; y < this.term.rows; y++) {
      const line = buffer.getLine(top + y);
      out.push(line ? this.styleLine(line) : ' '.repeat(this.term.cols));
    }
    return out;
  }

  /** The visible screen as plain text rows, right-trimmed. For prompt detection and tests. */
  textRows(): string[] {
    const buffer = this.term.buffer.active;
    const out: string[] = [];
    for (let y = 0; y < this.term.rows; y++) {
      out.push(buffer.getLine(buffer.baseY + y)?.translateToString(true) ?? '');
    }
    return out;
  }

  /**
   * The whole screen and its modes as escape sequences that redraw it on a
   * real terminal of the same size (@xterm/addon-serialize).
   */
  serialize(): string {
    return this.serializer.serialize({ scrollback: 0 });
  }

  /**
   * The active buffer (the worker's alternate screen when it is on it, else
   * its normal screen) as escape sequences that repaint a terminal of the
   * same size from any state: a reset and clear; each visible row placed
   * absolutely, with its colours; the cursor the worker saved (DECSC); the
   * scroll region; the cursor position (with a pending wrap); the current
   * SGR; and the worker's modes (cursor keys, keypad, bracketed paste,
   * insert, origin, reverse wrap, focus events, autowrap, mouse tracking and
   * its encoding, cursor visibility). No scrollback and no screen switch: the
   * terminal stays on the screen it is on. Rows are drawn cell by cell rather
   * than by addon-serialize, whose relative moves around wrapped rows and
   * wide characters leave stray cells.
   */
  serializeActive(): string {
    const buffer = this.term.buffer.active;
    const { cols, rows } = this.term;
    const core = (this.term as unknown as XtermInternals)._core;
    const modes = this.term.modes;
    let out = PAINT_START;
    let sgr = '';
    const setSgr = (next: string) => {
      if (next !== sgr) out += next === '' ? '\u001b[0m' : `\u001b[0;${next}m`;
      sgr = next;
    };
    const cell = this.cell;
    for (let y = 0; y < rows; y++) {
      const line = buffer.getLine(buffer.baseY + y);
      if (!line) continue;
      // Blank cells with no attributes at the end of the row are already blank after the clear.
      let end = cols;
      while (end > 0) {
        const c = line.getCell(end - 1, cell);
        if (!c || c.getChars() !== '' || c.getWidth() === 0 || sgrOf(c, true) !== '') break;
        end--;
      }
      if (end === 0) continue;
      out += `\u001b[${y + 1}H`;
      for (let x = 0; x < end; x++) {
        const c = line.getCell(x, cell);
        if (!c || c.getWidth() === 0) continue;
        const style = sgrOf(c, true);
        if (c.getChars() !== '' || !erasedOnly(c)) {
          setSgr(style);
          out += c.getChars() || ' ';
          continue;
        }
        // Erased cells (no text, at most a background) stay erased: ECH, as the program made them, then step over.
        let run = 1;
        while (x + run < end) {
          const next = line.getCell(x + run, cell);
          if (!next || next.getChars() !== '' || next.getWidth() !== 1 || !erasedOnly(next) || sgrOf(next, true) !== style) break;
          run++;
        }
        if (style !== '') {
          setSgr(style);
          out += `\u001b[${run}X`;
        }
        if (x + run < end) out += `\u001b[${run}C`;
        x += run - 1;
      }
    }
    setSgr('');
    // The cursor the worker saved (DECSC) on this screen, for its next DECRC: on its own terminal each
    // screen keeps one, on the real terminal (which never switches) there is one for both.
    const saved = core?.buffer;
    if (saved?.savedCurAttrData && saved.savedX !== undefined && saved.savedY !== undefined) {
      // xterm keeps the saved row counted from the top of the scrollback.
      const savedRow = Math.max(0, saved.savedY - buffer.baseY);
      setSgr(sgrOf(saved.savedCurAttrData, true));
      out += `\u001b[${savedRow + 1};${Math.min(saved.savedX, cols - 1) + 1}H\u001b7`;
    }
    const top = core?.buffer?.scrollTop ?? 0;
    const bottom = core?.buffer?.scrollBottom ?? rows - 1;
    // DECSTBM and origin mode both home the cursor, so they go before it is placed.
    if (top !== 0 || bottom !== rows - 1) out += `\u001b[${top + 1};${bottom + 1}r`;
    if (modes.originMode) out += '\u001b[?6h';
    const row = buffer.cursorY - (modes.originMode ? top : 0) + 1;
    // Past the last column, the cursor waits to wrap: print the last cell again to get there.
    const wrapLine = buffer.cursorX >= cols ? buffer.getLine(buffer.baseY + buffer.cursorY) : undefined;
    const lastWidth = wrapLine?.getCell(cols - 1, cell)?.getWidth();
    const at = lastWidth === 0 ? cols - 1 : cols;
    const pending = lastWidth === undefined ? undefined : wrapLine?.getCell(at - 1, cell);
    if (pending) {
      setSgr(sgrOf(pending, true));
      out += `\u001b[${row};${at}H${pending.getChars() || ' '}`;
    } else {
      out += `\u001b[${row};${Math.min(buffer.cursorX, cols - 1) + 1}H`;
    }
    const current = core?._inputHandler?._curAttrData;
    setSgr(current ? sgrOf(current, true) : '');
    if (modes.applicationCursorKeysMode) out += '\u001b[?1h';
    if (modes.applicationKeypadMode) out += '\u001b=';
    if (modes.bracketedPasteMode) out += '\u001b[?2004h';
    if (modes.insertMode) out += '\u001b[4h';
    if (modes.reverseWraparoundMode) out += '\u001b[?45h';
    if (modes.sendFocusMode) out += '\u001b[?1004h';
    if (!modes.wraparoundMode) out += '\u001b[?7l';
    const tracking = { none: '', x10: '9', vt200: '1000', drag: '1002', any: '1003' }[modes.mouseTrackingMode];
    if (tracking) out += `\u001b[?${tracking}h`;
    const encoding = core?.coreMouseService?.activeEncoding;
    if (encoding === 'SGR') out += '\u001b[?1006h';
    else if (encoding === 'SGR_PIXELS') out += '\u001b[?1016h';
    if (core?.coreService?.isCursorHidden) out += '\u001b[?25l';
    return out;
  }

  dispose(): void {
    this.switches = null;
    this.serializer.dispose();
    this.term.dispose();
  }

  /**
   * One buffer line as text with SGR colours, exactly `cols` columns wide as
   * Ink measures it (string-width). A wide cell (2 columns) is followed by a
   * 0-width placeholder cell, which is skipped. Cells whose text string-width
   * would measure differently from xterm are adjusted by `cellText`.
   */
  private styleLine(line: IBufferLine): string {
    const cols = this.term.cols;
    let out = '';
    let current = '';
    let width = 0;
    let prev = '';
    let prevWidth = 0;
    for (let x = 0; x < cols; x++) {
      const cell = line.getCell(x, this.cell);
      if (!cell) break;
      const w = cell.getWidth();
      if (w === 0) continue;
      const sgr = sgrOf(cell);
      if (sgr !== current) {
        out += sgr === '' ? '\u001b[0m' : `\u001b[0;${sgr}m`;
        current = sgr;
      }
      const chars = cell.getChars();
      const text = chars === '' ? ' '.repeat(w) : isPrintableAscii(chars) ? chars : cellText(prev, prevWidth, chars, w);
      out += text;
      width += w;
      prev = text;
      prevWidth = w;
    }
    if (width < cols) out += ' '.repeat(cols - width);
    return current === '' ? out : `${out}\u001b[0m`;
  }
}

function isPrintableAscii(chars: string): boolean {
  if (chars.length !== 1) return false;
  const code = chars.charCodeAt(0);
  return code >= 0x20 && code < 0x7f;
}


/**
 * The text to print for a non-ASCII cell that xterm says is `w` columns wide
 * (1 or 2), so that string-width measures it as exactly `w` columns, also
 * after the previous cell's text `prev` (`prevWidth` columns). xterm (Unicode
 * 11 tables, no grapheme clustering) and string-width (newer Unicode, whole
 * grapheme clusters) disagree on some input:
 * - ZWJ sequences: xterm keeps the ZWJ in the cell before it and gives each
 *   emoji its own cells, so the trailing ZWJ is dropped (👨‍👩‍👧 shows as 👨👩👧);
 * - emoji presentation (VS16, e.g. ❤️, keycaps): xterm gives 1 column,
 *   string-width 2, so VS16 is dropped and, failing that, only the base
 *   character is kept;
 * - a character xterm counts narrower than string-width (emoji newer than
 *   Unicode 11) shows as `?`; a zero-width one, or one that would merge with
 *   the previous cell into one cluster (skin-tone modifiers), as spaces.
 */
function cellText(prev: string, prevWidth: number, chars: string, w: number): string {
  let text = chars.endsWith('\u200d') ? chars.replace(/\u200d+$/u, '') : chars;
  let cw = cachedWidth(text);
  if (cw > w && text.includes('\ufe0f')) {
    text = text.replaceAll('\ufe0f', '');
    cw = cachedWidth(text);
  }
  if (cw > w) {
    text = String.fromCodePoint(text.codePointAt(0) ?? 0x3f);
    cw = cachedWidth(text);
  }
  if (cw > w) return '?'.padEnd(w);
  if (cw === 0) return ' '.repeat(w);
  if (cw < w) text += ' '.repeat(w - cw);
  if (prev !== '' && cachedWidth(prev + text) !== prevWidth + w) return ' '.repeat(w);
  return text;
}

function colourParams(isRGB: boolean, isPalette: boolean, colour: number, base: 30 | 40): string | null {
  if (isRGB) return `${base + 8};2;${(colour >> 16) & 255};${(colour >> 8) & 255};${colour & 255}`;
  if (!isPalette) return null;
  if (colour < 8) return String(base + colour);
  if (colour < 16) return String(base + 60 + colour - 8);
  return `${base + 8};5;${colour}`;
}

/** True when a cell has nothing an erase would not give it: no text, no attribute but a background. */
function erasedOnly(cell: IBufferCell): boolean {
  return (
    cell.getChars() === '' &&
    cell.isFgDefault() &&
    !cell.isBold() &&
    !cell.isDim() &&
    !cell.isItalic() &&
    !cell.isUnderline() &&
    !cell.isBlink() &&
    !cell.isInverse() &&
    !cell.isInvisible() &&
    !cell.isStrikethrough() &&
    !cell.isOverline()
  );
}

/**
 * The SGR parameters for a cell, '' for default attributes. `all` adds blink
 * and overline, which a real terminal shows but the preview leaves out.
 */
function sgrOf(cell: IBufferCell, all = false): string {
  const parts: string[] = [];
  if (cell.isBold()) parts.push('1');
  if (cell.isDim()) parts.push('2');
  if (cell.isItalic()) parts.push('3');
  if (cell.isUnderline()) parts.push('4');
  if (all && cell.isBlink()) parts.push('5');
  if (cell.isInverse()) parts.push('7');
  if (cell.isInvisible()) parts.push('8');
  if (cell.isStrikethrough()) parts.push('9');
  const fg = colourParams(cell.isFgRGB(), cell.isFgPalette(), cell.getFgColor(), 30);
  if (fg) parts.push(fg);
  const bg = colourParams(cell.isBgRGB(), cell.isBgPalette(), cell.getBgColor(), 40);
  if (bg) parts.push(bg);
  if (all && cell.isOverline()) parts.push('53');
  return parts.join(';');
}
