import xtermHeadless from '@xterm/headless';
import serializeAddon from '@xterm/addon-serialize';
import unicode11Addon from '@xterm/addon-unicode11';
import { cachedWidth } from '../core/width.js';
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
 * A worker's screen, kept by a headless xterm that parses everything the PTY
 * prints. The deck reads rows from it for the preview, serialises it to
 * restore the screen on attach, and reads terminal modes (bracketed paste)
 * from it before it types a reply.
 */
export class ScreenMirror {
  private readonly term: TerminalType;
  private readonly serializer: InstanceType<typeof SerializeAddon>;
  private readonly cell: IBufferCell;

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
  write(data: string | Uint8Array, onParsed?: () => void): void {
    this.term.write(data, onParsed);
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

  dispose(): void {
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

/** The SGR parameters for a cell, '' for default attributes. */
function sgrOf(cell: IBufferCell): string {
  const parts: string[] = [];
  if (cell.isBold()) parts.push('1');
  if (cell.isDim()) parts.push('2');
  if (cell.isItalic()) parts.push('3');
  if (cell.isUnderline()) parts.push('4');
  if (cell.isInverse()) parts.push('7');
  if (cell.isInvisible()) parts.push('8');
  if (cell.isStrikethrough()) parts.push('9');
  const fg = colourParams(cell.isFgRGB(), cell.isFgPalette(), cell.getFgColor(), 30);
  if (fg) parts.push(fg);
  const bg = colourParams(cell.isBgRGB(), cell.isBgPalette(), cell.getBgColor(), 40);
  if (bg) parts.push(bg);
  return parts.join(';');
}
