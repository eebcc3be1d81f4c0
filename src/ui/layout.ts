import { cachedWidth } from '../core/width.js';

/** Sizes of the deck's panes for a terminal of `cols`×`rows` cells. Pure. */
export interface DeckLayout {
  cols: number;
  rows: number;
  /** Width of the left column (worker list and preview). */
  leftWidth: number;
  mailWidth: number;
  /** Height of the middle area between header and footer. */
  mainHeight: number;
  /** Worker rows visible in the list. */
  listRows: number;
  listHeight: number;
  previewHeight: number;
  /** The preview's inner size: every detached PTY has this size. */
  previewCols: number;
  previewRows: number;
}

/**
 * Pane sizes for a terminal of `cols`×`rows` cells with `workerCount` workers.
 * Laid out for 80×24 and up; smaller terminals are clamped to 40×12 and clip.
 * The mail panel takes about a third of the width (26–56 columns); the list
 * shows 3 to 35% of the middle rows; the preview gets the rest.
 */
export function computeLayout(cols: number, rows: number, workerCount: number): DeckLayout {
  const c = Math.max(cols, 40);
  const r = Math.max(rows, 12);
  const mailWidth = Math.min(56, Math.max(26, Math.floor(c * 0.34)));
  const leftWidth = c - mailWidth;
  const mainHeight = r - 3; // header, status line, key hints
  const maxList = Math.max(3, Math.floor(mainHeight * 0.35));
  const listRows = Math.min(maxList, Math.max(3, workerCount));
  const listHeight = listRows + 3; // borders and the column header
  const previewHeight = Math.max(4, mainHeight - listHeight);
  return {
    cols: c,
    rows: r,
    leftWidth,
    mailWidth,
    mainHeight,
    listRows,
    listHeight,
    previewHeight,
    previewCols: Math.max(10, leftWidth - 2),
    previewRows: Math.max(2, previewHeight - 2),
  };
}

/** Printable ASCII only: one column per UTF-16 unit, no segmenting or width lookup needed. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });


/**
 * Terminal columns `text` takes, as Ink measures them (string-width): CJK and
 * emoji (including ZWJ sequences) take 2, combining marks and other
 * zero-width code points 0. `text` is one line of plain text (no escape
 * sequences, no control characters).
 */
export function textWidth(text: string): number {
  if (PRINTABLE_ASCII.test(text)) return text.length;
  // The sum over grapheme clusters is what string-width computes; caching
  // each cluster's width makes repeated text (every render) cheap.
  let columns = 0;
  for (const { segment } of graphemes.segment(text)) columns += cachedWidth(segment);
  return columns;
}

/**
 * The longest prefix of `text` that fits in `width` columns, cut on a
 * grapheme boundary, and the columns it takes (≤ `width`). Always takes at
 * least one grapheme when `atLeastOne` is set, even if it is wider than
 * `width`, so callers that loop make progress.
 */
function cutColumns(text: string, width: number, atLeastOne = false): { head: string; columns: number } {
  if (PRINTABLE_ASCII.test(text)) {
    const n = Math.min(text.length, Math.max(width, atLeastOne ? 1 : 0));
    return { head: text.slice(0, n), columns: n };
  }
  let end = 0;
  let columns = 0;
  for (const { segment } of graphemes.segment(text)) {
    const w = cachedWidth(segment);
    if (columns + w > width && !(atLeastOne && end === 0)) break;
    end += segment.length;
    columns += w;
  }
  return { head: text.slice(0, end), columns };
}

/**
 * Pad or cut one line of plain text to exactly `width` terminal columns
 * (string → string of `width` columns; '' when `width` ≤ 0). Text that fits
 * is padded with spaces on the right. Longer text is cut on a grapheme
 * boundary to `width - 1` columns and ends with `…` (1 column); a wide
 * (2-column) character that would straddle the cut is dropped and replaced
 * by a space, so the result is still exactly `width` columns.
 */
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  if (PRINTABLE_ASCII.test(text)) {
    if (text.length > width) return `${text.slice(0, width - 1)}…`;
    return text + ' '.repeat(width - text.length);
  }
  // One pass: remember where the cut before `…` goes, stop once it is clear the text is too wide.
  let columns = 0;
  let end = 0;
  let cutEnd = -1;
  let cutWidth = 0;
  for (const { segment } of graphemes.segment(text)) {
    const w = cachedWidth(segment);
    if (cutEnd < 0 && columns + w > width - 1) {
      cutEnd = end;
      cutWidth = columns;
    }
    columns += w;
    end += segment.length;
    if (columns > width) return `${text.slice(0, cutEnd)}${' '.repeat(width - 1 - cutWidth)}…`;
  }
  return text + ' '.repeat(width - columns);
}

/**
 * Word-wrap plain text to lines of at most `width` terminal columns
 * (string → string[], one entry per line, trailing spaces trimmed; `width`
 * below 1 counts as 1). Breaks at whitespace and at '\n'; a word wider than a
 * line is hard-broken on grapheme boundaries. The only line that can be wider
 * than `width` is a single 2-column character when `width` is 1.
 */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  const w = Math.max(1, width);
  for (const para of text.split('\n')) {
    let line = '';
    let lineWidth = 0;
    for (const word of para.split(/(\s+)/)) {
      if (word === '') continue;
      const wordWidth = textWidth(word);
      if (lineWidth + wordWidth <= w) {
        line += word;
        lineWidth += wordWidth;
        continue;
      }
      if (line.trim() !== '') out.push(line.trimEnd());
      if (/^\s+$/.test(word)) {
        line = '';
        lineWidth = 0;
        continue;
      }
      line = word;
      lineWidth = wordWidth;
      while (lineWidth > w) {
        const { head, columns } = cutColumns(line, w, true);
        out.push(head);
        line = line.slice(head.length);
        lineWidth -= columns;
      }
    }
    out.push(line.trimEnd());
  }
  return out;
}

/** `1 commit`, `3 commits`: a count and its noun, plural with an `s`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
